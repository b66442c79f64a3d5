// LoopBack's like / ilike / nlike / nilike without a regex engine. The memory connector
// turns a like pattern into an unanchored RegExp (% -> .*, _ -> ., \x literal); a regex
// engine can take seconds on such a pattern over a long text (900 `_` and a `%`: RE2
// exhausts its DFA budget and falls back to a scan of text x pattern). This matcher finds
// the %-separated pieces left to right within one line, each at its earliest place (the
// same answer), each by shift-and: time text x pattern / 64, whatever the input.
#ifndef REPLICORE_LIKE_H_
#define REPLICORE_LIKE_H_

#include <memory>
#include <string>

#include "replicore/regex.h"

namespace replicore {

// A matcher for `pattern`, or nullptr where it would not give RegExp's answer, which the
// caller sends to the regex engine instead (always, in the wasm build: there the engine is
// JavaScript's RegExp itself): ilike with a non-ASCII pattern (JavaScript
// folds Unicode case; this folds ASCII only), or a pattern holding a line break.
std::shared_ptr<const Regex> CompileLike(const std::string& pattern, bool ignore_case);

// The ECMAScript pattern of a like pattern, unanchored as in the memory connector (which
// runs RegExp.test, so "milk" matches "Buy milk"): % -> .*, _ -> ., \x -> literal x, every
// other regex metacharacter literal. (The connector's own escaping lets "." through as a
// wildcard; that is a bug we do not reproduce.) For the patterns CompileLike declines.
std::string LikePatternAsRegex(const std::string& pattern);

}  // namespace replicore

#endif  // REPLICORE_LIKE_H_
