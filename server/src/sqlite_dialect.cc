#include "replicore/sqlite_dialect.h"

namespace replicore {

std::string SqliteDialect::Placeholder(size_t n) const { return "?" + std::to_string(n); }

// Our names are [a-z0-9_] only: as they are, so statements read as they always did.
std::string SqliteDialect::Identifier(const std::string& name) const { return name; }

// '$."a"."b"': SQLite 3.40's quoted keys end at the next '"' (no escapes) and are compared
// with the raw key text of the stored JSON, so keys with '"', '\\' or control characters
// (escaped by nlohmann) and empty keys are refused.
std::optional<std::string> SqliteDialect::JsonPath(const std::vector<std::string>& keys) const {
  if (keys.empty()) return std::nullopt;
  std::string out = "$";
  for (const std::string& key : keys) {
    if (key.empty()) return std::nullopt;
    for (char c : key) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    }
    out += ".\"" + key + "\"";
  }
  return out;
}

std::string SqliteDialect::JsonType(const std::string& data, const std::string& path) const {
  return "json_type(" + data + ", " + path + ")";
}

std::string SqliteDialect::RootType(const std::string& data) const {
  return "json_type(" + data + ")";
}

std::string SqliteDialect::JsonValue(const std::string& data, const std::string& path) const {
  return "json_extract(" + data + ", " + path + ")";
}

std::string SqliteDialect::NumberKind(const std::string& t, const std::string& n) const {
  (void)t;  // json_type says 'integer' or 'real' too, but typeof reads the column alone
  return "typeof(" + n + ")";
}

std::string SqliteDialect::AsReal(const std::string& value) const {
  return "CAST(" + value + " AS REAL)";
}

std::string SqliteDialect::JsonEach(const std::string& array) const {
  return "json_each(" + array + ")";
}

// The six characters \u0000 in the text: nlohmann writes a NUL no other way.
std::string SqliteDialect::HoldsNul(const std::string& data) const {
  return "instr(" + data + ", '\\u0000') > 0";
}

std::string SqliteDialect::Utf16Collation() const { return " COLLATE rc_utf16"; }

std::string SqliteDialect::JsonCollation() const { return " COLLATE rc_json"; }

std::string SqliteDialect::Regexp(const std::string& value, const std::string& source,
                                  const std::string& flags) const {
  return "rc_regexp(" + value + ", " + source + ", " + flags + ")";
}

std::string SqliteDialect::CoreMatch(const std::string& data, const std::string& where) const {
  return "rc_match(" + data + ", " + where + ")";
}

// A LIMIT, even none (-1), and an OFFSET keep SQLite from flattening the subquery.
std::string SqliteDialect::Fence() const { return " LIMIT -1 OFFSET 0"; }

int64_t SqliteDialect::NoLimit() const { return -1; }

}  // namespace replicore
