// JavaScript's text semantics (see js_semantics.h). The JSON quoting runs on every revision
// and every answer, so it copies unescaped runs whole and skips plain ASCII 8 bytes at a time.
#include "replicore/js_semantics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace replicore {

// ---------------------------------------------------------------------------------------
// String order.

// UTF-16 code-unit order computed on UTF-8 bytes. UTF-8 byte order is code-point order,
// which agrees with UTF-16 order except that U+E000-FFFF (lead bytes EE, EF) come after the
// astral planes (lead bytes F0-F4, surrogate pairs D800-DBFF in UTF-16). Lifting EE/EF above
// every other byte fixes that and stays a strict total order even for ill-formed input.
namespace {
inline unsigned Utf16Rank(unsigned char c) { return (c == 0xee || c == 0xef) ? c + 0x100u : c; }
}  // namespace

int CompareUtf16(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (ca != cb) return Utf16Rank(ca) < Utf16Rank(cb) ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// JSON string quoting.

namespace {

// Which bytes may begin a character that is escaped.
struct EscapeStartTable {
  bool flag[256] = {};
};

// Controls, '"' and '\': what both quotings escape.
constexpr EscapeStartTable CommonStarts() {
  EscapeStartTable t;
  for (int c = 0; c < 0x20; ++c) t.flag[c] = true;
  t.flag[static_cast<unsigned char>('"')] = true;
  t.flag[static_cast<unsigned char>('\\')] = true;
  return t;
}

// JSON.stringify: also ED, the lead byte of a WTF-8 surrogate.
constexpr EscapeStartTable MakeStringifyStarts() {
  EscapeStartTable t = CommonStarts();
  t.flag[0xed] = true;
  return t;
}
constexpr EscapeStartTable kStringifyStarts = MakeStringifyStarts();

// canonical-json: also DEL and the UTF-8 lead bytes of the escaped non-ASCII ranges
// (C2: U+0080-00BF, D8: U+0600-063F, DC: U+0700-073F, E1: U+1000-1FFF, E2: U+2000-2FFF,
// EF: U+F000-FFFF).
constexpr EscapeStartTable MakeCanonicalStarts() {
  EscapeStartTable t = CommonStarts();
  t.flag[0x7f] = true;
  t.flag[0xc2] = t.flag[0xd8] = t.flag[0xdc] = t.flag[0xe1] = t.flag[0xe2] = t.flag[0xef] = true;
  return t;
}
constexpr EscapeStartTable kCanonicalStarts = MakeCanonicalStarts();

// If the character at p[0..avail) is one JSON.stringify writes as \uXXXX (a control other than
// the short escapes, or a WTF-8 surrogate), returns its length and sets *code_point; else 0.
int StringifyEscapedLength(const unsigned char* p, size_t avail, uint32_t* code_point) {
  const unsigned char c = p[0];
  if (c < 0x20) {
    *code_point = c;
    return 1;
  }
  if (c == 0xed && avail >= 3 && p[1] >= 0xa0 && p[1] <= 0xbf) {
    *code_point = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
    return 3;
  }
  return 0;
}

// If the character at p[0..avail) is one canonical-json 0.0.4 writes as \uXXXX, returns its
// UTF-8 length and sets *code_point; otherwise 0. (The escaped set is json2.js's `escapable`
// regex; it is not JSON.stringify's.)
int CanonicalEscapedLength(const unsigned char* p, size_t avail, uint32_t* code_point) {
  const unsigned char c = p[0];
  if (c < 0x20 || c == 0x7f) {
    *code_point = c;
    return 1;
  }
  if (avail < 2) return 0;
  const unsigned char c1 = p[1];
  switch (c) {
    case 0xc2:  // U+0080-009F, U+00AD
      if ((c1 >= 0x80 && c1 <= 0x9f) || c1 == 0xad) {
        *code_point = c1;
        return 2;
      }
      return 0;
    case 0xd8:  // U+0600-0604
      if (c1 >= 0x80 && c1 <= 0x84) {
        *code_point = 0x600 + (c1 - 0x80);
        return 2;
      }
      return 0;
    case 0xdc:  // U+070F
      if (c1 == 0x8f) {
        *code_point = 0x70f;
        return 2;
      }
      return 0;
    default:
      break;
  }
  if (avail < 3) return 0;
  const unsigned char c2 = p[2];
  bool escaped = false;
  switch (c) {
    case 0xe1:  // U+17B4, U+17B5
      escaped = c1 == 0x9e && (c2 == 0xb4 || c2 == 0xb5);
      break;
    case 0xe2:  // U+200C-200F, U+2028-202F, U+2060-206F
      escaped = (c1 == 0x80 && ((c2 >= 0x8c && c2 <= 0x8f) || (c2 >= 0xa8 && c2 <= 0xaf))) ||
                (c1 == 0x81 && c2 >= 0xa0 && c2 <= 0xaf);
      break;
    case 0xef:  // U+FEFF, U+FFF0-FFFF
      escaped = (c1 == 0xbb && c2 == 0xbf) || (c1 == 0xbf && c2 >= 0xb0 && c2 <= 0xbf);
      break;
    default:
      break;
  }
  if (!escaped) return 0;
  *code_point = ((c & 0x0fu) << 12) | ((c1 & 0x3fu) << 6) | (c2 & 0x3fu);
  return 3;
}

// True when none of the 8 bytes in `x` can start an escape in either quoting, i.e. all are
// printable ASCII other than '"', '\\' and DEL. Most strings are plain ASCII, so this skips
// them 8 bytes at a time. (Each term is the classic exact "some byte is zero / below n" bit
// trick.)
inline bool AllPlainAscii(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kHigh = 0x8080808080808080u;
  auto has_zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t special = (x & kHigh) |                         // >= 0x80
                           ((x - kOnes * 0x20) & ~x & kHigh) |  // < 0x20
                           has_zero_byte(x ^ (kOnes * '"')) | has_zero_byte(x ^ (kOnes * '\\')) |
                           has_zero_byte(x ^ (kOnes * 0x7f));
  return special == 0;
}

// Moves i past whole 8-byte chunks of plain ASCII at p[i..size).
inline size_t SkipPlainAscii(const unsigned char* p, size_t i, size_t size) {
  uint64_t chunk;
  while (size - i >= 8) {
    std::memcpy(&chunk, p + i, sizeof(chunk));
    if (!AllPlainAscii(chunk)) break;
    i += 8;
  }
  return i;
}

using EscapedLengthFn = int (*)(const unsigned char*, size_t, uint32_t*);

// Both quotings share the short escapes (\" \\ \b \t \n \f \r) and differ only in which other
// characters become \uXXXX: `starts` and `escaped_length` say which.
void AppendQuoted(std::string_view s, const EscapeStartTable& starts,
                  EscapedLengthFn escaped_length, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t size = s.size();
  out->push_back('"');
  size_t run_start = 0;  // Bytes [run_start, i) are copied unchanged.
  size_t i = 0;
  while ((i = SkipPlainAscii(p, i, size)) < size) {
    const unsigned char c = p[i];
    if (!starts.flag[c]) {
      ++i;
      continue;
    }
    char short_escape = 0;
    switch (c) {
      case '"': short_escape = '"'; break;
      case '\\': short_escape = '\\'; break;
      case '\b': short_escape = 'b'; break;
      case '\t': short_escape = 't'; break;
      case '\n': short_escape = 'n'; break;
      case '\f': short_escape = 'f'; break;
      case '\r': short_escape = 'r'; break;
      default: break;
    }
    uint32_t code_point = 0;
    const int length = short_escape ? 1 : escaped_length(p + i, size - i, &code_point);
    if (length == 0) {
      ++i;
      continue;
    }
    out->append(s.data() + run_start, i - run_start);
    if (short_escape) {
      const char escape[2] = {'\\', short_escape};
      out->append(escape, 2);
    } else {
      const char escape[6] = {'\\', 'u', kHex[(code_point >> 12) & 0xf],
                              kHex[(code_point >> 8) & 0xf], kHex[(code_point >> 4) & 0xf],
                              kHex[code_point & 0xf]};
      out->append(escape, 6);
    }
    i += static_cast<size_t>(length);
    run_start = i;
  }
  out->append(s.data() + run_start, size - run_start);
  out->push_back('"');
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  AppendQuoted(s, kStringifyStarts, StringifyEscapedLength, out);
}

void AppendCanonicalJsonString(std::string_view s, std::string* out) {
  AppendQuoted(s, kCanonicalStarts, CanonicalEscapedLength, out);
}

namespace {

// The length of the well-formed UTF-8 sequence at p[0..avail) (2 to 4 bytes, no surrogates,
// no overlong forms), or 0.
int Utf8SequenceLength(const unsigned char* p, size_t avail) {
  const unsigned char c = p[0];
  int length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (avail < static_cast<size_t>(length) || p[1] < low || p[1] > high) return 0;
  for (int i = 2; i < length; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return length;
}

}  // namespace

bool IsPlainCanonicalString(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t size = s.size();
  size_t i = 0;
  while ((i = SkipPlainAscii(p, i, size)) < size) {
    if (p[i] < 0x80) {
      if (kCanonicalStarts.flag[p[i]]) return false;
      ++i;
      continue;
    }
    const int length = Utf8SequenceLength(p + i, size - i);
    uint32_t code_point = 0;
    if (length == 0 || CanonicalEscapedLength(p + i, size - i, &code_point) != 0) return false;
    i += static_cast<size_t>(length);
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Number(string).

std::optional<double> ParseJsDecimal(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (s.substr(i) == "Infinity") return negative ? -INFINITY : INFINITY;
  // StrUnsignedDecimalLiteral: digits [. digits] | . digits, then an optional exponent.
  const size_t start = i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // The grammar is checked, so strtod (correctly rounded) sees only a decimal literal.
  const std::string literal(s.substr(start));
  const double value = std::strtod(literal.c_str(), nullptr);
  return negative ? -value : value;
}

double JsStringToNumber(std::string_view s) {
  // JS trims WhiteSpace and LineTerminator; the ASCII and common Unicode ones suffice here.
  static const char* const kSpaces[] = {" ", "\t", "\n", "\v", "\f", "\r",
                                         "\xC2\xA0", "\xEF\xBB\xBF", "\xE2\x80\xA8",
                                         "\xE2\x80\xA9", "\xE3\x80\x80"};
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    for (const char* sp : kSpaces) {
      std::string_view w(sp);
      if (s.size() >= w.size() && s.substr(0, w.size()) == w) {
        s.remove_prefix(w.size());
        trimmed = true;
      }
      if (s.size() >= w.size() && s.substr(s.size() - w.size()) == w) {
        s.remove_suffix(w.size());
        trimmed = true;
      }
    }
  }
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    int base = 0;
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    if (p == 'o') base = 8;
    if (p == 'b') base = 2;
    if (base) {
      double v = 0;
      for (size_t i = 2; i < s.size(); ++i) {
        char c = static_cast<char>(s[i] | 0x20);
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
        if (d >= base) return std::nan("");
        v = v * base + d;
      }
      return v;
    }
  }
  return ParseJsDecimal(s).value_or(std::nan(""));
}

// ---------------------------------------------------------------------------------------
// Percent-decoding.

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes, and '+' as a space when `plus_is_space`. A malformed '%' is an error
// (nullopt) when `strict`, else kept as is.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space, bool strict) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 < s.size()) {
        const int hi = HexValue(s[i + 1]);
        const int lo = HexValue(s[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          continue;
        }
      }
      if (strict) return std::nullopt;
      out.push_back(c);
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string DecodePathSegment(std::string_view text) {
  return *PercentDecode(text, /*plus_is_space=*/false, /*strict=*/false);
}

std::optional<std::string> DecodeQueryComponent(std::string_view text) {
  return PercentDecode(text, /*plus_is_space=*/true, /*strict=*/true);
}

}  // namespace replicore
