// GET /openapi.json: the OpenAPI 3.0 description of what an Api serves, generated from the
// route tables it dispatches with (ModelRoutes, ServiceRoutes, UserRoutes::Routes: their
// RouteDoc) and from the models' definitions, so that it cannot drift from what is served.
#ifndef REPLICORE_OPENAPI_H_
#define REPLICORE_OPENAPI_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replicore/model.h"

namespace replicore {
namespace http {

// What a model's routes answer a caller, by the server's user settings.
enum class ModelAccess {
  kOpen,      // anyone reads and writes (no users, or --shared-models open)
  kOwned,     // "ownership": "owner": a valid token, then only the caller's records (401)
  kReadOnly,  // --shared-models read-only: writes are refused (403)
  kClosed,    // --shared-models closed: every route is refused (403)
};

struct DescribedModel {
  const ModelDefinition* model;  // borrowed for the OpenApiDocument call
  ModelAccess access = ModelAccess::kOpen;
};

struct ApiDescription {
  std::string api_root;  // "" (the root) or "/api", as Api normalises it
  std::vector<DescribedModel> models;
  bool users = false;         // <api-root>/Users is served (--users)
  bool allow_signup = false;  // POST <api-root>/Users creates users (else 403)
};

// The document, keys in the order written (people read it): one path item per route
// pattern, one operation per method of the route (HEAD too), schemas of each model as
// answered (hidden properties left out), as written and as patched, LoopBack's error body,
// and with users the access-token security schemes on the operations that need a token.
nlohmann::ordered_json OpenApiDocument(const ApiDescription& api);

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_OPENAPI_H_
