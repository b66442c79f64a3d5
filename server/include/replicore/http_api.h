// The REST layer of replicore-server without the socket: LoopBack 3 routes under
// <api-root>/<plural> (routes.h) mapped onto the core's Database and replication operations
// (PROTOCOL.md §2, §9), with LoopBack's error shape. http_server.cc feeds it from
// cpp-httplib; tests may call it directly.
#ifndef REPLICORE_HTTP_API_H_
#define REPLICORE_HTTP_API_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "replicore/database.h"
#include "replicore/openapi.h"

namespace replicore {
class UserStore;

namespace http {

class UserRoutes;
struct UserOptions;
class OwnerPartitions;

// With users, what the models without "ownership" allow (--shared-models).
enum class SharedAccess {
  kOpen,      // as without users: anyone reads and writes
  kReadOnly,  // anyone reads (and takes checkpoints to replicate from them); nobody writes
  kClosed,    // not served
};

struct ApiRequest {
  std::string method;  // "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", ...
  std::string path;    // the raw (still percent-encoded) path, e.g. /api/Todos/t-1
  std::string query;   // the raw query string after '?', or ""
  std::vector<std::pair<std::string, std::string>> headers;  // names as the client sent them
  std::string body;
  std::string remote_address;  // the client's IP address ("127.0.0.1", "::1"), or ""

  // The first value of header `name`, whatever its case (HTTP names are case-insensitive),
  // or "".
  std::string Header(std::string_view name) const;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON text; empty for 204 and HEAD answers without body
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // The content of `body` is JSON (Content-Type application/json; charset=utf-8).
  bool json = true;
  // Not an API path (outside the api root): the caller may serve a static file first.
  bool outside_api = false;
  // For logs: the real cause of a 5xx (the body hides it, as LoopBack in production).
  std::string internal_error;
};

// JSON text as JSON.stringify writes it: numbers in JavaScript's form, no whitespace.
std::string ToJsonText(const Json& value);
void AppendJsonText(const Json& value, std::string* out);

// `body` as JSON text, with `status`.
ApiResponse JsonResponse(int status, const Json& body);
// {"error":{"statusCode","name","message",["code"],["details"]}}; 5xx hide everything
// but the status, as LoopBack does in production.
ApiResponse ErrorResponse(int status, const std::string& name, const std::string& message,
                          const std::string& code = "", const Json& details = nullptr);
// A core Status mapped with HttpStatusFor and LoopBack's error names.
ApiResponse StatusResponse(const Status& status, const std::string& code = "");
// 404 "Cannot GET /path" (Express's answer outside every route).
ApiResponse CannotResponse(const std::string& method, const std::string& path);

// {"protocol":"loopback3","extensions":[...]} of GET <api-root>/replicore/capabilities.
Json Capabilities();

struct Route;

// Runs once a model's route is matched, before its handler: an answer replaces the
// handler's (a 401 without credentials); nullopt lets the handler run. Called concurrently,
// outside the lock.
using BeforeHook = std::function<std::optional<ApiResponse>(
    const ApiRequest& request, const ModelDefinition& model, const Route& route)>;

class Api {
 public:
  // Borrows `db` (its models must be added before). `api_root` like "/api" ("" or "/" = root).
  Api(Database* db, std::string api_root);
  ~Api();

  // REQUIRES: called before the first Handle.
  void set_before(BeforeHook before) { before_ = std::move(before); }
  // Serves <api-root>/Users (sign-up, login, logout: user_routes.h) from `users`, borrowed
  // for the Api's lifetime. REQUIRES: called before the first Handle; no model has the
  // plural "Users" (it would be hidden).
  void set_users(UserStore* users, const UserOptions& options);
  // With users: the models whose records belong to their users (model JSON "ownership":
  // "owner"; each user sees and touches only theirs, 401 without a valid token), and what
  // the other models allow. REQUIRES: set_users before, and called before the first Handle.
  void set_ownership(std::set<std::string> owned, SharedAccess shared);

  // Thread-safe: reads run under a shared lock, writes under an exclusive one.
  ApiResponse Handle(const ApiRequest& request);
  // The lock Handle holds around the Database: what else works on it while the server
  // serves (its background replication) holds it exclusively around each step.
  std::shared_mutex& db_mutex() { return mu_; }

  // What this Api serves, for its OpenAPI document (OpenApiDocument(Description())): the
  // models with what each allows, and the users' routes. Borrows the Api's models.
  ApiDescription Description() const;
  // Every route Handle serves, "METHOD /path" with ":id" for an id, from the same tables
  // it dispatches with, in their order (replicore-server --print-routes).
  std::vector<std::string> RouteList() const;

 private:
  ApiResponse Route(const ApiRequest& request);
  // What `model`'s routes allow, by the user settings: the one rule RouteModel enforces
  // and Description tells.
  ModelAccess AccessOf(const ModelDefinition& model) const;
  ApiResponse RouteModel(const ApiRequest& request, const ModelDefinition& model,
                         const std::vector<std::string>& rest, const std::string& rest_raw);

  Database* db_;
  std::string api_root_;
  std::map<std::string, const ModelDefinition*> by_plural_;
  std::shared_mutex mu_;
  BeforeHook before_;  // empty: none
  std::unique_ptr<UserRoutes> users_;  // null: no users
  std::set<std::string> owned_;        // model names
  SharedAccess shared_ = SharedAccess::kOpen;
  std::unique_ptr<OwnerPartitions> partitions_;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_HTTP_API_H_
