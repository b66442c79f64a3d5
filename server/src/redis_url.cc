// --db redis://... and redis+unix://...: which Redis, which database, which key prefix.
#include <optional>
#include <string>

#include "replicore/js_semantics.h"
#include "replicore/redis_store.h"

namespace replicore {
namespace {

constexpr char kTcp[] = "redis://";
constexpr char kUnix[] = "redis+unix://";

bool ParseInt(const std::string& text, int max, int* out) {
  if (text.empty() || text.size() > 9) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

// The query's parameters (db, prefix) into `options`.
Status ParseQuery(const std::string& query, RedisStoreOptions* options) {
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    start = end + 1;
    const size_t eq = pair.find('=');
    const std::string name = pair.substr(0, eq);
    std::optional<std::string> value =
        DecodeQueryComponent(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!value) return Status::BadRequest("a Redis URL with a malformed %-escape in " + name);
    if (name == "prefix") {
      options->prefix = *value;
    } else if (name == "db") {
      if (!ParseInt(*value, 1 << 20, &options->database)) {
        return Status::BadRequest("a Redis URL's db must be a database number");
      }
    } else {
      return Status::BadRequest("a Redis URL takes ?prefix= and ?db=, not ?" + name + "=");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsRedisUrl(const std::string& db) {
  return db.rfind(kTcp, 0) == 0 || db.rfind(kUnix, 0) == 0;
}

Result<RedisStoreOptions> ParseRedisUrl(const std::string& url) {
  RedisStoreOptions options;
  const bool unix_socket = url.rfind(kUnix, 0) == 0;
  if (!unix_socket && url.rfind(kTcp, 0) != 0) {
    return Status::BadRequest("not a Redis URL (redis://host:port/db or redis+unix:///path)");
  }
  std::string rest = url.substr(unix_socket ? sizeof(kUnix) - 1 : sizeof(kTcp) - 1);
  const size_t question = rest.find('?');
  if (question != std::string::npos) {
    RC_RETURN_IF_ERROR(ParseQuery(rest.substr(question + 1), &options));
    rest.resize(question);
  }
  // [user][:password]@ (Redis 6 ACL users are not supported: only the password is used).
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    const std::string credentials = rest.substr(0, at);
    const size_t colon = credentials.find(':');
    if (colon != std::string::npos) {
      std::optional<std::string> password = DecodeQueryComponent(credentials.substr(colon + 1));
      if (!password) return Status::BadRequest("a Redis URL with a malformed password");
      options.password = *password;
    }
    rest = rest.substr(at + 1);
  }
  if (unix_socket) {
    if (rest.empty() || rest[0] != '/') {
      return Status::BadRequest("a redis+unix:// URL names an absolute socket path");
    }
    options.unix_socket = rest;
    return options;
  }
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string database = rest.substr(slash + 1);
    if (!database.empty() && !ParseInt(database, 1 << 20, &options.database)) {
      return Status::BadRequest("a Redis URL's path must be a database number (redis://host:port/0)");
    }
    rest.resize(slash);
  }
  // host[:port], or [IPv6][:port].
  const size_t close = rest.rfind(']');
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    if (!ParseInt(rest.substr(colon + 1), 65535, &options.port)) {
      return Status::BadRequest("a Redis URL's port must be a number");
    }
    rest.resize(colon);
  }
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') {
    rest = rest.substr(1, rest.size() - 2);
  }
  if (!rest.empty()) options.host = rest;
  return options;
}

}  // namespace replicore
