// The OpenAPI 3.0 document of openapi.h. Everything route-specific comes from the route
// tables' RouteDoc; this file only says how a Payload, an Arg and a Fail bit are written.
#include "replicore/openapi.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <utility>

#include "replicore/routes.h"
#include "replicore/user_routes.h"

namespace replicore {
namespace http {

namespace {

using Doc = nlohmann::ordered_json;

constexpr const char* kJson = "application/json";

Doc Ref(const std::string& kind, const std::string& name) {
  return Doc{{"$ref", "#/components/" + kind + "/" + name}};
}
Doc Schema(const std::string& name) { return Ref("schemas", name); }
Doc ArrayOf(Doc items) { return Doc{{"type", "array"}, {"items", std::move(items)}}; }
Doc JsonContent(Doc schema) { return Doc{{kJson, Doc{{"schema", std::move(schema)}}}}; }
Doc Typed(const char* type, const char* description = nullptr) {
  Doc schema{{"type", type}};
  if (description) schema["description"] = description;
  return schema;
}
// An object schema with `properties` (name, schema) and the names in `required`.
Doc Object(std::vector<std::pair<const char*, Doc>> properties,
           std::vector<const char*> required = {}) {
  Doc schema{{"type", "object"}};
  if (!required.empty()) schema["required"] = required;
  Doc props = Doc::object();
  for (auto& [name, property] : properties) props[name] = std::move(property);
  schema["properties"] = std::move(props);
  return schema;
}
Doc NullableString(const char* description) {
  Doc schema = Typed("string", description);
  schema["nullable"] = true;
  return schema;
}

// ---------------------------------------------------------------- models

Doc TypeSchema(PropertyType type, const std::optional<PropertyType>& item) {
  switch (type) {
    case PropertyType::kString: return Typed("string");
    case PropertyType::kNumber: return Typed("number");
    case PropertyType::kBoolean: return Typed("boolean");
    case PropertyType::kDate: return Doc{{"type", "string"}, {"format", "date-time"}};
    case PropertyType::kObject: return Typed("object");
    case PropertyType::kArray:
      return ArrayOf(item ? TypeSchema(*item, std::nullopt) : Doc::object());
    case PropertyType::kAny: break;
  }
  return Doc::object();  // any JSON value
}

const char* DefaultFnText(const std::string& fn) {
  if (fn == "now") return "set by the server when absent: the time of the write";
  if (fn == "guid" || fn == "uuid") return "set by the server when absent: a new UUID";
  return nullptr;
}

Doc PropertySchema(const PropertyDefinition& property) {
  Doc schema = TypeSchema(property.type, property.item_type);
  // Not required: absent, or null (LoopBack coerces what it cannot read, "abc" for a number, to null).
  if (!property.required && !property.id && schema.contains("type")) schema["nullable"] = true;
  const bool sized = property.type == PropertyType::kString || property.type == PropertyType::kArray;
  const char* min_key = property.type == PropertyType::kNumber ? "minimum"
                        : property.type == PropertyType::kArray ? "minItems"
                                                                 : "minLength";
  const char* max_key = property.type == PropertyType::kNumber ? "maximum"
                        : property.type == PropertyType::kArray ? "maxItems"
                                                                 : "maxLength";
  if (property.type == PropertyType::kNumber || sized) {
    if (property.min) schema[min_key] = *property.min;
    if (property.max) schema[max_key] = *property.max;
  }
  if (sized && property.length) schema[min_key] = schema[max_key] = *property.length;
  if (property.pattern && property.type == PropertyType::kString) {
    schema["pattern"] = *property.pattern;
  }
  if (property.default_value) schema["default"] = Doc::parse(property.default_value->dump());
  std::string description = property.id ? "The id" : "";
  if (const char* fn = DefaultFnText(property.default_fn)) {
    description += (description.empty() ? "" : "; ") + std::string(fn);
  }
  if (!description.empty()) schema["description"] = description;
  return schema;
}

// How a record schema is used: as answered, as written (create, replace) or as patched.
enum class Form { kAnswer, kWrite, kPatch };

Doc RecordSchema(const ModelDefinition& model, Form form) {
  const auto& hidden = model.hidden();
  Doc properties = Doc::object();
  std::vector<std::string> required;
  for (const PropertyDefinition& property : model.properties()) {
    const bool is_hidden = std::find(hidden.begin(), hidden.end(), property.name) != hidden.end();
    if (is_hidden && form == Form::kAnswer) continue;
    Doc schema = PropertySchema(property);
    if (is_hidden) schema["writeOnly"] = true;  // written, never answered
    properties[property.name] = std::move(schema);
    const bool defaulted = property.default_value || !property.default_fn.empty();
    if ((form == Form::kAnswer && (property.required || property.id)) ||
        (form == Form::kWrite && property.required && !property.id && !defaulted)) {
      required.push_back(property.name);
    }
  }
  static const char* const kWhat[] = {"as the server answers it (hidden properties left out)",
                                      "as a create or a replace writes it",
                                      "the properties a patch changes"};
  std::string description = "A " + model.name() + " " + kWhat[static_cast<int>(form)];
  // LoopBack 3's toJSON leaves hidden properties out of its answers; replicore-server still
  // answers them, so the schema of answers leaves them out without refusing them.
  const bool answers_hidden = form == Form::kAnswer && !hidden.empty();
  if (answers_hidden) {
    std::string names;
    for (const std::string& name : hidden) names += (names.empty() ? "" : ", ") + name;
    description += ". Hidden: " + names + " (LoopBack 3 never answers them; replicore-server "
                   "still does: do not rely on them)";
  }
  Doc schema{{"type", "object"}, {"description", description}};
  if (!required.empty()) schema["required"] = required;
  schema["properties"] = std::move(properties);
  // strict: true and "throw" refuse unknown properties (422 unknown-property).
  if (model.strict() != Strictness::kLoose && !answers_hidden) {
    schema["additionalProperties"] = false;
  }
  return schema;
}

std::string WriteName(const ModelDefinition& model) { return model.name() + "Write"; }
std::string PatchName(const ModelDefinition& model) { return model.name() + "Patch"; }
std::string UpdateName(const ModelDefinition& model) { return model.name() + "Update"; }

Doc UpdateSchema(const ModelDefinition& model) {
  Doc type = Typed("string");
  type["enum"] = Doc::array({"create", "update", "delete"});
  Doc schema = Object({{"type", std::move(type)},
                       {"change", Schema("Change")},
                       {"data", Schema(model.name())}},
                      {"type", "change"});
  schema["description"] = "A change with the record it carries (none for a delete)";
  return schema;
}

// ---------------------------------------------------------------- shared components

Doc ErrorSchema() {
  Doc details = Typed("object",
                      "422: {context, codes, messages} per property; 409 on bulk-update: "
                      "{conflicts: [Change]}");
  Doc error = Object({{"statusCode", Typed("integer")},
                      {"name", Typed("string", "absent on a 5xx")},
                      {"message", Typed("string", "at most 1 KiB; \"Internal Server Error\" on a 5xx")},
                      {"code", Typed("string", "LoopBack's (MODEL_NOT_FOUND) or replicore's "
                                               "stable code (bad_request, validation, ...)")},
                      {"details", std::move(details)}},
                     {"statusCode", "message", "code"});
  Doc schema = Object({{"error", std::move(error)}}, {"error"});
  schema["description"] = "LoopBack 3's error body (PROTOCOL.md §2.3)";
  return schema;
}

Doc ChangeSchema() {
  Doc change = Object({{"id", Typed("string")},
                       {"rev", NullableString("the revision; null: deleted")},
                       {"prev", NullableString("the revision it replaced; null: created")},
                       {"checkpoint", Typed("integer")},
                       {"modelName", Typed("string")},
                       {"modelId", Typed("string")}},
                      {"modelId"});
  change["description"] = "A Change of the change log (PROTOCOL.md §3)";
  return change;
}

Doc CommonSchemas() {
  Doc schemas = Doc::object();
  schemas["Error"] = ErrorSchema();
  schemas["Change"] = ChangeSchema();
  Doc time = Typed("string");
  time["format"] = "date-time";
  schemas["Checkpoint"] = Object(
      {{"seq", Typed("integer")}, {"time", std::move(time)}, {"id", Typed("integer")}},
      {"seq"});
  Doc filter = Object({{"where", Schema("Where")},
                       {"fields", Doc{{"description", "[names] or {name: true|false}"}}},
                       {"order", Doc{{"description", "\"title ASC\" or [\"title ASC\", ...]"}}},
                       {"limit", Typed("integer")},
                       {"skip", Typed("integer")}});
  filter["description"] = "LoopBack's filter";
  schemas["Filter"] = std::move(filter);
  Doc where = Typed("object", "LoopBack's where: {property: value}, and, or, gt, inq, like, ...");
  schemas["Where"] = std::move(where);
  Doc extensions = ArrayOf(Typed("string"));
  schemas["Capabilities"] = Object(
      {{"protocol", Typed("string")}, {"extensions", std::move(extensions)}},
      {"protocol", "extensions"});
  return schemas;
}

Doc UserSchemas() {
  Doc schemas = Doc::object();
  Doc created = Typed("string");
  created["format"] = "date-time";
  schemas["User"] = Object({{"id", Typed("string")},
                            {"username", Typed("string")},
                            {"email", Typed("string")},
                            {"created", created}},
                           {"id", "username", "created"});
  schemas["AccessToken"] = Object({{"id", Typed("string", "the access token")},
                                   {"ttl", Typed("integer", "seconds it lives")},
                                   {"created", created},
                                   {"userId", Typed("string")},
                                   {"user", Schema("User")}},
                                  {"id", "ttl", "created", "userId"});
  Doc ttl = Typed("integer", "seconds, at most --token-ttl");
  ttl["minimum"] = 1;
  schemas["Credentials"] = Object({{"username", Typed("string")},
                                   {"email", Typed("string", "used instead of username when given")},
                                   {"password", Typed("string")},
                                   {"ttl", std::move(ttl)}},
                                  {"password"});
  schemas["SignUp"] = Object({{"username", Typed("string")},
                              {"password", Typed("string", "8..1024 bytes")},
                              {"email", Typed("string")}},
                             {"username", "password"});
  return schemas;
}

struct ErrorKind {
  int status;
  const char* name;  // of components/responses
  const char* description;
  const char* example_name;  // the error's "name"
  const char* code;
  const char* message;
};

const std::vector<ErrorKind>& ErrorKinds() {
  static const std::vector<ErrorKind> kKinds = {
      {400, "BadRequest", "A malformed argument or body", "Error", "bad_request",
       "Value is not an object."},
      {401, "Unauthorized", "No valid access token, or a failed login", "Error", "unauthorized",
       "login failed"},
      {403, "Forbidden", "Refused by the server's settings (--shared-models, --allow-signup)",
       "Error", "forbidden", "the Todo model is read-only on this server"},
      {404, "NotFound", "No such record", "Error", "MODEL_NOT_FOUND",
       "Unknown \"Todo\" id \"nope\"."},
      {409, "Conflict", "A duplicate id, or changes that conflict (details.conflicts)", "Error",
       "conflict", "Conflict"},
      {413, "PayloadTooLarge", "A body over --max-body, or too many entries",
       "PayloadTooLargeError", "too_large", "request entity too large"},
      {415, "UnsupportedMediaType",
       "A body that is neither application/json nor a urlencoded form",
       "UnsupportedMediaTypeError", "unsupported_media_type", "Unsupported content type"},
      {422, "ValidationError", "The record is not valid (details: {context, codes, messages})",
       "ValidationError", "validation", "The `Todo` instance is not valid."},
      {429, "TooManyRequests", "Too many failed logins: wait Retry-After seconds", "Error",
       "too_many_requests", "too many failed logins: try again in 900 seconds"},
      {500, "InternalError", "A bug in replicore (the cause is in the log, under X-Request-Id)",
       nullptr, "internal", "Internal Server Error"},
  };
  return kKinds;
}

Doc ErrorResponses() {
  Doc responses = Doc::object();
  for (const ErrorKind& kind : ErrorKinds()) {
    Doc error{{"statusCode", kind.status}};
    if (kind.example_name) error["name"] = kind.example_name;
    error["message"] = kind.message;
    error["code"] = kind.code;
    Doc content = JsonContent(Schema("Error"));
    content[kJson]["example"] = Doc{{"error", std::move(error)}};
    responses[kind.name] = Doc{{"description", kind.description}, {"content", std::move(content)}};
  }
  return responses;
}

Doc QueryParameter(const char* name, const char* description, Doc schema) {
  return Doc{{"name", name},
             {"in", "query"},
             {"description", description},
             {"schema", std::move(schema)}};
}

// A query argument sent as JSON text (?filter={"where":...}). A string to OpenAPI: with
// `content` instead, Swagger UI would fill in and send a sample filter ("fields": "string")
// when a person only wants to press Execute.
Doc JsonQueryParameter(const char* name, const char* description, const char* schema) {
  Doc parameter = QueryParameter(name, description, Typed("string"));
  parameter["schema"]["description"] = std::string("JSON text of a ") + schema +
                                       " (#/components/schemas/" + schema + ")";
  return parameter;
}

Doc Enumerated(const char* value) {
  Doc schema = Typed("string");
  schema["enum"] = Doc::array({value});
  return schema;
}

// The Arg bits in order, with their components/parameters name and definition.
const std::vector<std::pair<Arg, std::pair<const char*, Doc>>>& Parameters() {
  static const std::vector<std::pair<Arg, std::pair<const char*, Doc>>> kParameters = [] {
    Doc limit = Typed("integer");
    limit["minimum"] = 1;
    return std::vector<std::pair<Arg, std::pair<const char*, Doc>>>{
        {kFilterArg,
         {"filter", JsonQueryParameter("filter",
                                       "LoopBack's filter as JSON, e.g. {\"where\": {\"completed\": "
                                       "false}, \"order\": \"created DESC\", \"limit\": 10}",
                                       "Filter")}},
        {kWhereArg,
         {"where", JsonQueryParameter("where",
                                      "LoopBack's where as JSON, e.g. {\"completed\": false}",
                                      "Where")}},
        {kSinceArg,
         {"since", QueryParameter("since",
                                  "A checkpoint: changes at or after it. GET /changes without it "
                                  "answers [] (LoopBack's quirk; -1 gives all); POST /diff takes 0",
                                  Typed("number"))}},
        {kLimitArg,
         {"limit", QueryParameter("limit",
                                  "At most this many changes; the X-Replicore-Next header then "
                                  "holds the cursor of the next page (PROTOCOL.md §9.1)",
                                  limit)}},
        {kAfterArg,
         {"after", QueryParameter("after", "The cursor of X-Replicore-Next: `checkpoint:modelId`",
                                  Typed("string"))}},
        {kResentArg,
         {"resent", QueryParameter("resent", "1: the changes were sent before (replicore's Replicator)",
                                   Enumerated("1"))}},
        {kIncludeArg,
         {"include", QueryParameter("include", "user: the answer holds the user too",
                                    Enumerated("user"))}},
    };
  }();
  return kParameters;
}

Doc ParameterComponents() {
  Doc parameters = Doc::object();
  parameters["id"] = Doc{{"name", "id"},
                         {"in", "path"},
                         {"required", true},
                         {"description", "The record's id"},
                         {"schema", Typed("string")}};
  for (const auto& [arg, named] : Parameters()) parameters[named.first] = named.second;
  return parameters;
}

// Descriptions are CommonMark: `TOKEN` in code, as <token> would be read as an HTML tag.
Doc SecuritySchemes() {
  return Doc{
      {"bearer",
       {{"type", "http"},
        {"scheme", "bearer"},
        {"description", "The id of POST /Users/login's answer, sent as `Authorization: Bearer TOKEN`"}}},
      {"accessToken",
       {{"type", "apiKey"}, {"in", "query"}, {"name", "access_token"},
        {"description", "The token as `?access_token=TOKEN`"}}},
      {"accessTokenHeader",
       {{"type", "apiKey"}, {"in", "header"}, {"name", "X-Access-Token"},
        {"description", "The token as `X-Access-Token: TOKEN`"}}},
  };
}

// ---------------------------------------------------------------- operations

// What the operations of one route table share.
struct Table {
  std::string tag;
  std::string prefix;              // the path before the pattern: "/api/Todos"
  const ModelDefinition* model;    // nullptr outside the models
  ModelAccess access = ModelAccess::kOpen;
  bool reads_query = false;        // a malformed query string is a 400 on every route
};

Doc PayloadSchema(Payload payload, const ModelDefinition* model, bool request) {
  const std::string name = model ? model->name() : "";
  Doc record = model ? Schema(request ? WriteName(*model) : name) : Doc::object();
  switch (payload) {
    case Payload::kRecord: return record;
    case Payload::kPatch: return Schema(PatchName(*model));
    case Payload::kRecordOrArray: return Doc{{"oneOf", Doc::array({record, ArrayOf(record)})}};
    case Payload::kRecords: return ArrayOf(record);
    case Payload::kCount: return Object({{"count", Typed("integer")}}, {"count"});
    case Payload::kExists: return Object({{"exists", Typed("boolean")}}, {"exists"});
    case Payload::kChange: return Schema("Change");
    case Payload::kChangeOrNull: {
      // A Change written out: OpenAPI 3.0's nullable has no effect beside a bare $ref.
      Doc change = ChangeSchema();
      change["nullable"] = true;
      change["description"] = "A Change, or null when the record has none";
      return change;
    }
    case Payload::kChanges: return ArrayOf(Schema("Change"));
    case Payload::kChangeData: {
      Doc data = Object({{"prev", NullableString("the revision the change is based on")},
                         {"rev", NullableString("the change's revision (must match)")}});
      data["description"] = "What to write into the last change (conflict resolution)";
      return data;
    }
    case Payload::kDiff:
      return Object({{"deltas", ArrayOf(Schema("Change"))},
                     {"conflicts", ArrayOf(Schema("Change"))}},
                    {"deltas", "conflicts"});
    case Payload::kCheckpoint: return Schema("Checkpoint");
    case Payload::kCheckpointSeq: return Typed("integer", "the current checkpoint");
    case Payload::kUpdates: return ArrayOf(Schema(UpdateName(*model)));
    case Payload::kUpdateBatch:
      return Object({{"updates", ArrayOf(Schema(UpdateName(*model)))}}, {"updates"});
    case Payload::kCapabilities: return Schema("Capabilities");
    case Payload::kCredentials: return Schema("Credentials");
    case Payload::kSignUp: return Schema("SignUp");
    case Payload::kAccessToken: return Schema("AccessToken");
    case Payload::kUser: return Schema("User");
    case Payload::kNone:
    case Payload::kNoContent: break;
  }
  return Doc::object();
}

// The error statuses of an operation, ascending.
std::vector<int> ErrorStatuses(const Table& table, const RouteDoc& doc, bool writes) {
  const bool body = doc.body != Payload::kNone;
  const bool owned = table.access == ModelAccess::kOwned;
  const bool refused = table.access == ModelAccess::kClosed ||
                       (table.access == ModelAccess::kReadOnly && writes);
  std::vector<int> statuses;
  auto add = [&](bool when, int status) {
    if (when) statuses.push_back(status);
  };
  add(table.reads_query || body, 400);
  add(owned || (doc.fails & kFailsDenied), 401);
  add(refused || (doc.fails & kFailsForbidden), 403);
  add(doc.fails & kFailsNotFound, 404);
  add(doc.fails & kFailsConflict, 409);
  add(body, 413);
  add(body, 415);
  add(doc.fails & kFailsInvalid, 422);
  add(doc.fails & kFailsTooMany, 429);
  add(true, 500);
  return statuses;
}

Doc Responses(const Table& table, const RouteDoc& doc, bool writes, bool head) {
  Doc responses = Doc::object();
  if (doc.reply == Payload::kNoContent) {
    responses["204"] = Doc{{"description", "Done (no content)"}};
  } else if (doc.reply == Payload::kNone || head) {
    responses["200"] = Doc{{"description", "OK (no body)"}};
  } else {
    responses["200"] = Doc{{"description", "OK"},
                           {"content", JsonContent(PayloadSchema(doc.reply, table.model, false))}};
  }
  for (int status : ErrorStatuses(table, doc, writes)) {
    const ErrorKind& kind = *std::find_if(ErrorKinds().begin(), ErrorKinds().end(),
                                          [&](const ErrorKind& k) { return k.status == status; });
    // An answer to HEAD has no body.
    responses[std::to_string(status)] =
        head ? Doc{{"description", kind.description}} : Ref("responses", kind.name);
  }
  return responses;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// LoopBack's operationIds: <Model>.<method>, then <Model>.<method>__<verb>_<path> for the
// second route of a method (POST /replaceOrCreate beside PUT /) and for HEAD beside GET.
std::string OperationId(const std::string& tag, const char* operation, const char* verb,
                        const std::string& path, std::set<std::string>* used) {
  std::string id = tag + "." + operation;
  if (used->count(id) > 0) {
    id += "__" + Lower(verb);
    for (char c : path) id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  used->insert(id);
  return id;
}

std::string OpenApiPath(const std::string& prefix, const char* pattern) {
  std::string path = prefix;
  for (const std::string& segment : SplitPath(pattern)) {
    path += "/" + (segment == ":id" ? std::string("{id}") : segment);
  }
  return path.empty() ? "/" : path;
}

std::string AccessNote(const Table& table, bool writes) {
  switch (table.access) {
    case ModelAccess::kOwned:
      return "Needs an access token; sees and touches only the caller's records "
             "(\"ownership\": \"owner\").";
    case ModelAccess::kReadOnly:
      return writes ? "Refused (403): the model is read-only on this server." : "";
    case ModelAccess::kClosed: return "Refused (403): the model is not served.";
    case ModelAccess::kOpen: break;
  }
  return "";
}

const Doc& SecurityRequirement() {
  static const Doc kRequirement = [] {
    Doc requirement = Doc::array();
    for (const char* scheme : {"bearer", "accessToken", "accessTokenHeader"}) {
      Doc one = Doc::object();
      one[scheme] = Doc::array();
      requirement.push_back(std::move(one));
    }
    return requirement;
  }();
  return kRequirement;
}

// One operation per method of each route of `routes`, into `paths`.
template <typename R>
void AddOperations(const Table& table, const std::vector<R>& routes, bool (*writes_of)(const R&),
                   Doc* paths, std::set<std::string>* used) {
  for (const R& route : routes) {
    const RouteDoc& doc = route.doc;
    const std::string path = OpenApiPath(table.prefix, route.pattern);
    const bool writes = writes_of(route);
    for (const auto& [bit, verb] : MethodNames()) {
      if ((route.methods & bit) == 0) continue;
      const bool head = bit == kHead;
      Doc op{{"tags", Doc::array({table.tag})}, {"summary", route.summary}};
      std::string note = AccessNote(table, writes);
      if (!note.empty()) op["description"] = note;
      op["operationId"] = OperationId(table.tag, doc.operation, verb, path, used);
      Doc parameters = Doc::array();
      if (std::string_view(route.pattern).find(":id") != std::string_view::npos) {
        parameters.push_back(Ref("parameters", "id"));
      }
      for (const auto& [arg, named] : Parameters()) {
        if (doc.args & arg) parameters.push_back(Ref("parameters", named.first));
      }
      if (!parameters.empty()) op["parameters"] = std::move(parameters);
      if (doc.body != Payload::kNone) {
        op["requestBody"] = Doc{
            {"description", "JSON (a urlencoded form is read too); an empty body is {} or []"},
            {"content", JsonContent(PayloadSchema(doc.body, table.model, true))}};
      }
      op["responses"] = Responses(table, doc, writes, head);
      if (table.access == ModelAccess::kOwned || (doc.args & kTokenArg)) {
        op["security"] = SecurityRequirement();
      }
      (*paths)[path][Lower(verb)] = std::move(op);
    }
  }
}

bool NeverWrites(const ServiceRoute&) { return false; }
bool UserRouteWrites(const UserRoutes::Entry&) { return false; }

std::string JoinPath(const std::string& root, const std::string& segment) {
  return root + "/" + segment;
}

}  // namespace

nlohmann::ordered_json OpenApiDocument(const ApiDescription& api) {
  Doc document{{"openapi", "3.0.3"}};
  std::string description =
      "LoopBack 3's REST and replication API (replicore's PROTOCOL.md §2, §9), generated "
      "from the route table replicore-server dispatches with. Query arguments of type object "
      "(filter, where) are JSON text; errors have LoopBack's body {\"error\": {statusCode, "
      "name, message, code, details}}. Every GET route answers HEAD too.";
  if (api.users) {
    description += " Models marked with a lock need an access token: log in with POST " +
                   JoinPath(api.api_root, "Users/login") + ", then Authorize with its id.";
  }
  // The version of the replicore package (js/package.json), which the server ships beside.
  document["info"] = Doc{{"title", "replicore-server"}, {"version", "0.1.0"},
                         {"description", description}};
  Doc tags = Doc::array();
  Doc paths = Doc::object();
  Doc schemas = CommonSchemas();
  std::set<std::string> used;
  for (const DescribedModel& described : api.models) {
    const ModelDefinition& model = *described.model;
    tags.push_back(Doc{{"name", model.name()},
                       {"description", "The " + model.name() + " model at " +
                                           JoinPath(api.api_root, model.plural())}});
    Table table{model.name(), JoinPath(api.api_root, model.plural()), &model, described.access,
                true};
    AddOperations<Route>(table, ModelRoutes(), Writes, &paths, &used);
    schemas[model.name()] = RecordSchema(model, Form::kAnswer);
    schemas[WriteName(model)] = RecordSchema(model, Form::kWrite);
    schemas[PatchName(model)] = RecordSchema(model, Form::kPatch);
    schemas[UpdateName(model)] = UpdateSchema(model);
  }
  if (api.users) {
    tags.push_back(Doc{{"name", "User"},
                       {"description", std::string("LoopBack's built-in User: login and logout") +
                                           (api.allow_signup ? ", sign-up" : "")}});
    Table table{"User", JoinPath(api.api_root, "Users"), nullptr, ModelAccess::kOpen, false};
    AddOperations<UserRoutes::Entry>(table, UserRoutes::Routes(), UserRouteWrites, &paths, &used);
    Doc user_schemas = UserSchemas();
    for (auto& [name, schema] : user_schemas.items()) schemas[name] = std::move(schema);
  }
  tags.push_back(Doc{{"name", "replicore"}, {"description", "The server itself"}});
  Table service{"replicore", api.api_root, nullptr, ModelAccess::kOpen, false};
  AddOperations<ServiceRoute>(service, ServiceRoutes(), NeverWrites, &paths, &used);

  document["tags"] = std::move(tags);
  document["paths"] = std::move(paths);
  Doc components{{"schemas", std::move(schemas)},
                 {"responses", ErrorResponses()},
                 {"parameters", ParameterComponents()}};
  if (api.users) components["securitySchemes"] = SecuritySchemes();
  document["components"] = std::move(components);
  return document;
}

}  // namespace http
}  // namespace replicore
