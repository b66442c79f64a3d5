// The REST entry over the core: the api root, a model's route found in ModelRoutes() and run
// after the `before` hook, LoopBack's error answers (PROTOCOL.md §2.3), JSON text as
// JavaScript writes it. The routes themselves are model_routes.cc.
#include "replicore/http_api.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <optional>

#include "replicore/filter.h"
#include "replicore/guard.h"
#include "replicore/js_semantics.h"
#include "replicore/json_canonical.h"
#include "replicore/model.h"
#include "replicore/owner_partitions.h"
#include "replicore/routes.h"
#include "replicore/user_routes.h"

namespace replicore {
namespace http {

// ---------------------------------------------------------------- JSON text

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
      AppendJsonString(value.get_ref<const std::string&>(), out);
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
        AppendJsonString(it.key(), out);
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

// ---------------------------------------------------------------- requests

std::string ApiRequest::Header(std::string_view name) const {
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  for (const auto& [key, value] : headers) {
    if (std::equal(key.begin(), key.end(), name.begin(), name.end(), same)) return value;
  }
  return "";
}

// ---------------------------------------------------------------- responses

ApiResponse JsonResponse(int status, const Json& body) {
  ApiResponse response;
  response.status = status;
  response.body = ToJsonText(body);
  return response;
}

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

namespace {

// The path after the plural as LoopBack's "has no method handling" message shows it.
std::string RouteLabel(const std::string& rest_raw) {
  return rest_raw.empty() ? std::string("/") : rest_raw;
}

}  // namespace

// ---------------------------------------------------------------- the routes

Api::Api(Database* db, std::string api_root) : db_(db), api_root_(std::move(api_root)) {
  while (!api_root_.empty() && api_root_.back() == '/') api_root_.pop_back();
  if (!api_root_.empty() && api_root_.front() != '/') api_root_.insert(api_root_.begin(), '/');
  for (const std::string& name : db_->ModelNames()) {
    auto model = db_->GetModel(name);
    if (model.ok()) by_plural_.emplace((*model)->plural(), *model);
  }
}

Api::~Api() = default;

void Api::set_users(UserStore* users, const UserOptions& options) {
  users_ = users ? std::make_unique<UserRoutes>(users, options) : nullptr;
}

void Api::set_ownership(std::set<std::string> owned, SharedAccess shared) {
  owned_ = std::move(owned);
  shared_ = shared;
  partitions_ = std::make_unique<OwnerPartitions>(db_);
}

ApiResponse Api::Handle(const ApiRequest& request) {
  return GuardWith(
      [&] { return Route(request); },
      [](const std::exception& e) {
        return ErrorResponse(500, "Error", std::string("unexpected exception: ") + e.what());
      },
      [] { return ErrorResponse(500, "Error", "unexpected exception"); });
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
  // The raw rest after the plural, for LoopBack's "has no method handling" message.
  size_t after_plural = under.find('/', 1);
  std::string rest_raw = after_plural == std::string::npos ? std::string() : under.substr(after_plural);
  if (rest_raw == "/") rest_raw.clear();
  std::vector<std::string> rest(segments.begin() + 1, segments.end());
  // The built-in User model (user_routes.h), when the server runs with users.
  if (users_ && segments[0] == "Users") return users_->Handle(request, rest, rest_raw);
  auto it = by_plural_.find(segments[0]);
  if (it == by_plural_.end()) {
    return ErrorResponse(404, "Error", "There is no method to handle " + request.method + " " + shown);
  }
  return RouteModel(request, *it->second, rest, rest_raw);
}

ApiResponse Api::RouteModel(const ApiRequest& request, const ModelDefinition& model,
                            const std::vector<std::string>& rest, const std::string& rest_raw) {
  Result<Json> query = ParseQueryString(request.query);
  if (!query.ok()) return ErrorResponse(400, "Error", query.status().message());
  RouteMatch match = MatchRoute(ModelRoutes(), request.method, rest);
  if (match.route == nullptr) {
    return ErrorResponse(404, "Error",
                         "Shared class \"" + model.name() + "\" has no method handling " +
                             request.method + " " + RouteLabel(rest_raw));
  }
  if (before_) {
    if (std::optional<ApiResponse> answer = before_(request, model, *match.route)) return *answer;
  }
  std::shared_ptr<Database> partition;  // the caller's records, for an owned model
  if (users_) {
    const bool owned = owned_.count(model.name()) > 0;
    const bool writes = match.route->lock == Lock::kWrite && std::string_view(match.route->pattern) != "checkpoint";
    if (!owned && shared_ != SharedAccess::kOpen && (shared_ == SharedAccess::kClosed || writes)) {
      return StatusResponse(Status::Forbidden(
          "the " + model.name() + " model is " +
          (shared_ == SharedAccess::kClosed ? "not served" : "read-only") + " on this server"));
    }
    if (owned) {
      const std::string token = TokenOf(request);
      Result<std::string> user = token.empty() ? Result<std::string>(Status::Unauthorized("no access token"))
                                               : users_->store()->UserOfToken(token);
      if (!user.ok()) {
        return StatusResponse(Status::Unauthorized(
            "the " + model.name() + " records belong to their users: log in (POST " + api_root_ +
            "/Users/login) and send the token"));
      }
      partition = partitions_->For(*user);
    }
  }
  Database& db = partition ? *partition : *db_;
  const RouteCall call{request, model, *query, match.id, *match.route, db, mu_};
  return match.route->handler(call);
}

}  // namespace http
}  // namespace replicore
