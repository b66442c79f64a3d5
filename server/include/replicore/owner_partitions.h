// Per-user records: for the models that declare "ownership": "owner", every request is
// served by one Database per user over a ScopedStore of the server's store, so a user's
// CRUD, counts and every replication route see and touch that user's records only, in
// that user's own id space (an id another user holds neither collides nor shows).
#ifndef REPLICORE_OWNER_PARTITIONS_H_
#define REPLICORE_OWNER_PARTITIONS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "replicore/database.h"

namespace replicore {
namespace http {

class OwnerPartitions {
 public:
  // Borrows `shared`: its store and its models are each user's.
  explicit OwnerPartitions(Database* shared) : shared_(shared) {}

  // The Database of `user_id`'s records, made on first use. Thread-safe; the partition
  // lives while the pointer is held.
  std::shared_ptr<Database> For(const std::string& user_id);

 private:
  struct Partition;
  // Partitions kept for reuse; past it, the idle ones are dropped (they are cheap to remake).
  static constexpr size_t kKept = 4096;

  Database* shared_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Partition>> by_user_;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_OWNER_PARTITIONS_H_
