// A Store over a PostgreSQL database (libpq): the storage of several replicore-server
// processes sharing one database.
#ifndef REPLICORE_POSTGRES_STORE_H_
#define REPLICORE_POSTGRES_STORE_H_

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "replicore/store.h"

namespace replicore {

struct PostgresStoreOptions {
  // A libpq connection URI: postgresql://user@host:port/dbname?... (postgres:// too).
  std::string url;
  // The PostgreSQL schema holding replicore's tables, created when missing; empty: the
  // connection's search_path decides (normally "public").
  std::string schema;
  // Idle connections kept open for reads; a burst opens more and closes them after.
  size_t idle_connections = 8;
};

// True for a --db value naming a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(const std::string& db);

// Thread-safe: every call borrows a connection from a small pool, so reads run
// concurrently (each statement sees a committed snapshot). Every batch is one transaction
// (records, changes, checkpoint, meta) that first locks the checkpoint row (SELECT ... FOR
// UPDATE): batches of every process on the database commit one at a time, and the
// preconditions are checked in that transaction, so a concurrent writer in another process
// makes Apply answer kPreconditionFailed, never a lost write.
//
// Tables (replicore_records, replicore_changes, replicore_meta, replicore_checkpoint) are
// created on first open under replicore_schema's version; a database of a newer version is
// refused. Records are kept as their canonical text in a `text` column (jsonb would reorder
// keys, rewrite numbers and refuse \u0000); the properties of declared indexes are also
// kept in generated columns that filters read (postgres_dialect.h).
class PostgresStore : public Store {
 public:
  static constexpr int kSchemaVersion = 2;

  static Result<std::unique_ptr<PostgresStore>> Open(const PostgresStoreOptions& options);
  ~PostgresStore() override;

  // Each indexed property gets generated columns and an index on them, each declared
  // index one in its keys' order (shared by every model: the records table holds them all).
  Status DeclareIndexes(const std::string& model,
                        const std::vector<IndexDefinition>& indexes) override;
  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override;
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override;
  Result<size_t> Count(const std::string& model, const Where& where) override;
  Result<std::optional<Change>> GetChange(const std::string& model,
                                          const std::string& model_id) override;
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override;
  Result<std::vector<std::optional<Change>>> GetChanges(
      const std::string& model, const std::vector<std::string>& ids) override;
  Result<std::vector<StoredEntry>> GetMany(const std::string& model,
                                           const std::vector<std::string>& ids) override;
  Result<int64_t> CurrentCheckpoint() override;
  Result<std::optional<Json>> GetMeta(const std::string& key) override;
  Result<CommittedBatch> Apply(Batch batch) override;
  // Each statement reads a committed snapshot of its own: readers need no lock.
  bool SnapshotReads() const override { return true; }

  // PostgreSQL's EXPLAIN of what Find would run (tests: which index serves a filter).
  Result<std::string> ExplainFind(const std::string& model, const Filter& filter);

 private:
  Result<std::optional<std::vector<Record>>> FindTranslated(const std::string& model,
                                                            const Filter& filter,
                                                            const std::set<std::string>& indexed);
  struct Impl;
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace replicore

#endif  // REPLICORE_POSTGRES_STORE_H_
