#include "redis_codec.h"

#include <cstdlib>
#include <string>

namespace replicore {
namespace {

void AppendField(const std::string& bytes, std::string* out) {
  *out += std::to_string(bytes.size());
  *out += ':';
  *out += bytes;
}

// Reads one <length>:<bytes> at *at; false when malformed.
bool ReadField(const std::string& text, size_t* at, std::string* field) {
  const size_t colon = text.find(':', *at);
  if (colon == std::string::npos || colon == *at || colon - *at > 10) return false;
  size_t length = 0;
  for (size_t i = *at; i < colon; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    length = length * 10 + static_cast<size_t>(text[i] - '0');
  }
  if (length > text.size() - colon - 1) return false;
  field->assign(text, colon + 1, length);
  *at = colon + 1 + length;
  return true;
}

constexpr uint64_t kSignBit = uint64_t{1} << 63;

}  // namespace

std::string RedisCheckpointKey(int64_t checkpoint) {
  static const char kDigits[] = "0123456789abcdef";
  uint64_t biased = static_cast<uint64_t>(checkpoint) ^ kSignBit;
  std::string out(kRedisCheckpointDigits, '0');
  for (size_t i = kRedisCheckpointDigits; i-- > 0; biased >>= 4) out[i] = kDigits[biased & 15];
  return out;
}

std::string EncodeRedisChange(const Change& change) {
  const bool has_prev = change.prev_set && change.prev.has_value();
  std::string out = RedisCheckpointKey(change.checkpoint);
  out += static_cast<char>('0' + (change.rev ? 1 : 0) + (change.prev_set ? 2 : 0) +
                           (has_prev ? 4 : 0));
  AppendField(change.id, &out);
  AppendField(change.rev.value_or(""), &out);
  AppendField(has_prev ? *change.prev : std::string(), &out);
  AppendField(change.model_name, &out);
  return out;
}

Result<Change> DecodeRedisChange(const std::string& text, const std::string& model_id) {
  const Status malformed = Status::Storage("redis: a stored change row of \"" + model_id +
                                           "\" is malformed");
  if (text.size() < kRedisCheckpointDigits + 1) return malformed;
  uint64_t biased = 0;
  for (size_t i = 0; i < kRedisCheckpointDigits; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return malformed;
    biased = (biased << 4) | static_cast<uint64_t>(digit);
  }
  const int flags = text[kRedisCheckpointDigits] - '0';
  if (flags < 0 || flags > 7) return malformed;
  Change change;
  change.checkpoint = static_cast<int64_t>(biased ^ kSignBit);
  change.model_id = model_id;
  change.prev_set = (flags & 2) != 0;
  size_t at = kRedisCheckpointDigits + 1;
  std::string rev, prev;
  if (!ReadField(text, &at, &change.id) || !ReadField(text, &at, &rev) ||
      !ReadField(text, &at, &prev) || !ReadField(text, &at, &change.model_name) ||
      at != text.size()) {
    return malformed;
  }
  if (flags & 1) change.rev = std::move(rev);
  if (flags & 4) change.prev = std::move(prev);
  return change;
}

}  // namespace replicore
