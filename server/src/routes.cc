// Finding a route in a table, and taking the lock it declares.
#include "replicore/routes.h"

#include <cctype>
#include <string_view>
#include <utility>

#include "replicore/json_limits.h"
#include "replicore/filter.h"
#include "replicore/js_semantics.h"

namespace replicore {
namespace http {

const std::vector<std::pair<unsigned, const char*>>& MethodNames() {
  static const std::vector<std::pair<unsigned, const char*>> kNames = {
      {kGet, "GET"}, {kHead, "HEAD"},   {kPost, "POST"},
      {kPut, "PUT"}, {kPatch, "PATCH"}, {kDelete, "DELETE"}};
  return kNames;
}

unsigned MethodBit(const std::string& method) {
  for (const auto& [bit, name] : MethodNames()) {
    if (method == name) return bit;
  }
  return 0;
}

bool Writes(const Route& route) {
  return route.lock == Lock::kWrite && std::string_view(route.pattern) != "checkpoint";
}

Held RouteCall::Hold() const {
  Held held;
  Store* store = db.store();
  if (route.lock == Lock::kWrite) {
    held.exclusive = std::unique_lock<std::shared_mutex>(mu);
  } else if (!store->SnapshotReads()) {
    // Over snapshot reads (a SQLite file) a read runs without the lock: a slow query (a
    // regexp over megabytes of text) never holds up writers (issue 20 item 3).
    held.shared = std::shared_lock<std::shared_mutex>(mu);
  }
  held.reads = store->BatchReads(route.lock == Lock::kWrite);
  return held;
}

bool MatchPattern(const char* pattern, const std::vector<std::string>& segments,
                  std::string* id) {
  std::vector<std::string> parts = SplitPath(pattern);
  if (parts.size() != segments.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == ":id") {
      *id = segments[i];
    } else if (parts[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

RouteMatch MatchRoute(const std::vector<Route>& routes, const std::string& method,
                      const std::vector<std::string>& segments) {
  RouteMatch match;
  match.route = FindRoute(routes, MethodBit(method), segments, &match.id);
  return match;
}

std::vector<std::string> SplitPath(const std::string& raw) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    if (slash > start) segments.push_back(DecodePathSegment(raw.substr(start, slash - start)));
    start = slash + 1;
  }
  return segments;
}

static std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The media type of a Content-Type header, lowercased, without parameters.
static std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  size_t first = 0;
  while (first < type.size() && std::isspace(static_cast<unsigned char>(type[first]))) ++first;
  return Lower(type.substr(first));
}

std::optional<ApiResponse> ParseBody(const ApiRequest& request, BodyKind kind, Json* out) {
  bool blank = true;
  for (char c : request.body) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      blank = false;
      break;
    }
  }
  std::string type = MediaType(request.Header("Content-Type"));
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

}  // namespace http
}  // namespace replicore
