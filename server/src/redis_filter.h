// Which finds and counts RedisStore serves: those a key lookup answers (no where, an id, a
// list of ids), ordered by id only. Anything else is refused with kBadFilter and a message
// naming the filter and what is served: a replica never scans a model behind a caller's back.
#ifndef REPLICORE_SERVER_REDIS_FILTER_H_
#define REPLICORE_SERVER_REDIS_FILTER_H_

#include <string>
#include <vector>

#include "replicore/filter.h"
#include "replicore/status.h"

namespace replicore {

// Every refusal starts with this (stable: clients and tests may match it).
inline constexpr const char kRedisRefusal[] = "The Redis store cannot serve ";
// And ends with this.
inline constexpr const char kRedisServes[] =
    ": it serves find and count with no where, where {\"id\": X} or {\"id\": {\"inq\": "
    "[...]}}, ordered by id only (limit, skip and fields as usual); ask the primary for "
    "other filters";

struct RedisPlan {
  bool all = true;               // every record of the model
  std::vector<std::string> ids;  // else these keys (String(id), as GET /:id), no repeats
};

// The plan for a where, or kBadFilter.
Result<RedisPlan> PlanRedisWhere(const Where& where);
// The plan for a find: its where and its order (by id only), or kBadFilter.
Result<RedisPlan> PlanRedisFind(const Filter& filter);

}  // namespace replicore

#endif  // REPLICORE_SERVER_REDIS_FILTER_H_
