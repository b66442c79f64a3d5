// One owner's partition of a Store: the same interface over the records and change rows
// stored under "<model>@<scope>", so each owner has its own id space (an id another owner
// holds neither collides nor shows) while the checkpoint sequence and the metadata stay
// shared. A Database over a ScopedStore serves one owner's view of every route, the
// replication routes included (the server's per-user models).
#ifndef REPLICORE_SCOPED_STORE_H_
#define REPLICORE_SCOPED_STORE_H_

#include <string>

#include "replicore/store.h"

namespace replicore {

class ScopedStore : public Store {
 public:
  // Borrows `base`. `scope` must be non-empty (an owner's id).
  ScopedStore(Store* base, std::string scope) : base_(base), suffix_("@" + std::move(scope)) {}

  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override;
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override;
  Result<size_t> Count(const std::string& model, const Where& where) override;
  Result<std::optional<Change>> GetChange(const std::string& model, const std::string& model_id) override;
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override;
  Result<std::vector<StoredEntry>> GetMany(const std::string& model,
                                           const std::vector<std::string>& ids) override {
    return base_->GetMany(Scoped(model), ids);
  }
  Result<int64_t> CurrentCheckpoint() override { return base_->CurrentCheckpoint(); }
  Result<std::optional<Json>> GetMeta(const std::string& key) override { return base_->GetMeta(key); }
  Result<CommittedBatch> Apply(Batch batch) override;
  // One owner's reads batch as the base's do (the partitions share its snapshots).
  std::unique_ptr<ReadScope> BatchReads(bool exclusive) override {
    return base_->BatchReads(exclusive);
  }
  bool SnapshotReads() const override { return base_->SnapshotReads(); }
  // The unscoped Database declared them on the base store, for every owner at once.
  Status DeclareIndexes(const std::string&, const std::vector<IndexDefinition>&) override {
    return Status::Ok();
  }

 private:
  std::string Scoped(const std::string& model) const { return model + suffix_; }
  // Back from "<model>@<scope>" to "<model>" in what the base store hands out.
  void Unscope(std::string* model) const;

  Store* base_;
  std::string suffix_;
};

}  // namespace replicore

#endif  // REPLICORE_SCOPED_STORE_H_
