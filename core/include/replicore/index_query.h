// How MemoryStore answers Find and Count through a model's ordered indexes: a small
// planner that picks at most one index, and the two ways of reading it. Whatever the plan,
// the answer equals a scan's (Matches on every record, then OrderPage).
#ifndef REPLICORE_INDEX_QUERY_H_
#define REPLICORE_INDEX_QUERY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "replicore/filter.h"
#include "replicore/ordered_index.h"

namespace replicore {

struct IndexPlan {
  enum class Kind {
    kScan,    // no index helps: test every record
    kRanges,  // test only the records in `ranges`, then sort them as a scan would
    kWalk,    // read `index` in the filter's order, stop once the page is full
  };
  Kind kind = Kind::kScan;
  const OrderedIndex* index = nullptr;  // borrowed from the indexes planned over
  // Ranges of the index's first key that hold every record the where can match:
  // ascending and disjoint. nullopt (kWalk only): the whole index.
  std::optional<std::vector<KeyRange>> ranges;
  bool reverse = false;     // kWalk: against the index's order
  size_t ordered_keys = 0;  // kWalk: how many leading index keys make a run of equal keys
};

// Rules, in order: walk the usable index that yields most leading order keys (each in its
// direction, or each reversed; after its first key when the where fixes that key to one
// value), preferring one the where narrows, when the filter has a limit and no other index
// narrows to fewer than sqrt((skip + limit) * records) entries; else take the usable index
// whose first key a top-level conjunct (eq, gt, gte, lt, lte, between, inq) narrows to the
// fewest entries; else walk as above without a limit (no sort); else scan. An index that
// some record could not enter (usable() false) is never chosen.
IndexPlan PlanFind(const std::vector<OrderedIndex>& indexes, const Filter& filter);
IndexPlan PlanCount(const std::vector<OrderedIndex>& indexes, const Where& where);

// The stored record of an indexed id (a handle: a tree parsed through it stays with it).
using RecordLookup = std::function<Record(const std::string& id)>;

// Find and Count through a plan other than kScan (records read through `lookup`).
std::vector<Record> FindWithPlan(const IndexPlan& plan, const Filter& filter,
                               const RecordLookup& lookup);
size_t CountWithPlan(const IndexPlan& plan, const Where& where, const RecordLookup& lookup);

}  // namespace replicore

#endif  // REPLICORE_INDEX_QUERY_H_
