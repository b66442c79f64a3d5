// The filter -> SQL translation (sql_filter.h) on its own: a few filters to the exact SQL
// and bound parameters SqliteStore runs, and the same through another dialect's spelling.
// What the SQL answers is tested against MemoryStore in sqlite_store_test.cc and
// sqlite_indexes_test.cc; this pins its shape and that values are never pasted into it.
#include "replicore/sql_filter.h"

#include <gtest/gtest.h>

#include <string>

#include "replicore/filter.h"
#include "replicore/sqlite_dialect.h"

namespace replicore {
namespace {

Filter MustFilter(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << json.dump() << ": " << filter.status().ToString();
  return filter.ok() ? filter.value() : Filter();
}

// The statement, then one line per parameter ("?N int 5", "?N text milk", "?N where").
std::string Render(const SqlQuery& q) {
  std::string out = q.sql + "\n";
  const std::vector<SqlParam>& params = q.b.params();
  for (size_t i = 0; i < params.size(); ++i) {
    out += q.b.dialect().Placeholder(i + 1) + " ";
    switch (params[i].kind) {
      case SqlParam::Kind::kInt: out += "int " + std::to_string(params[i].i); break;
      case SqlParam::Kind::kDouble: out += "double " + Json(params[i].d).dump(); break;
      case SqlParam::Kind::kText: out += "text " + params[i].s; break;
      case SqlParam::Kind::kPointer: out += "where"; break;
    }
    out += "\n";
  }
  return out;
}

std::string Find(const SqlDialect& dialect, const Json& filter,
                 const IndexedProperties& indexed = {}) {
  Filter parsed = MustFilter(filter);
  SqlQuery q(&dialect);
  BuildFind("Todo", parsed, indexed, &q);
  return Render(q);
}

std::string Count(const SqlDialect& dialect, const Json& where,
                  const IndexedProperties& indexed = {}) {
  Filter parsed = MustFilter(Json{{"where", where}});
  SqlQuery q(&dialect);
  BuildCount("Todo", parsed.where, indexed, &q);
  return Render(q);
}

const SqliteDialect kSqlite;

TEST(SqlFilterTest, EqualityOnAPlainPropertyReadsItOncePerRecord) {
  EXPECT_EQ(Find(kSqlite, {{"where", {{"title", "milk'); DROP TABLE records;--"}}}}),
            "SELECT data FROM (SELECT id, data, json_type(data, ?3) AS rc_t1, "
            "json_extract(data, ?3) AS rc_x1 FROM records WHERE model = ?1 LIMIT -1 OFFSET 0) "
            "WHERE (CASE WHEN instr(data, '\\u0000') > 0 THEN rc_match(data, ?5) ELSE (CASE "
            "WHEN rc_t1 IS NULL THEN (CASE WHEN json_type(data) = 'object' THEN 0 ELSE "
            "rc_match(data, ?2) END) WHEN rc_t1 IN ('array','object') THEN rc_match(data, ?2) "
            "ELSE COALESCE(((rc_t1 = 'text' AND rc_x1 = ?4)), 0) END) END) ORDER BY id ASC "
            "LIMIT ?6 OFFSET ?7\n"
            "?1 text Todo\n"
            "?2 where\n"
            "?3 text $.\"title\"\n"
            "?4 text milk'); DROP TABLE records;--\n"
            "?5 where\n"
            "?6 int -1\n"
            "?7 int 0\n");
}

TEST(SqlFilterTest, ARangeOnAnIndexedPropertyReadsItsColumnsOrderedAndPaged) {
  EXPECT_EQ(Find(kSqlite,
                 {{"where", {{"priority", {{"gt", 1}}}}},
                  {"order", "priority DESC"},
                  {"limit", 5},
                  {"skip", 2}},
                 {"priority"}),
            "SELECT data FROM records WHERE model = ?1 AND (CASE WHEN rc_t_7072696f72697479 "
            "IS NULL THEN (CASE WHEN json_type(data) = 'object' THEN 0 ELSE rc_match(data, "
            "?2) END) WHEN rc_t_7072696f72697479 IN ('array','object') THEN rc_match(data, "
            "?2) ELSE COALESCE(((rc_t_7072696f72697479 IN ('integer','real') AND CASE WHEN "
            "typeof(rc_x_7072696f72697479) = 'integer' THEN rc_x_7072696f72697479 > ?3 ELSE "
            "rc_x_7072696f72697479 > CAST(?3 AS REAL) END)), 0) END) ORDER BY CASE "
            "rc_t_7072696f72697479 WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN "
            "2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 "
            "ELSE 0 END DESC, (CASE WHEN rc_t_7072696f72697479 IN ('array','object') THEN "
            "NULL ELSE rc_x_7072696f72697479 END) COLLATE rc_utf16 DESC, (CASE WHEN "
            "rc_t_7072696f72697479 IN ('array','object') THEN rc_x_7072696f72697479 END) "
            "COLLATE rc_json DESC, id ASC LIMIT ?4 OFFSET ?5\n"
            "?1 text Todo\n"
            "?2 where\n"
            "?3 int 1\n"
            "?4 int 5\n"
            "?5 int 2\n");
}

TEST(SqlFilterTest, InqSplitsItsOperandsByType) {
  EXPECT_EQ(Count(kSqlite, {{"priority", {{"inq", {1, 2.5, "a", nullptr}}}}}),
            "SELECT count(*) FROM (SELECT id, data, json_type(data, ?3) AS rc_t1, "
            "json_extract(data, ?3) AS rc_x1 FROM records WHERE model = ?1 LIMIT -1 OFFSET 0) "
            "WHERE (CASE WHEN instr(data, '\\u0000') > 0 THEN rc_match(data, ?9) ELSE (CASE "
            "WHEN rc_t1 IS NULL THEN (CASE WHEN json_type(data) = 'object' THEN 1 ELSE "
            "rc_match(data, ?2) END) WHEN rc_t1 IN ('array','object') THEN rc_match(data, ?2) "
            "ELSE COALESCE((((rc_t1 IN ('integer','real') AND ((typeof(rc_x1) = 'integer' AND "
            "(rc_x1 IN (SELECT value FROM json_each(?4)) OR CAST(rc_x1 AS REAL) IN (SELECT "
            "value FROM json_each(?5)))) OR (typeof(rc_x1) = 'real' AND rc_x1 IN (SELECT "
            "CAST(value AS REAL) FROM json_each(?6))))) OR (rc_t1 = 'text' AND rc_x1 IN "
            "(SELECT value FROM json_each(?7))) OR (rc_t1 = ?8))), 0) END) END)\n"
            "?1 text Todo\n"
            "?2 where\n"
            "?3 text $.\"priority\"\n"
            "?4 text [1]\n"
            "?5 text [2.5]\n"
            "?6 text [1,2.5]\n"
            "?7 text [\"a\"]\n"
            "?8 text null\n"
            "?9 where\n");
}

TEST(SqlFilterTest, LikeIsTheCoresPatternThroughRegexp) {
  EXPECT_EQ(Count(kSqlite, {{"title", {{"like", "M%"}}}}),
            "SELECT count(*) FROM (SELECT id, data, json_type(data, ?3) AS rc_t1, "
            "json_extract(data, ?3) AS rc_x1 FROM records WHERE model = ?1 LIMIT -1 OFFSET 0) "
            "WHERE (CASE WHEN instr(data, '\\u0000') > 0 THEN rc_match(data, ?6) ELSE (CASE "
            "WHEN rc_t1 IS NULL THEN (CASE WHEN json_type(data) = 'object' THEN 0 ELSE "
            "rc_match(data, ?2) END) WHEN rc_t1 IN ('array','object') THEN rc_match(data, ?2) "
            "ELSE COALESCE(((rc_t1 = 'text' AND rc_regexp(rc_x1, ?4, ?5))), 0) END) END)\n"
            "?1 text Todo\n"
            "?2 where\n"
            "?3 text $.\"title\"\n"
            "?4 text M%\n"
            "?5 text L\n"
            "?6 where\n");
}

TEST(SqlFilterTest, KeysNoJsonPathCanSpellAreLeftToTheCore) {
  EXPECT_EQ(Find(kSqlite, {{"where", {{"a\"b", 1}}}}),
            "SELECT data FROM records WHERE model = ?1 AND rc_match(data, ?2) ORDER BY id ASC "
            "LIMIT ?3 OFFSET ?4\n"
            "?1 text Todo\n"
            "?2 where\n"
            "?3 int -1\n"
            "?4 int 0\n");
}

// Another engine's spelling: numbered "$N" parameters and quoted identifiers.
class DollarDialect : public SqliteDialect {
 public:
  std::string Placeholder(size_t n) const override { return "$" + std::to_string(n); }
  std::string Identifier(const std::string& name) const override { return "\"" + name + "\""; }
};

TEST(SqlFilterTest, TheDialectSpellsParametersAndIdentifiers) {
  const DollarDialect dollar;
  EXPECT_EQ(Find(dollar, {{"where", {{"completed", true}}}}, {"completed"}),
            "SELECT data FROM records WHERE model = $1 AND (CASE WHEN "
            "\"rc_t_636f6d706c65746564\" IS NULL THEN (CASE WHEN json_type(data) = 'object' "
            "THEN 0 ELSE rc_match(data, $2) END) WHEN \"rc_t_636f6d706c65746564\" IN "
            "('array','object') THEN rc_match(data, $2) ELSE "
            "COALESCE(((\"rc_t_636f6d706c65746564\" = $3)), 0) END) ORDER BY id ASC LIMIT $4 "
            "OFFSET $5\n"
            "$1 text Todo\n"
            "$2 where\n"
            "$3 text true\n"
            "$4 int -1\n"
            "$5 int 0\n");
}

}  // namespace
}  // namespace replicore
