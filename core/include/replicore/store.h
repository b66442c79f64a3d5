// The synchronous storage interface of the core: records, their change log, the
// checkpoint sequence and small metadata, written only through atomic batches.
// Every Store passes tests/core/store_conformance.h.
#ifndef REPLICORE_STORE_H_
#define REPLICORE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "replicore/change.h"
#include "replicore/filter.h"
#include "replicore/model_indexes.h"
#include "replicore/record.h"
#include "replicore/status.h"

namespace replicore {

// One record write: `data` is the whole stored object, or nullopt to delete the record.
struct RecordWrite {
  std::string model;
  std::string id;
  std::optional<Record> data;
};

// A change-log write: `change` is the new row, or nullopt to remove the row of
// (model, model_id) (LoopBack removes rows whose prev became "unknown").
struct ChangeWrite {
  std::string model;
  std::string model_id;
  std::optional<Change> change;
};

// A record and its change row, as Store::GetMany reads them together.
struct StoredEntry {
  std::optional<Record> record;
  std::optional<Change> change;
};

// What a read-then-write read of one record, which Store::Apply checks in the same atomic
// step as the writes: the record `id` of `model` and its change row are still `expected`
// (nullopt record: none may be stored, "must be absent"; nullopt change: no row). The
// whole entry and not the change row's rev alone: RevisionOf leaves hidden properties out
// (two records, one rev), a model without trackChanges has no row, and a conflict
// resolution moves a row's prev and checkpoint without touching the record. It stays
// cheap: canonical text is unique per value, and both rows are read by primary key.
struct Precondition {
  std::string model;
  std::string id;
  StoredEntry expected;
};

// Everything one write operation commits: all of it or none of it.
struct Batch {
  std::vector<RecordWrite> records;
  std::vector<ChangeWrite> changes;
  std::optional<int64_t> checkpoint;  // the new checkpoint seq, when bumped
  std::vector<std::pair<std::string, Json>> meta;  // key -> value (null erases)
  // Checked by Apply before anything is written; when one fails, nothing is.
  std::vector<Precondition> preconditions;
  // The checkpoint seq the writer read, and stamped its change rows with: a bump since
  // would leave them behind a `since` a replicator already took.
  std::optional<int64_t> expected_checkpoint;

  // Writes nothing (preconditions are no writes).
  bool empty() const {
    return records.empty() && changes.empty() && !checkpoint && meta.empty();
  }
};

// A batch as committed, handed out for whoever persists or broadcasts it.
struct CommittedBatch {
  uint64_t seq = 0;  // per-store commit counter, 1, 2, ...
  Batch batch;       // its writes; the preconditions are dropped once they held
  int64_t checkpoint = 0;  // the checkpoint seq after the commit
};

// A page of the change log ordered by (checkpoint, model_id).
struct ChangeQuery {
  std::string model;
  int64_t since = 0;  // checkpoint >= since (LoopBack is inclusive)
  // Resume strictly after this (checkpoint, model_id); unset: from the start.
  std::optional<std::pair<int64_t, std::string>> after;
  std::optional<size_t> limit;  // unset: all
};

// For Store implementations, which check each precondition of a batch against what their
// atomic step reads: whether the stored record and change row (nullptr: none) are the
// expected ones, and the kPreconditionFailed answers when not.
bool Holds(const Precondition& precondition, const Record* record, const Change* change);
Status RecordChanged(const std::string& model, const std::string& id);
Status CheckpointMoved(int64_t current);
// For Store implementations: `batch` as committed with `seq` and `checkpoint` (its
// preconditions and expected checkpoint dropped, once they held). Inline: the wasm core,
// whose stores build their own, carries none of it.
inline CommittedBatch CommittedAs(Batch batch, uint64_t seq, int64_t checkpoint) {
  CommittedBatch committed;
  committed.seq = seq;
  committed.checkpoint = checkpoint;
  batch.preconditions.clear();
  batch.expected_checkpoint.reset();
  committed.batch = std::move(batch);
  return committed;
}

// A batch of reads that Store::BatchReads opened; destroying it ends the batch.
class ReadScope {
 public:
  virtual ~ReadScope() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // Batches this thread's reads of the store until the returned scope is destroyed (on this
  // thread): they may share one snapshot (one read transaction) instead of one each.
  // `exclusive`: the caller guarantees that no other thread writes meanwhile (it holds its
  // own exclusive lock), and this thread may Apply inside the scope. nullptr, the default:
  // the store batches nothing and each read stands alone.
  virtual std::unique_ptr<ReadScope> BatchReads(bool exclusive) {
    (void)exclusive;
    return nullptr;
  }
  // True when every read sees a committed snapshot of its own, so readers need no lock
  // against writers. The default, false: callers serialise reads with writes.
  virtual bool SnapshotReads() const { return false; }

  // The indexes a model declares, told once when the model is added (Database::AddModel),
  // before it is read or written. A store may build them to answer Find and Count faster;
  // what they answer never depends on it. The default builds none.
  virtual Status DeclareIndexes(const std::string& model,
                                const std::vector<IndexDefinition>& indexes) {
    (void)model;
    (void)indexes;
    return Status::Ok();
  }

  // The stored record, or nullopt when there is none.
  virtual Result<std::optional<Record>> Get(const std::string& model, const std::string& id) = 0;
  // Records matching filter.where, ordered, paged and projected per the filter. Without an
  // order, records come in id order. A filter the store cannot evaluate is kBadFilter.
  virtual Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) = 0;
  virtual Result<size_t> Count(const std::string& model, const Where& where) = 0;

  // The change row of a record, or nullopt.
  virtual Result<std::optional<Change>> GetChange(const std::string& model,
                                                  const std::string& model_id) = 0;
  virtual Result<std::vector<Change>> Changes(const ChangeQuery& query) = 0;

  // The record and change row of each id, in the order of `ids` (a repeated id repeats),
  // as Get and GetChange would give them. A bulk path reads through it so that a store can
  // answer 1,000 ids in one statement; the default asks Get and GetChange for each.
  virtual Result<std::vector<StoredEntry>> GetMany(const std::string& model,
                                                   const std::vector<std::string>& ids) {
    std::vector<StoredEntry> entries;
    entries.reserve(ids.size());
    for (const std::string& id : ids) {
      RC_ASSIGN_OR_RETURN(std::optional<Record> record, Get(model, id));
      RC_ASSIGN_OR_RETURN(std::optional<Change> change, GetChange(model, id));
      entries.push_back({std::move(record), std::move(change)});
    }
    return entries;
  }

  // The change row of each id, in the order of `ids`, as GetChange gives it: diff's read,
  // which a store with round trips answers in one statement; the default asks GetChange.
  virtual Result<std::vector<std::optional<Change>>> GetChanges(
      const std::string& model, const std::vector<std::string>& ids) {
    std::vector<std::optional<Change>> changes;
    changes.reserve(ids.size());
    for (const std::string& id : ids) {
      RC_ASSIGN_OR_RETURN(std::optional<Change> change, GetChange(model, id));
      changes.push_back(std::move(change));
    }
    return changes;
  }
  // The current checkpoint seq; 1 before any bump (LoopBack's singleton starts at 1).
  virtual Result<int64_t> CurrentCheckpoint() = 0;
  // Metadata (checkpoint time, per-peer since, unresolved sets); nullopt when unset.
  virtual Result<std::optional<Json>> GetMeta(const std::string& key) = 0;

  // Commits all of `batch` or nothing. On success returns the committed batch as a value.
  // Its preconditions and expected checkpoint are checked atomically with the writes (no
  // other write may come between); when one does not hold, nothing is written and the
  // answer is kPreconditionFailed, naming the model and id (details {"model", "id"}).
  virtual Result<CommittedBatch> Apply(Batch batch) = 0;
};

}  // namespace replicore

#endif  // REPLICORE_STORE_H_
