// A reader over JSON text this core wrote (persisted pages and journal entries): it finds
// where each value begins and ends without building a tree, so records stay the text they
// are. Malformed or truncated text is an error, never a read past the end.
#ifndef REPLICORE_JSON_TEXT_H_
#define REPLICORE_JSON_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replicore/status.h"

namespace replicore {

class JsonTextReader {
 public:
  explicit JsonTextReader(std::string_view text) : text_(text) {}

  // Skips whitespace; true (and consumed) when the next character is `c`.
  bool Consume(char c);
  // Consume(c), or an error naming what was expected.
  Status Expect(char c);
  // Whether only whitespace is left.
  bool AtEnd();
  // The exact text of the next value (object, array, string, number, literal).
  Result<std::string_view> Value();
  // The next value, which must be a string, unescaped.
  Result<std::string> String();
  // A string, or nullopt for null.
  Result<std::optional<std::string>> StringOrNull();
  // The next value, which must be an integer (no fraction, no exponent) in int64 range.
  Result<int64_t> Integer();

 private:
  void SkipSpace();
  Status Fail(const std::string& what) const;
  // Moves past the string starting at pos_ (which is '"').
  Status SkipString();

  std::string_view text_;
  size_t pos_ = 0;
};

// The text of the value of the top-level member `name` of the object `object_text` (JSON
// this core wrote), or nullopt when the object has no such member or the text is not an
// object. Reads the member names only, building nothing.
std::optional<std::string_view> MemberText(std::string_view object_text, std::string_view name);

}  // namespace replicore

#endif  // REPLICORE_JSON_TEXT_H_
