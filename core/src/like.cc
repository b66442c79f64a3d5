#include "replicore/like.h"

#include <cstring>
#include <string_view>
#include <vector>

namespace replicore {
namespace {

constexpr int kAnyChar = -1;  // `_`: one character (not a line break)

// UTF-8 length of the character led by `c` (1 for a stray continuation byte).
size_t CharLength(unsigned char c) {
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

unsigned char Fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// RegExp's `.` stops at \n, \r, U+2028 and U+2029: so do `_` and `%`.
size_t LineEnd(std::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '\n' || c == '\r') return i;
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      return i;
    }
  }
  return s.size();
}

class LikeMatcher final : public Regex {
 public:
  LikeMatcher(std::vector<std::vector<int>> pieces, bool fold) : pieces_(std::move(pieces)), fold_(fold) {}

  bool Search(std::string_view text) const override {
    for (size_t line = 0; line <= text.size();) {
      size_t end = LineEnd(text, line);
      if (MatchesLine(text.substr(line, end - line))) return true;
      if (end == text.size()) break;
      line = end + CharLength(static_cast<unsigned char>(text[end]));
    }
    return false;
  }

 private:
  // Each piece at its earliest place after the previous one: if any placement matches,
  // this one does (a later piece only gains room when an earlier one ends sooner).
  bool MatchesLine(std::string_view line) const {
    size_t at = 0;
    for (const std::vector<int>& piece : pieces_) {
      size_t end = 0;
      if (!Find(piece, line, at, &end)) return false;
      at = end;
    }
    return true;
  }

  bool Find(const std::vector<int>& piece, std::string_view line, size_t from, size_t* end) const {
    for (size_t start = from; start <= line.size(); ++start) {
      if (start < line.size() && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) continue;
      if (!piece.empty() && piece[0] != kAnyChar && !fold_) {
        // Skip straight to the next place the first byte occurs.
        const void* hit = std::memchr(line.data() + start, piece[0], line.size() - start);
        if (hit == nullptr) return false;
        start = static_cast<const char*>(hit) - line.data();
      }
      if (MatchAt(piece, line, start, end)) return true;
    }
    return false;
  }

  bool MatchAt(const std::vector<int>& piece, std::string_view line, size_t at, size_t* end) const {
    for (int token : piece) {
      if (at >= line.size()) return false;
      unsigned char c = line[at];
      if (token == kAnyChar) {
        at += CharLength(c);
        if (at > line.size()) return false;
      } else if ((fold_ ? Fold(c) : c) == token) {
        ++at;
      } else {
        return false;
      }
    }
    *end = at;
    return true;
  }

  std::vector<std::vector<int>> pieces_;  // between the %s; bytes (folded) or kAnyChar
  bool fold_;
};

}  // namespace

std::shared_ptr<const Regex> CompileLike(const std::string& pattern, bool ignore_case) {
  std::vector<std::vector<int>> pieces(1);
  for (size_t i = 0; i < pattern.size(); ++i) {
    unsigned char c = pattern[i];
    if (ignore_case && c >= 0x80) return nullptr;
    if (c == '%') {
      if (!pieces.back().empty()) pieces.emplace_back();
    } else if (c == '_') {
      pieces.back().push_back(kAnyChar);
    } else {
      if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
      if (ignore_case && c >= 0x80) return nullptr;
      pieces.back().push_back(ignore_case ? Fold(c) : c);
    }
  }
  if (pieces.back().empty() && pieces.size() > 1) pieces.pop_back();
  return std::make_shared<const LikeMatcher>(std::move(pieces), ignore_case);
}

}  // namespace replicore
