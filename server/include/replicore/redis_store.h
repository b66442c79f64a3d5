// A Store over Redis (hiredis): a read replica that live replication keeps current and
// that serves reads by id with low latency. It is a full replication target (records,
// change log, checkpoint, meta, atomic batches with preconditions), but Find and Count
// serve only what a key lookup answers (server/src/redis_filter.h): anything else is
// kBadFilter, never a scan.
#ifndef REPLICORE_REDIS_STORE_H_
#define REPLICORE_REDIS_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "replicore/store.h"

namespace replicore {

struct RedisStoreOptions {
  // Where Redis listens: a TCP host and port, or a Unix socket path (then host is unused).
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;
  int database = 0;      // SELECTed on every connection
  std::string password;  // AUTH when not empty
  // Every key of this store starts with it, so several stores share one Redis (tests, or
  // two replicas of different primaries). REQUIRES: not a prefix of another store's.
  std::string prefix = "replicore:";
  // Idle connections kept open for reads; a burst opens more and closes them after.
  size_t idle_connections = 8;
  int timeout_ms = 5000;  // connect and per-command timeout
  // CLIENT SETNAME of every connection when not empty (CLIENT LIST shows whose it is).
  std::string client_name;
};

// True for a --db value naming Redis: redis://... or redis+unix:///path/to/socket (TLS,
// rediss://, is not supported).
bool IsRedisUrl(const std::string& db);

// The options a --db URL names:
//   redis://[:password@]host[:port][/database][?prefix=P]
//   redis+unix://[:password@]/path/to/socket[?db=N&prefix=P]
// Percent-escapes in the password and prefix are decoded. Malformed: kBadRequest.
Result<RedisStoreOptions> ParseRedisUrl(const std::string& url);

// Thread-safe: every call borrows a connection of a small pool (one thread uses a
// connection at a time), so reads run concurrently. Each read is one Redis command, one
// MULTI/EXEC or one script: it sees a committed state (SnapshotReads). Apply is one Lua
// script, which Redis runs atomically: the preconditions and the expected checkpoint are
// checked in it before anything is written, so writers in several processes never lose an
// update. A connection found closed (a restarted Redis, CLIENT KILL) is replaced; a read
// that failed on a broken connection is repeated once on a new one.
//
// Keys, under the prefix: rec:<model> (hash id -> canonical text), ids:<model> (sorted
// set of ids, for id order), chg:<model> (hash model id -> change row), log:<model>
// (sorted set (checkpoint, model id): the change log), checkpoint, meta (hash).
class RedisStore : public Store {
 public:
  static Result<std::unique_ptr<RedisStore>> Open(const RedisStoreOptions& options);
  ~RedisStore() override;

  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override;
  // Served: no where (id order, paged in Redis), where {id: X} and {id: {inq: [...]}};
  // order by id only; limit, skip and fields as the core applies them. Else kBadFilter.
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override;
  // Served: no where (the number of records), {id: X} and {id: {inq: [...]}}.
  Result<size_t> Count(const std::string& model, const Where& where) override;
  Result<std::optional<Change>> GetChange(const std::string& model,
                                          const std::string& model_id) override;
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override;
  // One round trip: MULTI, HMGET of the records, HMGET of the change rows, EXEC.
  Result<std::vector<StoredEntry>> GetMany(const std::string& model,
                                           const std::vector<std::string>& ids) override;
  Result<int64_t> CurrentCheckpoint() override;
  Result<std::optional<Json>> GetMeta(const std::string& key) override;
  Result<CommittedBatch> Apply(Batch batch) override;
  bool SnapshotReads() const override { return true; }

 private:
  struct Impl;
  explicit RedisStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace replicore

#endif  // REPLICORE_REDIS_STORE_H_
