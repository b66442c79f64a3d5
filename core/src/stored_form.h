// Whether a record a peer sent is already, byte for byte, what the model would store for it,
// so that a replicated record is stored as the text it came in, with no tree (issue 22).
#ifndef REPLICORE_STORED_FORM_H_
#define REPLICORE_STORED_FORM_H_

#include <string_view>

#include "replicore/model.h"

namespace replicore {

// True when `text` is the canonical JSON (canonical-json 0.0.4) of an object whose keys are
// declared properties, whose values need no coercion and break no rule (strings, integers of
// up to 15 digits, booleans, null where not required; nothing nested), and which holds
// every required property. Normalizing its tree without defaults (what a bulk-update does)
// would give back the same text. False whenever that cannot be told in one pass over the
// bytes (dates, fractions, escapes, objects, min/max/length/pattern rules, unknown keys): the
// caller then normalizes a tree, which accepts or refuses the record exactly as before.
bool IsStoredForm(const ModelDefinition& model, std::string_view text);

}  // namespace replicore

#endif  // REPLICORE_STORED_FORM_H_
