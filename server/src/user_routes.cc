// The User routes (user_routes.h): HTTP mapping only; users, passwords and tokens are
// UserStore's, the counting of failures LoginLimiter's.
#include "replicore/user_routes.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <utility>

#include "replicore/filter.h"
#include "replicore/js_semantics.h"
#include "replicore/json_limits.h"
#include "replicore/routes.h"

namespace replicore {
namespace http {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// `value` starts with `scheme` and a space, the scheme in any case.
bool HasScheme(const std::string& value, const char* scheme) {
  const std::string prefix = std::string(scheme) + " ";
  return value.size() > prefix.size() && Lower(value.substr(0, prefix.size())) == Lower(prefix);
}

// "user:pass" of Basic credentials, base64-decoded; nullopt when not base64.
std::optional<std::string> Base64Decode(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// The request body as a JSON object (model routes' rules; an empty body is {}).
std::optional<ApiResponse> ParseObjectBody(const ApiRequest& request, Json* out) {
  if (auto error = ParseBody(request, BodyKind::kObject, out)) return error;
  if (!out->is_object()) return ErrorResponse(400, "Error", "the request body must be a JSON object");
  return std::nullopt;
}

// A string property of the body: absent, null or "" -> "" ; not a string -> 400.
std::optional<ApiResponse> StringField(const Json& body, const char* name, std::string* out) {
  out->clear();
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    return ErrorResponse(400, "Error", std::string("`") + name + "` must be a string");
  }
  *out = it->get<std::string>();
  return std::nullopt;
}

// A size limit of a login field: 422 as the User model's validation says it.
std::optional<ApiResponse> TooLong(const std::string& value, size_t max, const char* field) {
  if (value.size() <= max) return std::nullopt;
  Json codes = Json::object();
  Json messages = Json::object();
  const std::string message = "is too long (" + std::to_string(value.size()) +
                              " bytes; at most " + std::to_string(max) + ")";
  codes[field].push_back("length");
  messages[field].push_back(message);
  return StatusResponse(Status::Validation(
      "The `User` instance is not valid. Details: `" + std::string(field) + "` " + message + ".",
      Json{{"context", "User"}, {"codes", std::move(codes)}, {"messages", std::move(messages)}}));
}

// Objects written in LoopBack's key order (nlohmann's Json sorts its keys).
std::string Ordered(const Json& value, std::initializer_list<const char*> keys) {
  std::string out = "{";
  for (const char* key : keys) {
    auto it = value.find(key);
    if (it == value.end()) continue;
    if (out.size() > 1) out += ",";
    AppendJsonText(std::string(key), &out);
    out += ":";
    AppendJsonText(*it, &out);
  }
  return out;
}

std::string UserText(const Json& user) {
  return Ordered(user, {"id", "username", "email", "created"}) + "}";
}

ApiResponse Unauthorized(const std::string& message) {
  return ErrorResponse(401, "Error", message, "unauthorized");
}

// include=user (also include[]=user, include=["user"]).
bool IncludesUser(const Json& query) {
  auto it = query.find("include");
  if (it == query.end()) return false;
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    if (text == "user") return true;
    Json parsed = Json::parse(text, nullptr, false);
    return parsed.is_array() && std::find(parsed.begin(), parsed.end(), "user") != parsed.end();
  }
  return it->is_array() && std::find(it->begin(), it->end(), "user") != it->end();
}

}  // namespace

// ---------------------------------------------------------------- tokens of requests

std::string TokenOf(const ApiRequest& request) {
  if (!request.query.empty()) {
    Result<Json> query = ParseQueryString(request.query);
    if (query.ok()) {
      auto it = query->find("access_token");
      if (it != query->end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return it->get<std::string>();
      }
    }
  }
  std::string header = Trim(request.Header("X-Access-Token"));
  if (!header.empty()) return header;
  header = Trim(request.Header("Authorization"));
  if (HasScheme(header, "Bearer")) return Trim(header.substr(7));
  if (HasScheme(header, "Basic")) {
    std::optional<std::string> pair = Base64Decode(Trim(header.substr(6)));
    if (!pair) return "";
    size_t colon = pair->find(':');
    if (colon == std::string::npos) return *pair;
    std::string a = pair->substr(0, colon), b = pair->substr(colon + 1);
    return b.size() > a.size() ? b : a;
  }
  return header;
}

std::string RedactTokens(const std::string& target) {
  size_t question = target.find('?');
  if (question == std::string::npos) return target;
  std::string out = target.substr(0, question + 1);
  size_t start = question + 1;
  while (start <= target.size()) {
    size_t amp = target.find('&', start);
    if (amp == std::string::npos) amp = target.size();
    std::string part = target.substr(start, amp - start);
    size_t eq = part.find('=');
    // The name as qs reads it: percent-decoded, so "access%5Ftoken" is caught too.
    std::string name = Lower(DecodePathSegment(part.substr(0, eq)));
    if (eq != std::string::npos && name.rfind("access_token", 0) == 0) {
      part = part.substr(0, eq + 1) + "***";
    }
    out += part;
    if (amp < target.size()) out += "&";
    start = amp + 1;
  }
  return out;
}

// ---------------------------------------------------------------- routes

const std::vector<UserRoutes::Entry>& UserRoutes::Routes() {
  using P = Payload;
  static const std::vector<Entry> kRoutes = {
      {kPost, "", &UserRoutes::SignUp, "Sign up (only with --allow-signup)",
       {"create", 0, P::kSignUp, P::kUser, kFailsForbidden | kFailsConflict | kFailsInvalid}},
      {kPost, "login", &UserRoutes::Login, "Log in: the answer's id is the access token",
       {"login", kIncludeArg, P::kCredentials, P::kAccessToken,
        kFailsDenied | kFailsInvalid | kFailsTooMany}},
      {kPost, "logout", &UserRoutes::Logout, "End the request's access token",
       {"logout", kTokenArg, P::kNone, P::kNoContent, kFailsDenied}},
  };
  return kRoutes;
}

UserRoutes::UserRoutes(UserStore* store, UserOptions options)
    : store_(store), options_(std::move(options)), limiter_(options_.limits) {}

ApiResponse UserRoutes::Handle(const ApiRequest& request, const std::vector<std::string>& rest,
                               const std::string& rest_raw) {
  std::string unused_id;
  if (const Entry* route = FindRoute(Routes(), MethodBit(request.method), rest, &unused_id)) {
    return (this->*route->handler)(request);
  }
  return ErrorResponse(404, "Error",
                       "Shared class \"User\" has no method handling " + request.method + " " +
                           (rest_raw.empty() ? std::string("/") : rest_raw));
}

ApiResponse UserRoutes::SignUp(const ApiRequest& request) {
  if (!options_.allow_signup) {
    return ErrorResponse(403, "Error",
                         "sign-up is disabled on this server (start it with --allow-signup, or "
                         "add users with `replicore-server user add NAME`)",
                         "forbidden");
  }
  Json body;
  if (auto error = ParseObjectBody(request, &body)) return *error;
  std::string username, password, email;
  if (auto error = StringField(body, "username", &username)) return *error;
  if (auto error = StringField(body, "password", &password)) return *error;
  if (auto error = StringField(body, "email", &email)) return *error;
  Result<Json> user = store_->AddUser(username, password, email);
  sodium_memzero(password.data(), password.size());
  if (!user.ok()) return StatusResponse(user.status());
  ApiResponse response;
  response.status = 200;  // LoopBack answers a create with 200
  response.body = UserText(*user);
  return response;
}

ApiResponse UserRoutes::Login(const ApiRequest& request) {
  Json body;
  if (auto error = ParseObjectBody(request, &body)) return *error;
  std::string username, email, password;
  if (auto error = StringField(body, "username", &username)) return *error;
  if (auto error = StringField(body, "email", &email)) return *error;
  if (auto error = StringField(body, "password", &password)) return *error;
  // LoopBack's normalizeCredentials: the email when there is one, else the username.
  const bool by_email = !email.empty();
  if (!by_email && username.empty()) {
    return ErrorResponse(400, "Error", "username or email is required", "bad_request");
  }
  if (body.find("password") == body.end() || body["password"].is_null()) {
    return ErrorResponse(400, "Error", "password is required", "bad_request");
  }
  if (auto error = TooLong(username, kMaxUsernameBytes, "username")) return *error;
  if (auto error = TooLong(email, kMaxEmailBytes, "email")) return *error;
  if (auto error = TooLong(password, kMaxPasswordBytes, "password")) return *error;
  int64_t ttl = options_.token_ttl;
  if (auto it = body.find("ttl"); it != body.end() && !it->is_null()) {
    double asked = NAN;
    if (it->is_number()) {
      asked = it->get<double>();
    } else if (it->is_string()) {
      const std::string text = Trim(it->get<std::string>());
      char* end = nullptr;
      asked = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) asked = NAN;
    }
    if (!std::isfinite(asked) || asked < 1) {
      return ErrorResponse(400, "Error", "`ttl` must be a number of seconds, at least 1",
                           "bad_request");
    }
    ttl = std::min<int64_t>(ttl, static_cast<int64_t>(std::min(asked, 9.0e15)));
  }

  const std::string key = by_email ? "email:" + Lower(email) : "username:" + username;
  if (int64_t wait = limiter_.Begin(key, request.remote_address, SteadyMs()); wait > 0) {
    ApiResponse response = ErrorResponse(
        429, "Error",
        "too many failed logins: try again in " + std::to_string(wait) + " seconds",
        "too_many_requests");
    response.headers.emplace_back("Retry-After", std::to_string(wait));
    return response;
  }
  Result<Json> token = store_->Login(by_email ? UserStore::By::kEmail : UserStore::By::kUsername,
                                     by_email ? email : username, password, ttl);
  sodium_memzero(password.data(), password.size());
  limiter_.Finish(key, request.remote_address, SteadyMs(), token.ok());
  if (!token.ok()) {
    if (token.status().code() == StatusCode::kUnauthorized) return Unauthorized("login failed");
    return StatusResponse(token.status());
  }
  std::string text = Ordered(*token, {"id", "ttl", "created", "userId"});
  Result<Json> query = ParseQueryString(request.query);
  if (query.ok() && IncludesUser(*query)) {
    Result<Json> user = store_->GetUser((*token)["userId"].get<std::string>());
    if (user.ok()) text += ",\"user\":" + UserText(*user);
  }
  ApiResponse response;
  response.status = 200;
  response.body = text + "}";
  return response;
}

ApiResponse UserRoutes::Logout(const ApiRequest& request) {
  // LoopBack answers a missing, unknown or expired token alike: its middleware finds no
  // token, and logout says one is required.
  const std::string token = TokenOf(request);
  if (token.empty()) return Unauthorized("accessToken is required to logout");
  Status ended = store_->Logout(token);
  if (ended.code() == StatusCode::kUnauthorized) {
    return Unauthorized("accessToken is required to logout");
  }
  if (!ended.ok()) return StatusResponse(ended);
  ApiResponse response;
  response.status = 204;
  return response;
}

}  // namespace http
}  // namespace replicore
