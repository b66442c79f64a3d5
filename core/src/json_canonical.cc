// canonical-json 0.0.4 (what LoopBack 3 hashes) over nlohmann::json, plus the JS number
// formatting it depends on. Revisions are computed on every write, so the serialiser appends
// into one string and allocates nothing else on the common path.
#include "replicore/json_canonical.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

#include "replicore/js_semantics.h"
#include "replicore/sha1.h"

namespace replicore {
namespace {

// The object fast path below relies on objects iterating in UTF-8 byte order.
static_assert(std::is_same<Json::object_comparator_t, std::less<>>::value,
              "Json objects must be std::map ordered by byte-wise key comparison");

// 2^53: every integer up to this magnitude is exactly representable as a double, so JS
// prints it with the same digits as the integer itself.
constexpr uint64_t kMaxExactInteger = uint64_t{1} << 53;

void AppendUnsigned(uint64_t value, std::string* out) {
  char buf[20];
  char* end = buf + sizeof(buf);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out->append(p, end);
}

// ECMAScript Number::toString(x) (ECMA-262 §6.1.6.1.20) for radix 10, with canonical JSON's
// "null" for non-finite values.
void AppendJsNumber(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  if (value == 0) {  // Also -0, which JS prints as "0".
    out->push_back('0');
    return;
  }
  if (value < 0) {
    out->push_back('-');
    value = -value;
  }
  // Dragonbox gives the shortest digits that round-trip and, among those, the closest to
  // the value: exactly the s, k, n the specification asks for.
  auto decimal = fmt::detail::dragonbox::to_decimal(value);
  uint64_t significand = decimal.significand;
  int exponent = decimal.exponent;
  while (significand % 10 == 0) {  // k must be as small as possible.
    significand /= 10;
    ++exponent;
  }
  char digits[20];
  char* digits_end = digits + sizeof(digits);
  char* d = digits_end;
  do {
    *--d = static_cast<char>('0' + significand % 10);
    significand /= 10;
  } while (significand != 0);
  const int k = static_cast<int>(digits_end - d);  // Number of digits.
  const int n = k + exponent;                      // Value = 0.digits * 10^n.

  if (k <= n && n <= 21) {  // Integer: digits then n - k zeros.
    out->append(d, k);
    out->append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {  // Point inside the digits.
    out->append(d, n);
    out->push_back('.');
    out->append(d + n, k - n);
  } else if (-6 < n && n <= 0) {  // 0.000ddd
    out->append("0.");
    out->append(static_cast<size_t>(-n), '0');
    out->append(d, k);
  } else {  // d.ddde±x
    out->push_back(d[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(d + 1, k - 1);
    }
    out->push_back('e');
    int e = n - 1;
    out->push_back(e < 0 ? '-' : '+');
    AppendUnsigned(static_cast<uint64_t>(e < 0 ? -e : e), out);
  }
}

void AppendInt64(int64_t value, std::string* out) {
  if (value >= -static_cast<int64_t>(kMaxExactInteger) &&
      value <= static_cast<int64_t>(kMaxExactInteger)) {
    if (value < 0) out->push_back('-');
    AppendUnsigned(static_cast<uint64_t>(value < 0 ? -value : value), out);
  } else {
    // JS holds a double: 9223372036854775807 becomes 9223372036854776000.
    AppendJsNumber(static_cast<double>(value), out);
  }
}

void AppendUint64(uint64_t value, std::string* out) {
  if (value <= kMaxExactInteger) {
    AppendUnsigned(value, out);
  } else {
    AppendJsNumber(static_cast<double>(value), out);
  }
}

bool HasBmpPrivateOrSpecialsLead(const std::string& key) {
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0xee || c == 0xef) return true;
  }
  return false;
}

void AppendValue(const Json& value, std::string* out);

void AppendMember(const Json::object_t::value_type& member, bool first, std::string* out) {
  if (!first) out->push_back(',');
  AppendCanonicalJsonString(member.first, out);
  out->push_back(':');
  AppendValue(member.second, out);
}

void AppendObject(const Json::object_t& object, std::string* out) {
  out->push_back('{');
  // std::map already iterates in byte order; only keys containing U+E000-FFFF can sort
  // differently in UTF-16, so the pointer sort runs only when one is present.
  bool needs_sort = false;
  for (const auto& member : object) {
    if (HasBmpPrivateOrSpecialsLead(member.first)) {
      needs_sort = true;
      break;
    }
  }
  if (!needs_sort) {
    bool first = true;
    for (const auto& member : object) {
      AppendMember(member, first, out);
      first = false;
    }
  } else {
    std::vector<const Json::object_t::value_type*> members;
    members.reserve(object.size());
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return CompareUtf16(a->first, b->first) < 0; });
    bool first = true;
    for (const auto* member : members) {
      AppendMember(*member, first, out);
      first = false;
    }
  }
  out->push_back('}');
}

void AppendValue(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::object:
      AppendObject(*value.get_ptr<const Json::object_t*>(), out);
      return;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const Json& element : *value.get_ptr<const Json::array_t*>()) {
        if (!first) out->push_back(',');
        AppendValue(element, out);
        first = false;
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::string:
      AppendCanonicalJsonString(*value.get_ptr<const Json::string_t*>(), out);
      return;
    case Json::value_t::boolean:
      out->append(*value.get_ptr<const Json::boolean_t*>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
      AppendInt64(*value.get_ptr<const Json::number_integer_t*>(), out);
      return;
    case Json::value_t::number_unsigned:
      AppendUint64(*value.get_ptr<const Json::number_unsigned_t*>(), out);
      return;
    case Json::value_t::number_float:
      AppendJsNumber(*value.get_ptr<const Json::number_float_t*>(), out);
      return;
    case Json::value_t::null:
    case Json::value_t::binary:     // Never produced by parsing; JS has no such value.
    case Json::value_t::discarded:  // Likewise.
      out->append("null");
      return;
  }
  out->append("null");
}

// Length of the well-formed UTF-8 character at p[0..avail) (Unicode Table 3-7, so no
// overlongs, no surrogates D800-DFFF, nothing above U+10FFFF), or 0 if ill-formed.
int WellFormedCharLength(const unsigned char* p, size_t avail) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  int length;
  unsigned char lo = 0x80, hi = 0xbf;  // Allowed range of the second byte.
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) lo = 0xa0;  // Overlong.
    if (c == 0xed) hi = 0x9f;  // Surrogates.
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) lo = 0x90;  // Overlong.
    if (c == 0xf4) hi = 0x8f;  // Above U+10FFFF.
  } else {
    return 0;
  }
  if (avail < static_cast<size_t>(length)) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (int i = 2; i < length; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return length;
}

bool IsWellFormedUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int length = WellFormedCharLength(p + i, s.size() - i);
    if (length == 0) return false;
    i += static_cast<size_t>(length);
  }
  return true;
}

// Appends `s` with every ill-formed part replaced by U+FFFD, so that a path naming a bad key
// is itself safe to log or dump. A WTF-8 surrogate (ED A0-BF 80-BF) becomes one U+FFFD, as JS
// shows it.
void AppendSanitized(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    const size_t avail = s.size() - i;
    const int length = WellFormedCharLength(p + i, avail);
    if (length > 0) {
      out->append(s.data() + i, static_cast<size_t>(length));
      i += static_cast<size_t>(length);
      continue;
    }
    out->append("\xef\xbf\xbd");
    const bool surrogate = avail >= 3 && p[i] == 0xed && p[i + 1] >= 0xa0 && p[i + 1] <= 0xbf &&
                           p[i + 2] >= 0x80 && p[i + 2] <= 0xbf;
    i += surrogate ? 3 : 1;
  }
}

// Depth-first search; on finding a bad string leaves its path in *path and returns true.
// *path is restored on the way out otherwise.
bool FindMalformed(const Json& value, std::string* path) {
  const size_t parent_size = path->size();
  auto push_segment = [&]() {
    if (parent_size != 0) path->push_back('.');
  };
  switch (value.type()) {
    case Json::value_t::string:
      return !IsWellFormedUtf8(*value.get_ptr<const Json::string_t*>());
    case Json::value_t::object:
      for (const auto& [key, member] : *value.get_ptr<const Json::object_t*>()) {
        push_segment();
        if (!IsWellFormedUtf8(key)) {
          AppendSanitized(key, path);
          return true;
        }
        path->append(key);
        if (FindMalformed(member, path)) return true;
        path->resize(parent_size);
      }
      return false;
    case Json::value_t::array: {
      uint64_t index = 0;
      for (const Json& element : *value.get_ptr<const Json::array_t*>()) {
        push_segment();
        AppendUnsigned(index++, path);
        if (FindMalformed(element, path)) return true;
        path->resize(parent_size);
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace

std::string JsNumberToString(double value) {
  std::string out;
  AppendJsNumber(value, &out);
  return out;
}

void AppendCanonicalJson(const Json& value, std::string* out) { AppendValue(value, out); }

std::string CanonicalJson(const Json& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

std::string Revision(const Json& view) {
  // One buffer per thread, reused across calls, so a revision costs no allocation besides
  // the returned hex string.
  thread_local std::string buffer;
  buffer.clear();
  AppendValue(view, &buffer);
  std::string revision = Sha1Hex(buffer);
  // Don't keep a huge document's buffer alive forever.
  if (buffer.capacity() > (size_t{1} << 20)) std::string().swap(buffer);
  return revision;
}

std::string ChangeId(std::string_view model_name, std::string_view model_id) {
  std::string joined;
  joined.reserve(model_name.size() + 1 + model_id.size());
  joined.append(model_name);
  joined.push_back('-');
  joined.append(model_id);
  return Sha1Hex(joined);
}

std::optional<std::string> FindMalformedString(const Json& value) {
  std::string path;
  if (FindMalformed(value, &path)) return path;
  return std::nullopt;
}

}  // namespace replicore
