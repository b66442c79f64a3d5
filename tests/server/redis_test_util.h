// Test-only: the Redis of a test run ($REPLICORE_REDIS_URL, set by tests/redis/with-redis.sh)
// and a key prefix of its own per store, whose keys are deleted with it.
#ifndef REPLICORE_TESTS_SERVER_REDIS_TEST_UTIL_H_
#define REPLICORE_TESTS_SERVER_REDIS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "replicore/redis_store.h"
#include "server/external_server.h"

namespace replicore {
namespace testing {

// $REPLICORE_REDIS_URL, or "" when unset.
inline std::string RedisUrl() { return EnvOrEmpty("REPLICORE_REDIS_URL"); }

#define RC_REQUIRE_REDIS() \
  RC_REQUIRE_EXTERNAL_SERVER("REPLICORE_REDIS_URL", "Redis", "tests/redis/with-redis.sh")

// The options of $REPLICORE_REDIS_URL with `prefix`.
inline RedisStoreOptions RedisOptions(const std::string& prefix) {
  Result<RedisStoreOptions> options = ParseRedisUrl(RedisUrl());
  EXPECT_TRUE(options.ok()) << options.status().ToString();
  RedisStoreOptions out = options.ok() ? *options : RedisStoreOptions();
  out.prefix = prefix;
  return out;
}

// A raw connection to the test Redis, for what a test does behind a store's back.
struct RawRedis {
  RawRedis() {
    RedisStoreOptions o = RedisOptions("");
    ctx = o.unix_socket.empty() ? redisConnect(o.host.c_str(), o.port)
                                : redisConnectUnix(o.unix_socket.c_str());
    EXPECT_TRUE(ctx != nullptr && ctx->err == 0) << (ctx ? ctx->errstr : "no context");
    if (o.database != 0) Run({"SELECT", std::to_string(o.database)});
  }
  ~RawRedis() {
    if (ctx != nullptr) redisFree(ctx);
  }
  // The reply's text (a string, status or error), its integer, or its elements' texts.
  struct Reply {
    std::string text;
    long long integer = 0;
    std::vector<std::string> elements;
  };
  Reply Run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    Reply out;
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (r == nullptr) {
      ADD_FAILURE() << args[0] << ": " << ctx->errstr;
      return out;
    }
    if (r->str != nullptr) out.text.assign(r->str, r->len);
    out.integer = r->integer;
    for (size_t i = 0; i < r->elements; ++i) {
      if (r->element[i]->str != nullptr) out.elements.emplace_back(r->element[i]->str, r->element[i]->len);
    }
    freeReplyObject(r);
    return out;
  }
  // The keys starting with `prefix` (a test prefix holds no glob characters).
  std::vector<std::string> Keys(const std::string& prefix) { return Run({"KEYS", prefix + "*"}).elements; }
  void DeleteKeys(const std::string& prefix) {
    for (const std::string& key : Keys(prefix)) Run({"DEL", key});
  }
  redisContext* ctx = nullptr;
};

// A prefix no other store of this run (or of a run in parallel) uses.
inline std::string UniquePrefix(const std::string& stem) {
  static std::atomic<int> counter{0};
  return "rctest:" + stem + ":" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":";
}

// A RedisStore on a prefix of its own, whose keys are deleted when this is destroyed.
struct OwnedRedis {
  explicit OwnedRedis(const std::string& stem = "t") : prefix(UniquePrefix(stem)) {
    Result<std::unique_ptr<RedisStore>> opened = RedisStore::Open(RedisOptions(prefix));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store = std::move(opened).value();
  }
  ~OwnedRedis() {
    store.reset();
    RawRedis().DeleteKeys(prefix);
  }
  std::string prefix;
  std::unique_ptr<RedisStore> store;
};

}  // namespace testing
}  // namespace replicore

#endif  // REPLICORE_TESTS_SERVER_REDIS_TEST_UTIL_H_
