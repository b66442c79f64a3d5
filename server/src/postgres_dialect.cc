#include "replicore/postgres_dialect.h"

#include <cstdint>

#include "replicore/sha1.h"

namespace replicore {

bool PostgresDialect::IsPlainName(const std::string& property) {
  if (property.empty() || property.size() > 200) return false;
  for (char c : property) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-';
    if (!plain) return false;
  }
  return true;
}

SqlValue PostgresDialect::ValueOf(const std::string& property) {
  const std::string suffix = Sha1Hex(property).substr(0, 24);
  return {"rc_t_" + suffix, "rc_x_" + suffix, "rc_n_" + suffix};
}

SqlValue PostgresDialect::Computed(const std::string& property) {
  const std::string args = "(data, '" + property + "')";
  return {"replicore_type" + args, "replicore_text16" + args, "replicore_number" + args};
}

std::string PostgresDialect::Placeholder(size_t n) const { return "$" + std::to_string(n); }

// Typed where they appear, so that one parameter used twice (a number compared exactly and
// as a double) never gets two deduced types.
std::string PostgresDialect::TypedPlaceholder(size_t n, SqlParamKind kind) const {
  switch (kind) {
    case SqlParamKind::kInt: return Placeholder(n) + "::bigint";
    case SqlParamKind::kDouble: return Placeholder(n) + "::float8";
    case SqlParamKind::kText: return Placeholder(n) + "::text";
    case SqlParamKind::kPointer: break;
  }
  return Placeholder(n);
}

std::optional<SqlValue> PostgresDialect::IndexedValue(const std::string& property) const {
  if (!IsPlainName(property)) return std::nullopt;
  return ValueOf(property);
}

// libpq passes C strings, and PostgreSQL's text holds no NUL.
bool PostgresDialect::CanBindText(const std::string& s) const {
  return s.find('\0') == std::string::npos;
}

std::string PostgresDialect::BoolAsInt(const std::string& condition) const {
  return "(" + condition + ")::int";
}

// In the stored keys' collation, so that an index on them serves the comparison.
std::string PostgresDialect::TextOperand(const std::string& p) const {
  return "(replicore_utf16(" + p + ") COLLATE \"C\")";
}

std::string PostgresDialect::StoredReal(const std::string& n) const { return AsReal(n); }

// Numbers, then strings in UTF-16 order (replicore_text16 is a key whose "C" order is
// UTF-16's). Arrays and objects tie: a query ordered by them is not exact
// (SqlQuery::composite). A declared index is built on these very terms.
std::string PostgresDialect::OrderValueTerms(const SqlValue& v, const std::string& dir) const {
  return v.n + dir + ", " + v.x + dir;  // rc_x_ columns are COLLATE "C"
}

std::string PostgresDialect::Identifier(const std::string& name) const {
  return "\"" + name + "\"";
}

// Paths are not read in SQL (each read would parse the record): the core decides them.
std::optional<std::string> PostgresDialect::JsonPath(const std::vector<std::string>& keys) const {
  (void)keys;
  return std::nullopt;
}

// The JSON functions below are never reached: JsonPath names no path, MatchesInSql is
// false, and records are objects. They answer SQL NULL should that change.
std::string PostgresDialect::JsonType(const std::string& data, const std::string& path) const {
  (void)data;
  (void)path;
  return "NULL";
}
std::string PostgresDialect::RootType(const std::string& data) const {
  (void)data;
  return "'object'";
}
std::string PostgresDialect::JsonValue(const std::string& data, const std::string& path) const {
  (void)data;
  (void)path;
  return "NULL";
}

std::string PostgresDialect::NumberKind(const std::string& t, const std::string& n) const {
  (void)n;
  return t;
}

std::string PostgresDialect::AsReal(const std::string& value) const {
  return "(" + value + ")::float8";
}

std::string PostgresDialect::JsonEach(const std::string& array) const {
  return "json_array_elements_text((" + array + ")::json) AS rc_each(value)";
}

std::string PostgresDialect::HoldsNul(const std::string& data) const {
  return "strpos(" + data + ", '\\u0000') > 0";
}

// TextOperand and EachText carry the collation already.
std::string PostgresDialect::Utf16Collation() const { return ""; }

std::string PostgresDialect::JsonCollation() const { return ""; }

std::string PostgresDialect::Regexp(const std::string& value, const std::string& source,
                                    const std::string& flags) const {
  (void)value;
  (void)source;
  (void)flags;
  return "NULL";
}

std::string PostgresDialect::CoreMatch(const std::string& data, const std::string& where) const {
  (void)data;
  (void)where;
  return "TRUE";
}

std::string PostgresDialect::Fence() const { return " OFFSET 0"; }

int64_t PostgresDialect::NoLimit() const { return INT64_MAX; }

}  // namespace replicore
