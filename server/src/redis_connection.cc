#include "redis_connection.h"

#include <poll.h>

#include <string>
#include <utility>
#include <vector>

#include "replicore/sha1.h"

namespace replicore {

RedisScript::RedisScript(std::string text) : body(std::move(text)), sha1(Sha1Hex(body)) {}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisStoreOptions& options) {
  timeval timeout{options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000};
  redisContext* ctx =
      options.unix_socket.empty()
          ? redisConnectWithTimeout(options.host.c_str(), options.port, timeout)
          : redisConnectUnixWithTimeout(options.unix_socket.c_str(), timeout);
  if (ctx == nullptr) return Status::Storage("redis: cannot allocate a connection");
  std::unique_ptr<RedisConnection> c(new RedisConnection(ctx));
  const std::string where = options.unix_socket.empty()
                                ? options.host + ":" + std::to_string(options.port)
                                : options.unix_socket;
  if (ctx->err != 0) return Status::Storage("redis: connect to " + where + ": " + ctx->errstr);
  if (redisSetTimeout(ctx, timeout) != REDIS_OK) return c->Broken("set the timeout");
  if (!options.password.empty()) {
    RC_RETURN_IF_ERROR(c->Command({"AUTH", options.password}, "AUTH").status());
  }
  if (!options.client_name.empty()) {
    RC_RETURN_IF_ERROR(
        c->Command({"CLIENT", "SETNAME", options.client_name}, "CLIENT SETNAME").status());
  }
  if (options.database != 0) {
    RC_RETURN_IF_ERROR(
        c->Command({"SELECT", std::to_string(options.database)}, "SELECT the database").status());
  }
  return c;
}

RedisConnection::~RedisConnection() { redisFree(ctx_); }

bool RedisConnection::Alive() const {
  if (ctx_->err != 0) return false;
  // Between calls nothing may be readable: data or EOF means the server closed its end.
  pollfd p{ctx_->fd, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

Status RedisConnection::Broken(const char* what) const {
  return Status::Storage(std::string("redis: ") + what + ": " +
                         (ctx_->err != 0 ? ctx_->errstr : "no reply"));
}

Status RedisConnection::Send(const std::vector<std::string>& args, const char* what) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lengths.data()) !=
      REDIS_OK) {
    return Broken(what);
  }
  return Status::Ok();
}

Result<RedisReply> RedisConnection::Receive(const char* what) {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return Broken(what);
  return RedisReply(static_cast<redisReply*>(raw));
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string>& args,
                                            const char* what) {
  RC_RETURN_IF_ERROR(Send(args, what));
  RC_ASSIGN_OR_RETURN(RedisReply reply, Receive(what));
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status::Storage(std::string("redis: ") + what + ": " + ReplyText(reply.get()));
  }
  return reply;
}

Result<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands, const char* what) {
  for (const std::vector<std::string>& args : commands) RC_RETURN_IF_ERROR(Send(args, what));
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    RC_ASSIGN_OR_RETURN(RedisReply reply, Receive(what));
    replies.push_back(std::move(reply));
  }
  return replies;
}

Result<RedisReply> RedisConnection::Run(const RedisScript& script,
                                        const std::vector<std::string>& args, const char* what) {
  std::vector<std::string> command;
  command.reserve(args.size() + 3);
  command.push_back("EVALSHA");
  command.push_back(script.sha1);
  command.push_back("0");  // the scripts name their keys from the prefix (one Redis, no cluster)
  command.insert(command.end(), args.begin(), args.end());
  RC_RETURN_IF_ERROR(Send(command, what));
  RC_ASSIGN_OR_RETURN(RedisReply reply, Receive(what));
  if (reply->type == REDIS_REPLY_ERROR && ReplyText(reply.get()).rfind("NOSCRIPT", 0) == 0) {
    // A Redis that never saw it (or was restarted, or SCRIPT FLUSHed): EVAL caches it.
    command[0] = "EVAL";
    command[1] = script.body;
    RC_RETURN_IF_ERROR(Send(command, what));
    RC_ASSIGN_OR_RETURN(reply, Receive(what));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status::Storage(std::string("redis: ") + what + ": " + ReplyText(reply.get()));
  }
  return reply;
}

Result<std::unique_ptr<RedisConnection>> RedisPool::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<RedisConnection> c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Alive()) return c;  // a dead one is closed here, and the next one tried
    }
  }
  return RedisConnection::Connect(options_);
}

void RedisPool::Return(std::unique_ptr<RedisConnection> c) {
  if (c->broken()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < options_.idle_connections) idle_.push_back(std::move(c));
}

}  // namespace replicore
