// What every Store shares: the check of a batch's preconditions, so that each store only
// says how it reads inside its atomic step.
#include "replicore/store.h"

#include <string>
#include <utility>

namespace replicore {

Status RecordChanged(const std::string& model, const std::string& id) {
  return Status::PreconditionFailed(model + " id \"" + id + "\" changed since it was read",
                                    Json{{"model", model}, {"id", id}});
}

CommittedBatch CommittedAs(Batch batch, uint64_t seq, int64_t checkpoint) {
  CommittedBatch committed;
  committed.seq = seq;
  committed.checkpoint = checkpoint;
  batch.preconditions.clear();
  batch.expected_checkpoint.reset();
  committed.batch = std::move(batch);
  return committed;
}

Status CheckPreconditions(const Batch& batch, const EntryReader& read,
                          const std::function<Result<int64_t>()>& checkpoint) {
  for (const Precondition& precondition : batch.preconditions) {
    RC_ASSIGN_OR_RETURN(StoredEntry stored, read(precondition.model, precondition.id));
    // Record: canonical text, equal exactly when the values are; change: every column.
    if (stored.record != precondition.expected.record ||
        stored.change != precondition.expected.change) {
      return RecordChanged(precondition.model, precondition.id);
    }
  }
  if (batch.expected_checkpoint) {
    RC_ASSIGN_OR_RETURN(int64_t current, checkpoint());
    if (current != *batch.expected_checkpoint) {
      return Status::PreconditionFailed("the checkpoint moved from " +
                                            std::to_string(*batch.expected_checkpoint) + " to " +
                                            std::to_string(current) + " since it was read",
                                        Json{{"checkpoint", current}});
    }
  }
  return Status::Ok();
}

}  // namespace replicore
