// canonical-json 0.0.4 exactly as LoopBack uses it to compute revisions
// (Change.revisionForInst = sha1(CJSON.stringify(inst))).
#ifndef REPLICORE_JSON_CANONICAL_H_
#define REPLICORE_JSON_CANONICAL_H_

#include <optional>
#include <string>
#include <string_view>

#include "replicore/status.h"

namespace replicore {

// JavaScript's String(n) for a double: shortest round trip, ECMAScript layout
// (1e+21, 1e-7, 0.000001, 123456789012345680000), -0 -> "0". NaN/Infinity -> "null"
// (what canonical JSON writes for them).
std::string JsNumberToString(double value);

// Canonical JSON of `value`: keys sorted by UTF-16 code units at every level, no
// whitespace, canonical-json 0.0.4's escaping, every number formatted as the double JS
// would hold (integers beyond 2^53 are rounded first). Strings must be valid UTF-8.
std::string CanonicalJson(const Json& value);
void AppendCanonicalJson(const Json& value, std::string* out);

// sha1_hex(CanonicalJson(view)): the LoopBack revision of a model view.
std::string Revision(const Json& view);
// sha1_hex(model_name + "-" + model_id): the LoopBack change id.
std::string ChangeId(std::string_view model_name, std::string_view model_id);

// The dot path ("meta.tags.0", "" for the root) of the first string (or object key) that is
// not well-formed UTF-8 or encodes a UTF-16 surrogate (a lone surrogate that crossed from JS
// as WTF-8/CESU-8); nullopt when all strings are well formed. Such strings must never be
// stored: LoopBack hashes them as U+FFFD bytes, which no UTF-8 pipeline can reproduce.
std::optional<std::string> FindMalformedString(const Json& value);

}  // namespace replicore

#endif  // REPLICORE_JSON_CANONICAL_H_
