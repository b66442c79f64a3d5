// hiredis behind Results: one connection (commands, pipelines, scripts by SHA1) and the
// small pool RedisStore borrows them from. Internal to the server library.
#ifndef REPLICORE_SERVER_REDIS_CONNECTION_H_
#define REPLICORE_SERVER_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "replicore/redis_store.h"

namespace replicore {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// A Lua script, sent by its SHA1 (EVALSHA) and by its body only when Redis lacks it.
struct RedisScript {
  explicit RedisScript(std::string body);
  std::string body;
  std::string sha1;
};

class RedisConnection {
 public:
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisStoreOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // False once an I/O error happened, or when the server has closed its end (a restarted
  // Redis, CLIENT KILL) or sent what nobody asked for: checked without a round trip.
  bool Alive() const;
  bool broken() const { return ctx_->err != 0; }

  // One command. An error reply is kStorage naming `what`, as is a broken connection.
  Result<RedisReply> Command(const std::vector<std::string>& args, const char* what);
  // Several commands in one round trip; their replies in order. An error reply of one
  // command is returned as that command's reply, not as an error.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands,
                                           const char* what);
  // EVALSHA script 0 args...; EVAL with the body when Redis answers NOSCRIPT.
  Result<RedisReply> Run(const RedisScript& script, const std::vector<std::string>& args,
                         const char* what);

 private:
  explicit RedisConnection(redisContext* ctx) : ctx_(ctx) {}
  Status Broken(const char* what) const;
  Status Send(const std::vector<std::string>& args, const char* what);
  Result<RedisReply> Receive(const char* what);
  redisContext* ctx_;
};

// The text of a string, status or error reply.
inline std::string ReplyText(const redisReply* r) { return std::string(r->str, r->len); }

// Connections for any number of threads: each call borrows one, so calls run concurrently.
class RedisPool {
 public:
  explicit RedisPool(RedisStoreOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<RedisConnection>> Borrow();
  // Kept for the next call when it is healthy and fewer than idle_connections are idle.
  void Return(std::unique_ptr<RedisConnection> c);

  // Runs `fn(RedisConnection&)`, once more on a new connection when the one it had broke
  // meanwhile: a read may be repeated safely (never use this for a write).
  template <typename Fn>
  auto Read(Fn fn) -> decltype(fn(std::declval<RedisConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      RC_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> c, Borrow());
      auto result = fn(*c);
      const bool broken = c->broken();
      Return(std::move(c));
      if (result.ok() || !broken || attempt == 1) return result;
    }
  }

 private:
  RedisStoreOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_
};

}  // namespace replicore

#endif  // REPLICORE_SERVER_REDIS_CONNECTION_H_
