// LoopBack 3's routes of a model (PROTOCOL.md §2.1, §2.2, §9) as one table of handlers.
// Only HTTP mapping lives here: every rule of data, revisions and replication is the core's.
#include "replicore/routes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "replicore/filter.h"
#include "replicore/js_semantics.h"
#include "replicore/json_limits.h"
#include "replicore/model.h"
#include "replicore/protocol.h"

namespace replicore {
namespace http {

namespace {

// ---------------------------------------------------------------- arguments

// An object argument of the query (filter, where): a JSON string or the bracket form.
// Absent or empty: null. Anything else is LoopBack's "Value is not an object.".
std::optional<ApiResponse> ObjectArg(const Json& query, const char* name, Json* out) {
  *out = nullptr;
  auto it = query.find(name);
  if (it == query.end() || it->is_null()) return std::nullopt;
  if (it->is_object()) {
    *out = *it;
    return std::nullopt;
  }
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;
    Result<Json> parsed = ParseJsonWithin(text);
    if (!parsed.ok() && parsed.status().message() == TooDeepMessage()) {
      return ErrorResponse(400, "Error", std::string(name) + ": " + TooDeepMessage());
    }
    if (parsed.ok() && parsed->is_object()) {
      *out = std::move(parsed).value();
      return std::nullopt;
    }
  }
  return ErrorResponse(400, "Error", "Value is not an object.");
}

// A number argument of the query (since): absent or empty -> nullopt.
std::optional<ApiResponse> NumberArg(const Json& query, const char* name,
                                     std::optional<double>* out) {
  *out = std::nullopt;
  auto it = query.find(name);
  if (it == query.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    std::string text = it->get<std::string>();
    size_t a = 0, b = text.size();
    while (a < b && std::isspace(static_cast<unsigned char>(text[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(text[b - 1]))) --b;
    text = text.substr(a, b - a);
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size() && std::isfinite(value)) {
      *out = value;
      return std::nullopt;
    }
  }
  return ErrorResponse(400, "Error", "Value is not a number.");
}

int64_t SinceValue(double since) {
  // checkpoint >= since over integer checkpoints.
  double up = std::ceil(since);
  if (up < -9.0e15) return static_cast<int64_t>(-9.0e15);
  if (up > 9.0e15) return static_cast<int64_t>(9.0e15);
  return static_cast<int64_t>(up);
}

// §9.1 cursor: "<checkpoint>:<modelId>" with the modelId percent-encoded.
std::string EncodeCursor(int64_t checkpoint, const std::string& model_id) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = std::to_string(checkpoint) + ":";
  for (unsigned char c : model_id) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool DecodeCursor(const std::string& text, std::pair<int64_t, std::string>* out) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string number = text.substr(0, colon);
  char* end = nullptr;
  long long checkpoint = std::strtoll(number.c_str(), &end, 10);
  if (end != number.c_str() + number.size()) return false;
  out->first = checkpoint;
  out->second = DecodePathSegment(text.substr(colon + 1));
  return true;
}

ApiResponse NotObject() { return ErrorResponse(400, "Error", "Value is not an object."); }

// The body as an object: arrays and scalars are LoopBack's "Value is not an object.".
std::optional<ApiResponse> ObjectBody(const ApiRequest& request, Json* body) {
  if (auto error = ParseBody(request, BodyKind::kObject, body)) return error;
  if (!body->is_object()) return NotObject();
  return std::nullopt;
}

// ---------------------------------------------------------------- answers

ApiResponse NoContent() {
  ApiResponse response;
  response.status = 204;
  response.json = false;
  return response;
}

// Records go out as the canonical text they are stored as: nothing is dumped.
ApiResponse TextReply(std::string text) {
  ApiResponse response;
  response.body = std::move(text);
  return response;
}

// A replication operation's answer (protocol.h) as LoopBack's HTTP answer: errors with their
// status (a bulk-update's conflicts as 409 with details.conflicts), bulk-update's 204, and
// a paged /changes as the bare array plus the X-Replicore-Next cursor (PROTOCOL.md §9.1).
ApiResponse ReplicationReply(Op op, Response response) {
  if (!response.status.ok()) return StatusResponse(response.status);
  if (op == Op::kBulkUpdate) return NoContent();
  if (response.result.has_text()) return TextReply(std::string(response.result.text()));
  const Json& result = response.result.tree();
  if (op == Op::kChanges && result.is_object()) {
    ApiResponse reply = JsonResponse(200, result["changes"]);
    const Json& next = result["next"];
    if (next.is_array() && next.size() == 2) {
      reply.headers.emplace_back("X-Replicore-Next",
                                 EncodeCursor(next[0].get<int64_t>(), next[1].get<std::string>()));
    }
    return reply;
  }
  return JsonResponse(200, result);
}

ApiResponse RecordReply(const Result<Record>& record) {
  if (!record.ok()) return StatusResponse(record.status());
  return TextReply(record->text());
}

ApiResponse RecordReply(const Result<std::vector<Record>>& records) {
  if (!records.ok()) return StatusResponse(records.status());
  return TextReply(RecordsArrayText(*records));
}

ApiResponse CountReply(const Result<size_t>& count) {
  if (!count.ok()) return StatusResponse(count.status());
  return JsonResponse(200, Json{{"count", *count}});
}

ApiResponse RecordNotFound(const RouteCall& call, const std::string& id) {
  return ErrorResponse(404, "Error", "Unknown \"" + call.model.name() + "\" id \"" + id + "\".",
                       "MODEL_NOT_FOUND");
}

// The replication routes: HTTP -> Request -> Answer (the core's one dispatcher) -> HTTP.
ApiResponse Replicate(const RouteCall& call, Op op, Json args) {
  Response response = [&] {
    Held held = call.Hold();
    return Answer(call.db, call.model.name(), Request{op, std::move(args)});
  }();
  return ReplicationReply(op, std::move(response));
}

// ---------------------------------------------------------------- handlers

ApiResponse Find(const RouteCall& call) {
  Json filter;
  if (auto error = ObjectArg(call.query, "filter", &filter)) return *error;
  Held held = call.Hold();
  return RecordReply(call.db.Find(call.model.name(), filter));
}

ApiResponse Create(const RouteCall& call) {
  Json body;
  if (auto error = ParseBody(call.request, BodyKind::kObject, &body)) return *error;
  if (body.is_array()) {  // create many: all or none, one commit
    if (body.size() > kMaxRequestEntries) {
      return StatusResponse(Status::TooLarge(
          std::to_string(body.size()) + " records to create, at most " +
          std::to_string(kMaxRequestEntries) + " a request: send them in chunks"));
    }
    for (const Json& item : body) {
      if (!item.is_object()) return NotObject();
    }
    Held held = call.Hold();
    return RecordReply(call.db.CreateMany(call.model.name(), body));
  }
  if (!body.is_object()) return NotObject();
  Held held = call.Hold();
  return RecordReply(call.db.Create(call.model.name(), body));
}

ApiResponse ReplaceOrCreate(const RouteCall& call) {
  Json body;
  if (auto error = ObjectBody(call.request, &body)) return *error;
  Held held = call.Hold();
  return RecordReply(call.db.ReplaceOrCreate(call.model.name(), body));
}

ApiResponse PatchOrCreate(const RouteCall& call) {
  Json body;
  if (auto error = ObjectBody(call.request, &body)) return *error;
  Held held = call.Hold();
  return RecordReply(call.db.PatchOrCreate(call.model.name(), body));
}

ApiResponse Count(const RouteCall& call) {
  Json where;
  if (auto error = ObjectArg(call.query, "where", &where)) return *error;
  Held held = call.Hold();
  return CountReply(call.db.Count(call.model.name(), where.is_null() ? Json::object() : where));
}

ApiResponse FindOne(const RouteCall& call) {
  Json filter;
  if (auto error = ObjectArg(call.query, "filter", &filter)) return *error;
  Held held = call.Hold();
  auto found = call.db.FindOne(call.model.name(), filter);
  if (!found.ok()) return StatusResponse(found.status());
  if (!found->has_value()) return RecordNotFound(call, "undefined");
  return TextReply((*found)->text());
}

ApiResponse Changes(const RouteCall& call) {
  std::optional<double> since;
  if (auto error = NumberArg(call.query, "since", &since)) return *error;
  Json filter;
  if (auto error = ObjectArg(call.query, "filter", &filter)) return *error;
  std::optional<size_t> limit;
  std::optional<double> limit_number;
  if (auto error = NumberArg(call.query, "limit", &limit_number)) return *error;
  if (limit_number) {
    if (*limit_number < 1 || *limit_number != std::floor(*limit_number)) {
      return ErrorResponse(400, "Error", "The limit parameter must be a positive integer.");
    }
    limit = static_cast<size_t>(std::min(*limit_number, 1.0e9));
  }
  std::optional<std::pair<int64_t, std::string>> after;
  if (auto it = call.query.find("after"); it != call.query.end() && !it->is_null()) {
    std::pair<int64_t, std::string> cursor;
    if (!it->is_string() || !DecodeCursor(it->get<std::string>(), &cursor)) {
      return ErrorResponse(400, "Error", "The after parameter must be <checkpoint>:<modelId>.");
    }
    after = std::move(cursor);
  }
  // LoopBack: no since filters with `checkpoint >= undefined` and answers [].
  if (!since) return JsonResponse(200, Json::array());
  Json args{{"since", SinceValue(*since)}, {"filter", filter}};
  if (limit) args["limit"] = *limit;
  if (after) args["after"] = Json::array({after->first, after->second});
  return Replicate(call, Op::kChanges, std::move(args));
}

ApiResponse CurrentCheckpoint(const RouteCall& call) {
  Held held = call.Hold();
  auto current = call.db.CurrentCheckpoint();
  if (!current.ok()) return StatusResponse(current.status());
  return JsonResponse(200, *current);
}

ApiResponse Checkpoint(const RouteCall& call) {
  return Replicate(call, Op::kCheckpoint, Json::object());
}

ApiResponse Diff(const RouteCall& call) {
  std::optional<double> since;
  if (auto error = NumberArg(call.query, "since", &since)) return *error;
  Json body;
  if (auto error = ParseBody(call.request, BodyKind::kArray, &body)) return *error;
  Json args{{"since", since ? SinceValue(*since) : 0}, {"changes", std::move(body)}};
  // replicore's Replicator marks changes it sends again (?resent=1); LoopBack's never do.
  auto resent = call.query.find("resent");
  if (resent != call.query.end() && resent->is_string() && *resent == "1") args["resent"] = true;
  return Replicate(call, Op::kDiff, std::move(args));
}

ApiResponse CreateUpdates(const RouteCall& call) {
  Json body;
  if (auto error = ParseBody(call.request, BodyKind::kArray, &body)) return *error;
  return Replicate(call, Op::kCreateUpdates, Json{{"deltas", std::move(body)}});
}

ApiResponse BulkUpdate(const RouteCall& call) {
  Json body;
  if (auto error = ParseBody(call.request, BodyKind::kObject, &body)) return *error;
  if (body.is_array()) {
    // LoopBack answers a bare array with a 500 (TypeError); the body is {"updates": [...]}.
    return ErrorResponse(400, "Error",
                         "The body must be an object {\"updates\": [...]}, not an array.");
  }
  if (!body.is_object()) return NotObject();
  return Replicate(call, Op::kBulkUpdate, std::move(body));  // {"updates": [...]}
}

// ?where= (absent: every record) and an object body, of upsertWithWhere and update.
std::optional<ApiResponse> WhereAndBody(const RouteCall& call, Json* where, Json* body) {
  if (auto error = ObjectArg(call.query, "where", where)) return error;
  if (auto error = ObjectBody(call.request, body)) return error;
  if (where->is_null()) *where = Json::object();
  return std::nullopt;
}

ApiResponse UpsertWithWhere(const RouteCall& call) {
  Json where, body;
  if (auto error = WhereAndBody(call, &where, &body)) return *error;
  Held held = call.Hold();
  return RecordReply(call.db.UpsertWithWhere(call.model.name(), where, body));
}

ApiResponse UpdateAll(const RouteCall& call) {
  Json where, body;
  if (auto error = WhereAndBody(call, &where, &body)) return *error;
  Held held = call.Hold();
  return CountReply(call.db.UpdateAll(call.model.name(), where, body));
}

// HEAD /:id: 200 or a 404 without body, as LoopBack.
ApiResponse HeadExists(const RouteCall& call) {
  Held held = call.Hold();
  auto exists = call.db.Exists(call.model.name(), call.id);
  if (!exists.ok()) return StatusResponse(exists.status());
  if (!*exists) {
    ApiResponse response;
    response.status = 404;
    return response;
  }
  return JsonResponse(200, Json{{"exists", true}});
}

// findById, with an optional filter (fields, where).
ApiResponse FindById(const RouteCall& call) {
  Json filter;
  if (auto error = ObjectArg(call.query, "filter", &filter)) return *error;
  Held held = call.Hold();
  if (filter.is_null()) {
    auto record = call.db.FindById(call.model.name(), call.id);
    if (!record.ok()) return StatusResponse(record.status());
    if (!record->has_value()) return RecordNotFound(call, call.id);
    return TextReply((*record)->text());
  }
  Json by_id = Json{{call.model.id_property().name, call.id}};
  auto where = filter.find("where");
  if (where != filter.end() && !where->is_null() && !(where->is_object() && where->empty())) {
    filter["where"] = Json{{"and", Json::array({by_id, *where})}};
  } else {
    filter["where"] = by_id;
  }
  filter["limit"] = 1;
  filter.erase("skip");
  filter.erase("offset");
  auto found = call.db.FindOne(call.model.name(), filter);
  if (!found.ok()) return StatusResponse(found.status());
  if (!found->has_value()) return RecordNotFound(call, call.id);
  return TextReply((*found)->text());
}

ApiResponse ReplaceById(const RouteCall& call) {
  Json body;
  if (auto error = ObjectBody(call.request, &body)) return *error;
  Held held = call.Hold();
  auto record = call.db.ReplaceById(call.model.name(), call.id, body);
  if (!record.ok() && record.status().code() == StatusCode::kNotFound) {
    return ErrorResponse(404, "Error",
                         "Could not replace. Object with id " + call.id + " does not exist!");
  }
  return RecordReply(record);
}

ApiResponse PatchAttributes(const RouteCall& call) {
  Json body;
  if (auto error = ObjectBody(call.request, &body)) return *error;
  Held held = call.Hold();
  auto record = call.db.PatchAttributes(call.model.name(), call.id, body);
  if (!record.ok() && record.status().code() == StatusCode::kNotFound) {
    return ErrorResponse(404, "Error", "could not find a model with id " + call.id,
                         "MODEL_NOT_FOUND");
  }
  return RecordReply(record);
}

ApiResponse DeleteById(const RouteCall& call) {
  Held held = call.Hold();
  return CountReply(call.db.DeleteById(call.model.name(), call.id));
}

ApiResponse Exists(const RouteCall& call) {
  Held held = call.Hold();
  auto exists = call.db.Exists(call.model.name(), call.id);
  if (!exists.ok()) return StatusResponse(exists.status());
  return JsonResponse(200, Json{{"exists", *exists}});
}

ApiResponse FindLastChange(const RouteCall& call) {
  return Replicate(call, Op::kFindLastChange, Json{{"id", call.id}});
}

ApiResponse UpdateLastChange(const RouteCall& call) {
  Json body;
  if (auto error = ObjectBody(call.request, &body)) return *error;
  return Replicate(call, Op::kUpdateLastChange, Json{{"id", call.id}, {"data", std::move(body)}});
}

}  // namespace

// Tried in order: a literal segment comes before :id for the methods it serves. The last
// column is what the API description says beyond path and methods (RouteDoc).
const std::vector<Route>& ModelRoutes() {
  using P = Payload;
  static const std::vector<Route> kRoutes = {
      {kGet | kHead, "", Lock::kRead, Find, "Find the records matching filter",
       {"find", kFilterArg, P::kNone, P::kRecords}},
      {kPost, "", Lock::kWrite, Create, "Create a record, or an array of them in one commit",
       {"create", 0, P::kRecordOrArray, P::kRecordOrArray, kFailsConflict | kFailsInvalid}},
      {kPut, "", Lock::kWrite, ReplaceOrCreate, "Replace a record, or create it",
       {"replaceOrCreate", 0, P::kRecord, P::kRecord, kFailsInvalid}},
      {kPatch, "", Lock::kWrite, PatchOrCreate, "Patch a record, or create it",
       {"patchOrCreate", 0, P::kPatch, P::kRecord, kFailsInvalid}},
      {kGet | kHead, "count", Lock::kRead, Count, "Count the records matching where",
       {"count", kWhereArg, P::kNone, P::kCount}},
      {kGet | kHead, "findOne", Lock::kRead, FindOne, "Find the first record matching filter",
       {"findOne", kFilterArg, P::kNone, P::kRecord, kFailsNotFound}},
      {kGet | kHead, "changes", Lock::kRead, Changes, "The changes since a checkpoint",
       {"changes", kSinceArg | kFilterArg | kLimitArg | kAfterArg, P::kNone, P::kChanges}},
      {kGet | kHead, "checkpoint", Lock::kRead, CurrentCheckpoint, "The current checkpoint",
       {"currentCheckpoint", 0, P::kNone, P::kCheckpointSeq}},
      {kPost, "checkpoint", Lock::kWrite, Checkpoint, "Start a new checkpoint",
       {"checkpoint", 0, P::kNone, P::kCheckpoint}},
      {kPost, "diff", Lock::kRead, Diff, "Compare a source's changes with this target's",
       {"diff", kSinceArg | kResentArg, P::kChanges, P::kDiff}},
      {kPost, "create-updates", Lock::kRead, CreateUpdates, "The updates that carry changes",
       {"createUpdates", 0, P::kChanges, P::kUpdates}},
      {kPost, "bulk-update", Lock::kWrite, BulkUpdate, "Apply updates, all or none",
       {"bulkUpdate", 0, P::kUpdateBatch, P::kNoContent, kFailsConflict | kFailsInvalid}},
      {kPost, "replaceOrCreate", Lock::kWrite, ReplaceOrCreate, "Replace a record, or create it",
       {"replaceOrCreate", 0, P::kRecord, P::kRecord, kFailsInvalid}},
      {kPost, "upsertWithWhere", Lock::kWrite, UpsertWithWhere,
       "Patch the one record matching where, or create it",
       {"upsertWithWhere", kWhereArg, P::kPatch, P::kRecord, kFailsInvalid}},
      {kPost, "update", Lock::kWrite, UpdateAll, "Patch every record matching where",
       {"updateAll", kWhereArg, P::kPatch, P::kCount, kFailsInvalid}},
      {kHead, ":id", Lock::kRead, HeadExists, "Whether the record exists (404 if not)",
       {"exists", 0, P::kNone, P::kNone, kFailsNotFound}},
      {kGet, ":id", Lock::kRead, FindById, "Find a record by id",
       {"findById", kFilterArg, P::kNone, P::kRecord, kFailsNotFound}},
      {kPut, ":id", Lock::kWrite, ReplaceById, "Replace a record",
       {"replaceById", 0, P::kRecord, P::kRecord, kFailsNotFound | kFailsInvalid}},
      {kPatch, ":id", Lock::kWrite, PatchAttributes, "Patch a record",
       {"patchAttributes", 0, P::kPatch, P::kRecord, kFailsNotFound | kFailsInvalid}},
      {kDelete, ":id", Lock::kWrite, DeleteById, "Delete a record",
       {"deleteById", 0, P::kNone, P::kCount}},
      {kGet | kHead, ":id/exists", Lock::kRead, Exists, "Whether the record exists",
       {"exists", 0, P::kNone, P::kExists}},
      {kPost, ":id/replace", Lock::kWrite, ReplaceById, "Replace a record",
       {"replaceById", 0, P::kRecord, P::kRecord, kFailsNotFound | kFailsInvalid}},
      {kGet | kHead, ":id/changes/last", Lock::kRead, FindLastChange, "The record's last change",
       {"findLastChange", 0, P::kNone, P::kChangeOrNull}},
      {kPut, ":id/changes/last", Lock::kWrite, UpdateLastChange, "Update the record's last change",
       {"updateLastChange", 0, P::kChangeData, P::kChange, kFailsNotFound}},
  };
  return kRoutes;
}

}  // namespace http
}  // namespace replicore
