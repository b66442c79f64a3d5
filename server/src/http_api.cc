// LoopBack 3 REST routes over the core (PROTOCOL.md §2.1, §2.2, §9). Only HTTP mapping
// lives here: every rule of data, revisions and replication is the core's.
#include "replicore/http_api.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>

#include "replicore/filter.h"
#include "replicore/json_canonical.h"
#include "replicore/json_limits.h"
#include "replicore/model.h"
#include "replicore/protocol.h"
#include "replicore/sqlite_store.h"

namespace replicore {
namespace http {

// ---------------------------------------------------------------- JSON text

namespace {

void AppendString(const std::string& s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const char* run = s.data();  // start of the characters not yet appended (none need escaping)
  const char* end = s.data() + s.size();
  for (const char* at = run; at != end; ++at) {
    unsigned char c = static_cast<unsigned char>(*at);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(run, at);
    run = at + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(run, end);
  out->push_back('"');
}

}  // namespace

void AppendJsonText(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::null:
      out->append("null");
      return;
    case Json::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
      out->append(std::to_string(value.get<int64_t>()));
      return;
    case Json::value_t::number_unsigned:
      out->append(std::to_string(value.get<uint64_t>()));
      return;
    case Json::value_t::number_float: {
      double d = value.get<double>();
      out->append(std::isfinite(d) ? JsNumberToString(d) : "null");
      return;
    }
    case Json::value_t::string:
      AppendString(value.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const Json& item : value) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonText(item, out);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(it.key(), out);
        out->push_back(':');
        AppendJsonText(it.value(), out);
      }
      out->push_back('}');
      return;
    }
    default:
      out->append("null");
      return;
  }
}

std::string ToJsonText(const Json& value) {
  std::string out;
  AppendJsonText(value, &out);
  return out;
}

// ---------------------------------------------------------------- responses

namespace {

ApiResponse JsonResponse(int status, const Json& body) {
  ApiResponse response;
  response.status = status;
  response.body = ToJsonText(body);
  return response;
}

ApiResponse NoContent() {
  ApiResponse response;
  response.status = 204;
  response.json = false;
  return response;
}

}  // namespace

namespace {

// The stable code of an error answered without a core Status (issue 20 item 5).
const char* CodeForHttpStatus(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 413: return "too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 416: return "range_not_satisfiable";
    case 422: return "validation";
    case 431: return "headers_too_large";
    default: return "error";
  }
}

// Messages echo ids, keys and parse errors: bounded, so an error is never a copy of a
// megabyte of input, and cut on a character boundary.
std::string Bounded(std::string text, size_t max_bytes = 1024) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\u2026";
}

}  // namespace

ApiResponse ErrorResponse(int status, const std::string& name, const std::string& message,
                          const std::string& code, const Json& details) {
  // Written by hand to keep LoopBack's key order: statusCode, name, message, code, details.
  ApiResponse response;
  response.status = status;
  std::string& out = response.body;
  out = "{\"error\":{\"statusCode\":" + std::to_string(status);
  if (status >= 500) {
    out += ",\"message\":\"Internal Server Error\",\"code\":";
    AppendJsonText(code.empty() ? std::string("internal") : code, &out);
    out += "}}";
    response.internal_error = message;
    return response;
  }
  out += ",\"name\":";
  AppendJsonText(name, &out);
  out += ",\"message\":";
  AppendJsonText(ReplaceMalformedUtf8(Bounded(message)), &out);
  out += ",\"code\":";
  AppendJsonText(code.empty() ? std::string(CodeForHttpStatus(status)) : code, &out);
  if (!details.is_null()) {
    std::string text = ToJsonText(details);
    if (text.size() <= 16384) {  // LoopBack's validation details; dropped when huge
      out += ",\"details\":";
      out += ReplaceMalformedUtf8(text);
    }
  }
  out += "}}";
  return response;
}

ApiResponse StatusResponse(const Status& status, const std::string& code) {
  int http_status = HttpStatusFor(status.code());
  std::string name = "Error";
  if (status.code() == StatusCode::kValidation) name = "ValidationError";
  if (status.code() == StatusCode::kTooLarge) name = "PayloadTooLargeError";
  return ErrorResponse(http_status, name, status.message(),
                       code.empty() ? std::string(StatusCodeName(status.code())) : code,
                       status.details());
}

ApiResponse CannotResponse(const std::string& method, const std::string& path) {
  return ErrorResponse(404, "Error", "Cannot " + method + " " + path);
}

Json Capabilities() {
  return Json{{"protocol", "loopback3"},
              {"extensions", Json::array({"cursor-changes", "atomic-bulk-update", "replace"})}};
}

// ---------------------------------------------------------------- request parsing

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A path segment as Express decodes a route parameter (%XX only; '+' stays).
std::string DecodeSegment(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> SplitPath(const std::string& raw) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    if (slash > start) segments.push_back(DecodeSegment(raw.substr(start, slash - start)));
    start = slash + 1;
  }
  return segments;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The media type of a Content-Type header, lowercased, without parameters.
std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  size_t first = 0;
  while (first < type.size() && std::isspace(static_cast<unsigned char>(type[first]))) ++first;
  return Lower(type.substr(first));
}

enum class BodyKind { kObject, kArray };

// The request body as JSON: application/json (any JSON value, as body-parser's
// strict:false), or a urlencoded form (qs "extended" decoding). An empty body is {} or
// [] by `kind`. Any other content type with a body is 415, never an empty create.
std::optional<ApiResponse> ParseBody(const ApiRequest& request, BodyKind kind, Json* out) {
  bool blank = true;
  for (char c : request.body) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      blank = false;
      break;
    }
  }
  std::string type = MediaType(request.content_type);
  bool is_json = type == "application/json" ||
                 (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
  bool is_form = type == "application/x-www-form-urlencoded";
  if (blank) {
    *out = kind == BodyKind::kArray ? Json::array() : Json::object();
    return std::nullopt;
  }
  if (is_json) {
    Result<Json> parsed = ParseJsonWithin(request.body);
    if (!parsed.ok()) {
      return ErrorResponse(400, "SyntaxError", "Unexpected JSON in the request body: " + parsed.status().message());
    }
    *out = std::move(parsed).value();
    return std::nullopt;
  }
  if (is_form) {
    Result<Json> form = ParseQueryString(request.body);
    if (!form.ok()) return ErrorResponse(400, "Error", form.status().message());
    *out = std::move(form).value();
    return std::nullopt;
  }
  std::string shown = type.empty() ? std::string("none") : "\"" + type + "\"";
  return ErrorResponse(415, "UnsupportedMediaTypeError",
                       "Unsupported content type " + shown +
                           ": send the body as application/json or "
                           "application/x-www-form-urlencoded");
}

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
  out->second = DecodeSegment(text.substr(colon + 1));
  return true;
}

std::string RouteLabel(const std::string& rest_raw) {
  return rest_raw.empty() ? std::string("/") : rest_raw;
}

}  // namespace

// ---------------------------------------------------------------- the routes

Api::Api(Database* db, std::string api_root)
    : db_(db), api_root_(std::move(api_root)), sqlite_(dynamic_cast<SqliteStore*>(db->store())) {
  while (!api_root_.empty() && api_root_.back() == '/') api_root_.pop_back();
  if (!api_root_.empty() && api_root_.front() != '/') api_root_.insert(api_root_.begin(), '/');
  for (const std::string& name : db_->ModelNames()) {
    auto model = db_->GetModel(name);
    if (model.ok()) by_plural_.emplace((*model)->plural(), *model);
  }
}

ApiResponse Api::Handle(const ApiRequest& request) {
  try {
    return Route(request);
  } catch (const std::exception& e) {
    return ErrorResponse(500, "Error", std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return ErrorResponse(500, "Error", "unexpected exception");
  }
}

ApiResponse Api::Route(const ApiRequest& request) {
  const std::string& path = request.path;
  std::string under;  // the raw path below the api root, "" or "/..."
  if (api_root_.empty()) {
    under = path == "/" ? std::string() : path;
  } else if (path == api_root_ || path.rfind(api_root_ + "/", 0) == 0) {
    under = path.substr(api_root_.size());
  } else {
    ApiResponse response = CannotResponse(request.method, path);
    response.outside_api = true;
    return response;
  }
  std::vector<std::string> segments = SplitPath(under);
  if (segments.size() == 2 && segments[0] == "replicore" && segments[1] == "capabilities" &&
      (request.method == "GET" || request.method == "HEAD")) {
    return JsonResponse(200, Capabilities());
  }
  std::string shown = under.empty() ? std::string("/") : under;
  if (segments.empty()) {
    return ErrorResponse(404, "Error", "There is no method to handle " + request.method + " " + shown);
  }
  auto it = by_plural_.find(segments[0]);
  if (it == by_plural_.end()) {
    return ErrorResponse(404, "Error", "There is no method to handle " + request.method + " " + shown);
  }
  // The raw rest after the plural, for LoopBack's "has no method handling" message.
  size_t after_plural = under.find('/', 1);
  std::string rest_raw = after_plural == std::string::npos ? std::string() : under.substr(after_plural);
  if (rest_raw == "/") rest_raw.clear();
  std::vector<std::string> rest(segments.begin() + 1, segments.end());
  return RouteModel(request, *it->second, rest, rest_raw);
}

// A replication operation's answer (protocol.h) as LoopBack's HTTP answer: errors with their
// status (a bulk-update's conflicts as 409 with details.conflicts), bulk-update's 204, and
// a paged /changes as the bare array plus the X-Replicore-Next cursor (PROTOCOL.md §9.1).
ApiResponse ReplicationReply(Op op, Response response) {
  if (!response.status.ok()) return StatusResponse(response.status);
  if (op == Op::kBulkUpdate) return NoContent();
  if (op == Op::kChanges && response.result.is_object()) {
    ApiResponse reply = JsonResponse(200, response.result["changes"]);
    const Json& next = response.result["next"];
    if (next.is_array() && next.size() == 2) {
      reply.headers.emplace_back("X-Replicore-Next",
                                 EncodeCursor(next[0].get<int64_t>(), next[1].get<std::string>()));
    }
    return reply;
  }
  return JsonResponse(200, response.result);
}

ApiResponse Api::RouteModel(const ApiRequest& request, const ModelDefinition& model,
                            const std::vector<std::string>& rest, const std::string& rest_raw) {
  const std::string& method = request.method;
  const std::string& name = model.name();
  auto no_method = [&] {
    return ErrorResponse(404, "Error", "Shared class \"" + name + "\" has no method handling " +
                                           method + " " + RouteLabel(rest_raw));
  };
  Result<Json> query_result = ParseQueryString(request.query);
  if (!query_result.ok()) return ErrorResponse(400, "Error", query_result.status().message());
  const Json& query = *query_result;
  bool get = method == "GET" || method == "HEAD";

  // The lock, then (SqliteStore) one read transaction for all the reads of the request;
  // under the write lock they go through the writer connection. Released in reverse order.
  struct ReadLocked {
    std::shared_lock<std::shared_mutex> lock;
    SqliteStore::ReadGuard reads;
  };
  struct WriteLocked {
    std::unique_lock<std::shared_mutex> lock;
    SqliteStore::ReadGuard reads;
  };
  // Over a file database a read runs on its own snapshot, without the lock: a slow query
  // (a regexp over megabytes of text) never holds up writers (issue 20 item 3).
  auto read_lock = [&] {
    std::shared_lock<std::shared_mutex> lock(mu_, std::defer_lock);
    if (!sqlite_ || !sqlite_->SnapshotReads()) lock.lock();
    return ReadLocked{std::move(lock), sqlite_ ? sqlite_->BatchReads(false) : nullptr};
  };
  auto write_lock = [&] {
    std::unique_lock<std::shared_mutex> lock(mu_);
    return WriteLocked{std::move(lock), sqlite_ ? sqlite_->BatchReads(true) : nullptr};
  };
  auto with_body = [&](BodyKind kind, Json* body) { return ParseBody(request, kind, body); };
  auto not_object = [] { return ErrorResponse(400, "Error", "Value is not an object."); };
  // PUT /:id and POST /:id/replace (caller holds the write lock).
  auto replace_by_id = [&](const std::string& id, const Json& body) {
    auto record = db_->ReplaceById(name, id, body);
    if (!record.ok()) {
      if (record.status().code() == StatusCode::kNotFound) {
        return ErrorResponse(404, "Error",
                             "Could not replace. Object with id " + id + " does not exist!");
      }
      return StatusResponse(record.status());
    }
    return JsonResponse(200, *record);
  };
  // The replication routes: HTTP -> Request -> Answer (the core's one dispatcher) -> HTTP,
  // under the lock the operation needs.
  auto answer = [&](Op op, Json args) {
    const bool writes = op == Op::kCheckpoint || op == Op::kBulkUpdate || op == Op::kUpdateLastChange;
    Response response = writes ? [&] {
      auto lock = write_lock();
      return Answer(*db_, name, Request{op, std::move(args)});
    }() : [&] {
      auto lock = read_lock();
      return Answer(*db_, name, Request{op, std::move(args)});
    }();
    return ReplicationReply(op, std::move(response));
  };
  auto record_not_found = [&](const std::string& id) {
    return ErrorResponse(404, "Error", "Unknown \"" + name + "\" id \"" + id + "\".",
                         "MODEL_NOT_FOUND");
  };

  // ------------------------------------------------ collection routes
  if (rest.empty()) {
    if (get) {  // find
      Json filter;
      if (auto error = ObjectArg(query, "filter", &filter)) return *error;
      auto lock = read_lock();
      auto found = db_->Find(name, filter);
      if (!found.ok()) return StatusResponse(found.status());
      Json array = Json::array();
      for (Json& record : *found) array.push_back(std::move(record));
      return JsonResponse(200, array);
    }
    if (method == "POST" || method == "PUT" || method == "PATCH") {
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (method == "POST" && body.is_array()) {  // create many: all or none, one commit
        if (body.size() > kMaxRequestEntries) {
          return StatusResponse(Status::TooLarge(
              std::to_string(body.size()) + " records to create, at most " +
              std::to_string(kMaxRequestEntries) + " a request: send them in chunks"));
        }
        for (const Json& item : body) {
          if (!item.is_object()) return not_object();
        }
        auto lock = write_lock();
        auto created = db_->CreateMany(name, body);
        if (!created.ok()) return StatusResponse(created.status());
        return JsonResponse(200, *created);
      }
      if (!body.is_object()) return not_object();
      auto lock = write_lock();
      Result<Json> record = method == "POST"  ? db_->Create(name, body)
                            : method == "PUT" ? db_->ReplaceOrCreate(name, body)
                                              : db_->PatchOrCreate(name, body);
      if (!record.ok()) return StatusResponse(record.status());
      return JsonResponse(200, *record);
    }
    return no_method();
  }

  // ------------------------------------------------ named one-segment routes
  if (rest.size() == 1) {
    const std::string& op = rest[0];
    if (get && op == "count") {
      Json where;
      if (auto error = ObjectArg(query, "where", &where)) return *error;
      auto lock = read_lock();
      auto count = db_->Count(name, where.is_null() ? Json::object() : where);
      if (!count.ok()) return StatusResponse(count.status());
      return JsonResponse(200, Json{{"count", *count}});
    }
    if (get && op == "findOne") {
      Json filter;
      if (auto error = ObjectArg(query, "filter", &filter)) return *error;
      auto lock = read_lock();
      auto found = db_->FindOne(name, filter);
      if (!found.ok()) return StatusResponse(found.status());
      if (!found->has_value()) return record_not_found("undefined");
      return JsonResponse(200, **found);
    }
    if (get && op == "changes") {
      std::optional<double> since;
      if (auto error = NumberArg(query, "since", &since)) return *error;
      Json filter;
      if (auto error = ObjectArg(query, "filter", &filter)) return *error;
      std::optional<size_t> limit;
      std::optional<double> limit_number;
      if (auto error = NumberArg(query, "limit", &limit_number)) return *error;
      if (limit_number) {
        if (*limit_number < 1 || *limit_number != std::floor(*limit_number)) {
          return ErrorResponse(400, "Error", "The limit parameter must be a positive integer.");
        }
        limit = static_cast<size_t>(std::min(*limit_number, 1.0e9));
      }
      std::optional<std::pair<int64_t, std::string>> after;
      if (auto it = query.find("after"); it != query.end() && !it->is_null()) {
        std::pair<int64_t, std::string> cursor;
        if (!it->is_string() || !DecodeCursor(it->get<std::string>(), &cursor)) {
          return ErrorResponse(400, "Error",
                               "The after parameter must be <checkpoint>:<modelId>.");
        }
        after = std::move(cursor);
      }
      // LoopBack: no since filters with `checkpoint >= undefined` and answers [].
      if (!since) return JsonResponse(200, Json::array());
      Json args{{"since", SinceValue(*since)}, {"filter", filter}};
      if (limit) args["limit"] = *limit;
      if (after) args["after"] = Json::array({after->first, after->second});
      return answer(Op::kChanges, std::move(args));
    }
    if (op == "checkpoint" && get) {
      auto lock = read_lock();
      auto current = db_->CurrentCheckpoint();
      if (!current.ok()) return StatusResponse(current.status());
      return JsonResponse(200, *current);
    }
    if (op == "checkpoint" && method == "POST") return answer(Op::kCheckpoint, Json::object());
    if (method == "POST" && op == "diff") {
      std::optional<double> since;
      if (auto error = NumberArg(query, "since", &since)) return *error;
      Json body;
      if (auto error = with_body(BodyKind::kArray, &body)) return *error;
      return answer(Op::kDiff, Json{{"since", since ? SinceValue(*since) : 0}, {"changes", std::move(body)}});
    }
    if (method == "POST" && op == "create-updates") {
      Json body;
      if (auto error = with_body(BodyKind::kArray, &body)) return *error;
      return answer(Op::kCreateUpdates, Json{{"deltas", std::move(body)}});
    }
    if (method == "POST" && op == "bulk-update") {
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (body.is_array()) {
        // LoopBack answers a bare array with a 500 (TypeError); the body is {"updates": [...]}.
        return ErrorResponse(400, "Error",
                             "The body must be an object {\"updates\": [...]}, not an array.");
      }
      if (!body.is_object()) return not_object();
      return answer(Op::kBulkUpdate, std::move(body));  // {"updates": [...]}
    }
    if (method == "POST" && (op == "replaceOrCreate" || op == "upsertWithWhere" || op == "update")) {
      Json where;
      if (op != "replaceOrCreate") {
        if (auto error = ObjectArg(query, "where", &where)) return *error;
      }
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (!body.is_object()) return not_object();
      auto lock = write_lock();
      if (op == "replaceOrCreate") {
        auto record = db_->ReplaceOrCreate(name, body);
        if (!record.ok()) return StatusResponse(record.status());
        return JsonResponse(200, *record);
      }
      if (where.is_null()) where = Json::object();
      if (op == "upsertWithWhere") {
        auto record = db_->UpsertWithWhere(name, where, body);
        if (!record.ok()) return StatusResponse(record.status());
        return JsonResponse(200, *record);
      }
      auto count = db_->UpdateAll(name, where, body);
      if (!count.ok()) return StatusResponse(count.status());
      return JsonResponse(200, Json{{"count", *count}});
    }
    if (method == "POST") return no_method();

    // ---------------------------------------------- /:id
    const std::string& id = op;
    if (method == "HEAD") {
      auto lock = read_lock();
      auto exists = db_->Exists(name, id);
      if (!exists.ok()) return StatusResponse(exists.status());
      if (!*exists) {
        ApiResponse response;
        response.status = 404;
        return response;
      }
      return JsonResponse(200, Json{{"exists", true}});
    }
    if (method == "GET") {  // findById, with an optional filter (fields, where)
      Json filter;
      if (auto error = ObjectArg(query, "filter", &filter)) return *error;
      auto lock = read_lock();
      if (filter.is_null()) {
        auto record = db_->FindById(name, id);
        if (!record.ok()) return StatusResponse(record.status());
        if (!record->has_value()) return record_not_found(id);
        return JsonResponse(200, **record);
      }
      Json by_id = Json{{model.id_property().name, id}};
      auto where = filter.find("where");
      if (where != filter.end() && !where->is_null() && !(where->is_object() && where->empty())) {
        filter["where"] = Json{{"and", Json::array({by_id, *where})}};
      } else {
        filter["where"] = by_id;
      }
      filter["limit"] = 1;
      filter.erase("skip");
      filter.erase("offset");
      auto found = db_->FindOne(name, filter);
      if (!found.ok()) return StatusResponse(found.status());
      if (!found->has_value()) return record_not_found(id);
      return JsonResponse(200, **found);
    }
    if (method == "PUT" || method == "PATCH") {
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (!body.is_object()) return not_object();
      auto lock = write_lock();
      if (method == "PUT") {
        return replace_by_id(id, body);
      }
      auto record = db_->PatchAttributes(name, id, body);
      if (!record.ok()) {
        if (record.status().code() == StatusCode::kNotFound) {
          return ErrorResponse(404, "Error", "could not find a model with id " + id,
                               "MODEL_NOT_FOUND");
        }
        return StatusResponse(record.status());
      }
      return JsonResponse(200, *record);
    }
    if (method == "DELETE") {
      auto lock = write_lock();
      auto count = db_->DeleteById(name, id);
      if (!count.ok()) return StatusResponse(count.status());
      return JsonResponse(200, Json{{"count", *count}});
    }
    return no_method();
  }

  // ------------------------------------------------ /:id/exists, /:id/replace
  if (rest.size() == 2) {
    const std::string& id = rest[0];
    if (get && rest[1] == "exists") {
      auto lock = read_lock();
      auto exists = db_->Exists(name, id);
      if (!exists.ok()) return StatusResponse(exists.status());
      return JsonResponse(200, Json{{"exists", *exists}});
    }
    if (method == "POST" && rest[1] == "replace") {
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (!body.is_object()) return not_object();
      auto lock = write_lock();
      return replace_by_id(id, body);
    }
    return no_method();
  }

  // ------------------------------------------------ /:id/changes/last
  if (rest.size() == 3 && rest[1] == "changes" && rest[2] == "last") {
    const std::string& id = rest[0];
    if (get) return answer(Op::kFindLastChange, Json{{"id", id}});
    if (method == "PUT") {
      Json body;
      if (auto error = with_body(BodyKind::kObject, &body)) return *error;
      if (!body.is_object()) return not_object();
      return answer(Op::kUpdateLastChange, Json{{"id", id}, {"data", std::move(body)}});
    }
  }
  return no_method();
}

}  // namespace http
}  // namespace replicore
