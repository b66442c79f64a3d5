// SQLite's spelling of the filter translation (sql_filter.h): JSON1's json_type and
// json_extract, numbered "?N" parameters, and the functions and collations SqliteStore
// registers on each of its connections (rc_match, rc_regexp, rc_utf16, rc_json).
#ifndef REPLICORE_SQLITE_DIALECT_H_
#define REPLICORE_SQLITE_DIALECT_H_

#include <string>
#include <vector>

#include "replicore/sql_filter.h"

namespace replicore {

class SqliteDialect : public SqlDialect {
 public:
  std::string Placeholder(size_t n) const override;
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

#endif  // REPLICORE_SQLITE_DIALECT_H_
