// A Change row of LoopBack's change log (PROTOCOL.md §1.1): one per record.
#ifndef REPLICORE_CHANGE_H_
#define REPLICORE_CHANGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "replicore/status.h"

namespace replicore {

// The longest id a record may have, in UTF-8 bytes: every record must stay reachable as
// /:id within cpp-httplib's 8 KiB request line, even with every byte percent-encoded.
constexpr size_t kMaxIdBytes = 1024;
// The longest `rev` or `prev` a change may carry (LoopBack's are 40 hex digits).
constexpr size_t kMaxRevBytes = 256;

enum class ChangeType { kCreate, kUpdate, kDelete, kUnknown };
const char* ChangeTypeName(ChangeType type);  // "create", "update", "delete", "unknown"

struct Change {
  std::string id;                   // sha1(model_name + "-" + model_id)
  std::optional<std::string> rev;   // nullopt: the record is gone (JSON null)
  std::optional<std::string> prev;  // meaningful only when prev_set
  bool prev_set = false;            // LoopBack omits prev until the first rectify sets it
  int64_t checkpoint = 0;
  std::string model_name;
  std::string model_id;

  // From truthiness of rev and prev, as Change.prototype.type does.
  ChangeType type() const;
  // {"id","rev","prev"?,"checkpoint","modelName","modelId"}: LoopBack's JSON.
  Json ToJson() const;
  // Reads a change as peers send it (keys may be missing; only modelId is required).
  // The id is kept as sent; callers match by modelId only.
  static Result<Change> FromJson(const Json& json);

  bool operator==(const Change& other) const;
  bool operator!=(const Change& other) const { return !(*this == other); }
};

}  // namespace replicore

#endif  // REPLICORE_CHANGE_H_
