// LoopBack 3's User routes under <api-root>/Users, over a UserStore:
//   POST /Users          sign up {username, password, email?} -> {id, username, email?, created}
//                        (only with --allow-signup; else 403 forbidden)
//   POST /Users/login    {username | email, password, ttl?} -> {id: token, ttl, created, userId}
//                        (?include=user adds "user"); wrong credentials 401 unauthorized,
//                        too many failures 429 too_many_requests with Retry-After
//   POST /Users/logout   the request's token (TokenOf) ends: 204; 401 without a valid one
// and the token of a request, found where LoopBack looks for it.
#ifndef REPLICORE_USER_ROUTES_H_
#define REPLICORE_USER_ROUTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "replicore/http_api.h"
#include "replicore/login_limiter.h"
#include "replicore/routes.h"
#include "replicore/user_store.h"

namespace replicore {
namespace http {

struct UserOptions {
  bool allow_signup = false;  // POST /Users creates users (--allow-signup)
  // Seconds a token lives (--token-ttl): the default, and the longest a login may ask for
  // with its `ttl` (LoopBack caps at maxTTL the same way).
  int64_t token_ttl = kDefaultTokenTtl;
  LoginLimits limits;
};

// The access token of a request, as LoopBack 3's AccessToken.getIdForRequest finds it: the
// `access_token` query parameter, else the `X-Access-Token` header, else `Authorization`
// as "<token>", "Bearer <token>" (scheme in any case) or "Basic base64(a:b)" (the longer
// of a and b, for curl http://TOKEN@host/). "" when there is none. The token is not checked.
std::string TokenOf(const ApiRequest& request);

// `target` (path, '?', query) with the value of every access_token parameter replaced by
// "***": for logs, which must never hold a token.
std::string RedactTokens(const std::string& target);

class UserRoutes {
 public:
  // Borrows `store` for the lifetime of the object.
  UserRoutes(UserStore* store, UserOptions options);

  // A request under <api-root>/Users: `rest` the decoded segments after "Users", `rest_raw`
  // their raw text (for the "no method" message). Thread-safe.
  ApiResponse Handle(const ApiRequest& request, const std::vector<std::string>& rest,
                     const std::string& rest_raw);

  UserStore* store() const { return store_; }
  const UserOptions& options() const { return options_; }

  // A route under <api-root>/Users, as routes.h's Route (the API description is generated
  // from this table too).
  struct Entry {
    unsigned methods;
    const char* pattern;  // the segments after "Users"
    ApiResponse (UserRoutes::*handler)(const ApiRequest& request);
    const char* summary;
    RouteDoc doc;
  };
  // In the order they are tried.
  static const std::vector<Entry>& Routes();

 private:
  ApiResponse SignUp(const ApiRequest& request);
  ApiResponse Login(const ApiRequest& request);
  ApiResponse Logout(const ApiRequest& request);

  UserStore* store_;
  const UserOptions options_;
  LoginLimiter limiter_;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_USER_ROUTES_H_
