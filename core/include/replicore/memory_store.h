// All data in memory: the browser's store (persisted by the JS connectors from the
// committed batches) and the server's --db :memory:.
#ifndef REPLICORE_MEMORY_STORE_H_
#define REPLICORE_MEMORY_STORE_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include "replicore/index_query.h"
#include "replicore/ordered_index.h"
#include "replicore/store.h"

namespace replicore {

class MemoryStore : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;

  // Builds an OrderedIndex per declaration over the model's records (replacing earlier
  // ones), kept up to date by Apply and UndoLast, through which Find and Count may read.
  Status DeclareIndexes(const std::string& model,
                        const std::vector<IndexDefinition>& indexes) override;
  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override;
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override;
  Result<size_t> Count(const std::string& model, const Where& where) override;
  Result<std::optional<Change>> GetChange(const std::string& model,
                                          const std::string& model_id) override;
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override;
  Result<int64_t> CurrentCheckpoint() override;
  Result<std::optional<Json>> GetMeta(const std::string& key) override;
  Result<CommittedBatch> Apply(Batch batch) override;

  // Durability (ARCHITECTURE.md §3.4). With undo kept, every applied batch stays undoable
  // until confirmed: a connector confirms what reached disk and undoes the rest, newest
  // first, so memory equals disk after a failed persist.
  void set_keep_undo(bool keep);
  // Drops undo information of batches with seq <= `seq`.
  void Confirm(uint64_t seq);
  // Undoes the newest unconfirmed batch; kNotFound when there is none.
  Status UndoLast();
  size_t unconfirmed() const;

  // The whole state as batches of at most `page_records` records and as many change rows;
  // applying them in order to an empty MemoryStore rebuilds it (a connector's compacted
  // pages). The first batch carries the checkpoint and the metadata.
  std::vector<Batch> Export(size_t page_records) const;
  size_t record_count() const;
  // How many records the last Find or Count read: all of the model's for a scan, fewer
  // through an index (tests and benchmarks check that an index was used).
  size_t records_examined() const { return examined_.load(std::memory_order_relaxed); }

 private:
  struct ModelData;
  struct Undo;
  ModelData& Model(const std::string& model);
  const ModelData* FindModel(const std::string& model) const;
  void PutChange(ModelData& data, const std::string& model_id, std::optional<Change> change);
  // The first precondition of `batch` that does not hold, as kPreconditionFailed; else OK.
  Status CheckPreconditions(const Batch& batch);
  static RecordLookup LookupIn(const ModelData& data, size_t* examined);

  std::unordered_map<std::string, std::unique_ptr<ModelData>> models_;
  std::map<std::string, Json> meta_;
  int64_t checkpoint_ = 1;
  uint64_t seq_ = 0;
  bool keep_undo_ = false;
  std::deque<Undo> undo_;  // oldest first
  // Atomic: the server runs reads concurrently under a shared lock.
  std::atomic<size_t> examined_{0};
};

}  // namespace replicore

#endif  // REPLICORE_MEMORY_STORE_H_
