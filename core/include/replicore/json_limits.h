// How deep JSON entering replicore may nest. Every part that walks a value recursively
// (nlohmann's dump and destructor, the canonical-JSON writer, the model normaliser, the
// filter parser, SQLite's JSON functions with their ceiling of 2,000) is safe below this,
// so a value that was accepted can always be read again.
#ifndef REPLICORE_JSON_LIMITS_H_
#define REPLICORE_JSON_LIMITS_H_

#include <cstdint>
#include <string>

#include "replicore/status.h"

namespace replicore {

constexpr int kMaxJsonDepth = 100;

// Parses `text`, refusing (kBadRequest) anything nested deeper than `max_depth` arrays and
// objects before parsing it (one linear scan of the text), so a refused value costs no
// memory and little time. A syntax error is kBadRequest with nlohmann's message.
Result<Json> ParseJsonWithin(const std::string& text, int max_depth = kMaxJsonDepth);

// The nesting depth of `value` (a scalar is 0), without recursion.
int JsonDepth(const Json& value);

// A JSON number as an integer clamped to JavaScript's safe range (±9e15), truncated like
// LoopBack's; 0 for a non-number. Converting a larger double to int64 is undefined
// behaviour, and 1e400 parses as a finite number here only after this clamp.
int64_t SafeInteger(const Json& value);

// "JSON nested deeper than N levels".
std::string TooDeepMessage(int max_depth = kMaxJsonDepth);

}  // namespace replicore

#endif  // REPLICORE_JSON_LIMITS_H_
