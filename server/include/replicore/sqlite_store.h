// A Store over one SQLite file (WAL): the server's default storage.
#ifndef REPLICORE_SQLITE_STORE_H_
#define REPLICORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "replicore/store.h"

namespace replicore {

struct SqliteStoreOptions {
  std::string path;             // a file, or ":memory:"
  bool synchronous_full = false;  // --sync full: power-loss durability (NORMAL survives kill -9)
  int busy_timeout_ms = 5000;
};

// Thread-safe: Apply() runs on one writer connection behind a mutex; reads borrow a reader
// connection from a small pool. Every batch is one transaction (records, Changes, checkpoint,
// meta). Filters become SQL with bound parameters only; JSON1 reaches nested properties.
class SqliteStore : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;

  // Each indexed property gets two columns of the records table (its JSON type and value,
  // written with every record) and an index; each declared index one more, on the sort
  // keys of its properties, so that a where, an order + limit and a count on them are
  // index lookups. They are named from the properties: declaring again finds them.
  Status DeclareIndexes(const std::string& model,
                        const std::vector<IndexDefinition>& indexes) override;
  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override;
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override;
  Result<size_t> Count(const std::string& model, const Where& where) override;
  Result<std::optional<Change>> GetChange(const std::string& model,
                                          const std::string& model_id) override;
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override;
  Result<std::vector<StoredEntry>> GetMany(const std::string& model,
                                           const std::vector<std::string>& ids) override;
  Result<int64_t> CurrentCheckpoint() override;
  Result<std::optional<Json>> GetMeta(const std::string& key) override;
  Result<CommittedBatch> Apply(Batch batch) override;

  // SQLite's EXPLAIN QUERY PLAN of what Find / Count would run, one line per step: shows
  // which index answers a filter.
  Result<std::string> ExplainFind(const std::string& model, const Filter& filter);
  Result<std::string> ExplainCount(const std::string& model, const Where& where);

  // The reads of a scope share one read transaction (one snapshot, one lock and unlock).
  // `exclusive` (the server's exclusive lock): they go through the writer connection, whose
  // page cache stays valid across its own commits, and this thread's Apply calls commit as
  // usual. A nested scope for the same store is nullptr; so is every one of a ":memory:"
  // store.
  std::unique_ptr<ReadScope> BatchReads(bool exclusive) override;
  // True for a file database: each reader sees a committed snapshot on its own connection
  // (a ":memory:" one shares the writer's).
  bool SnapshotReads() const override;

  struct Scope;  // what BatchReads returns (sqlite_store.cc)

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace replicore

#endif  // REPLICORE_SQLITE_STORE_H_
