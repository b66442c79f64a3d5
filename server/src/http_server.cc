// cpp-httplib (Debian's 0.11) wired to http::Api. Its defaults (no TCP_NODELAY, a pool of
// max(8, cores-1) threads, 5 requests per keep-alive connection) stall under load, so
// the server sets TCP_NODELAY, a thread per connection up to --max-connections and long
// keep-alive (issue 13), with a deadline on every request (GuardedServer, issue 20).
#include "replicore/http_server.h"

#include <httplib.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>

#include "replicore/elastic_pool.h"
#include "replicore/gzip.h"
#include "replicore/http_api.h"
#include "replicore/openapi.h"
#include "replicore/user_routes.h"

namespace replicore {
namespace http {

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  if (text == "off" || text == "none") *level = LogLevel::kOff;
  else if (text == "error") *level = LogLevel::kError;
  else if (text == "warn" || text == "warning") *level = LogLevel::kWarn;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "debug") *level = LogLevel::kDebug;
  else return false;
  return true;
}

namespace {

constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr const char* kDescriptionPath = "/openapi.json";
constexpr size_t kTrimAfterBytes = 1 << 20;

std::string ReasonOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    default: return "HTTP " + std::to_string(status);
  }
}

std::string BootToken() {
  std::random_device random;
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(random()));
  return text;
}

}  // namespace

Result<ExplorerFiles> FindExplorerFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  ExplorerFiles files{(fs::path(dir) / "public").string(),
                      (fs::path(dir) / "node_modules" / "swagger-ui-dist").string()};
  std::error_code error;
  for (const fs::path& file : {fs::path(files.page) / "index.html",
                               fs::path(files.page) / "swagger-initializer.js",
                               fs::path(files.swagger_ui) / "swagger-ui-bundle.js",
                               fs::path(files.swagger_ui) / "swagger-ui.css"}) {
    if (!fs::is_regular_file(file, error)) {
      return Status::NotFound("the API explorer's files are not installed (no " + file.string() +
                              "): run `npm ci --ignore-scripts` in " + dir);
    }
  }
  return files;
}

struct Server::Impl {
  Impl(Database* db, ServerOptions opts)
      : options(std::move(opts)), api(db, options.api_root), server(options.connections) {
    if (options.configure_api) options.configure_api(api);
    // Generated once, from the Api as configured: what it dispatches is what it describes.
    description = OpenApiDocument(api.Description()).dump();
  }

  ServerOptions options;
  Api api;
  std::string description;  // the JSON text of GET /openapi.json
  bool explorer_served = false;
  std::string explorer_missing;  // why the explorer is not served, when it is on
  GuardedServer server;
  int port = 0;
  int listen_fd = -1;  // captured from the socket options callback
  std::atomic<uint64_t> requests{0};
  const std::string boot = BootToken();  // request ids stay unique across restarts
  std::mutex log_mu;

  void Log(LogLevel level, const std::string& line) {
    if (level > options.log_level || options.log_level == LogLevel::kOff) return;
    std::lock_guard<std::mutex> lock(log_mu);
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }

  // CORS headers for an allowed origin; true when the request was a preflight, answered.
  bool ApplyCors(const httplib::Request& req, httplib::Response& res) const {
    const std::string allowed = options.cors.AllowedOrigin(req.get_header_value("Origin"));
    if (allowed.empty()) return false;
    const bool preflight = req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method");
    for (auto& [name, value] :
         options.cors.Headers(allowed, preflight, req.get_header_value("Access-Control-Request-Headers"))) {
      res.set_header(name.c_str(), value);
    }
    if (preflight) res.status = 204;
    return preflight;
  }

  // The explorer's folder without its slash (/explorer): redirected to the folder, whose
  // page loads its files relative to it; a missing install answered; true when answered.
  bool ServeExplorer(const ApiRequest& request, httplib::Response& res) const {
    const std::string& root = options.explorer_path;
    if (root.empty() || (request.method != "GET" && request.method != "HEAD")) return false;
    if (request.path == root) {
      res.status = 301;
      res.set_header("Location", root + "/" + (request.query.empty() ? "" : "?" + request.query));
      return true;
    }
    if (explorer_served || request.path.rfind(root + "/", 0) != 0) return false;
    res.status = 503;
    res.set_content("replicore-server: " + explorer_missing +
                        ", then restart the server. The API description is at " +
                        kDescriptionPath + ".\n",
                    "text/plain; charset=utf-8");
    return true;
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    if (ApplyCors(req, res)) return;
    ApiRequest request;
    request.method = req.method;
    const std::string& target = req.target.empty() ? req.path : req.target;
    size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    if (ServeExplorer(request, res)) return;
    request.headers.assign(req.headers.begin(), req.headers.end());
    request.body = req.body;
    request.remote_address = req.remote_addr;
    ApiResponse response;
    if (request.path == kDescriptionPath && (req.method == "GET" || req.method == "HEAD")) {
      response.body = description;
    } else {
      response = api.Handle(request);
    }
    if (!response.internal_error.empty()) {
      // A 500 is a bug: the id it carries (X-Request-Id) finds this line in the log.
      std::string id = boot + "-" + std::to_string(++requests);
      res.set_header("X-Request-Id", id);
      Log(LogLevel::kError, "[" + id + "] " + req.method + " " + request.path + ": " +
                                response.internal_error);
    }
    res.status = response.status;
    for (auto& header : response.headers) res.set_header(header.first.c_str(), header.second);
    if (response.json) {
      if (response.body.empty()) {
        res.set_header("Content-Type", kJsonType);
        return;
      }
      if (response.body.size() >= kGzipMinBytes && AcceptsGzip(req.get_header_value("Accept-Encoding"))) {
        if (std::optional<std::string> zipped = Gzip(response.body)) {
          res.set_header("Content-Encoding", "gzip");
          res.set_header("Vary", res.has_header("Vary") ? "Origin, Accept-Encoding" : "Accept-Encoding");
          response.body = std::move(*zipped);
        }
      }
      res.set_content(std::move(response.body), kJsonType);
    }
    // glibc keeps what a large request freed in its thread's arena; with a thread per
    // connection that is hundreds of MB after a burst of 32 MB bodies. Hand it back.
    if (req.body.size() >= kTrimAfterBytes || res.body.size() >= kTrimAfterBytes) malloc_trim(0);
  }
};

Server::Server(Database* db, ServerOptions options)
    : impl_(std::make_unique<Impl>(db, std::move(options))) {
  httplib::Server& svr = impl_->server;
  Impl* impl = impl_.get();
  const ServerOptions& opts = impl->options;

  size_t max_connections = opts.max_connections;
  svr.new_task_queue = [max_connections] { return new ElasticPool(max_connections); };
  svr.set_tcp_nodelay(true);
  // httplib 0.11 listens with a backlog of 5, which resets connections when many clients
  // connect at once; the socket is captured here and re-listened with a deep backlog.
  svr.set_socket_options([impl](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
    impl->listen_fd = sock;
  });
  svr.set_payload_max_length(opts.max_body);
  // A declared length over the limit is refused before a byte of the body is read (httplib
  // would read and discard it all first); the connection closes, leaving the body unread.
  svr.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112
    // §6.3); httplib would read one until the client gives up (curl -X POST waited 5 s for a
    // 400). The request is httplib's own object, handed to this hook as const.
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    }
    const std::string length = req.get_header_value("Content-Length");
    if (length.empty() || length.size() > 19 ||
        length.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(length) <= impl->options.max_body) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    ApiResponse response = ErrorResponse(413, "PayloadTooLargeError", "request entity too large");
    res.status = 413;
    res.set_header("Connection", "close");
    res.set_content(response.body, kJsonType);
    impl->ApplyCors(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Modules and wasm need their exact types (browsers refuse a module served otherwise).
  svr.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
  svr.set_file_extension_and_mimetype_mapping("js", "text/javascript");
  svr.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  svr.set_file_extension_and_mimetype_mapping("webmanifest", "application/manifest+json");
  svr.set_file_extension_and_mimetype_mapping("svg", "image/svg+xml");
  // The explorer first: its own page, then Swagger UI's files, then --static.
  if (!opts.explorer_path.empty()) {
    Result<ExplorerFiles> files = FindExplorerFiles(opts.explorer_dir);
    if (files.ok()) {
      impl->explorer_served = svr.set_mount_point(opts.explorer_path + "/", files->page) &&
                              svr.set_mount_point(opts.explorer_path + "/", files->swagger_ui);
    }
    if (!impl->explorer_served) {
      impl->explorer_missing = files.ok() ? "the API explorer's folders cannot be served from " +
                                                opts.explorer_dir
                                          : files.status().message();
    }
  }
  for (const auto& [prefix, dir] : opts.static_mounts) svr.set_mount_point(prefix, dir);

  auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Serve(req, res);
  };
  svr.Get(".*", handler);  // also HEAD
  svr.Post(".*", handler);
  svr.Put(".*", handler);
  svr.Patch(".*", handler);
  svr.Delete(".*", handler);
  svr.Options(".*", handler);

  // Errors httplib answers itself (413 over --max-body, 400 malformed request, ...) get
  // LoopBack's error body; answers that already have one are left alone.
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [impl](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || req.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (res.has_header("Content-Type")) return httplib::Server::HandlerResponse::Unhandled;
    ApiResponse response;
    if (GuardedServer::BodyLimitHit()) res.status = 413;  // a chunked body over --max-body
    if (res.status == 413 && req.get_header_value("Content-Type").find("x-www-form-urlencoded") !=
                                 std::string::npos) {
      // cpp-httplib's fixed ceiling for forms, whatever --max-body says.
      response = ErrorResponse(413, "PayloadTooLargeError",
                               "a form body may hold at most 8192 bytes: send JSON instead");
    } else if (res.status == 413) {
      response = ErrorResponse(413, "PayloadTooLargeError", "request entity too large");
    } else if (res.status == 404) {
      response = CannotResponse(req.method, req.path);
    } else {
      response = ErrorResponse(res.status, "Error", ReasonOf(res.status));
    }
    // A request httplib could not parse (414, 400) has no method; a HEAD client would
    // read this body as the next answer, so the connection ends with it.
    if (req.method.empty()) res.set_header("Connection", "close");
    // An answer to HEAD has no body, even when httplib could not parse the request (414).
    if (req.method == "HEAD" || (req.method.empty() && GuardedServer::RequestIsHead())) {
      return httplib::Server::HandlerResponse::Handled;
    }
    res.set_content(response.body, kJsonType);
    impl->ApplyCors(req, res);
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler(
      [impl](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        impl->Log(LogLevel::kError, req.method + " " + req.path + ": " + what);
        ApiResponse response = ErrorResponse(500, "Error", what);
        res.status = 500;
        res.set_content(response.body, kJsonType);
      });
  svr.set_logger([impl](const httplib::Request& req, const httplib::Response& res) {
    LogLevel level = res.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
    if (level > impl->options.log_level) return;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          GuardedServer::RequestStart())
                    .count();
    char timing[32];
    std::snprintf(timing, sizeof timing, "%.2fms", ms);
    // A token in the query (?access_token=) never reaches the log.
    const std::string target = RedactTokens(req.target.empty() ? req.path : req.target);
    impl->Log(level, req.remote_addr + " " + req.method + " " + target + " " +
                         std::to_string(res.status) + " " + std::to_string(res.body.size()) +
                         "B " + timing);
  });
}

Server::~Server() = default;

Result<int> Server::Bind() {
  httplib::Server& svr = impl_->server;
  const ServerOptions& opts = impl_->options;
  if (opts.port == 0) {
    int port = svr.bind_to_any_port(opts.host);
    if (port <= 0) return Status::BadRequest("cannot bind to " + opts.host + " (any port)");
    impl_->port = port;
  } else {
    if (!svr.bind_to_port(opts.host, opts.port)) {
      return Status::BadRequest("cannot bind to " + opts.host + ":" + std::to_string(opts.port));
    }
    impl_->port = opts.port;
  }
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
  return impl_->port;
}

std::string Server::Url() const {
  const std::string& host = impl_->options.host;
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + shown + ":" + std::to_string(impl_->port);
}

bool Server::ExplorerServed() const { return impl_->explorer_served; }
const std::string& Server::ExplorerMissing() const { return impl_->explorer_missing; }

bool Server::Run() { return impl_->server.listen_after_bind(); }

void Server::Stop() { impl_->server.stop(); }

}  // namespace http
}  // namespace replicore
