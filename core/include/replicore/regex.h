// The regex seam: LoopBack's `regexp`/like filters and model `pattern` validation go
// through this interface, never through <regex> directly. Native builds implement it
// with RE2, which cannot backtrack (core/src/regex_re2.cc); the wasm build implements it over JavaScript's
// RegExp (wasm-bindings/js_regex.cc), which is LoopBack's own regex engine and keeps
// libc++'s locale and regex machinery out of the shipped module.
#ifndef REPLICORE_REGEX_H_
#define REPLICORE_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace replicore {

// Longer patterns are refused (a server takes them from any client).
constexpr size_t kMaxRegexBytes = 4096;

class Regex {
 public:
  virtual ~Regex() = default;
  // True when the pattern matches anywhere in `utf8` (RegExp.prototype.test, no "g" state).
  virtual bool Search(std::string_view utf8) const = 0;
};

// Compiles an ECMAScript pattern. `flags` may hold "i" (ignore case) and "m" (multiline);
// any other character (LoopBack's "g") is ignored, as it changes nothing for a yes/no
// test. On a syntax error returns nullptr and, if `error` is set, writes the engine's
// description without any "Invalid regular expression" prefix (callers add their own).
std::shared_ptr<const Regex> CompileRegex(const std::string& source, const std::string& flags,
                                          std::string* error);

}  // namespace replicore

#endif  // REPLICORE_REGEX_H_
