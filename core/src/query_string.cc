// ParseQueryString: the query-string decoding LoopBack 3 gets from Express's "extended"
// parser, i.e. the qs module with its defaults (depth 5, parameterLimit 1000,
// arrayLimit 20, no dots, duplicates combined). Values stay strings; a JSON filter
// (?filter={...}) stays one string for ParseFilter to parse.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "replicore/filter.h"
#include "replicore/js_semantics.h"

namespace replicore {
namespace {

constexpr size_t kParameterLimit = 1000;  // qs: later parameters are dropped, not errors
constexpr int kDepth = 5;                 // qs: deeper brackets stay one literal key
constexpr size_t kArrayLimit = 20;        // qs: a[21]=x makes {"21": "x"}, not an array

// A missing array element (JS sparse array hole) while merging; removed at the end as qs's
// compact() does. nlohmann's "discarded" value never appears in parsed JSON, so it is free.
Json Hole() { return Json(Json::value_t::discarded); }

// Well-formed UTF-8 as decodeURIComponent requires it (no overlongs, no surrogates).
// Also protects Json::dump, which throws on invalid UTF-8.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// '+' is a space, %XX a byte. qs falls back to the raw text when decodeURIComponent throws;
// we refuse instead, so a malformed URL is reported rather than half-interpreted.
Result<std::string> Decode(std::string_view s) {
  std::optional<std::string> out = DecodeQueryComponent(s);
  if (!out) return Status::BadRequest("Malformed percent-encoding in the query string");
  if (!IsValidUtf8(*out)) {
    return Status::BadRequest("The query string does not decode to valid UTF-8");
  }
  return std::move(*out);
}

// The first "[...]" group (no brackets inside) at or after `from`: [start, end).
bool FindGroup(const std::string& key, size_t from, size_t* start, size_t* end) {
  size_t i = key.find('[', from);
  while (i != std::string::npos) {
    size_t j = key.find_first_of("[]", i + 1);
    if (j == std::string::npos) return false;
    if (key[j] == ']') {
      *start = i;
      *end = j + 1;
      return true;
    }
    i = j;  // "[a[b]": the inner '[' may open the group
  }
  return false;
}

// qs parseKeys: "a[b][c]" -> {"a", "[b]", "[c]"}; past kDepth groups the rest is one
// segment ("[[g][h]]"), so nesting, recursion and stack use are bounded.
std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> chain;
  size_t start, end;
  bool found = FindGroup(key, 0, &start, &end);
  std::string parent = found ? key.substr(0, start) : key;
  if (!parent.empty()) chain.push_back(parent);
  size_t pos = 0;
  int depth = 0;
  while ((found = FindGroup(key, pos, &start, &end)) && depth < kDepth) {
    ++depth;
    chain.push_back(key.substr(start, end - start));
    pos = end;
  }
  if (found) chain.push_back("[" + key.substr(start) + "]");
  return chain;
}

void AppendSpread(Json* array, Json value) {
  if (value.is_array()) {
    for (Json& item : value) array->push_back(std::move(item));
  } else {
    array->push_back(std::move(value));
  }
}

// qs utils.combine: [].concat(a, b).
Json Combine(Json a, Json b) {
  Json out = Json::array();
  AppendSpread(&out, std::move(a));
  AppendSpread(&out, std::move(b));
  return out;
}

bool IsContainer(const Json& j) { return j.is_object() || j.is_array(); }

bool IsArrayIndex(const std::string& s) {
  if (s.empty() || s.size() > 2) return false;  // kArrayLimit is 20: at most two digits
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  if (s.size() > 1 && s[0] == '0') return false;  // "01" is a key, as String(1) != "01"
  return static_cast<size_t>(std::stoi(s)) <= kArrayLimit;
}

// qs parseObject: builds the nested value for one key chain, innermost first.
Json BuildChain(const std::vector<std::string>& chain, Json leaf) {
  for (size_t n = chain.size(); n-- > 0;) {
    const std::string& root = chain[n];
    Json obj;
    if (root == "[]") {
      obj = Json::array();
      AppendSpread(&obj, std::move(leaf));
    } else {
      bool bracketed = root.size() >= 2 && root.front() == '[' && root.back() == ']';
      std::string clean = bracketed ? root.substr(1, root.size() - 2) : root;
      if (bracketed && IsArrayIndex(clean)) {
        size_t index = static_cast<size_t>(std::stoi(clean));
        obj = Json::array();
        for (size_t i = 0; i < index; ++i) obj.push_back(Hole());
        obj.push_back(std::move(leaf));
      } else {
        obj = Json::object();
        if (clean != "__proto__") obj[clean] = std::move(leaf);
      }
    }
    leaf = std::move(obj);
  }
  return leaf;
}

// qs utils.merge, including its quirks for mixed shapes (a=x&a[b]=y -> ["x", {"b": "y"}]).
Json Merge(Json target, Json source) {
  if (!IsContainer(source)) {
    // Sources are built from decoded strings only; anything else cannot occur, but keep
    // Merge total. qs skips a falsy (empty) source.
    if (!source.is_string() || source.get_ref<const std::string&>().empty()) return target;
    if (target.is_array()) {
      target.push_back(std::move(source));
      return target;
    }
    if (target.is_object()) {
      target[source.get<std::string>()] = true;
      return target;
    }
    Json out = Json::array();
    out.push_back(std::move(target));
    out.push_back(std::move(source));
    return out;
  }
  if (!IsContainer(target)) {
    Json out = Json::array();
    out.push_back(std::move(target));
    AppendSpread(&out, std::move(source));
    return out;
  }
  if (target.is_array() && source.is_array()) {
    for (size_t i = 0; i < source.size(); ++i) {
      Json& item = source[i];
      if (item.is_discarded()) continue;  // forEach skips holes
      if (i < target.size() && !target[i].is_discarded()) {
        if (IsContainer(target[i]) && IsContainer(item)) {
          target[i] = Merge(std::move(target[i]), std::move(item));
        } else {
          target.push_back(std::move(item));
        }
      } else {
        while (target.size() <= i) target.push_back(Hole());
        target[i] = std::move(item);
      }
    }
    return target;
  }
  if (target.is_array()) {  // arrayToObject
    Json obj = Json::object();
    for (size_t i = 0; i < target.size(); ++i) {
      if (!target[i].is_discarded()) obj[std::to_string(i)] = std::move(target[i]);
    }
    target = std::move(obj);
  }
  auto merge_entry = [&target](const std::string& key, Json value) {
    auto it = target.find(key);
    if (it != target.end()) {
      *it = Merge(std::move(*it), std::move(value));
    } else {
      target[key] = std::move(value);
    }
  };
  if (source.is_array()) {
    for (size_t i = 0; i < source.size(); ++i) {
      if (!source[i].is_discarded()) merge_entry(std::to_string(i), std::move(source[i]));
    }
  } else {
    for (auto it = source.begin(); it != source.end(); ++it) merge_entry(it.key(), std::move(*it));
  }
  return target;
}

// qs compact: drops the holes of sparse arrays (a[1]=b&a[3]=c -> ["b", "c"]).
void Compact(Json* j) {
  if (j->is_array()) {
    Json out = Json::array();
    for (Json& item : *j) {
      if (item.is_discarded()) continue;
      Compact(&item);
      out.push_back(std::move(item));
    }
    *j = std::move(out);
  } else if (j->is_object()) {
    for (auto& item : j->items()) Compact(&item.value());
  }
}

}  // namespace

Result<Json> ParseQueryString(std::string_view query) {
  // Stage 1 (qs parseValues): decode each "key=value", combining repeated keys.
  std::vector<std::pair<std::string, Json>> entries;
  std::map<std::string, size_t> seen;
  size_t count = 0;
  size_t start = 0;
  while (start <= query.size() && count < kParameterLimit) {
    size_t amp = query.find('&', start);
    std::string_view part =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    ++count;
    if (part.empty()) continue;
    // "a[b=c]=d": qs splits at "]=" when there is one, else at the first "=".
    size_t bracket_equals = part.find("]=");
    size_t eq = bracket_equals == std::string_view::npos ? part.find('=') : bracket_equals + 1;
    RC_ASSIGN_OR_RETURN(std::string key, Decode(part.substr(0, eq)));
    std::string value_text;
    if (eq != std::string_view::npos) {
      RC_ASSIGN_OR_RETURN(value_text, Decode(part.substr(eq + 1)));
    }
    if (key.empty()) continue;
    auto it = seen.find(key);
    if (it != seen.end()) {
      Json& existing = entries[it->second].second;
      existing = Combine(std::move(existing), Json(std::move(value_text)));
    } else {
      seen.emplace(key, entries.size());
      entries.emplace_back(std::move(key), Json(std::move(value_text)));
    }
  }
  // Stage 2 (qs parseKeys + merge): expand bracket keys into nested objects and arrays.
  Json result = Json::object();
  for (auto& [key, value] : entries) {
    std::vector<std::string> chain = SplitKey(key);
    if (chain.empty()) continue;
    result = Merge(std::move(result), BuildChain(chain, std::move(value)));
  }
  Compact(&result);
  return result;
}

}  // namespace replicore
