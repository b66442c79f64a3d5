#include "replicore/conflict.h"

namespace replicore {

namespace {
ChangeType TypeOf(const Json& change) {
  if (change.is_null()) return ChangeType::kUnknown;
  Result<Change> parsed = Change::FromJson(change);
  return parsed.ok() ? parsed->type() : ChangeType::kUnknown;
}
}  // namespace

ChangeType Conflict::type() const {
  ChangeType source = TypeOf(source_change);
  ChangeType target = TypeOf(target_change);
  if (source == ChangeType::kUpdate && target == ChangeType::kUpdate) return ChangeType::kUpdate;
  if (source == ChangeType::kDelete || target == ChangeType::kDelete) return ChangeType::kDelete;
  return ChangeType::kUnknown;
}

Conflict Conflict::SwapParties() const {
  Conflict swapped = *this;
  std::swap(swapped.source_change, swapped.target_change);
  swapped.local_is_source = !local_is_source;
  return swapped;
}

Json Conflict::ToJson() const {
  return Json{{"modelId", model_id},
              {"type", ChangeTypeName(type())},
              {"sourceChange", source_change},
              {"targetChange", target_change},
              {"localIsSource", local_is_source}};
}

}  // namespace replicore
