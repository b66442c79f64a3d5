#include "replicore/owner_partitions.h"

#include "replicore/scoped_store.h"

namespace replicore {
namespace http {

struct OwnerPartitions::Partition {
  Partition(Database* shared, const std::string& user_id)
      : store(shared->store(), user_id), db(&store, shared->env()) {}
  ScopedStore store;
  Database db;
};

std::shared_ptr<Database> OwnerPartitions::For(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Partition>& slot = by_user_[user_id];
  if (!slot) {
    if (by_user_.size() > kKept) {
      for (auto it = by_user_.begin(); it != by_user_.end();) {
        it = it->second && it->second.use_count() == 1 ? by_user_.erase(it) : std::next(it);
      }
    }
    auto partition = std::make_shared<Partition>(shared_, user_id);
    for (const std::string& name : shared_->ModelNames()) {
      auto model = shared_->GetModel(name);
      if (model.ok()) (void)partition->db.AddModel(**model);
    }
    by_user_[user_id] = partition;
    return std::shared_ptr<Database>(partition, &partition->db);
  }
  return std::shared_ptr<Database>(slot, &slot->db);
}

}  // namespace http
}  // namespace replicore
