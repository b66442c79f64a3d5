// LoopBack filters: where / order / limit / skip (offset) / fields, parsed once into a
// tree that MemoryStore evaluates and SQL stores translate.
#ifndef REPLICORE_FILTER_H_
#define REPLICORE_FILTER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replicore/record.h"
#include "replicore/regex.h"
#include "replicore/status.h"

namespace replicore {

enum class WhereOp {
  kEq, kNeq, kGt, kGte, kLt, kLte, kBetween, kInq, kNin,
  kLike, kNlike, kIlike, kNilike, kRegexp,
};

// A node of a where tree: an and/or of children, or one condition on a property.
struct Where {
  enum class Kind { kAnd, kOr, kCondition };
  Kind kind = Kind::kAnd;     // an empty kAnd matches everything
  std::vector<Where> children;
  // kCondition only:
  std::vector<std::string> path;  // "meta.priority" -> {"meta", "priority"}
  WhereOp op = WhereOp::kEq;
  Json value;                 // operand; an array for kBetween (2), kInq, kNin
  // kRegexp only: the pattern and flags parsed from "/ab+c/i" or a plain string.
  std::string regex_source;
  std::string regex_flags;
  // kLike/kNlike/kIlike/kNilike/kRegexp: the pattern compiled once by ParseWhere, so
  // Matches never compiles a regex per record. Shared so copying a Where stays cheap.
  std::shared_ptr<const Regex> regex;
};

struct OrderKey {
  std::vector<std::string> path;
  bool descending = false;
};

struct Filter {
  Where where;
  std::vector<OrderKey> order;
  std::optional<size_t> limit;
  size_t skip = 0;
  // fields: empty = all. include_fields lists the properties kept (fields {a:true} or
  // ["a"]); exclude_fields the ones dropped (fields {a:false}).
  std::vector<std::string> include_fields;
  std::vector<std::string> exclude_fields;
};

// Declared type of a top-level property ("string", "number", "boolean", "date", "object",
// "array", "any"), used to coerce where values as LoopBack does ("true" -> true for a boolean
// property, "5" -> 5 for a number, a date string -> ISO form). Unknown properties: nullopt.
using PropertyTypeLookup = std::function<std::optional<std::string>(std::string_view property)>;

// Parses a filter object ({where, order, limit, skip, offset, fields}); anything invalid
// (unknown operator, bad limit, malformed order, ...) is a kBadFilter status naming it.
// `types` may be null (no coercion). Also accepts a JSON string holding such an object.
Result<Filter> ParseFilter(const Json& filter, const PropertyTypeLookup* types = nullptr);
Result<Where> ParseWhere(const Json& where, const PropertyTypeLookup* types = nullptr);

// LoopBack's bracket query form as the qs module decodes it:
//   "filter[where][completed]=true&filter[limit]=2" -> {"filter":{"where":{"completed":"true"},"limit":"2"}}
// Also "filter={...json...}" (URL-encoded). Returns the object of all query parameters;
// values stay strings (ParseFilter coerces). Malformed input is kBadRequest.
Result<Json> ParseQueryString(std::string_view query);

// Whether `record` (a JSON object) satisfies `where`.
bool Matches(const Where& where, const Json& record);

// The order OrderPage sorts values by, after the memory connector (nullptr stands for
// undefined): rank 0 undefined and null, 1 booleans, 2 numbers, 3 strings (UTF-16 order),
// 4 arrays, 5 objects; <0, 0, >0. Public so that an index can sort exactly like a scan.
int OrderRank(const Json* value);
int OrderCompare(const Json* a, const Json* b);

// Sorts, skips and limits matching records (pointers borrowed for the call; nullptr where
// the filter has no order, none is read): the indices into `records` of the page, in order.
// Records are assumed to match already. Order comparison follows LoopBack's memory connector.
// Ties keep the input order, or, with `tie_ids` (each record's id), go by id, in which case
// the input needs no sorting: only the requested page is sorted.
std::vector<size_t> OrderPage(const Filter& filter, const std::vector<const Json*>& records,
                              const std::vector<const std::string*>* tie_ids = nullptr);
// OrderPage over records (ties by `ids`, one per record): the page, projected. A record's
// tree is read only when the filter orders or projects.
std::vector<Record> OrderRecordsPage(const Filter& filter, std::vector<Record> records,
                                     const std::vector<const std::string*>& ids);
// Whether a filter selects fields (so each record is projected into a new object).
inline bool Projects(const Filter& filter) {
  return !filter.include_fields.empty() || !filter.exclude_fields.empty();
}
// Whether a where matches every record (the empty and).
inline bool MatchesAll(const Where& where) {
  return where.kind == Where::Kind::kAnd && where.children.empty();
}

// The record with only the selected fields (filter.include_fields / exclude_fields).
Json Project(const Filter& filter, const Json& record);

}  // namespace replicore

#endif  // REPLICORE_FILTER_H_
