// How RedisStore lays a change row out as one Redis string, and the change log's sorted-set
// members. Both begin with the checkpoint as 16 hex digits whose byte order is the numeric
// order, so the log, a sorted set of equal scores, is read in (checkpoint, model id) order
// with ZRANGEBYLEX, and the Lua script finds a row's old log member from the row alone.
#ifndef REPLICORE_SERVER_REDIS_CODEC_H_
#define REPLICORE_SERVER_REDIS_CODEC_H_

#include <cstdint>
#include <string>

#include "replicore/change.h"
#include "replicore/status.h"

namespace replicore {

constexpr size_t kRedisCheckpointDigits = 16;

// The checkpoint as kRedisCheckpointDigits lowercase hex digits, sign bit flipped.
std::string RedisCheckpointKey(int64_t checkpoint);

// The log member of a row: RedisCheckpointKey(checkpoint) + model id.
inline std::string RedisLogMember(int64_t checkpoint, const std::string& model_id) {
  return RedisCheckpointKey(checkpoint) + model_id;
}

// RedisCheckpointKey(checkpoint), a flag byte ('0' + 1 if rev, + 2 if prev_set, + 4 if prev),
// then id, rev, prev and model name, each as <length>:<bytes>. prev is kept only when
// prev_set (Change's equality ignores it otherwise), so equal rows encode equal bytes: the
// Lua script checks a precondition's change row by comparing strings. The model id is the
// hash field, not part of the value.
std::string EncodeRedisChange(const Change& change);
// The row `text` encodes, with `model_id`; kStorage when it is malformed.
Result<Change> DecodeRedisChange(const std::string& text, const std::string& model_id);

}  // namespace replicore

#endif  // REPLICORE_SERVER_REDIS_CODEC_H_
