// A database that lives in memory and hands its committed batches to whoever persists
// them: the browser's database behind the JS API. Every call takes and returns JSON text,
// so a JS caller crosses into wasm once per operation (and once per batch of records),
// and errors come back as values {"error": {"code", "message", "details"}}, never as
// exceptions. Not thread-safe.
#ifndef REPLICORE_LOCAL_DATABASE_H_
#define REPLICORE_LOCAL_DATABASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/stepped.h"

namespace replicore {

class LocalDatabase {
 public:
  explicit LocalDatabase(Environment env);
  LocalDatabase(const LocalDatabase&) = delete;
  LocalDatabase& operator=(const LocalDatabase&) = delete;

  // Adds a model from its JSON definition: {"ok": name} or an error.
  std::string AddModel(const std::string& definition);
  // Runs one operation on `model` (see local_database.cc for the names and their args),
  // or "revision" of args.value (any model): {"ok": result} or {"error": ...}.
  std::string Call(const std::string& op, const std::string& model, const std::string& args);

  // ---- persistence (ARCHITECTURE.md §3): batches committed in memory, not yet on disk
  // The batches committed since the last take, as one JSON array text ("" when none).
  std::string TakeBatches();
  // Forgets them untaken (the caller persists the whole state instead).
  void DropBatches() { pending_.clear(); }
  size_t pending_records() const;
  // The store's seq of the newest committed batch.
  double last_seq() const { return static_cast<double>(last_seq_); }
  // Batches up to `seq` reached disk: their undo information is dropped.
  void Confirm(double seq);
  // Undoes every unconfirmed batch, newest first (a persist failed); returns how many.
  int Rollback();
  // Applies a persisted page (one batch) or journal entry (an array of batches) while
  // opening: "" or an error.
  std::string Load(const std::string& batch);
  // The whole state as batch texts of at most `page_records` records, one per line.
  std::string ExportPages(int page_records) const;
  double record_count() const { return static_cast<double>(store_.record_count()); }

  // ---- local <-> local replication; this database is the source
  // options {"model", "peer", "since"?}: {"ok": {"checkpoints", "conflicts", "applied"}}.
  std::string Replicate(LocalDatabase& target, const std::string& options);
  // args {"model", "conflict", "how": "source" | "target" | "manual", "data"?}, with this
  // database the source of the replicate that reported the conflict.
  std::string Resolve(LocalDatabase& target, const std::string& args);

  // ---- replication with a party the caller carries requests to (stepped.h); options and
  // args as Replicate's and Resolve's, plus "push" and "cursor". The caller owns the
  // result and must delete it before this database.
  Stepped* StartReplicate(const std::string& options);
  Stepped* StartResolve(const std::string& args);

 private:
  MemoryStore store_;
  Database db_;
  std::vector<CommittedBatch> pending_;
  uint64_t last_seq_ = 0;
};

}  // namespace replicore

#endif  // REPLICORE_LOCAL_DATABASE_H_
