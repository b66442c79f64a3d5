// The routes of a model as data: per route the methods and path it serves, the lock it
// takes, its handler, a summary and what the API description says of it (RouteDoc), in the
// order they are tried. Api dispatches from the table and GET /openapi.json is generated
// from it (openapi.h), so the description cannot drift from what is served.
#ifndef REPLICORE_ROUTES_H_
#define REPLICORE_ROUTES_H_

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "replicore/http_api.h"
#include "replicore/store.h"

namespace replicore {
namespace http {

// HTTP methods as bits, so that one route serves several (GET and HEAD).
enum Method : unsigned { kGet = 1, kHead = 2, kPost = 4, kPut = 8, kPatch = 16, kDelete = 32 };
// The bit of "GET", "HEAD", ...; 0 for a method no route serves ("OPTIONS", "get").
unsigned MethodBit(const std::string& method);
// Every Method bit with its name ("GET"), in the order above.
const std::vector<std::pair<unsigned, const char*>>& MethodNames();

// ---------------------------------------------------------------- what a route documents

// The query arguments a handler reads, as bits.
enum Arg : unsigned {
  kFilterArg = 1,    // filter: LoopBack's filter, a JSON object
  kWhereArg = 2,     // where: a JSON object
  kSinceArg = 4,     // since: a checkpoint
  kLimitArg = 8,     // limit: a page size (PROTOCOL.md §9.1)
  kAfterArg = 16,    // after: the cursor <checkpoint>:<modelId> (§9.1)
  kResentArg = 32,   // resent=1: changes sent again by replicore's Replicator
  kIncludeArg = 64,  // include=user (login)
  kTokenArg = 128,   // the access token (user_routes.h TokenOf): a security requirement
};

// A request body or a successful answer.
enum class Payload {
  kNone,           // request: none is read; answer: 200 without a body (HEAD)
  kNoContent,      // answer: 204
  kRecord,         // a record (request: as written, hidden properties too; answer: as read)
  kPatch,          // request: some properties of a record
  kRecordOrArray,  // a record or an array of them
  kRecords,        // an array of records
  kCount,          // {"count"}
  kExists,         // {"exists"}
  kChange,         // a Change
  kChangeOrNull,   // a Change, or null when there is none
  kChanges,        // an array of Change
  kChangeData,     // request: the keys of a Change to write (prev, rev)
  kDiff,           // {"deltas", "conflicts"}
  kCheckpoint,     // {"seq", "time", "id"}
  kCheckpointSeq,  // the current checkpoint, a bare number
  kUpdates,        // an array of Update (with the record as data)
  kUpdateBatch,    // request: {"updates": [Update]}
  kCapabilities,   // {"protocol", "extensions"}
  kCredentials,    // request: {username | email, password, ttl}
  kSignUp,         // request: {username, password, email}
  kAccessToken,    // {id, ttl, created, userId, user?}
  kUser,           // {id, username, email, created}
};

// Errors a route answers beyond those of its table (openapi.cc: 400 for a bad query or body,
// 413 and 415 with a body, 500) and those of the server's user settings (401, 403).
enum Fail : unsigned {
  kFailsNotFound = 1,    // 404 MODEL_NOT_FOUND
  kFailsConflict = 2,    // 409
  kFailsInvalid = 4,     // 422 ValidationError
  kFailsDenied = 8,      // 401 (no valid token; wrong credentials)
  kFailsForbidden = 16,  // 403
  kFailsTooMany = 32,    // 429 with Retry-After
};

struct RouteDoc {
  const char* operation;  // LoopBack's remote method ("find"): operationId <Model>.<operation>
  unsigned args = 0;      // Arg bits
  Payload body = Payload::kNone;
  Payload reply = Payload::kNone;
  unsigned fails = 0;  // Fail bits
};

// `pattern` ("", "count", ":id/exists") against `segments`; ":id" matches any one segment,
// which goes to *id.
bool MatchPattern(const char* pattern, const std::vector<std::string>& segments, std::string* id);

// The first of `routes` (any table with `methods` and `pattern`) that serves the Method bit
// `method` at `segments`, or nullptr; what :id matched goes to *id.
template <typename R>
const R* FindRoute(const std::vector<R>& routes, unsigned method,
                   const std::vector<std::string>& segments, std::string* id) {
  for (const R& route : routes) {
    id->clear();
    if ((route.methods & method) != 0 && MatchPattern(route.pattern, segments, id)) return &route;
  }
  id->clear();
  return nullptr;
}

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
  RouteDoc doc;
};

// A route that changes records: refused on a read-only model (--shared-models read-only).
// POST /checkpoint is not one (it lets a reader replicate from the model).
bool Writes(const Route& route);

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

// The routes of the server itself under <api-root> (http_api.cc): replicore/capabilities.
struct ServiceRoute {
  unsigned methods;
  const char* pattern;  // segments after the api root
  ApiResponse (*handler)();
  const char* summary;
  RouteDoc doc;
};
const std::vector<ServiceRoute>& ServiceRoutes();

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_ROUTES_H_
