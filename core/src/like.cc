#include "replicore/like.h"

#include <cstdint>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace replicore {

#ifndef __EMSCRIPTEN__
namespace {

constexpr uint32_t kAnyChar = 0xFFFFFFFF;  // `_`: one character (not a line break)

// The code point at `at` (advancing `at`); a byte that starts no valid sequence reads as
// a value no pattern character has, so it only matches `_`.
uint32_t NextChar(std::string_view s, size_t* at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  unsigned char c = p[*at];
  size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || *at + n > s.size()) {
    ++*at;
    return 0x110000 + c;
  }
  uint32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((p[*at + i] & 0xC0) != 0x80) {
      ++*at;
      return 0x110000 + c;
    }
    cp = (cp << 6) | (p[*at + i] & 0x3F);
  }
  *at += n;
  return cp;
}

uint32_t Fold(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// RegExp's `.` stops at \n, \r, U+2028 and U+2029: so do `_` and `%`.
bool IsLineBreak(uint32_t c) { return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029; }

// One piece between %s, found by shift-and over its characters: a bit per position of the
// piece, all positions advanced by each character of the text, so finding it costs
// (text length) x (piece length / 64) whatever the text and the piece.
class Piece {
 public:
  explicit Piece(const std::vector<uint32_t>& chars) : size_(chars.size()), words_((chars.size() + 63) / 64) {
    any_.assign(words_, 0);
    for (size_t i = 0; i < chars.size(); ++i) {
      std::vector<uint64_t>& mask = chars[i] == kAnyChar ? any_ : Mask(chars[i]);
      mask[i / 64] |= uint64_t{1} << (i % 64);
    }
    for (auto& [c, mask] : literal_) {
      for (size_t w = 0; w < words_; ++w) mask[w] |= any_[w];
    }
  }

  // Scans `line` from `*at` (a character boundary); true with `*at` just past the earliest
  // match (all matches have the same length in characters, so the earliest ends first).
  bool Find(std::string_view line, size_t* at, bool fold) const {
    if (size_ == 0) return true;
    std::vector<uint64_t> state(words_, 0);
    const uint64_t last = uint64_t{1} << ((size_ - 1) % 64);
    while (*at < line.size()) {
      uint32_t c = NextChar(line, at);
      if (fold) c = Fold(c);
      auto it = literal_.find(c);
      const std::vector<uint64_t>& mask = it == literal_.end() ? any_ : it->second;
      uint64_t carry = 1;  // a match may start at this character
      for (size_t w = 0; w < words_; ++w) {
        uint64_t next_carry = state[w] >> 63;
        state[w] = ((state[w] << 1) | carry) & mask[w];
        carry = next_carry;
      }
      if (state[words_ - 1] & last) return true;
    }
    return false;
  }

 private:
  std::vector<uint64_t>& Mask(uint32_t c) {
    auto [it, inserted] = literal_.try_emplace(c);
    if (inserted) it->second.assign(words_, 0);
    return it->second;
  }

  size_t size_;
  size_t words_;
  std::vector<uint64_t> any_;                                  // positions of `_`
  std::unordered_map<uint32_t, std::vector<uint64_t>> literal_;  // per character, with any_
};

class LikeMatcher final : public Regex {
 public:
  LikeMatcher(std::vector<Piece> pieces, bool fold) : pieces_(std::move(pieces)), fold_(fold) {}

  bool Search(std::string_view text) const override {
    size_t start = 0;
    for (size_t at = 0;;) {
      size_t here = at;
      bool end = at == text.size();
      uint32_t c = end ? 0 : NextChar(text, &at);
      if (end || IsLineBreak(c)) {
        if (MatchesLine(text.substr(start, here - start))) return true;
        if (end) return false;
        start = at;
      }
    }
  }

 private:
  // Each piece at its earliest place after the previous one: if any placement matches,
  // this one does (a later piece only gains room when an earlier one ends sooner).
  bool MatchesLine(std::string_view line) const {
    size_t at = 0;
    for (const Piece& piece : pieces_) {
      if (!piece.Find(line, &at, fold_)) return false;
    }
    return true;
  }

  std::vector<Piece> pieces_;
  bool fold_;
};

}  // namespace

std::shared_ptr<const Regex> CompileLike(const std::string& pattern, bool ignore_case) {
  std::vector<std::vector<uint32_t>> chars(1);
  for (size_t at = 0; at < pattern.size();) {
    uint32_t c = NextChar(pattern, &at);
    if (c == '\\' && at < pattern.size()) {
      c = NextChar(pattern, &at);
    } else if (c == '%') {
      if (!chars.back().empty()) chars.emplace_back();
      continue;
    } else if (c == '_') {
      chars.back().push_back(kAnyChar);
      continue;
    }
    // Lines are matched one at a time, so a literal line break goes to the regex engine.
    if ((ignore_case && c >= 0x80) || IsLineBreak(c)) return nullptr;
    chars.back().push_back(ignore_case ? Fold(c) : c);
  }
  std::vector<Piece> pieces;
  for (const auto& piece : chars) {
    if (!piece.empty()) pieces.emplace_back(piece);
  }
  return std::make_shared<const LikeMatcher>(std::move(pieces), ignore_case);
}
#else
// In the browser, JavaScript's RegExp is LoopBack's own engine and the data is the user's:
// the regex seam (wasm-bindings/js_regex.cc) matches like patterns, and the module stays
// within its size budget.
std::shared_ptr<const Regex> CompileLike(const std::string&, bool) { return nullptr; }
#endif

std::string LikePatternAsRegex(const std::string& like) {
  static const char kSpecial[] = "\\^$.|?*+()[]{}/";
  std::string out;
  for (size_t i = 0; i < like.size(); ++i) {
    char c = like[i];
    if (c == '%') {
      out += ".*";
    } else if (c == '_') {
      out += '.';
    } else {
      if (c == '\\' && i + 1 < like.size()) c = like[++i];
      if (std::strchr(kSpecial, c) != nullptr && c != '\0') out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace replicore
