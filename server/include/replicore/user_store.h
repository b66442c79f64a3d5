// Users and their access tokens, LoopBack 3 style (common/models/user.js, access-token.js),
// in two tables of the server's SQLite file:
//   users(id TEXT PK, username UNIQUE, email UNIQUE NULL COLLATE NOCASE, password_hash, created)
//   access_tokens(token_hash PK, user_id, created, ttl)
// Passwords are stored as libsodium crypto_pwhash_str (Argon2id, OPSLIMIT/MEMLIMIT
// _INTERACTIVE). A token is 32 random bytes given out once as 64 hex characters; only its
// SHA-256 is stored. Neither a password nor a raw token is ever stored or logged.
#ifndef REPLICORE_USER_STORE_H_
#define REPLICORE_USER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replicore/status.h"

namespace replicore {

struct UserStoreOptions {
  std::string path;  // the server's database file, or ":memory:" (a private in-memory SQLite)
  int busy_timeout_ms = 5000;
  // Wall clock, epoch milliseconds (token creation and expiry). Empty: the system clock.
  std::function<int64_t()> now_ms;
};

// Limits of the User model. Sizes are bytes of UTF-8.
inline constexpr size_t kMaxUsernameBytes = 128;
inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxEmailBytes = 254;  // RFC 5321's path limit
// LoopBack's defaults: a token lives 2 weeks unless asked otherwise; at most a year.
inline constexpr int64_t kDefaultTokenTtl = 1209600;
inline constexpr int64_t kMaxTokenTtl = 31556926;
// Tokens a user may hold at once; a login past it drops that user's oldest token, so
// repeated logins cannot grow the database without bound.
inline constexpr int kMaxTokensPerUser = 100;

// Thread-safe: one SQLite connection behind a mutex, never held while a password is hashed.
// At most two password hashes (64 MiB each) run at once in the process; more wait.
class UserStore {
 public:
  // Opens (creating if missing) the two tables in `options.path`, in WAL mode for a file.
  static Result<std::unique_ptr<UserStore>> Open(const UserStoreOptions& options);
  static Result<std::unique_ptr<UserStore>> Open(const std::string& path);
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  // The validation answers of the User model, also for callers that check before AddUser
  // (the CLI): OK, or kValidation naming the field (details: LoopBack's {context, codes,
  // messages}). Username: 1..128 bytes of valid UTF-8 without control characters; password:
  // 8..1024 bytes; email: at most 254 bytes, "local@domain" without spaces or controls.
  static Status CheckUsername(const std::string& username);
  static Status CheckPassword(const std::string& password);
  static Status CheckEmail(const std::string& email);

  // A new user: {id, username, email (when given), created (ISO)}. `email` "" = none.
  // kValidation as above; kConflict when the username (case-sensitive) or the email
  // (ASCII case-insensitive) is taken.
  Result<Json> AddUser(const std::string& username, const std::string& password,
                       const std::string& email = "");

  enum class By { kUsername, kEmail };
  // A new access token for the user named `name` (by username or by email) whose password
  // is `password`: {id: token, ttl, created (ISO), userId}. `ttl_seconds` in 1..kMaxTokenTtl.
  // An unknown user and a wrong password give the same kUnauthorized "login failed", after
  // the same work (the unknown user's path verifies against a dummy hash).
  Result<Json> Login(By by, const std::string& name, const std::string& password,
                     int64_t ttl_seconds);
  // Ends the token's life. kUnauthorized when it is unknown, expired or already ended.
  Status Logout(const std::string& token);
  // The id of the user holding `token`, or kUnauthorized (unknown, expired, logged out).
  // One SHA-256 and one indexed read: cheap enough for every request.
  Result<std::string> UserOfToken(const std::string& token);

  // {id, username, email?, created} of a user; kNotFound.
  Result<Json> GetUser(const std::string& id);
  // Every user, by username.
  Result<std::vector<Json>> ListUsers();

 private:
  struct Impl;
  explicit UserStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace replicore

#endif  // REPLICORE_USER_STORE_H_
