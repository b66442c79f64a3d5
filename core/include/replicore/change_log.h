// Change tracking with LoopBack's rectify rules (PROTOCOL.md §3.1).
#ifndef REPLICORE_CHANGE_LOG_H_
#define REPLICORE_CHANGE_LOG_H_

#include <optional>
#include <string>

#include "replicore/change.h"
#include "replicore/store.h"

namespace replicore {

// What rectify decided for one record's change row.
struct Rectified {
  enum class Action { kUnchanged, kSave, kRemove };
  Action action = Action::kUnchanged;
  Change change;  // the row to save (kSave)
};

// Rectifies the change row of (model, model_id) after a write left the record with
// revision `rev` (nullopt: the record is gone), stamped with `checkpoint` (the current seq):
//  - same rev as the row: nothing changes, the checkpoint is not touched;
//  - prev moves to the old rev only when the row's checkpoint differs from `checkpoint`;
//  - a delete of a record with no history gives prev "unknown", and the row is removed.
Rectified Rectify(const std::optional<Change>& existing, const std::string& model,
                  const std::string& model_id, const std::optional<std::string>& rev,
                  int64_t checkpoint);

// Adds the write of `rectified` (if any) to `batch`.
void AddToBatch(Rectified rectified, const std::string& model, const std::string& model_id,
                Batch* batch);

}  // namespace replicore

#endif  // REPLICORE_CHANGE_LOG_H_
