// The Lua scripts of RedisStore. Redis runs a script atomically: nothing of another client
// comes between its reads and its writes. Each names its keys from the store's prefix
// (ARGV[1]), so they suit one Redis, not a cluster. Arguments are flat strings; no cjson.
#ifndef REPLICORE_SERVER_REDIS_SCRIPTS_H_
#define REPLICORE_SERVER_REDIS_SCRIPTS_H_

namespace replicore {

// Apply: ARGV = prefix, expected checkpoint ("" none), then counted groups:
//   n preconditions: model, id, has record ("1"/"0"), record text, has row, encoded row
//   n record writes: model, id, put ("1"/"0"), text
//   n change writes: model, model id, put ("1"/"0"), encoded row (redis_codec.h)
//   new checkpoint ("" none)
//   n meta writes: key, put ("1"/"0"), JSON text
// Answers {"ok", checkpoint}, {"record", model, id} or {"checkpoint", current}; when a
// check fails it has written nothing (the checks all come first).
inline constexpr const char kRedisApplyScript[] = R"lua(
local p = ARGV[1]
local at = 2
local function arg() local v = ARGV[at]; at = at + 1; return v end
local function stored(hash, field, has, want)
  local got = redis.call('HGET', hash, field)
  if has == '1' then return got == want end
  return got == false
end
local expected = arg()
for _ = 1, tonumber(arg()) do
  local model, id = arg(), arg()
  local has_record, record, has_row, row = arg(), arg(), arg(), arg()
  if not stored(p .. 'rec:' .. model, id, has_record, record) or
     not stored(p .. 'chg:' .. model, id, has_row, row) then
    return {'record', model, id}
  end
end
local current = redis.call('GET', p .. 'checkpoint') or '1'
if expected ~= '' and expected ~= current then return {'checkpoint', current} end
for _ = 1, tonumber(arg()) do
  local model, id, put, text = arg(), arg(), arg(), arg()
  if put == '1' then
    redis.call('HSET', p .. 'rec:' .. model, id, text)
    redis.call('ZADD', p .. 'ids:' .. model, 0, id)
  else
    redis.call('HDEL', p .. 'rec:' .. model, id)
    redis.call('ZREM', p .. 'ids:' .. model, id)
  end
end
for _ = 1, tonumber(arg()) do
  local model, id, put, row = arg(), arg(), arg(), arg()
  local rows, log = p .. 'chg:' .. model, p .. 'log:' .. model
  local old = redis.call('HGET', rows, id)
  if old then redis.call('ZREM', log, string.sub(old, 1, 16) .. id) end
  if put == '1' then
    redis.call('HSET', rows, id, row)
    redis.call('ZADD', log, 0, string.sub(row, 1, 16) .. id)
  else
    redis.call('HDEL', rows, id)
  end
end
local checkpoint = arg()
if checkpoint ~= '' then
  redis.call('SET', p .. 'checkpoint', checkpoint)
  current = checkpoint
end
for _ = 1, tonumber(arg()) do
  local key, put, text = arg(), arg(), arg()
  if put == '1' then redis.call('HSET', p .. 'meta', key, text)
  else redis.call('HDEL', p .. 'meta', key) end
end
return {'ok', current}
)lua";

// Counts (skip, limit) go to Redis as the decimal text they came in, at most 2^63 - 1:
// tonumber would round one past 2^53 into text like "1.8446744073709552e+19", which Redis
// refuses.
//
// Changes: ARGV = prefix, model, ZRANGEBYLEX start ("[<checkpoint key>" or "(<member>"),
// limit (-1: all). Answers model id, encoded row, model id, encoded row, ... in log order.
inline constexpr const char kRedisChangesScript[] = R"lua(
local rows = ARGV[1] .. 'chg:' .. ARGV[2]
local members = redis.call('ZRANGEBYLEX', ARGV[1] .. 'log:' .. ARGV[2], ARGV[3], '+',
                           'LIMIT', 0, ARGV[4])
local out = {}
for i, member in ipairs(members) do
  local id = string.sub(member, 17)
  out[2 * i - 1] = id
  out[2 * i] = redis.call('HGET', rows, id)
end
return out
)lua";

// A page of the records in id order: ARGV = prefix, model, skip, limit (-1: all). Answers
// id, text, id, text, ...
inline constexpr const char kRedisPageScript[] = R"lua(
local records = ARGV[1] .. 'rec:' .. ARGV[2]
local ids = redis.call('ZRANGEBYLEX', ARGV[1] .. 'ids:' .. ARGV[2], '-', '+',
                       'LIMIT', ARGV[3], ARGV[4])
local out = {}
for i, id in ipairs(ids) do
  out[2 * i - 1] = id
  out[2 * i] = redis.call('HGET', records, id)
end
return out
)lua";

}  // namespace replicore

#endif  // REPLICORE_SERVER_REDIS_SCRIPTS_H_
