// The routes of a model as data: per route the methods and path it serves, the lock it
// takes, its handler and a summary, in the order they are tried. Api dispatches from the
// table, and the API description is to be generated from it, so nothing is written twice.
#ifndef REPLICORE_ROUTES_H_
#define REPLICORE_ROUTES_H_

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "replicore/http_api.h"
#include "replicore/store.h"

namespace replicore {
namespace http {

// HTTP methods as bits, so that one route serves several (GET and HEAD).
enum Method : unsigned { kGet = 1, kHead = 2, kPost = 4, kPut = 8, kPatch = 16, kDelete = 32 };
// The bit of "GET", "HEAD", ...; 0 for a method no route serves ("OPTIONS", "get").
unsigned MethodBit(const std::string& method);

// The lock a route's handler holds around its work on the core (Database is not thread-safe).
enum class Lock { kRead, kWrite };

// A held Lock, and the store's batch of the request's reads (Store::BatchReads: over SQLite
// one read transaction, under kWrite through the writer connection). Members go in reverse
// order: the reads, then the lock.
struct Held {
  std::shared_lock<std::shared_mutex> shared;
  std::unique_lock<std::shared_mutex> exclusive;
  std::unique_ptr<ReadScope> reads;
};

struct Route;

// What a handler gets, borrowed for its run.
struct RouteCall {
  const ApiRequest& request;
  const ModelDefinition& model;
  const Json& query;      // the parsed query string
  const std::string& id;  // what :id matched (decoded), or ""
  const Route& route;
  Database& db;
  std::shared_mutex& mu;

  // Takes route.lock. Handlers take it once their input is parsed, so that a large body is
  // never parsed under the lock.
  Held Hold() const;
};

struct Route {
  unsigned methods;     // Method bits
  const char* pattern;  // the segments after the plural: "", "count", ":id", ":id/changes/last"
  Lock lock;
  ApiResponse (*handler)(const RouteCall& call);
  const char* summary;  // one line, for the API description
};

struct RouteMatch {
  const Route* route = nullptr;  // nullptr: no route serves the method at that path
  std::string id;                // what :id matched
};

// The first of `routes` that serves `method` at `segments`, as Express tries routes in the
// order they were added. A literal segment listed before :id wins for the methods it serves;
// for another method the segment is an id (GET /count counts, PUT /count replaces "count").
RouteMatch MatchRoute(const std::vector<Route>& routes, const std::string& method,
                      const std::vector<std::string>& segments);

enum class BodyKind { kObject, kArray };
// The request body as JSON: application/json (any JSON value, as body-parser's
// strict:false), or a urlencoded form (qs "extended" decoding). An empty body is {} or
// [] by `kind`. Any other content type with a body is 415, never an empty create.
std::optional<ApiResponse> ParseBody(const ApiRequest& request, BodyKind kind, Json* out);

// The non-empty segments of a raw path, decoded.
std::vector<std::string> SplitPath(const std::string& raw);

// LoopBack 3's routes of a model (PROTOCOL.md §2.1, §2.2, §9), in precedence order
// (model_routes.cc).
const std::vector<Route>& ModelRoutes();

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_ROUTES_H_
