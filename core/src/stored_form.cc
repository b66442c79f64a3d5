#include "stored_form.h"

#include "replicore/js_semantics.h"

namespace replicore {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A property whose values a bulk-update only type-checks: no rule to evaluate.
bool HasNoRules(const PropertyDefinition& p) {
  return !p.min && !p.max && !p.length && !p.pattern;
}

// Moves *pos past a plain string at text[*pos] ('"'): one canonical-json writes unchanged,
// with no escape. Sets *empty when it is "".
bool TakeString(std::string_view text, size_t* pos, bool* empty) {
  const size_t close = text.find('"', *pos + 1);
  if (close == std::string_view::npos) return false;
  const std::string_view content = text.substr(*pos + 1, close - *pos - 1);
  if (content.find('\\') != std::string_view::npos || !IsPlainCanonicalString(content)) return false;
  *empty = content.empty();
  *pos = close + 1;
  return true;
}

// Moves *pos past an integer JS prints with the same digits: no sign on zero, no leading
// zero, at most 15 digits, no fraction or exponent.
bool TakeInteger(std::string_view text, size_t* pos) {
  size_t i = *pos + (text[*pos] == '-' ? 1 : 0);
  const size_t first = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  const size_t digits = i - first;
  if (digits == 0 || digits > 15 || (digits > 1 && text[first] == '0')) return false;
  if (text[first] == '0' && first != *pos) return false;  // -0
  if (i < text.size() && (text[i] == '.' || text[i] == 'e' || text[i] == 'E')) return false;
  *pos = i;
  return true;
}

bool TakeLiteral(std::string_view text, size_t* pos, std::string_view literal) {
  if (text.substr(*pos, literal.size()) != literal) return false;
  *pos += literal.size();
  return true;
}

constexpr int kMaxNesting = 16;  // deeper values take the tree path

// Moves *pos past a value nested in an object or any property, in canonical form: objects
// with plain ASCII keys in increasing order, arrays, plain strings, integers, literals.
bool TakeNested(std::string_view text, size_t* pos, int depth) {
  if (*pos >= text.size() || depth > kMaxNesting) return false;
  const char c = text[*pos];
  bool empty = false;
  if (c == '"') return TakeString(text, pos, &empty);
  if (c == '-' || IsDigit(c)) return TakeInteger(text, pos);
  if (c == 'n') return TakeLiteral(text, pos, "null");
  if (c == 't') return TakeLiteral(text, pos, "true");
  if (c == 'f') return TakeLiteral(text, pos, "false");
  const bool object = c == '{';
  if (!object && c != '[') return false;
  ++*pos;
  const char end = object ? '}' : ']';
  if (*pos < text.size() && text[*pos] == end) {
    ++*pos;
    return true;
  }
  std::string_view previous_key;
  for (bool first = true;; first = false) {
    if (object) {
      const size_t key_start = *pos + 1;
      if (*pos >= text.size() || text[*pos] != '"' || !TakeString(text, pos, &empty)) return false;
      const std::string_view key = text.substr(key_start, *pos - key_start - 1);
      for (char k : key) {
        if (k < 0x20 || k > 0x7e) return false;  // byte order is UTF-16 order for ASCII only
      }
      if (!first && key <= previous_key) return false;
      previous_key = key;
      if (*pos >= text.size() || text[*pos] != ':') return false;
      ++*pos;
    }
    if (!TakeNested(text, pos, depth + 1)) return false;
    if (*pos < text.size() && text[*pos] == ',') {
      ++*pos;
      continue;
    }
    if (*pos >= text.size() || text[*pos] != end) return false;
    ++*pos;
    return true;
  }
}

// Reads one value at text[*pos] for property `p`; true when it is stored as it is.
bool TakeValue(const PropertyDefinition& p, std::string_view text, size_t* pos) {
  if (*pos >= text.size()) return false;
  const char c = text[*pos];
  if (c == 'n') return TakeLiteral(text, pos, "null") && !p.required;  // null: any type
  switch (p.type) {
    case PropertyType::kString: {
      bool empty = false;
      return c == '"' && TakeString(text, pos, &empty) && !(p.required && empty);
    }
    case PropertyType::kNumber:
      return (c == '-' || IsDigit(c)) && TakeInteger(text, pos);
    case PropertyType::kBoolean:
      return TakeLiteral(text, pos, "true") || TakeLiteral(text, pos, "false");
    case PropertyType::kArray:
      // Items are coerced to their type, and [] is blank.
      if (c != '[' || (p.item_type && *p.item_type != PropertyType::kAny)) return false;
      if (p.required && text.substr(*pos, 2) == "[]") return false;
      return TakeNested(text, pos, 1);
    case PropertyType::kObject:
      return c == '{' && TakeNested(text, pos, 1);
    case PropertyType::kAny: {
      const size_t start = *pos;
      if (!TakeNested(text, pos, 1)) return false;
      // Blank values of a required property: "" and [].
      const std::string_view value = text.substr(start, *pos - start);
      return !(p.required && (value == "\"\"" || value == "[]"));
    }
    case PropertyType::kDate:
      return false;  // dates are rewritten to their ISO form
  }
  return false;
}

}  // namespace

bool IsStoredForm(const ModelDefinition& model, std::string_view text) {
  if (text.size() < 2 || text.front() != '{') return false;
  size_t pos = 1;
  size_t required_seen = 0;
  std::string_view previous_key;
  bool first = true;
  if (text[pos] != '}') {
    for (;;) {
      if (pos >= text.size() || text[pos] != '"') return false;
      const size_t close = text.find('"', pos + 1);
      if (close == std::string_view::npos) return false;
      const std::string_view key = text.substr(pos + 1, close - pos - 1);
      // Plain ASCII keys only, so byte order is canonical-json's UTF-16 order; strictly
      // increasing, so no key repeats.
      for (char c : key) {
        if (c < 0x20 || c > 0x7e || c == '\\') return false;
      }
      if (!first && key <= previous_key) return false;
      const PropertyDefinition* prop = model.FindProperty(key);
      if (!prop || !HasNoRules(*prop)) return false;
      pos = close + 1;
      if (pos >= text.size() || text[pos] != ':') return false;
      ++pos;
      if (!TakeValue(*prop, text, &pos)) return false;
      if (prop->required) ++required_seen;
      previous_key = key;
      first = false;
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      break;
    }
  }
  if (pos + 1 != text.size() || text[pos] != '}') return false;
  size_t required = 0;
  for (const PropertyDefinition& p : model.properties()) required += p.required ? 1 : 0;
  return required_seen == required;
}

}  // namespace replicore
