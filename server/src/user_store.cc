// UserStore: users and access tokens over their own SQLite connection (user_store.h).
//
// Login is three steps, so that the connection's mutex is never held while a password is
// hashed (tens of milliseconds, 64 MiB): read the user's hash under the mutex; verify
// outside it, holding one of the process's two hash slots; write the token under the mutex.
#include "replicore/user_store.h"

#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "replicore/iso_date.h"
#include "replicore/model.h"
#include "replicore/uuid.h"
#include "sqlite_statement.h"

namespace replicore {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS users("
    "  id TEXT NOT NULL PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  email TEXT UNIQUE COLLATE NOCASE,"
    "  password_hash TEXT NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS access_tokens("
    "  token_hash TEXT NOT NULL PRIMARY KEY,"  // hex SHA-256 of the token
    "  user_id TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"              // epoch ms
    "  ttl INTEGER NOT NULL) WITHOUT ROWID;"   // seconds
    "CREATE INDEX IF NOT EXISTS access_tokens_by_user ON access_tokens(user_id, created);";

// Expired tokens are refused when presented and deleted then; the rest are swept on a login
// at most this often.
constexpr int64_t kSweepEveryMs = 60 * 1000;
// Anything longer is no token of ours (64 hex characters): refused before hashing.
constexpr size_t kMaxTokenBytes = 512;

// ---------------------------------------------------------------- password hashing

// Argon2id at libsodium's "interactive" cost: 64 MiB and ~2 passes per hash.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
// Hashes running at once in the process: a burst of logins waits instead of taking
// 64 MiB each.
constexpr int kHashSlots = 2;

class HashSlots {
 public:
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_ = kHashSlots;
};

HashSlots& Slots() {
  static HashSlots* slots = new HashSlots();  // never destroyed: used until exit
  return *slots;
}

struct SlotHeld {
  SlotHeld() { Slots().Acquire(); }
  ~SlotHeld() { Slots().Release(); }
  SlotHeld(const SlotHeld&) = delete;
  SlotHeld& operator=(const SlotHeld&) = delete;
};

Result<std::string> HashPassword(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  SlotHeld slot;
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    return Status::Internal("crypto_pwhash_str failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  SlotHeld slot;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// The hash an unknown user's login is verified against, so that it costs what a known
// user's does. Made once, of a random password nobody knows.
const std::string& DummyHash() {
  static const std::string* hash = [] {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    std::string password(reinterpret_cast<const char*>(random), sizeof random);
    Result<std::string> made = HashPassword(password);
    sodium_memzero(password.data(), password.size());
    // Should hashing fail, verifying against "" fails in as little time: still a 401.
    return new std::string(made.ok() ? *made : std::string());
  }();
  return *hash;
}

// ---------------------------------------------------------------- tokens and ids

std::string Hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string NewToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  std::string token = Hex(bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  return token;
}

std::string TokenHash(const std::string& token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return Hex(digest, sizeof digest);
}

std::string NewUserId() {
  uint64_t half[2];
  randombytes_buf(half, sizeof half);
  return FormatUuidV4(half[0], half[1]);
}

// ---------------------------------------------------------------- validation

Status Invalid(const char* field, const char* code, const std::string& message) {
  Json codes = Json::object();
  Json messages = Json::object();
  codes[field].push_back(code);
  messages[field].push_back(message);
  return Status::Validation(
      "The `User` instance is not valid. Details: `" + std::string(field) + "` " + message + ".",
      Json{{"context", "User"}, {"codes", std::move(codes)}, {"messages", std::move(messages)}});
}

bool ValidUtf8(const std::string& text) { return ReplaceMalformedUtf8(text) == text; }

// C0 controls, DEL, and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F).
bool HasControl(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- SQLite

// A statement in use (reset when the call ends) with typed binds and reads.
struct Stmt {
  explicit Stmt(sqlite3_stmt* s) : stmt(s), use(s) {}
  sqlite3_stmt* const stmt;
  StmtUse use;
  void Text(int index, const std::string& value) {
    sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void Int(int index, int64_t value) { sqlite3_bind_int64(stmt, index, value); }
  std::string Column(int index) {
    const unsigned char* text = sqlite3_column_text(stmt, index);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt, index)))
                : std::string();
  }
  bool Null(int index) { return sqlite3_column_type(stmt, index) == SQLITE_NULL; }
};

}  // namespace

// ---------------------------------------------------------------- Impl

struct UserStore::Impl {
  UserStoreOptions options;
  std::mutex mu;  // guards db, statements and last_sweep_ms
  sqlite3* db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements;
  int64_t last_sweep_ms = 0;

  ~Impl() {
    for (auto& entry : statements) sqlite3_finalize(entry.second);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  int64_t Now() const {
    if (options.now_ms) return options.now_ms();
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  Status Error(const std::string& what) const {
    return Status::Storage("sqlite (users): " + what + ": " +
                           (db != nullptr ? sqlite3_errmsg(db) : "cannot allocate"));
  }

  Status Exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errmsg(db);
      sqlite3_free(message);
      return Status::Storage(std::string("sqlite (users): ") + text);
    }
    return Status::Ok();
  }

  // REQUIRES: mu held.
  Result<sqlite3_stmt*> Prepare(const std::string& sql) {
    auto it = statements.find(sql);
    if (it != statements.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    statements.emplace(sql, stmt);
    return stmt;
  }

  // One statement without result rows. REQUIRES: mu held.
  Status Run(const std::string& sql, const std::function<void(Stmt&)>& bind) {
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* prepared, Prepare(sql));
    Stmt s(prepared);
    bind(s);
    if (sqlite3_step(s.stmt) != SQLITE_DONE) return Error("step");
    return Status::Ok();
  }

  static Json UserJson(Stmt& s) {  // columns: id, username, email, created
    Json user{{"id", s.Column(0)}, {"username", s.Column(1)}};
    if (!s.Null(2)) user["email"] = s.Column(2);
    user["created"] = FormatIsoDate(static_cast<double>(sqlite3_column_int64(s.stmt, 3)));
    return user;
  }

  // The user of a token's hash, deleting the token if it has expired. REQUIRES: mu held.
  Result<std::string> UserOfHash(const std::string& hash) {
    RC_ASSIGN_OR_RETURN(
        sqlite3_stmt* prepared,
        Prepare("SELECT user_id, created, ttl FROM access_tokens WHERE token_hash = ?1"));
    std::string user_id;
    int64_t created = 0, ttl = 0;
    {
      Stmt s(prepared);
      s.Text(1, hash);
      int rc = sqlite3_step(s.stmt);
      if (rc == SQLITE_DONE) return Status::Unauthorized("invalid access token");
      if (rc != SQLITE_ROW) return Error("read token");
      user_id = s.Column(0);
      created = sqlite3_column_int64(s.stmt, 1);
      ttl = sqlite3_column_int64(s.stmt, 2);
    }
    if (Now() >= created + ttl * 1000) {
      RC_RETURN_IF_ERROR(Run("DELETE FROM access_tokens WHERE token_hash = ?1",
                             [&](Stmt& s) { s.Text(1, hash); }));
      return Status::Unauthorized("invalid access token");
    }
    return user_id;
  }
};

UserStore::UserStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserStore::~UserStore() = default;

Result<std::unique_ptr<UserStore>> UserStore::Open(const std::string& path) {
  UserStoreOptions options;
  options.path = path;
  return Open(options);
}

Result<std::unique_ptr<UserStore>> UserStore::Open(const UserStoreOptions& options) {
  if (sodium_init() < 0) return Status::Internal("libsodium cannot be initialised");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const bool memory = IsMemoryPath(options.path);
  const std::string path = memory ? std::string(":memory:") : options.path;
  if (sqlite3_open_v2(path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return impl->Error("open " + path);
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, options.busy_timeout_ms);
  if (!memory) {
    // As the records' store does (sqlite_store.cc): WAL, persistent in the file.
    RC_RETURN_IF_ERROR(impl->Exec("PRAGMA journal_mode=WAL"));
    RC_RETURN_IF_ERROR(impl->Exec("PRAGMA synchronous=NORMAL"));
  }
  RC_RETURN_IF_ERROR(impl->Exec("BEGIN IMMEDIATE"));
  Status schema = impl->Exec(kSchema);
  if (!schema.ok()) {
    (void)impl->Exec("ROLLBACK");
    return schema;
  }
  RC_RETURN_IF_ERROR(impl->Exec("COMMIT"));
  // Made now rather than on the first unknown user's login, whose answer would otherwise
  // take one hash longer than a wrong password's.
  (void)DummyHash();
  return std::unique_ptr<UserStore>(new UserStore(std::move(impl)));
}

// ---------------------------------------------------------------- validation

Status UserStore::CheckUsername(const std::string& username) {
  if (username.empty()) return Invalid("username", "presence", "can't be blank");
  if (username.size() > kMaxUsernameBytes) {
    return Invalid("username", "length",
                   "is too long (" + std::to_string(username.size()) + " bytes; at most " +
                       std::to_string(kMaxUsernameBytes) + ")");
  }
  if (!ValidUtf8(username) || HasControl(username)) {
    return Invalid("username", "format", "must be UTF-8 text without control characters");
  }
  return Status::Ok();
}

Status UserStore::CheckPassword(const std::string& password) {
  // Never echoes the password, only its length.
  if (password.size() < kMinPasswordBytes) {
    return Invalid("password", "length",
                   "is too short (at least " + std::to_string(kMinPasswordBytes) + " bytes)");
  }
  if (password.size() > kMaxPasswordBytes) {
    return Invalid("password", "length",
                   "is too long (" + std::to_string(password.size()) + " bytes; at most " +
                       std::to_string(kMaxPasswordBytes) + ")");
  }
  return Status::Ok();
}

Status UserStore::CheckEmail(const std::string& email) {
  if (email.size() > kMaxEmailBytes) {
    return Invalid("email", "length",
                   "is too long (" + std::to_string(email.size()) + " bytes; at most " +
                       std::to_string(kMaxEmailBytes) + ")");
  }
  size_t at = email.rfind('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < email.size() && ValidUtf8(email) &&
            !HasControl(email) && email.find(' ') == std::string::npos;
  if (!ok) return Invalid("email", "format", "is invalid");
  return Status::Ok();
}

// ---------------------------------------------------------------- users

Result<Json> UserStore::AddUser(const std::string& username, const std::string& password,
                                const std::string& email) {
  RC_RETURN_IF_ERROR(CheckUsername(username));
  RC_RETURN_IF_ERROR(CheckPassword(password));
  if (!email.empty()) RC_RETURN_IF_ERROR(CheckEmail(email));
  Impl& im = *impl_;
  auto taken = [&]() -> Status {
    std::lock_guard<std::mutex> lock(im.mu);
    RC_ASSIGN_OR_RETURN(
        sqlite3_stmt* prepared,
        im.Prepare("SELECT username = ?1 FROM users WHERE username = ?1 OR email = ?2 LIMIT 1"));
    Stmt s(prepared);
    s.Text(1, username);
    if (email.empty()) {
      sqlite3_bind_null(s.stmt, 2);
    } else {
      s.Text(2, email);
    }
    int rc = sqlite3_step(s.stmt);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return im.Error("read user");
    return sqlite3_column_int(s.stmt, 0) != 0
               ? Status::Conflict("username \"" + username + "\" is taken",
                                  Json{{"field", "username"}})
               : Status::Conflict("email \"" + email + "\" is taken", Json{{"field", "email"}});
  };
  // Checked before the hash is spent, and again by the UNIQUE constraints when inserting
  // (another process, `replicore-server user add`, may insert meanwhile).
  RC_RETURN_IF_ERROR(taken());
  RC_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  const std::string id = NewUserId();
  const int64_t created = im.Now();
  {
    std::lock_guard<std::mutex> lock(im.mu);
    RC_ASSIGN_OR_RETURN(
        sqlite3_stmt* prepared,
        im.Prepare("INSERT INTO users(id, username, email, password_hash, created) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
    Stmt s(prepared);
    s.Text(1, id);
    s.Text(2, username);
    if (email.empty()) {
      sqlite3_bind_null(s.stmt, 3);
    } else {
      s.Text(3, email);
    }
    s.Text(4, hash);
    s.Int(5, created);
    int rc = sqlite3_step(s.stmt);
    if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
      // Lost a race with another writer: say which field, as the check above does.
      sqlite3_reset(s.stmt);
    } else if (rc != SQLITE_DONE) {
      return im.Error("insert user");
    } else {
      Json user{{"id", id}, {"username", username}};
      if (!email.empty()) user["email"] = email;
      user["created"] = FormatIsoDate(static_cast<double>(created));
      return user;
    }
  }
  Status again = taken();
  return again.ok() ? Status::Conflict("the user cannot be added: taken") : again;
}

Result<Json> UserStore::GetUser(const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  RC_ASSIGN_OR_RETURN(
      sqlite3_stmt* prepared,
      impl_->Prepare("SELECT id, username, email, created FROM users WHERE id = ?1"));
  Stmt s(prepared);
  s.Text(1, id);
  int rc = sqlite3_step(s.stmt);
  if (rc == SQLITE_DONE) return Status::NotFound("no user with id \"" + id + "\"");
  if (rc != SQLITE_ROW) return impl_->Error("read user");
  return Impl::UserJson(s);
}

Result<std::vector<Json>> UserStore::ListUsers() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  RC_ASSIGN_OR_RETURN(
      sqlite3_stmt* prepared,
      impl_->Prepare("SELECT id, username, email, created FROM users ORDER BY username"));
  Stmt s(prepared);
  std::vector<Json> users;
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) users.push_back(Impl::UserJson(s));
  if (rc != SQLITE_DONE) return impl_->Error("list users");
  return users;
}

// ---------------------------------------------------------------- tokens

Result<Json> UserStore::Login(By by, const std::string& name, const std::string& password,
                              int64_t ttl_seconds) {
  if (ttl_seconds < 1 || ttl_seconds > kMaxTokenTtl) {
    return Status::BadRequest("ttl must be 1.." + std::to_string(kMaxTokenTtl) + " seconds");
  }
  Impl& im = *impl_;
  // 1. The stored hash (none for an unknown user).
  std::optional<std::pair<std::string, std::string>> found;  // {id, password_hash}
  {
    std::lock_guard<std::mutex> lock(im.mu);
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* prepared,
                        im.Prepare(by == By::kEmail
                                       ? "SELECT id, password_hash FROM users WHERE email = ?1"
                                       : "SELECT id, password_hash FROM users WHERE username = ?1"));
    Stmt s(prepared);
    s.Text(1, name);
    int rc = sqlite3_step(s.stmt);
    if (rc == SQLITE_ROW) {
      found.emplace(s.Column(0), s.Column(1));
    } else if (rc != SQLITE_DONE) {
      return im.Error("read user");
    }
  }
  // 2. One verification either way, outside the mutex: the answer and its time are the
  // same for an unknown user and a wrong password.
  const bool verified = VerifyPassword(found ? found->second : DummyHash(), password);
  if (!found || !verified) return Status::Unauthorized("login failed");
  const std::string& user_id = found->first;
  // A hash made with weaker parameters than today's is replaced while the password is at hand.
  std::optional<std::string> rehashed;
  if (crypto_pwhash_str_needs_rehash(found->second.c_str(), kOpsLimit, kMemLimit) != 0) {
    Result<std::string> hash = HashPassword(password);
    if (hash.ok()) rehashed = *hash;
  }
  // 3. The token: only its hash is written.
  const std::string token = NewToken();
  const std::string token_hash = TokenHash(token);
  const int64_t now = im.Now();
  {
    std::lock_guard<std::mutex> lock(im.mu);
    RC_RETURN_IF_ERROR(im.Exec("BEGIN IMMEDIATE"));
    Status written = im.Run(
        "INSERT INTO access_tokens(token_hash, user_id, created, ttl) VALUES (?1, ?2, ?3, ?4)",
        [&](Stmt& s) {
          s.Text(1, token_hash);
          s.Text(2, user_id);
          s.Int(3, now);
          s.Int(4, ttl_seconds);
        });
    if (written.ok()) {
      written = im.Run(
          "DELETE FROM access_tokens WHERE user_id = ?1 AND token_hash NOT IN (SELECT token_hash "
          "FROM access_tokens WHERE user_id = ?1 ORDER BY created DESC LIMIT ?2)",
          [&](Stmt& s) {
            s.Text(1, user_id);
            s.Int(2, kMaxTokensPerUser);
          });
    }
    if (written.ok() && rehashed) {
      written = im.Run("UPDATE users SET password_hash = ?2 WHERE id = ?1", [&](Stmt& s) {
        s.Text(1, user_id);
        s.Text(2, *rehashed);
      });
    }
    if (written.ok() && now - im.last_sweep_ms >= kSweepEveryMs) {
      im.last_sweep_ms = now;
      written = im.Run("DELETE FROM access_tokens WHERE created + ttl * 1000 <= ?1",
                       [&](Stmt& s) { s.Int(1, now); });
    }
    if (!written.ok()) {
      (void)im.Exec("ROLLBACK");
      return written;
    }
    RC_RETURN_IF_ERROR(im.Exec("COMMIT"));
  }
  // LoopBack's AccessToken: {id, ttl, created, userId}.
  return Json{{"id", token},
              {"ttl", ttl_seconds},
              {"created", FormatIsoDate(static_cast<double>(now))},
              {"userId", user_id}};
}

Status UserStore::Logout(const std::string& token) {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return Status::Unauthorized("invalid access token");
  }
  const std::string hash = TokenHash(token);
  std::lock_guard<std::mutex> lock(impl_->mu);
  RC_RETURN_IF_ERROR(impl_->UserOfHash(hash).status());  // an unknown token is an error
  return impl_->Run("DELETE FROM access_tokens WHERE token_hash = ?1",
                    [&](Stmt& s) { s.Text(1, hash); });
}

Result<std::string> UserStore::UserOfToken(const std::string& token) {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return Status::Unauthorized("invalid access token");
  }
  const std::string hash = TokenHash(token);
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->UserOfHash(hash);
}

}  // namespace replicore
