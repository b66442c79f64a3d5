// What every Store shares in checking a batch's preconditions; each store reads what they
// name inside its own atomic step.
#include "replicore/store.h"

#include <string>
#include <utility>

namespace replicore {

// Record: canonical text, equal exactly when the values are; change: every column.
bool Holds(const Precondition& precondition, const Record* record, const Change* change) {
  const StoredEntry& expected = precondition.expected;
  if (expected.record.has_value() != (record != nullptr)) return false;
  if (record != nullptr && *expected.record != *record) return false;
  if (expected.change.has_value() != (change != nullptr)) return false;
  return change == nullptr || *expected.change == *change;
}

// The details are set key by key: an initializer list of pairs costs the wasm more.
Status RecordChanged(const std::string& model, const std::string& id) {
  Json details = Json::object();
  details["model"] = model;
  details["id"] = id;
  return Status::PreconditionFailed(model + " id \"" + id + "\" changed since it was read",
                                    std::move(details));
}

Status CheckpointMoved(int64_t current) {
  Json details = Json::object();
  details["checkpoint"] = current;
  return Status::PreconditionFailed("the checkpoint moved since it was read", std::move(details));
}

}  // namespace replicore
