// replicore-server's HTTP front: cpp-httplib configured for load, feeding http::Api.
#ifndef REPLICORE_HTTP_SERVER_H_
#define REPLICORE_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "replicore/cors.h"
#include "replicore/database.h"
#include "replicore/guarded_server.h"

namespace replicore {
namespace http {

class Api;

enum class LogLevel { kOff = 0, kError = 1, kWarn = 2, kInfo = 3, kDebug = 4 };
// "off", "error", "warn", "info", "debug"; nullopt-like false when unknown.
bool ParseLogLevel(const std::string& text, LogLevel* level);

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 3000;                     // 0: any free port
  // Folders served as files: {url prefix, folder}, e.g. {"/", "web-example"}.
  std::vector<std::pair<std::string, std::string>> static_mounts;
  std::string api_root = "/api";
  size_t max_body = 32u * 1024 * 1024;  // bytes; larger bodies get 413
  LogLevel log_level = LogLevel::kInfo;
  ConnectionLimits connections;        // deadlines per request, read and write, keep-alive
  size_t max_connections = 1024;       // served at once (one thread each); more wait
  Cors cors;                           // --cors: origins allowed to call from browsers
  // Called once with the server's Api before it serves (set_users, set_before); may be empty.
  std::function<void(Api&)> configure_api;
  // The API explorer (Swagger UI) at explorer_path + "/" ("" = off), from the files of
  // FindExplorerFiles(explorer_dir); when they are missing, 503 there saying so. GET
  // /openapi.json is served either way.
  std::string explorer_path = "/explorer";
  std::string explorer_dir;
};

// The explorer's files under `dir` (server/explorer): its own page (index.html and
// swagger-initializer.js, pointed at /openapi.json) in dir/public, and Swagger UI, npm's
// swagger-ui-dist, in dir/node_modules/swagger-ui-dist. kNotFound names what is missing.
struct ExplorerFiles {
  std::string page;        // dir/public
  std::string swagger_ui;  // dir/node_modules/swagger-ui-dist
};
Result<ExplorerFiles> FindExplorerFiles(const std::string& dir);

class Server {
 public:
  // Borrows `db` (models already added) for the server's lifetime.
  Server(Database* db, ServerOptions options);
  ~Server();

  // Binds the socket; returns the bound port, or a Status naming the problem.
  Result<int> Bind();
  // "http://host:port" once bound.
  std::string Url() const;
  // Whether the explorer is served (on, and its files found); if not while on, why not.
  bool ExplorerServed() const;
  const std::string& ExplorerMissing() const;
  // Serves until Stop(); returns false if the server failed.
  bool Run();
  // Thread-safe and signal-thread-safe (not async-signal-safe: call from a thread).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_HTTP_SERVER_H_
