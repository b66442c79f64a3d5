#include "replicore/change_log.h"

#include "replicore/json_canonical.h"

namespace replicore {

namespace {
bool Truthy(const std::optional<std::string>& s) { return s && !s->empty(); }
}  // namespace

Rectified Rectify(const std::optional<Change>& existing, const std::string& model,
                  const std::string& model_id, const std::optional<std::string>& rev,
                  int64_t checkpoint) {
  Rectified out;
  Change change;
  if (existing) {
    change = *existing;
  } else {
    change.id = ChangeId(model, model_id);
    change.model_name = model;
    change.model_id = model_id;
  }
  // A new row has rev unset, which LoopBack compares as undefined == null for a delete.
  std::optional<std::string> current_rev = change.rev;
  if (current_rev == rev && (existing || !rev)) {
    // A delete of a record the log never saw: LoopBack would create the row with
    // prev "unknown" and remove it again, which leaves nothing.
    return out;
  }
  bool checkpoint_moved = !existing || change.checkpoint != checkpoint;
  if (rev) {
    change.rev = rev;
    if (checkpoint_moved && existing) {
      change.prev = current_rev;
      change.prev_set = true;
    }
  } else {
    change.rev.reset();
    if (checkpoint_moved) {
      if (Truthy(current_rev)) {
        change.prev = current_rev;
        change.prev_set = true;
      } else if (!(change.prev_set && Truthy(change.prev))) {
        change.prev = "unknown";
        change.prev_set = true;
      }
    } else if (!(change.prev_set && Truthy(change.prev)) && Truthy(current_rev)) {
      // Created and deleted within one checkpoint. LoopBack leaves rev and prev null (type
      // "unknown", which /changes drops), so a peer that got the record meanwhile (a
      // resolution copies data without a bump) never hears of the delete and may push the
      // record back. Ours: a tombstone based on the last rev, a delete every peer sees.
      change.prev = current_rev;
      change.prev_set = true;
    }
  }
  change.checkpoint = checkpoint;
  if (change.prev_set && change.prev == std::optional<std::string>("unknown")) {
    out.action = existing ? Rectified::Action::kRemove : Rectified::Action::kUnchanged;
    return out;
  }
  out.action = Rectified::Action::kSave;
  out.change = std::move(change);
  return out;
}

void AddToBatch(Rectified rectified, const std::string& model, const std::string& model_id,
                Batch* batch) {
  switch (rectified.action) {
    case Rectified::Action::kUnchanged:
      return;
    case Rectified::Action::kSave:
      batch->changes.push_back({model, model_id, std::move(rectified.change)});
      return;
    case Rectified::Action::kRemove:
      batch->changes.push_back({model, model_id, std::nullopt});
      return;
  }
}

}  // namespace replicore
