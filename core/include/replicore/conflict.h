// Conflicts as values, with the operations of LoopBack's Change.Conflict (PROTOCOL.md §7).
#ifndef REPLICORE_CONFLICT_H_
#define REPLICORE_CONFLICT_H_

#include <optional>
#include <string>

#include "replicore/change.h"
#include "replicore/status.h"

namespace replicore {

struct Conflict {
  std::string model_id;
  Json source_change;  // the source's Change row (JSON), null when not known
  Json target_change;  // the target's Change row (JSON), null when not known
  // Which side of the replicate the local database played.
  bool local_is_source = true;

  // LoopBack's Conflict.type(): "update" when both changes are updates, "delete" when
  // either is a delete, otherwise "unknown" (create/create included).
  ChangeType type() const;
  // LoopBack's swapParties(): the same conflict seen from the other side, so that
  // resolveUsingTarget takes the other party's data.
  Conflict SwapParties() const;
  Json ToJson() const;
};

}  // namespace replicore

#endif  // REPLICORE_CONFLICT_H_
