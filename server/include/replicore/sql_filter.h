// LoopBack filters (where, order, limit, skip) as SQL with bound parameters only, for the
// SQL stores. What a filter means is written once here; how an engine spells it (JSON
// paths, placeholders, collations, the core's fallback function) is a SqlDialect.
//
// The records table the statements read: records(model, id, data) with `data` the record's
// canonical JSON text, plus two real columns per indexed property (PropertyColumns).
#ifndef REPLICORE_SQL_FILTER_H_
#define REPLICORE_SQL_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replicore/filter.h"

namespace replicore {

enum class SqlParamKind { kInt, kDouble, kText, kPointer };

// The expressions of one property's stored value: its type as JsonType names it (`t`), the
// value (`x`: a string in the dialect's comparable form), and the value as a number (`n`;
// a boolean as 1/0). SQLite has one dynamically typed value, so there x and n are the same.
struct SqlValue {
  std::string t, x, n;
};

// How one SQL engine spells what the translation needs. Every method returns SQL text
// built from its arguments, which are SQL expressions or placeholders, never values.
// The defaults are SQLite's; an engine without the core's functions (MatchesInSql false)
// gets exact SQL only for what it can say exactly, and the caller learns when it could not.
class SqlDialect {
 public:
  virtual ~SqlDialect() = default;

  // The n-th (from 1) bound parameter: "?1" in SQLite, "$1" in PostgreSQL.
  virtual std::string Placeholder(size_t n) const = 0;
  // The same where the statement uses it: an engine that types parameters says the type.
  virtual std::string TypedPlaceholder(size_t n, SqlParamKind kind) const {
    (void)kind;
    return Placeholder(n);
  }
  // The records table.
  virtual std::string Table() const { return "records"; }
  // The value expressions of a top-level property the store keeps indexed; nullopt when it
  // cannot. SQLite: the two columns of PropertyColumns.
  virtual std::optional<SqlValue> IndexedValue(const std::string& property) const;
  // Whether CoreMatch and Regexp run the core's code in SQL. When not, the translation
  // leaves what needs them to the caller (SqlQuery::exact, SqlQuery::composite).
  virtual bool MatchesInSql() const { return true; }
  // SQL's true and false, as conditions.
  virtual std::string True() const { return "1"; }
  virtual std::string False() const { return "0"; }
  // Whether `s` can be a bound text parameter (PostgreSQL's text holds no NUL).
  virtual bool CanBindText(const std::string& s) const {
    (void)s;
    return true;
  }
  // A condition as 1/0, to compare with an integer.
  virtual std::string BoolAsInt(const std::string& condition) const { return condition; }
  // A bound string operand in the form `x` holds.
  virtual std::string TextOperand(const std::string& p) const { return p; }
  // A stored number `n` as a double (SQLite's real is one already).
  virtual std::string StoredReal(const std::string& n) const { return n; }
  // The elements of JsonEach as numbers, doubles and comparable strings.
  virtual std::string EachNumber() const { return "value"; }
  virtual std::string EachReal() const { return "value"; }
  virtual std::string EachText() const { return "value"; }
  // ORDER BY terms of one key after its type rank (see OrderTerms), with `dir` " ASC" or
  // " DESC". SQLite: the scalar under rc_utf16, then arrays and objects under rc_json.
  virtual std::string OrderValueTerms(const SqlValue& v, const std::string& dir) const;
  // A column of ours as SQL (names of [a-z0-9_] only, so quoting is the dialect's choice).
  virtual std::string Identifier(const std::string& name) const = 0;
  // The JSON path of nested object `keys` as the JSON functions take it (always bound as a
  // parameter), or nullopt when the engine cannot address those keys exactly.
  virtual std::optional<std::string> JsonPath(const std::vector<std::string>& keys) const = 0;
  // The type of the value at bound `path` in the JSON text `data`, named as SQLite's
  // json_type names it: 'null', 'true', 'false', 'integer', 'real', 'text', 'array',
  // 'object'; SQL NULL when the path leads nowhere. The translation compares those names.
  virtual std::string JsonType(const std::string& data, const std::string& path) const = 0;
  // The same for the whole text.
  virtual std::string RootType(const std::string& data) const = 0;
  // The value at `path`: a number or a string as SQL's, true/false as 1/0, an array or an
  // object as its JSON text.
  virtual std::string JsonValue(const std::string& data, const std::string& path) const = 0;
  // 'integer' or 'real' for a number of type `t` and value `n`.
  virtual std::string NumberKind(const std::string& t, const std::string& n) const = 0;
  virtual std::string AsReal(const std::string& value) const = 0;
  // A table with one row per element of the bound JSON array `array`, in column `value`.
  virtual std::string JsonEach(const std::string& array) const = 0;
  // True when the JSON text holds an escaped NUL (\u0000), which the engine's JSON
  // functions may read wrongly: such a record is matched by CoreMatch.
  virtual std::string HoldsNul(const std::string& data) const = 0;
  // Appended to an expression: strings in JavaScript's (UTF-16) order; JSON texts in the
  // order the core sorts arrays and objects.
  virtual std::string Utf16Collation() const = 0;
  virtual std::string JsonCollation() const = 0;
  // An ECMAScript regex search of `value` (bound `source` and `flags`, Where's regex_*).
  virtual std::string Regexp(const std::string& value, const std::string& source,
                             const std::string& flags) const = 0;
  // The core's Matches of one Where node (a bound pointer parameter) on the record `data`:
  // where SQL cannot say exactly what LoopBack means.
  virtual std::string CoreMatch(const std::string& data, const std::string& where) const = 0;
  // Appended to a subquery so that the engine neither flattens it into the outer query nor
  // pushes conditions into it.
  virtual std::string Fence() const = 0;
  // The LIMIT value that means no limit.
  virtual int64_t NoLimit() const = 0;
};

// One bound parameter of a generated statement.
struct SqlParam {
  using Kind = SqlParamKind;
  Kind kind;
  int64_t i = 0;
  double d = 0;
  std::string s;
  const void* p = nullptr;  // kPointer: a Where node, for CoreMatch
};

// Collects the parameters of one statement and names each by the dialect's placeholder.
class SqlBuilder {
 public:
  // Borrows `dialect` for the builder's life.
  explicit SqlBuilder(const SqlDialect* dialect) : dialect_(dialect) {}
  std::string Int(int64_t v);
  std::string Double(double v);
  std::string Text(std::string v);
  std::string Pointer(const void* v);
  const std::vector<SqlParam>& params() const { return params_; }
  const SqlDialect& dialect() const { return *dialect_; }

 private:
  std::string Push(SqlParam p);
  const SqlDialect* dialect_;
  std::vector<SqlParam> params_;
};

// A property named in a declared index is kept in two real columns of records, written
// with the record: its JSON type and its value (JsonType, JsonValue), named rc_t_<hex>
// and rc_x_<hex> (hex: the name's bytes, so any name makes a safe, stable identifier).
// A filter reads them instead of calling the JSON functions, and indexes are built on them.
struct PropertyColumns {
  std::string type, value;
};
PropertyColumns ColumnsOf(const std::string& property);
std::string Hex(const std::string& bytes);
std::optional<std::string> Unhex(const std::string& hex);  // nullopt: not Hex's output
// The properties that have columns.
using IndexedProperties = std::set<std::string>;

// A statement and its bound parameters.
struct SqlQuery {
  explicit SqlQuery(const SqlDialect* dialect) : b(dialect) {}
  SqlBuilder b;
  std::string sql;
  bool ordered = false;  // ORDER BY, LIMIT and OFFSET are in the SQL
  // Without the core in SQL (SqlDialect::MatchesInSql): false when some condition or key
  // was left out (the SQL is then not the answer), and the properties whose array or
  // object values the SQL does not decide: exact only while no record holds one there.
  bool exact = true;
  std::set<std::string> composite;
};

// SELECT data of the records of `model` matching filter.where; ordered, limited and
// skipped in SQL when `ordered` (else in id order, for the caller to order and page).
// The statement borrows the Where nodes of `filter` (pointer parameters).
void BuildFind(const std::string& model, const Filter& filter, const IndexedProperties& indexed,
               SqlQuery* q);
// SELECT count(*) of the records of `model` matching `where` (borrowed as in BuildFind).
void BuildCount(const std::string& model, const Where& where, const IndexedProperties& indexed,
                SqlQuery* q);

// The ORDER BY terms of one key whose type and value are `t` and `x`, equal to OrderPage's
// comparison. A declared index is built on these very terms: an engine matches an index to
// an ORDER BY only on identical expressions.
std::string OrderTerms(const SqlDialect& dialect, const SqlValue& v, bool descending);
// Its first term: the rank of the value's type `t` in that order.
std::string TypeRank(const std::string& t);

// A key the translation reads as JavaScript's array index ("tags.0").
bool IsAllDigits(const std::string& s);
int64_t ClampToInt64(size_t n);

}  // namespace replicore

#endif  // REPLICORE_SQL_FILTER_H_
