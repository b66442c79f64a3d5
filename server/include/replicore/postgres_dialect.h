// PostgreSQL's spelling of the filter translation (sql_filter.h). PostgreSQL cannot call
// the core, so only top-level properties the store keeps indexed are read in SQL, from
// generated columns that the SQL functions PostgresStore creates compute (replicore_type,
// replicore_text16, replicore_number; operands through replicore_utf16); anything else
// leaves the query inexact (SqlQuery::exact) and the store lets the core decide.
#ifndef REPLICORE_POSTGRES_DIALECT_H_
#define REPLICORE_POSTGRES_DIALECT_H_

#include <optional>
#include <string>
#include <vector>

#include "replicore/sql_filter.h"

namespace replicore {

class PostgresDialect : public SqlDialect {
 public:
  // Property names that can be written as SQL literals in statements and index
  // definitions with no escaping: letters, digits, '_', '$' and '-'.
  static bool IsPlainName(const std::string& property);
  // The generated columns holding a property's type, UTF-16 key and number (rc_t_, rc_x_,
  // rc_n_ and the start of the name's SHA-1), which the translation reads ...
  static SqlValue ValueOf(const std::string& property);
  // ... and what computes them from the record's text.
  static SqlValue Computed(const std::string& property);

  std::string Placeholder(size_t n) const override;
  std::string TypedPlaceholder(size_t n, SqlParamKind kind) const override;
  std::string Table() const override { return "replicore_records"; }
  std::optional<SqlValue> IndexedValue(const std::string& property) const override;
  bool MatchesInSql() const override { return false; }
  std::string True() const override { return "TRUE"; }
  std::string False() const override { return "FALSE"; }
  bool CanBindText(const std::string& s) const override;
  std::string BoolAsInt(const std::string& condition) const override;
  std::string TextOperand(const std::string& p) const override;
  std::string StoredReal(const std::string& n) const override;
  std::string EachNumber() const override { return "value::numeric"; }
  std::string EachReal() const override { return "value::float8"; }
  std::string EachText() const override { return "(replicore_utf16(value) COLLATE \"C\")"; }
  std::string OrderValueTerms(const SqlValue& v, const std::string& dir) const override;

  std::string Identifier(const std::string& name) const override;
  std::optional<std::string> JsonPath(const std::vector<std::string>& keys) const override;
  std::string JsonType(const std::string& data, const std::string& path) const override;
  std::string RootType(const std::string& data) const override;
  std::string JsonValue(const std::string& data, const std::string& path) const override;
  std::string NumberKind(const std::string& t, const std::string& n) const override;
  std::string AsReal(const std::string& value) const override;
  std::string JsonEach(const std::string& array) const override;
  std::string HoldsNul(const std::string& data) const override;
  std::string Utf16Collation() const override;
  std::string JsonCollation() const override;
  std::string Regexp(const std::string& value, const std::string& source,
                     const std::string& flags) const override;
  std::string CoreMatch(const std::string& data, const std::string& where) const override;
  std::string Fence() const override;
  int64_t NoLimit() const override;
};

}  // namespace replicore

#endif  // REPLICORE_POSTGRES_DIALECT_H_
