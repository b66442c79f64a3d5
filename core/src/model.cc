#include "replicore/model.h"

#include "replicore/sha1.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "replicore/guard.h"
#include "replicore/iso_date.h"
#include "replicore/js_semantics.h"
#include "replicore/json_canonical.h"
#include "replicore/change.h"
#include "replicore/regex.h"

namespace replicore {

const char* PropertyTypeName(PropertyType type) {
  switch (type) {
    case PropertyType::kString: return "string";
    case PropertyType::kNumber: return "number";
    case PropertyType::kBoolean: return "boolean";
    case PropertyType::kDate: return "date";
    case PropertyType::kObject: return "object";
    case PropertyType::kArray: return "array";
    case PropertyType::kAny: return "any";
  }
  return "any";
}

namespace {

// ---------------------------------------------------------------------------------------
// UTF-8 / UTF-16 helpers. JS measures and slices strings in UTF-16 code units, and the
// ValidationError message is built from such slices, so both views are needed.

// Decodes UTF-8, also accepting 3-byte encoded surrogates (WTF-8/CESU-8, how a lone
// surrogate crosses from JS); any other malformed byte becomes U+FFFD.
std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    auto cont = [&](size_t k) {
      return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    };
    if (c < 0x80) {
      cp = c;
    } else if (c >= 0xC2 && c <= 0xDF && cont(1)) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      if (cp >= 0x800) {
        len = 3;
      } else {
        cp = 0xFFFD;
      }
    } else if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) |
           (s[i + 3] & 0x3F);
      if (cp >= 0x10000 && cp <= 0x10FFFF) {
        len = 4;
      } else {
        cp = 0xFFFD;
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Back to UTF-8; a lone surrogate becomes U+FFFD (what Node does when it encodes such a
// string), unless `keep_lone` keeps it as WTF-8 for AppendJsonString to escape.
std::string FromUtf16(const std::u16string& s, bool keep_lone = false) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t u = s[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (s[i + 1] - 0xDC00), &out);
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF && !keep_lone) {
      AppendUtf8(0xFFFD, &out);
    } else {
      AppendUtf8(u, &out);
    }
  }
  return out;
}

std::string SanitizeUtf8(std::string_view s) { return FromUtf16(ToUtf16(s)); }

// A copy with every string and key made well-formed.
Json SanitizeJson(const Json& v) {
  if (v.is_string()) return SanitizeUtf8(v.get_ref<const std::string&>());
  if (v.is_array()) {
    Json out = Json::array();
    for (const Json& item : v) out.push_back(SanitizeJson(item));
    return out;
  }
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[SanitizeUtf8(it.key())] = SanitizeJson(it.value());
    return out;
  }
  return v;
}

size_t JsLength(std::string_view s) { return ToUtf16(s).size(); }

// ---------------------------------------------------------------------------------------
// ValidationError message values, as juggler's formatPropertyError prints them.

// juggler's truncatePropertyString (maxPropertyStringLength 32), in UTF-16 units.
std::u16string Truncate(std::u16string v) {
  size_t len = 32;
  if (v.size() <= len) return v;
  size_t tail_start = v.size();
  while (tail_start > 0) {
    char16_t c = v[tail_start - 1];
    if (c == ' ' || c == '\t' || c == '}' || c == ')' || c == ']') {
      --tail_start;
    } else {
      break;
    }
  }
  std::u16string tail;
  if (tail_start < v.size()) {
    tail = v.substr(tail_start);
    if (tail.size() > 3) tail = tail.substr(tail.size() - 3);
  } else {
    tail = v.substr(v.size() - 3);
  }
  len -= tail.size();
  return v.substr(0, len - 4) + u"..." + tail;
}

// JSON.stringify of a JS string (well-formed variant: lone surrogates escaped).
std::string JsonStringify(const std::u16string& s) {
  std::string out;
  AppendJsonString(FromUtf16(s, /*keep_lone=*/true), &out);
  return out;
}

bool IsIdentifier(const std::string& key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string InspectString(const std::string& s) {
  // util.inspect quotes with single quotes unless the string holds one.
  std::string body = JsonStringify(ToUtf16(s));
  body = body.substr(1, body.size() - 2);
  if (s.find('\'') == std::string::npos) return "'" + body + "'";
  if (s.find('"') == std::string::npos) {
    std::string unescaped;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '"') continue;
      unescaped.push_back(body[i]);
    }
    return "\"" + unescaped + "\"";
  }
  std::string out = "'";
  for (char c : body) {
    if (c == '\'') out += "\\'";
    else out.push_back(c);
  }
  return out + "'";
}

// An approximation of util.inspect(value, {depth}) on one line (Node breaks long or wide
// values over several lines; the message keeps only 32 characters of it anyway).
std::string Inspect(const Json& v, int depth) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: return InspectString(v.get_ref<const std::string&>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return JsNumberToString(v.get<double>());
    case Json::value_t::array: {
      if (v.empty()) return "[]";
      if (depth < 0) return "[Array]";
      std::string out = "[ ";
      bool first = true;
      for (const Json& item : v) {
        if (!first) out += ", ";
        first = false;
        out += Inspect(item, depth - 1);
      }
      return out + " ]";
    }
    case Json::value_t::object: {
      if (v.empty()) return "{}";
      if (depth < 0) return "[Object]";
      std::string out = "{ ";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += IsIdentifier(it.key()) ? it.key() : InspectString(it.key());
        out += ": " + Inspect(it.value(), depth - 1);
      }
      return out + " }";
    }
    default: return "undefined";
  }
}

// What a value looks like in "(value: ...)".
std::string FormatValue(const std::optional<Json>& value) {
  if (!value) return FromUtf16(Truncate(u"undefined"));
  const Json& v = *value;
  if (v.is_string()) return JsonStringify(Truncate(ToUtf16(v.get_ref<const std::string&>())));
  if (v.is_object() || v.is_array()) {
    return FromUtf16(Truncate(ToUtf16(Inspect(v, v.is_array() ? 1 : 0))));
  }
  return FromUtf16(Truncate(ToUtf16(Inspect(v, 0))));
}

// ---------------------------------------------------------------------------------------
// Coercion.

// One failed check of one property.
struct Issue {
  std::string code;
  std::string message;
};

// A double as JSON: integers stay integers so stored records read naturally.
Json NumberJson(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
    return Json(static_cast<int64_t>(d));
  }
  return Json(d);
}

bool JsTruthy(double d) { return !(d == 0 || std::isnan(d)); }

struct Coerced {
  Json value;
  // How juggler's toJSON would print it when it differs from `value` ("NaN",
  // "Invalid Date"); empty otherwise.
  std::string display;
  std::optional<Issue> issue;
};

Coerced CoerceValue(PropertyType type, std::optional<PropertyType> item_type, const Json& in);

Coerced CoerceScalar(PropertyType type, const Json& in) {
  Coerced out;
  out.value = in;
  if (in.is_null()) return out;  // null is a value for every type
  switch (type) {
    case PropertyType::kString:
      if (in.is_string()) return out;
      if (in.is_number()) {
        out.value = JsNumberToString(in.get<double>());
      } else if (in.is_boolean()) {
        out.value = in.get<bool>() ? "true" : "false";
      } else {
        // juggler would store "[object Object]" / "a,b": data loss, so refuse.
        out.issue = Issue{"type", "is not a string"};
      }
      return out;
    case PropertyType::kNumber: {
      double d = 0;
      if (in.is_number()) return out;
      if (in.is_string()) {
        d = JsStringToNumber(in.get_ref<const std::string&>());
      } else if (in.is_boolean()) {
        d = in.get<bool>() ? 1 : 0;
      } else {
        out.issue = Issue{"type", "is not a number"};
        return out;
      }
      if (std::isfinite(d)) {
        out.value = NumberJson(d);
      } else {
        // JSON (and so the stored record and its hash) holds NaN and Infinity as null.
        out.value = nullptr;
        out.display = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
      }
      return out;
    }
    case PropertyType::kBoolean:
      if (in.is_boolean()) return out;
      if (in.is_string()) {
        const std::string& s = in.get_ref<const std::string&>();
        if (s == "true" || s == "1") {
          out.value = true;
        } else if (s == "false" || s == "0") {
          out.value = false;
        } else {
          out.value = !s.empty();  // JS truthiness: "yes" -> true, "" -> false
        }
      } else if (in.is_number()) {
        out.value = JsTruthy(in.get<double>());
      } else {
        out.issue = Issue{"type", "is not a boolean"};
      }
      return out;
    case PropertyType::kDate: {
      std::optional<double> ms;
      if (in.is_string()) {
        ms = ParseIsoDate(in.get_ref<const std::string&>());
      } else if (in.is_number()) {
        double d = in.get<double>();
        if (std::isfinite(d) && std::fabs(d) <= 8.64e15) ms = std::trunc(d);  // TimeClip
      }
      if (ms) {
        out.value = FormatIsoDate(*ms);
      } else {
        out.display = "Invalid Date";
        out.issue = Issue{"date", "is not a valid date"};
      }
      return out;
    }
    case PropertyType::kObject:
    case PropertyType::kAny:
    case PropertyType::kArray:
      return out;
  }
  return out;
}

Coerced CoerceValue(PropertyType type, std::optional<PropertyType> item_type, const Json& in) {
  if (type != PropertyType::kArray || in.is_null()) return CoerceScalar(type, in);
  Coerced out;
  Json items = in;
  if (in.is_string()) {
    // juggler's List accepts a JSON text of an array.
    items = Json::parse(in.get_ref<const std::string&>(), nullptr, /*allow_exceptions=*/false);
  }
  if (!items.is_array()) {
    out.value = in;
    out.issue = Issue{"type", "is not an array"};
    return out;
  }
  if (item_type && *item_type != PropertyType::kAny) {
    for (size_t i = 0; i < items.size(); ++i) {
      Coerced item = CoerceValue(*item_type, std::nullopt, items[i]);
      if (item.issue) {
        out.value = in;
        out.issue = Issue{item.issue->code, "item " + std::to_string(i) + " " +
                                                item.issue->message};
        return out;
      }
      items[i] = std::move(item.value);
    }
  }
  out.value = std::move(items);
  return out;
}

// ---------------------------------------------------------------------------------------
// Definition parsing.

std::optional<PropertyType> TypeFromName(const std::string& raw) {
  std::string name;
  for (char c : raw) name.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  if (name == "string") return PropertyType::kString;
  if (name == "number") return PropertyType::kNumber;
  if (name == "boolean") return PropertyType::kBoolean;
  if (name == "date") return PropertyType::kDate;
  if (name == "object") return PropertyType::kObject;
  if (name == "array") return PropertyType::kArray;
  if (name == "any") return PropertyType::kAny;
  return std::nullopt;
}

// Compiled patterns, shared per thread (definitions keep only the source text).
std::shared_ptr<const Regex> CompilePattern(const std::string& pattern, std::string* error) {
  thread_local std::unordered_map<std::string, std::shared_ptr<const Regex>> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  std::string message;
  auto re = CompileRegex(pattern, "", &message);
  if (!re) {
    if (error) *error = message;
    return nullptr;
  }
  if (cache.size() > 256) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

std::string Quote(const std::string& s) { return "\"" + SanitizeUtf8(s) + "\""; }

// Reads a type: "string", ["string"], [] (array of any). `path` names it in errors.
Status ParseTypeSpec(const Json& spec, const std::string& path, PropertyDefinition* prop) {
  if (spec.is_string()) {
    auto type = TypeFromName(spec.get_ref<const std::string&>());
    if (!type) {
      return Status::Validation(path + ": unknown type " +
                                Quote(spec.get_ref<const std::string&>()));
    }
    prop->type = *type;
    return Status::Ok();
  }
  if (spec.is_array()) {
    if (spec.size() > 1) return Status::Validation(path + ": array shorthand takes at most one item type");
    prop->type = PropertyType::kArray;
    if (spec.empty()) return Status::Ok();
    const Json& item = spec[0];
    if (!item.is_string()) {
      return Status::Validation(path + ".0: an array item type must be a type name");
    }
    auto type = TypeFromName(item.get_ref<const std::string&>());
    if (!type) {
      return Status::Validation(path + ".0: unknown type " +
                                Quote(item.get_ref<const std::string&>()));
    }
    if (*type == PropertyType::kArray) {
      return Status::Validation(path + ".0: nested array types are not supported");
    }
    prop->item_type = *type;
    return Status::Ok();
  }
  if (spec.is_object()) {
    return Status::Validation(path + ": nested model definitions are not supported");
  }
  return Status::Validation(path + ": must be a type name or an array of one");
}

Status ParseNumberField(const Json& long_form, const char* key, const std::string& path,
                        std::optional<double>* out) {
  auto it = long_form.find(key);
  if (it == long_form.end()) return Status::Ok();
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return Status::Validation(path + "." + key + ": must be a number");
  }
  *out = it->get<double>();
  return Status::Ok();
}

// A default must already have the property's type (LoopBack stores it uncoerced).
bool DefaultFits(const PropertyDefinition& p, const Json& v) {
  if (v.is_null()) return true;
  switch (p.type) {
    case PropertyType::kString: return v.is_string();
    case PropertyType::kNumber: return v.is_number();
    case PropertyType::kBoolean: return v.is_boolean();
    case PropertyType::kDate:
      return (v.is_string() && (v.get_ref<const std::string&>() == "$now" ||
                                ParseIsoDate(v.get_ref<const std::string&>()))) ||
             (v.is_number() && !CoerceScalar(PropertyType::kDate, v).issue);
    case PropertyType::kObject: return v.is_object();
    case PropertyType::kArray: return !CoerceValue(p.type, p.item_type, v).issue && v.is_array();
    case PropertyType::kAny: return true;
  }
  return false;
}

Status ParseProperty(const std::string& name, const Json& spec, PropertyDefinition* prop) {
  const std::string path = "properties." + SanitizeUtf8(name);
  prop->name = name;
  if (!spec.is_object()) return ParseTypeSpec(spec, path, prop);

  auto type_it = spec.find("type");
  if (type_it == spec.end()) return Status::Validation(path + ".type: required");
  RC_RETURN_IF_ERROR(ParseTypeSpec(*type_it, path + ".type", prop));

  if (auto it = spec.find("required"); it != spec.end()) {
    if (!it->is_boolean()) return Status::Validation(path + ".required: must be a boolean");
    prop->required = it->get<bool>();
  }
  if (auto it = spec.find("id"); it != spec.end()) {
    // LoopBack also takes a number (the position in a composite key); truthiness decides.
    if (it->is_boolean()) {
      prop->id = it->get<bool>();
    } else if (it->is_number()) {
      prop->id = JsTruthy(it->get<double>());
    } else {
      return Status::Validation(path + ".id: must be a boolean");
    }
  }
  RC_RETURN_IF_ERROR(ParseNumberField(spec, "min", path, &prop->min));
  RC_RETURN_IF_ERROR(ParseNumberField(spec, "max", path, &prop->max));
  RC_RETURN_IF_ERROR(ParseNumberField(spec, "length", path, &prop->length));
  if (auto it = spec.find("pattern"); it != spec.end()) {
    if (!it->is_string()) return Status::Validation(path + ".pattern: must be a string");
    std::string error;
    if (!CompilePattern(it->get_ref<const std::string&>(), &error)) {
      return Status::Validation(path + ".pattern: invalid regular expression (" + error + ")");
    }
    prop->pattern = it->get<std::string>();
  }
  if (auto it = spec.find("defaultFn"); it != spec.end()) {
    if (!it->is_string()) return Status::Validation(path + ".defaultFn: must be a string");
    const std::string& fn = it->get_ref<const std::string&>();
    if (fn == "now") {
      if (prop->type != PropertyType::kDate && prop->type != PropertyType::kNumber) {
        return Status::Validation(path + ".defaultFn: \"now\" needs a date or number property");
      }
    } else if (fn == "guid" || fn == "uuid") {
      if (prop->type != PropertyType::kString && prop->type != PropertyType::kAny) {
        return Status::Validation(path + ".defaultFn: " + Quote(fn) +
                                  " needs a string or any property");
      }
    } else {
      return Status::Validation(path + ".defaultFn: unknown " + Quote(fn));
    }
    prop->default_fn = fn;
  }
  if (auto it = spec.find("default"); it != spec.end()) {
    if (!DefaultFits(*prop, *it)) {
      return Status::Validation(path + ".default: does not match the type " +
                                PropertyTypeName(prop->type));
    }
    prop->default_value = *it;
  }
  return Status::Ok();
}

// JS orders an object's integer-like keys ("0".."4294967294") first, ascending; juggler's
// message lists the failing properties in that order.
bool IsArrayIndex(const std::string& key) {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoull(key) < 4294967295ULL;
}

}  // namespace

// ---------------------------------------------------------------------------------------

Result<ModelDefinition> ModelDefinition::Parse(const Json& definition) {
  return GuardWith([&] { return ParseUnguarded(definition); },
                   [](const std::exception& e) {
                     return Status::Validation(std::string("model definition: ") + e.what());
                   });
}

Result<ModelDefinition> ModelDefinition::ParseUnguarded(const Json& definition) {
  if (!definition.is_object()) {
    return Status::Validation("model definition: must be a JSON object");
  }
  ModelDefinition model;
  auto name_it = definition.find("name");
  if (name_it == definition.end() || name_it->is_null()) {
    return Status::Validation("name: required");
  }
  if (!name_it->is_string() || name_it->get_ref<const std::string&>().empty()) {
    return Status::Validation("name: must be a non-empty string");
  }
  model.name_ = name_it->get<std::string>();
  model.plural_ = model.name_ + "s";
  if (auto it = definition.find("plural"); it != definition.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return Status::Validation("plural: must be a non-empty string");
    }
    model.plural_ = it->get<std::string>();
  }
  // Model JSON without a base gets PersistedModel from loopback-boot's registry.
  model.base_ = "PersistedModel";
  if (auto it = definition.find("base"); it != definition.end()) {
    if (!it->is_string()) return Status::Validation("base: must be a string");
    model.base_ = it->get<std::string>();
  }
  if (auto it = definition.find("strict"); it != definition.end()) {
    if (it->is_boolean()) {
      model.strict_ = it->get<bool>() ? Strictness::kStrict : Strictness::kLoose;
    } else if (it->is_string() && it->get_ref<const std::string&>() == "throw") {
      model.strict_ = Strictness::kThrow;
    } else {
      return Status::Validation("strict: must be true, false or \"throw\"");
    }
  }
  if (auto it = definition.find("hidden"); it != definition.end()) {
    if (!it->is_array()) return Status::Validation("hidden: must be an array of strings");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        return Status::Validation("hidden." + std::to_string(i) + ": must be a string");
      }
      model.hidden_.push_back((*it)[i].get<std::string>());
    }
  }
  if (auto it = definition.find("trackChanges"); it != definition.end()) {
    if (!it->is_boolean()) return Status::Validation("trackChanges: must be a boolean");
    model.track_changes_ = it->get<bool>();
  }
  // The misspelt "persisteUndefinedAsNull" of loopback-example-offline-sync is ignored,
  // exactly as LoopBack ignores it.
  if (auto it = definition.find("persistUndefinedAsNull"); it != definition.end()) {
    if (!it->is_boolean()) {
      return Status::Validation("persistUndefinedAsNull: must be a boolean");
    }
    model.persist_undefined_as_null_ = it->get<bool>();
  }
  std::optional<size_t> id_index;
  if (auto it = definition.find("properties"); it != definition.end() && !it->is_null()) {
    if (!it->is_object()) return Status::Validation("properties: must be an object");
    for (auto p = it->begin(); p != it->end(); ++p) {
      if (p.key().empty()) {
        return Status::Validation("properties: a property name must not be empty");
      }
      PropertyDefinition prop;
      RC_RETURN_IF_ERROR(ParseProperty(p.key(), p.value(), &prop));
      if (prop.id) {
        if (id_index) {
          return Status::Validation(
              "properties." + SanitizeUtf8(prop.name) + ".id: " +
              Quote(model.properties_[*id_index].name) +
              " is already the id property; composite ids are not supported");
        }
        id_index = model.properties_.size();
      }
      model.properties_.push_back(std::move(prop));
    }
  }
  if (!id_index) {
    for (size_t i = 0; i < model.properties_.size(); ++i) {
      if (model.properties_[i].name == "id") {
        model.properties_[i].id = true;
        id_index = i;
      }
    }
  }
  if (!id_index) {
    // LoopBack's memory connector would inject a generated number; replicas on several
    // devices need ids without coordination, so the implied id is a guid.
    PropertyDefinition id;
    id.name = "id";
    id.type = PropertyType::kAny;
    id.id = true;
    id.default_fn = "guid";
    id_index = model.properties_.size();
    model.properties_.push_back(std::move(id));
  }
  model.id_index_ = *id_index;
  RC_ASSIGN_OR_RETURN(model.indexes_, ParseIndexes(definition));
  return model;
}

const PropertyDefinition* ModelDefinition::FindProperty(std::string_view name) const {
  for (const PropertyDefinition& p : properties_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PropertyDefinition& ModelDefinition::id_property() const {
  return properties_[id_index_];
}

PropertyTypeLookup ModelDefinition::TypeLookup() const {
  // A copy, so the lookup may outlive this definition.
  std::map<std::string, std::string, std::less<>> types;
  for (const PropertyDefinition& p : properties_) types[p.name] = PropertyTypeName(p.type);
  return [types = std::move(types)](std::string_view property) -> std::optional<std::string> {
    auto it = types.find(property);
    if (it == types.end()) return std::nullopt;
    return it->second;
  };
}

Result<Json> ModelDefinition::Normalize(const Json& data, const Environment& env) const {
  NormalizeOptions options;
  options.apply_defaults = true;
  options.fill_nulls = persist_undefined_as_null_;
  return Normalize(data, env, options);
}

Result<Json> ModelDefinition::Normalize(const Json& data, const Environment& env,
                                        const NormalizeOptions& options) const {
  return GuardWith([&] { return NormalizeUnguarded(data, env, options); },
                   [&](const std::exception& e) {
                     return Status::Validation("The `" + name_ +
                                               "` instance is not valid. Details: " +
                                               SanitizeUtf8(e.what()) + ".");
                   });
}

Result<Json> ModelDefinition::NormalizeUnguarded(const Json& data, const Environment& env,
                                                 const NormalizeOptions& options) const {
  if (!data.is_object()) {
    return Status::Validation("The `" + name_ + "` instance is not valid. Details: the data is " +
                                  "not a JSON object.",
                              Json{{"context", name_}});
  }
  Json out = Json::object();
  // Failures per property; declared properties first (in declaration order, as juggler
  // runs its validations), then unknown ones.
  struct Failure {
    std::string property;
    std::vector<Issue> issues;
    std::optional<Json> shown;  // the value juggler's toJSON would print; nullopt: undefined
    std::string display;        // overrides `shown` ("Invalid Date", "NaN")
  };
  std::vector<Failure> declared_failures(properties_.size());
  std::vector<Failure> other_failures;
  std::vector<std::string> displays(properties_.size());
  // Undeclared names reported one by one up to a bound, then counted: a record with
  // 500,000 unknown keys must cost a scan, not a quadratic merge and a megabyte message.
  constexpr size_t kMaxReported = 20;
  size_t unreported = 0;

  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string& key = it.key();
    const PropertyDefinition* prop = FindProperty(key);
    if (!prop && other_failures.size() >= kMaxReported && strict_ != Strictness::kLoose) {
      ++unreported;
      continue;
    }
    if (prop) {
      const size_t index = static_cast<size_t>(prop - properties_.data());
      Coerced c = CoerceValue(prop->type, prop->item_type, it.value());
      displays[index] = c.display;
      if (c.issue) {
        declared_failures[index].issues.push_back(*c.issue);
        if (c.display.empty()) declared_failures[index].shown = it.value();
      }
      out[key] = std::move(c.value);
      continue;
    }
    const std::string safe_key = SanitizeUtf8(key);
    if (strict_ != Strictness::kLoose) {
      // juggler drops it from toJSON, hence "(value: undefined)".
      other_failures.push_back(
          {safe_key, {Issue{"unknown-property", "is not defined in the model"}}, {}, {}});
      continue;
    }
    if (safe_key != key) {
      other_failures.push_back(
          {safe_key, {Issue{"invalid-string", "has a name that is not well-formed UTF-8"}},
           {}, {}});
      continue;
    }
    if (key.find('.') != std::string::npos) {
      // juggler throws for dynamic property names with dots.
      other_failures.push_back(
          {key, {Issue{"invalid-name", "has a name containing a dot"}}, it.value(), {}});
      continue;
    }
    if (FindMalformedString(it.value())) {
      other_failures.push_back({key,
                                {Issue{"invalid-string",
                                       "contains an unpaired UTF-16 surrogate or invalid UTF-8"}},
                                {},
                                {}});
      continue;
    }
    out[key] = it.value();
  }

  for (size_t i = 0; i < properties_.size(); ++i) {
    const PropertyDefinition& p = properties_[i];
    if (out.contains(p.name) || !options.apply_defaults) continue;
    if (p.default_value) {
      if (p.type == PropertyType::kDate && p.default_value->is_string() &&
          p.default_value->get_ref<const std::string&>() == "$now") {
        if (!env.now_ms) return Status::Storage("Environment.now_ms is not set");
        out[p.name] = FormatIsoDate(env.now_ms());
      } else {
        out[p.name] = CoerceValue(p.type, p.item_type, *p.default_value).value;
      }
      continue;
    }
    if (p.default_fn == "guid" || p.default_fn == "uuid") {
      if (!env.new_guid) return Status::Storage("Environment.new_guid is not set");
      out[p.name] = env.new_guid();
    } else if (p.default_fn == "now") {
      if (!env.now_ms) return Status::Storage("Environment.now_ms is not set");
      const double now = env.now_ms();
      out[p.name] = p.type == PropertyType::kDate ? Json(FormatIsoDate(now)) : NumberJson(now);
    }
  }
  if (options.fill_nulls) {
    for (const PropertyDefinition& p : properties_) {
      if (!out.contains(p.name)) out[p.name] = nullptr;
    }
  }

  for (size_t i = 0; i < properties_.size(); ++i) {
    const PropertyDefinition& p = properties_[i];
    Failure& f = declared_failures[i];
    f.property = p.name;
    auto it = out.find(p.name);
    const Json* value = it == out.end() ? nullptr : &*it;
    std::vector<Issue> issues;
    // juggler's blank(): undefined, null, "", [] and NaN.
    const bool blank = !value || value->is_null() ||
                       (value->is_string() && value->get_ref<const std::string&>().empty()) ||
                       (value->is_array() && value->empty());
    if (p.required && blank) issues.push_back({"presence", "can't be blank"});
    issues.insert(issues.end(), f.issues.begin(), f.issues.end());
    if (value && f.issues.empty() && !value->is_null()) {
      std::optional<double> measure;
      bool is_length = false;
      if (value->is_string()) {
        measure = static_cast<double>(JsLength(value->get_ref<const std::string&>()));
        is_length = true;
      } else if (value->is_array()) {
        measure = static_cast<double>(value->size());
        is_length = true;
      } else if (value->is_number()) {
        measure = value->get<double>();
      }
      if (measure && p.type != PropertyType::kDate) {
        if (is_length) {
          if (p.min && *measure < *p.min) issues.push_back({"length.min", "too short"});
          if (p.max && *measure > *p.max) issues.push_back({"length.max", "too long"});
          if (p.length && *measure != *p.length) {
            issues.push_back({"length.is", "length is wrong"});
          }
        } else {
          if (p.min && *measure < *p.min) {
            issues.push_back({"min", "is less than " + JsNumberToString(*p.min)});
          }
          if (p.max && *measure > *p.max) {
            issues.push_back({"max", "is greater than " + JsNumberToString(*p.max)});
          }
        }
      }
      if (p.pattern && value->is_string()) {
        auto re = CompilePattern(*p.pattern, nullptr);
        const std::string& s = value->get_ref<const std::string&>();
        if (re && !re->Search(s)) issues.push_back({"format", "is invalid"});
      }
    }
    if (!f.shown && value && !issues.empty()) f.shown = *value;
    if (value && FindMalformedString(*value)) {
      issues.push_back(
          {"invalid-string", "contains an unpaired UTF-16 surrogate or invalid UTF-8"});
      // The message must stay valid UTF-8: show the value as Node would print it.
      f.shown = SanitizeJson(*value);
    }
    f.issues = std::move(issues);
    if (f.display.empty()) f.display = displays[i];
    // juggler prints a valid Date with toISOString(), unquoted.
    if (p.type == PropertyType::kDate && f.display.empty() && f.shown && f.shown->is_string()) {
      f.display = f.shown->get<std::string>();
    }
    // Hidden properties are not in toJSON(), so juggler prints them as undefined.
    for (const std::string& h : hidden_) {
      if (h == p.name) {
        f.shown.reset();
        f.display.clear();
      }
    }
  }

  std::vector<Failure*> failures;
  for (Failure& f : declared_failures) {
    if (!f.issues.empty()) failures.push_back(&f);
  }
  for (Failure& f : other_failures) failures.push_back(&f);
  if (failures.empty()) return out;

  // Group by property name (a name fails once), then order like JS object keys.
  std::vector<Failure> merged;
  for (Failure* f : failures) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const Failure& m) { return m.property == f->property; });
    if (same == merged.end()) {
      merged.push_back(*f);
    } else {
      same->issues.insert(same->issues.end(), f->issues.begin(), f->issues.end());
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Failure& a, const Failure& b) {
    const bool ai = IsArrayIndex(a.property), bi = IsArrayIndex(b.property);
    if (ai != bi) return ai;
    if (ai) return std::stoull(a.property) < std::stoull(b.property);
    return false;
  });

  std::string details_text;
  Json codes = Json::object();
  Json messages = Json::object();
  for (const Failure& f : merged) {
    const std::string shown = !f.display.empty() ? f.display : FormatValue(f.shown);
    for (const Issue& issue : f.issues) {
      if (!details_text.empty()) details_text += "; ";
      details_text += "`" + f.property + "` " + issue.message + " (value: " + shown + ")";
      codes[f.property].push_back(issue.code);
      messages[f.property].push_back(issue.message);
    }
  }
  if (unreported > 0) {
    details_text += "; and " + std::to_string(unreported) + " more properties not defined in the model";
  }
  return Status::Validation(
      "The `" + name_ + "` instance is not valid. Details: " + details_text + ".",
      Json{{"context", name_}, {"codes", std::move(codes)}, {"messages", std::move(messages)}});
}

Json ModelDefinition::View(const Json& stored) const {
  if (!stored.is_object()) return stored;
  Json view = stored;
  for (const std::string& h : hidden_) view.erase(h);
  return view;
}

std::string ModelDefinition::RevisionOf(const Json& stored) const {
  return hidden_.empty() ? Revision(stored) : Revision(View(stored));
}

std::string ModelDefinition::RevisionOf(const Record& stored) const {
  // The text is the canonical JSON the revision hashes, unless hidden properties drop out.
  return hidden_.empty() ? Sha1Hex(stored.text()) : Revision(View(*stored));
}

Result<std::string> ModelDefinition::IdOf(const Json& record) const {
  const std::string& id_name = id_property().name;
  if (!record.is_object()) {
    return Status::Validation("The record is not a JSON object, so it has no `" + id_name + "`");
  }
  auto it = record.find(id_name);
  if (it == record.end() || it->is_null()) {
    return Status::Validation("The `" + name_ + "` record has no `" + id_name + "`");
  }
  if (it->is_string()) {
    const std::string& id = it->get_ref<const std::string&>();
    if (id.size() > kMaxIdBytes) {
      return Status::Validation("The `" + name_ + "` id `" + id_name + "` is longer than " +
                                std::to_string(kMaxIdBytes) + " bytes");
    }
    // GET /<plural>/<id> would answer these routes instead of the record (LoopBack's
    // REST has the same clash): such a record could be created but never read.
    for (const char* route : {"count", "findOne", "changes", "checkpoint"}) {
      if (id == route) {
        return Status::Validation("The `" + name_ + "` id \"" + id +
                                  "\" is the name of a route (GET /" + plural_ + "/" + id +
                                  ") and cannot be an id");
      }
    }
    return id;
  }
  if (it->is_number()) return JsNumberToString(it->get<double>());
  if (it->is_boolean()) return std::string(it->get<bool>() ? "true" : "false");
  return Status::Validation("The `" + name_ + "` id `" + id_name +
                            "` must be a string or a number");
}

std::string ReplaceMalformedUtf8(std::string_view text) { return SanitizeUtf8(text); }

}  // namespace replicore
