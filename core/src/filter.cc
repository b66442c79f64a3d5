// LoopBack 3 filters, evaluated the way loopback-datasource-juggler's memory connector
// does (lib/connectors/memory.js applyFilter/sorting) after dao.js/_normalize/_coerce have
// validated and coerced them. Where the two disagree with common sense the choice is
// spelled out next to the code.
#include "replicore/filter.h"
#include "replicore/js_semantics.h"
#include "replicore/like.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace replicore {

namespace {

// ---------------------------------------------------------------------------------------
// Helpers shared by parsing and matching.

std::vector<std::string> SplitPath(std::string_view key) {
  std::vector<std::string> path;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    if (dot == std::string_view::npos) {
      path.emplace_back(key.substr(start));
      return path;
    }
    path.emplace_back(key.substr(start, dot - start));
    start = dot + 1;
  }
}

// Short JSON text of a value for error messages (bounded so a hostile filter cannot make
// a huge message).
std::string Describe(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The memory connector's compare(): 0 equal, <0, >0, or nullopt where JS gives NaN
// (null/undefined against a value, mismatched types, objects that differ).
std::optional<int> Compare(const Json* a, const Json* b) {
  bool a_null = a == nullptr || a->is_null();
  bool b_null = b == nullptr || b->is_null();
  if (a_null || b_null) {
    if (a_null && b_null) return 0;
    return std::nullopt;
  }
  if (a->is_number() && b->is_number()) {
    if (*a < *b) return -1;
    if (*b < *a) return 1;
    return 0;
  }
  if (a->is_string() && b->is_string()) {
    return CompareUtf16(a->get_ref<const std::string&>(), b->get_ref<const std::string&>());
  }
  if (a->is_boolean() && b->is_boolean()) {
    return static_cast<int>(a->get<bool>()) - static_cast<int>(b->get<bool>());
  }
  // JS would coerce 5 against "5"; we deliberately do not: gt/lt across types is false.
  if (a->type() == b->type() && *a == *b) return 0;  // objects/arrays: deep equality
  return std::nullopt;
}

// JS `==` as the memory connector uses it for plain equality and inq/nin, without JS's
// cross-type coercion: null matches null or absent; objects compare deeply.
bool LooseEquals(const Json& operand, const Json* value) {
  if (operand.is_null()) return value == nullptr || value->is_null();
  if (value == nullptr) return false;
  return operand == *value;  // nlohmann compares int/unsigned/float numerically
}

// ---------------------------------------------------------------------------------------
// Matching.

bool TestScalar(const Where& w, const Json* v) {
  switch (w.op) {
    case WhereOp::kEq:
      return LooseEquals(w.value, v);
    case WhereOp::kNeq: {
      std::optional<int> c = Compare(&w.value, v);
      return !(c && *c == 0);
    }
    case WhereOp::kGt: {
      std::optional<int> c = Compare(v, &w.value);
      return c && *c > 0;
    }
    case WhereOp::kGte: {
      std::optional<int> c = Compare(v, &w.value);
      return c && *c >= 0;
    }
    case WhereOp::kLt: {
      std::optional<int> c = Compare(v, &w.value);
      return c && *c < 0;
    }
    case WhereOp::kLte: {
      std::optional<int> c = Compare(v, &w.value);
      return c && *c <= 0;
    }
    case WhereOp::kBetween: {
      std::optional<int> lo = Compare(v, &w.value[0]);
      if (!lo || *lo < 0) return false;
      std::optional<int> hi = Compare(v, &w.value[1]);
      return hi && *hi <= 0;
    }
    case WhereOp::kInq:
      for (const Json& item : w.value) {
        if (LooseEquals(item, v)) return true;
      }
      return false;
    case WhereOp::kNin:
      for (const Json& item : w.value) {
        if (LooseEquals(item, v)) return false;
      }
      return true;
    case WhereOp::kLike:
    case WhereOp::kIlike:
    case WhereOp::kRegexp:
    case WhereOp::kNlike:
    case WhereOp::kNilike: {
      // JS would test String(value) ("undefined", "5"); we only match strings, so a
      // non-string never matches like/ilike/regexp and always satisfies nlike/nilike.
      bool negated = w.op == WhereOp::kNlike || w.op == WhereOp::kNilike;
      if (v == nullptr || !v->is_string() || !w.regex) return negated;
      const std::string& s = v->get_ref<const std::string&>();
      bool found = w.regex->Search(s);
      return negated ? !found : found;
    }
  }
  return false;
}

bool TestValue(const Where& w, const Json* v) {
  if (v != nullptr && v->is_array()) {
    // The memory connector tests an array-valued property element by element (tags:
    // "travel" matches tags: ["travel"]); neq against an empty array is true.
    if (w.op == WhereOp::kNeq && v->empty()) return true;
    if (w.op == WhereOp::kEq && w.value.is_array() && w.value == *v) return true;
    for (const Json& item : *v) {
      if (TestValue(w, &item)) return true;
    }
    return false;
  }
  return TestScalar(w, v);
}

// Resolves w.path from `node` (segment `index` onwards) and tests the value found.
// nullptr stands for JS undefined.
bool TestAt(const Where& w, const Json* node, size_t index) {
  if (index == w.path.size()) return TestValue(w, node);
  if (node == nullptr || node->is_null()) return TestValue(w, nullptr);
  const std::string& key = w.path[index];
  if (node->is_object()) {
    auto it = node->find(key);
    return TestAt(w, it == node->end() ? nullptr : &*it, index + 1);
  }
  if (node->is_array()) {
    if (IsAllDigits(key)) {
      // "tags.0": JS indexes the array.
      size_t i = std::strtoull(key.c_str(), nullptr, 10);
      return TestAt(w, i < node->size() ? &(*node)[i] : nullptr, index + 1);
    }
    // "items.name" over an array of objects: like the memory connector (which emulates
    // MongoDB for embedded arrays), the condition holds if the value is undefined-matching
    // or any element satisfies the rest of the path.
    if (TestValue(w, nullptr)) return true;
    for (const Json& item : *node) {
      if (TestAt(w, &item, index)) return true;
    }
    return false;
  }
  return TestValue(w, nullptr);  // a scalar has no properties
}

// The value at `path` for sorting (nullptr when undefined). Arrays are indexed by digit
// segments only.
const Json* Resolve(const Json& record, const std::vector<std::string>& path) {
  const Json* node = &record;
  for (const std::string& key : path) {
    if (node->is_object()) {
      auto it = node->find(key);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && IsAllDigits(key)) {
      size_t i = std::strtoull(key.c_str(), nullptr, 10);
      if (i >= node->size()) return nullptr;
      node = &(*node)[i];
    } else {
      return nullptr;
    }
  }
  return node;
}

// ---------------------------------------------------------------------------------------
// Parsing.

std::optional<WhereOp> OperatorFor(std::string_view name) {
  static const std::pair<const char*, WhereOp> kOps[] = {
      {"eq", WhereOp::kEq},         {"neq", WhereOp::kNeq},       {"gt", WhereOp::kGt},
      {"gte", WhereOp::kGte},       {"lt", WhereOp::kLt},         {"lte", WhereOp::kLte},
      {"between", WhereOp::kBetween}, {"inq", WhereOp::kInq},     {"nin", WhereOp::kNin},
      {"like", WhereOp::kLike},     {"nlike", WhereOp::kNlike},   {"ilike", WhereOp::kIlike},
      {"nilike", WhereOp::kNilike}, {"regexp", WhereOp::kRegexp},
  };
  for (const auto& [op_name, op] : kOps) {
    if (name == op_name) return op;
  }
  return std::nullopt;
}

// juggler's coerceArray: an array, or an object with keys "0".."n-1" (what qs produces for
// indices above its arrayLimit of 20).
std::optional<Json> CoerceArray(const Json& value) {
  if (value.is_array()) return value;
  if (!value.is_object() || value.empty()) return std::nullopt;
  Json out = Json::array();
  for (size_t i = 0; i < value.size(); ++i) {
    auto it = value.find(std::to_string(i));
    if (it == value.end()) return std::nullopt;
    out.push_back(*it);
  }
  return out;
}

// JS Number(text) restricted to decimal notation; nullopt when not a finite number.
// Integral values become JSON integers so they compare equal to stored integers.
std::optional<Json> ParseNumber(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return std::nullopt;  // JS gives 0 for ""; we reject it
  size_t e = text.find_last_not_of(" \t\n\r\f\v");
  std::optional<double> parsed = ParseJsDecimal(std::string_view(text).substr(b, e - b + 1));
  if (!parsed || !std::isfinite(*parsed)) return std::nullopt;
  const double d = *parsed;
  // The range check comes first: casting a double beyond int64_t's range is undefined.
  if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    return Json(static_cast<int64_t>(d));
  }
  return Json(d);
}

// Coerces one where operand for a property of declared `type`, as juggler's _coerce does
// for query-string input. Only strings (and, for booleans, numbers) change.
Result<Json> CoerceScalar(const Json& value, const std::string& type, const std::string& key) {
  if (type == "number" && value.is_string()) {
    std::optional<Json> n = ParseNumber(value.get<std::string>());
    // juggler leaves a non-numeric string as is (so it silently matches nothing); we
    // report it, since it is almost always a client bug.
    if (!n) {
      return Status::BadFilter("The " + key + " property has invalid value " + Describe(value) +
                               ": not a number");
    }
    return *n;
  }
  if (type == "boolean") {
    if (value.is_string()) {
      const std::string& s = value.get_ref<const std::string&>();
      if (s == "true" || s == "1") return Json(true);
      if (s == "false" || s == "0") return Json(false);
      // JS Boolean("yes") is true; we refuse anything but the four spellings.
      return Status::BadFilter("The " + key + " property has invalid value " + Describe(value) +
                               ": not a boolean");
    }
    if (value.is_number()) return Json(value != Json(0));
  }
  // Dates stay strings: stored dates are ISO strings, which order correctly as strings.
  return value;
}

struct Parser {
  const PropertyTypeLookup* types;
  int depth = 0;

  std::optional<std::string> TypeOf(std::string_view key) const {
    if (types == nullptr || !*types) return std::nullopt;
    return (*types)(key);
  }

  Result<Json> Coerce(const Json& value, std::string_view key) const {
    std::optional<std::string> type = TypeOf(key);
    if (!type) return value;
    return CoerceScalar(value, *type, std::string(key));
  }

  // Whether an object operand with no operator keys may be a deep-equality value: only
  // for properties declared object/any/array (or nested inside one). Otherwise it is
  // almost certainly a misspelt operator ({"title": {"foo": 1}}), which must not
  // silently match nothing.
  bool AllowsObjectValue(std::string_view key) const {
    std::optional<std::string> type = TypeOf(key);
    if (!type) {
      size_t dot = key.find('.');
      if (dot == std::string_view::npos) return false;
      type = TypeOf(key.substr(0, dot));
      if (!type) return false;
    }
    return *type == "object" || *type == "any" || *type == "array";
  }

  Result<Where> ParseObject(const Json& where) {
    if (!where.is_object()) {
      return Status::BadFilter("The where clause " + Describe(where) + " is not an object");
    }
    // and/or nest; bound it so a hostile filter cannot exhaust the stack.
    if (++depth > 32) return Status::BadFilter("The where clause is nested too deeply");
    Where node;
    node.kind = Where::Kind::kAnd;
    for (auto it = where.begin(); it != where.end(); ++it) {
      const std::string& key = it.key();
      if (key == "and" || key == "or") {
        std::optional<Json> clauses = CoerceArray(*it);
        if (!clauses) {
          return Status::BadFilter("The " + key + " operator has invalid clauses " +
                                   Describe(*it) + ": not an array");
        }
        Where group;
        group.kind = key == "and" ? Where::Kind::kAnd : Where::Kind::kOr;
        for (const Json& clause : *clauses) {
          RC_ASSIGN_OR_RETURN(Where child, ParseObject(clause));
          group.children.push_back(std::move(child));
        }
        node.children.push_back(std::move(group));
        continue;
      }
      RC_RETURN_IF_ERROR(ParseProperty(key, *it, &node.children));
    }
    --depth;
    if (node.children.size() == 1) return std::move(node.children[0]);
    return node;
  }

  Status ParseProperty(const std::string& key, const Json& value, std::vector<Where>* out) {
    Where cond;
    cond.kind = Where::Kind::kCondition;
    cond.path = SplitPath(key);
    if (!value.is_object()) {
      // Plain equality (an array operand is matched as a whole or element-wise).
      cond.op = WhereOp::kEq;
      if (value.is_array()) {
        Json items = Json::array();
        for (const Json& item : value) {
          RC_ASSIGN_OR_RETURN(Json c, Coerce(item, key));
          items.push_back(std::move(c));
        }
        cond.value = std::move(items);
      } else {
        RC_ASSIGN_OR_RETURN(cond.value, Coerce(value, key));
      }
      out->push_back(std::move(cond));
      return Status::Ok();
    }
    // An object: operators, or (for object-typed properties) a value to compare deeply.
    bool has_operator = false;
    std::string unknown;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (OperatorFor(it.key())) {
        has_operator = true;
      } else if (it.key() != "options" && unknown.empty()) {
        unknown = it.key();
      }
    }
    if (!has_operator) {
      if (AllowsObjectValue(key)) {
        cond.op = WhereOp::kEq;
        cond.value = value;
        out->push_back(std::move(cond));
        return Status::Ok();
      }
      if (value.empty()) {
        return Status::BadFilter("The " + key + " property has an empty condition {}");
      }
      return Status::BadFilter("The " + key + " property has unknown operator \"" +
                               (unknown.empty() ? std::string("options") : unknown) + "\"");
    }
    if (!unknown.empty()) {
      return Status::BadFilter("The " + key + " property has unknown operator \"" + unknown +
                               "\"");
    }
    // Several operators ({gt: 1, lt: 5}) are and-ed. juggler's memory connector would
    // silently honour only the first; and-ing is what every SQL user expects.
    std::vector<Where> conds;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key() == "options") continue;  // a MongoDB regex option; meaningless here
      Where c = cond;
      c.op = *OperatorFor(it.key());
      RC_RETURN_IF_ERROR(ParseOperand(key, it.key(), *it, &c));
      conds.push_back(std::move(c));
    }
    if (conds.size() == 1) {
      out->push_back(std::move(conds[0]));
    } else {
      Where group;
      group.kind = Where::Kind::kAnd;
      group.children = std::move(conds);
      out->push_back(std::move(group));
    }
    return Status::Ok();
  }

  Status ParseOperand(const std::string& key, const std::string& op_name, const Json& operand,
                      Where* cond) {
    auto invalid = [&](const std::string& why) {
      return Status::BadFilter("The " + key + " property has invalid clause {\"" + op_name +
                               "\":" + Describe(operand) + "}: " + why);
    };
    switch (cond->op) {
      case WhereOp::kBetween:
      case WhereOp::kInq:
      case WhereOp::kNin: {
        std::optional<Json> items = CoerceArray(operand);
        if (!items) return invalid("Value is not an array");
        if (cond->op == WhereOp::kBetween && items->size() != 2) {
          return invalid("Expected precisely 2 values, received " +
                         std::to_string(items->size()));
        }
        for (Json& item : *items) {
          if (item.is_null()) continue;
          RC_ASSIGN_OR_RETURN(item, Coerce(item, key));
        }
        cond->value = std::move(*items);
        return Status::Ok();
      }
      case WhereOp::kLike:
      case WhereOp::kNlike:
      case WhereOp::kIlike:
      case WhereOp::kNilike: {
        if (!operand.is_string()) return invalid("Expected a string");
        cond->value = operand;
        bool icase = cond->op == WhereOp::kIlike || cond->op == WhereOp::kNilike;
        const std::string& pattern = operand.get_ref<const std::string&>();
        if (pattern.size() > kMaxRegexBytes) {
          return invalid("pattern longer than " + std::to_string(kMaxRegexBytes) + " bytes");
        }
        if (auto like = CompileLike(pattern, icase)) {
          cond->regex_source = pattern;  // flags "L": a like pattern (sqlite_store's rc_regexp)
          cond->regex_flags = icase ? "Li" : "L";
          cond->regex = std::move(like);
          return Status::Ok();
        }
        return Compile(LikePatternAsRegex(pattern), icase ? "i" : "", cond, invalid);
      }
      case WhereOp::kRegexp: {
        if (!operand.is_string()) return invalid("Expected a string");
        cond->value = operand;
        const std::string& text = operand.get_ref<const std::string&>();
        std::string source = text, flags;
        // "/ab+c/i": a leading slash and a last slash delimit the pattern. (juggler needs
        // at least one flag to see the delimiters; we also accept "/ab+c/".) A string not
        // starting with "/" is a bare pattern.
        size_t last = text.rfind('/');
        if (text.size() >= 2 && text[0] == '/' && last > 0) {
          source = text.substr(1, last - 1);
          flags = text.substr(last + 1);
          for (char f : flags) {
            if (f != 'i' && f != 'g' && f != 'm') {
              return invalid(std::string("Invalid regex flags: ") + f);
            }
          }
        }
        return Compile(source, flags, cond, invalid);
      }
      default: {
        RC_ASSIGN_OR_RETURN(cond->value, Coerce(operand, key));
        // eq/neq with an object or array operand compare deeply; gt/lt against one never
        // match (as in JS), so there is nothing to reject.
        return Status::Ok();
      }
    }
  }


  template <typename Invalid>
  static Status Compile(const std::string& source, const std::string& flags, Where* cond,
                        const Invalid& invalid) {
    cond->regex_source = source;
    cond->regex_flags = flags;
    // "g" changes nothing for a yes/no test; CompileRegex ignores it.
    std::string error;
    cond->regex = CompileRegex(source, flags, &error);
    if (!cond->regex) return invalid("Invalid regular expression: " + error);
    return Status::Ok();
  }
};

// A filter may arrive as a JSON string (?filter={...}); LoopBack answers a string that is
// not a JSON object with "Value is not an object.".
Result<Json> ObjectFromValue(const Json& value) {
  if (value.is_object()) return value;
  if (value.is_string()) {
    Json parsed = Json::parse(value.get_ref<const std::string&>(), nullptr,
                              /*allow_exceptions=*/false);
    if (parsed.is_object()) return parsed;
  }
  return Status::BadFilter("Value is not an object.");
}

// limit/skip/offset: a non-negative integer, or a string of digits (bracket form).
Result<size_t> ParseCount(const Json& value, const char* name) {
  auto invalid = [&] {
    return Status::BadFilter(std::string("The ") + name + " parameter " + Describe(value) +
                             " is not valid");
  };
  if (value.is_number_unsigned()) return static_cast<size_t>(value.get<uint64_t>());
  if (value.is_number_integer()) {
    int64_t n = value.get<int64_t>();
    if (n < 0) return invalid();
    return static_cast<size_t>(n);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!(d >= 0) || d > 9.0e15 || d != static_cast<double>(static_cast<uint64_t>(d))) {
      return invalid();
    }
    return static_cast<size_t>(d);
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (!IsAllDigits(s) || s.size() > 15) return invalid();
    return static_cast<size_t>(std::strtoull(s.c_str(), nullptr, 10));
  }
  return invalid();
}

Status ParseOrderString(const std::string& text, std::vector<OrderKey>* out) {
  // "a ASC, b DESC, c": comma-separated, each "property [ASC|DESC]".
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string token = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < token.size()) {
      while (i < token.size() && std::isspace(static_cast<unsigned char>(token[i]))) ++i;
      size_t j = i;
      while (j < token.size() && !std::isspace(static_cast<unsigned char>(token[j]))) ++j;
      if (j > i) parts.push_back(token.substr(i, j - i));
      i = j;
    }
    if (parts.empty()) continue;  // juggler skips empty tokens ("a,,b", trailing comma)
    OrderKey key;
    key.path = SplitPath(parts[0]);
    if (parts.size() >= 2) {
      std::string dir = parts[1];
      for (char& c : dir) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      // juggler ignores words after the direction; we reject them as malformed.
      if ((dir != "ASC" && dir != "DESC") || parts.size() > 2) {
        return Status::BadFilter("The order \"" + token + "\" has invalid direction");
      }
      key.descending = dir == "DESC";
    }
    out->push_back(std::move(key));
  }
  return Status::Ok();
}

Status ParseOrder(const Json& order, std::vector<OrderKey>* out) {
  if (order.is_null()) return Status::Ok();
  if (order.is_string()) return ParseOrderString(order.get<std::string>(), out);
  std::optional<Json> items = CoerceArray(order);
  if (!items) return Status::BadFilter("The order " + Describe(order) + " is not valid");
  for (const Json& item : *items) {
    if (!item.is_string()) {
      return Status::BadFilter("The order " + Describe(item) + " is not valid");
    }
    RC_RETURN_IF_ERROR(ParseOrderString(item.get<std::string>(), out));
  }
  return Status::Ok();
}

// JS truthiness for a fields flag, except that the bracket form's strings "false"/"0"
// mean false (JS would call any non-empty string true, so ?filter[fields][x]=false would
// include x; nobody means that).
std::optional<bool> FieldFlag(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_null()) return false;
  if (v.is_number()) return v != Json(0);
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0" || s.empty()) return false;
  }
  return std::nullopt;
}

Status ParseFields(const Json& fields, Filter* filter) {
  if (fields.is_null()) return Status::Ok();
  if (fields.is_string()) {
    filter->include_fields.push_back(fields.get<std::string>());
    return Status::Ok();
  }
  if (fields.is_array()) {  // [] means all fields, as in juggler
    for (const Json& f : fields) {
      if (!f.is_string()) return Status::BadFilter("The fields " + Describe(fields) + " is not valid");
      filter->include_fields.push_back(f.get<std::string>());
    }
    return Status::Ok();
  }
  if (fields.is_object()) {
    std::vector<std::string> included, excluded;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      std::optional<bool> flag = FieldFlag(*it);
      if (!flag) return Status::BadFilter("The fields " + Describe(fields) + " is not valid");
      (*flag ? included : excluded).push_back(it.key());
    }
    // As in juggler's fieldsToArray: any inclusion wins and the exclusions are ignored.
    if (!included.empty()) {
      filter->include_fields = std::move(included);
    } else {
      filter->exclude_fields = std::move(excluded);
    }
    return Status::Ok();
  }
  return Status::BadFilter("The fields " + Describe(fields) + " is not valid");
}

}  // namespace

// JS would compare null as 0; we rank it with undefined. Mismatched types, which JS leaves
// unordered, get a fixed rank so the sort is a strict weak order.
int OrderRank(const Json* v) {
  if (v == nullptr || v->is_null()) return 0;
  if (v->is_boolean()) return 1;
  if (v->is_number()) return 2;
  if (v->is_string()) return 3;
  if (v->is_array()) return 4;
  return 5;
}

int OrderCompare(const Json* a, const Json* b) {
  int ra = OrderRank(a), rb = OrderRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra >= 4) return *a < *b ? -1 : *b < *a ? 1 : 0;
  std::optional<int> c = Compare(a, b);
  return c ? *c : 0;
}

Result<Where> ParseWhere(const Json& where, const PropertyTypeLookup* types) {
  if (where.is_null()) return Where{};
  RC_ASSIGN_OR_RETURN(Json object, ObjectFromValue(where));
  Parser parser{types};
  return parser.ParseObject(object);
}

Result<Filter> ParseFilter(const Json& filter_value, const PropertyTypeLookup* types) {
  Filter filter;
  if (filter_value.is_null()) return filter;
  RC_ASSIGN_OR_RETURN(const Json f, ObjectFromValue(filter_value));

  if (auto it = f.find("where"); it != f.end()) {
    RC_ASSIGN_OR_RETURN(filter.where, ParseWhere(*it, types));
  }
  if (auto it = f.find("order"); it != f.end()) {
    RC_RETURN_IF_ERROR(ParseOrder(*it, &filter.order));
  }
  if (auto it = f.find("limit"); it != f.end() && !it->is_null()) {
    RC_ASSIGN_OR_RETURN(size_t limit, ParseCount(*it, "limit"));
    // limit 0 means "no limit": the memory connector slices with `filter.limit ||
    // nodes.length`, and juggler's _normalize lets a falsy limit through.
    if (limit > 0) filter.limit = limit;
  }
  // skip wins over offset when both are set (juggler: `filter.skip || filter.offset`).
  for (const char* name : {"offset", "skip"}) {
    if (auto it = f.find(name); it != f.end() && !it->is_null()) {
      RC_ASSIGN_OR_RETURN(size_t skip, ParseCount(*it, name));
      if (skip > 0 || std::strcmp(name, "offset") == 0) filter.skip = skip;
    }
  }
  if (auto it = f.find("fields"); it != f.end()) {
    RC_RETURN_IF_ERROR(ParseFields(*it, &filter));
  }
  // include, scope, etc. have no meaning for a single-model store and are ignored.
  return filter;
}

bool Matches(const Where& where, const Json& record) {
  switch (where.kind) {
    case Where::Kind::kAnd:
      for (const Where& child : where.children) {
        if (!Matches(child, record)) return false;
      }
      return true;
    case Where::Kind::kOr:
      for (const Where& child : where.children) {
        if (Matches(child, record)) return true;
      }
      return false;
    case Where::Kind::kCondition:
      return TestAt(where, &record, 0);
  }
  return false;
}

std::vector<size_t> OrderPage(const Filter& filter, const std::vector<const Json*>& records,
                              const std::vector<const std::string*>* tie_ids) {
  // Indices sorted by the order keys, ties by id (or input position): a strict total
  // order, so a partial sort of just the page equals a stable sort of everything.
  std::vector<size_t> index(records.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  auto before = [&](size_t a, size_t b) {
    for (const OrderKey& key : filter.order) {
      int c = OrderCompare(Resolve(*records[a], key.path), Resolve(*records[b], key.path));
      if (c != 0) return key.descending ? c > 0 : c < 0;
    }
    return tie_ids ? *(*tie_ids)[a] < *(*tie_ids)[b] : a < b;
  };
  size_t begin = std::min(filter.skip, records.size());
  size_t end = records.size();
  if (filter.limit && *filter.limit < end - begin) end = begin + *filter.limit;
  if (!filter.order.empty() || tie_ids) {
    if (end < index.size()) {
      std::partial_sort(index.begin(), index.begin() + end, index.end(), before);
    } else {
      std::sort(index.begin(), index.end(), before);
    }
  }
  index.erase(index.begin() + end, index.end());
  index.erase(index.begin(), index.begin() + begin);
  return index;
}

std::vector<Record> OrderRecordsPage(const Filter& filter, std::vector<Record> records,
                                     const std::vector<const std::string*>& ids) {
  std::vector<const Json*> trees(records.size(), nullptr);  // unordered: no value is read
  if (!filter.order.empty()) {
    for (size_t i = 0; i < records.size(); ++i) trees[i] = &*records[i];
  }
  std::vector<Record> page;
  for (size_t i : OrderPage(filter, trees, &ids)) {
    page.push_back(Projects(filter) ? Record::FromTree(Project(filter, *records[i]))
                                    : std::move(records[i]));
  }
  return page;
}

// juggler keeps exactly the listed fields, the id included only if listed (it is not
// added back), and drops excluded ones; selecting a field the record lacks adds nothing.
Json Project(const Filter& filter, const Json& record) {
  if (!record.is_object()) return record;
  if (!filter.include_fields.empty()) {
    Json out = Json::object();
    for (const std::string& name : filter.include_fields) {
      auto it = record.find(name);
      if (it != record.end()) out[name] = *it;
    }
    return out;
  }
  if (!filter.exclude_fields.empty()) {
    Json out = record;
    for (const std::string& name : filter.exclude_fields) out.erase(name);
    return out;
  }
  return record;
}

}  // namespace replicore
