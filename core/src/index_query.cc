#include "replicore/index_query.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace replicore {

namespace {

// An inq longer than this is left to the scan (its ranges are sorted by insertion).
constexpr size_t kMaxInqRanges = 64;

// The conditions every match satisfies: those reached from the root through and-nodes.
void CollectConjuncts(const Where& where, std::vector<const Where*>* out) {
  if (where.kind == Where::Kind::kCondition) {
    out->push_back(&where);
  } else if (where.kind == Where::Kind::kAnd) {
    for (const Where& child : where.children) CollectConjuncts(child, out);
  }
}

// Appends the first-key ranges outside which no indexable value satisfies `condition`,
// following Matches: eq is JSON equality (null also matches undefined); gt/gte/lt/lte and
// between hold only between values of one type, never for null or undefined. False when
// the condition cannot narrow, or when we are not sure it can (a null range bound).
bool RangesOf(const Where& condition, std::vector<KeyRange>* out) {
  const Json& value = condition.value;
  auto comparable = [](const Json& v) { return !v.is_null() && IsIndexable(&v); };
  switch (condition.op) {
    case WhereOp::kEq:
      if (!IsIndexable(&value)) return false;
      out->push_back(KeyRange{value, value});
      return true;
    case WhereOp::kGt:
    case WhereOp::kGte:
      if (!comparable(value)) return false;
      out->push_back(KeyRange{value, std::nullopt, condition.op == WhereOp::kGte});
      return true;
    case WhereOp::kLt:
    case WhereOp::kLte:
      if (!comparable(value)) return false;
      out->push_back(KeyRange{std::nullopt, value, true, condition.op == WhereOp::kLte});
      return true;
    case WhereOp::kBetween:
      if (!comparable(value[0]) || !comparable(value[1]) ||
          OrderRank(&value[0]) != OrderRank(&value[1])) {
        return false;
      }
      out->push_back(KeyRange{value[0], value[1]});
      return true;
    case WhereOp::kInq: {
      // Ascending and without repeats (1 and 1.0 are one range), so that the ranges are
      // disjoint and no record is read twice; by insertion, so a long list scans instead.
      if (value.size() > kMaxInqRanges) return false;
      std::vector<const Json*> items;
      for (const Json& item : value) {
        if (!IsIndexable(&item)) return false;
        auto at = items.begin();
        while (at != items.end() && OrderCompare(*at, &item) < 0) ++at;
        if (at == items.end() || OrderCompare(*at, &item) != 0) items.insert(at, &item);
      }
      for (const Json* item : items) out->push_back(KeyRange{*item, *item});
      return true;
    }
    default:
      return false;
  }
}

// The tighter of two bounds of one side; `low` picks the larger of two lows.
void Tighten(std::optional<Json>* bound, bool* inclusive, const std::optional<Json>& other,
             bool other_inclusive, bool low) {
  if (!other) return;
  int c = *bound ? OrderCompare(&**bound, &*other) : (low ? -1 : 1);
  if (low ? c < 0 : c > 0) {
    *bound = other;
    *inclusive = other_inclusive;
  } else if (c == 0) {
    *inclusive = *inclusive && other_inclusive;
  }
}

std::optional<KeyRange> Intersect(KeyRange a, const KeyRange& b) {
  if (a.rank() != b.rank()) return std::nullopt;
  Tighten(&a.low, &a.low_inclusive, b.low, b.low_inclusive, /*low=*/true);
  Tighten(&a.high, &a.high_inclusive, b.high, b.high_inclusive, /*low=*/false);
  if (a.empty()) return std::nullopt;
  return a;
}

// The ranges of `index`'s first key that the where's conjuncts allow: the first narrowing
// conjunct's, cut by each later one that gives a single range (a second inq is left to
// Matches).
std::optional<std::vector<KeyRange>> NarrowedRanges(const OrderedIndex& index,
                                                    const std::vector<const Where*>& conjuncts) {
  const std::string& property = index.definition().keys[0].property;
  std::optional<std::vector<KeyRange>> ranges;
  for (const Where* condition : conjuncts) {
    if (condition->path.size() != 1 || condition->path[0] != property) continue;
    std::vector<KeyRange> more;
    if (!RangesOf(*condition, &more)) continue;
    if (!ranges) {
      ranges = std::move(more);
    } else if (more.size() == 1) {
      std::vector<KeyRange> cut;
      for (const KeyRange& range : *ranges) {
        if (std::optional<KeyRange> both = Intersect(range, more[0])) cut.push_back(*both);
      }
      ranges = std::move(cut);
    }
  }
  return ranges;
}

// How many leading order keys `index` yields in order from its key `first` on, walked
// forward or (`*reverse`) backward; ties of all of them come out by id whatever the
// direction, see FindWithPlan.
size_t OrderedKeys(const OrderedIndex& index, const std::vector<OrderKey>& order, size_t first,
                   bool* reverse) {
  const std::vector<IndexKey>& keys = index.definition().keys;
  size_t n = 0;
  for (; n < order.size() && first + n < keys.size(); ++n) {
    const IndexKey& key = keys[first + n];
    if (order[n].path.size() != 1 || order[n].path[0] != key.property) break;
    bool flipped = order[n].descending != key.descending;
    if (n == 0) *reverse = flipped;
    if (flipped != *reverse) break;
  }
  return n;
}

// Whether `ranges` hold a single value (where completed = false).
bool IsOneValue(const std::optional<std::vector<KeyRange>>& ranges) {
  if (!ranges || ranges->size() != 1) return false;
  const KeyRange& range = (*ranges)[0];
  return range.low && range.high && range.low_inclusive && range.high_inclusive &&
         OrderCompare(&*range.low, &*range.high) == 0;
}

// Entries in `ranges`, counted up to `cap` (enough to compare candidates).
size_t CountUpTo(const OrderedIndex& index, const std::vector<KeyRange>& ranges, size_t cap) {
  size_t count = 0;
  for (const KeyRange& range : ranges) {
    auto [it, end] = index.Range(range);
    for (; it != end && count < cap; ++it) ++count;
  }
  return count;
}

// Calls visit(entry) for the plan's entries in its order until visit returns false.
template <typename Visit>
void VisitEntries(const IndexPlan& plan, const Visit& visit) {
  const OrderedIndex& index = *plan.index;
  auto visit_span = [&](OrderedIndex::Iterator begin, OrderedIndex::Iterator end) {
    if (!plan.reverse) {
      for (auto it = begin; it != end; ++it) {
        if (!visit(*it)) return false;
      }
      return true;
    }
    for (auto it = end; it != begin;) {
      if (!visit(*--it)) return false;
    }
    return true;
  };
  if (!plan.ranges) {
    visit_span(index.begin(), index.end());
    return;
  }
  // The ranges ascend by value; so does the index unless its first key is descending.
  const std::vector<KeyRange>& ranges = *plan.ranges;
  bool ascending = index.definition().keys[0].descending == plan.reverse;
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto [begin, end] = index.Range(ranges[ascending ? i : ranges.size() - 1 - i]);
    if (!visit_span(begin, end)) return;
  }
}

// `wanted`: skip + limit, when there is a limit.
IndexPlan Plan(const std::vector<OrderedIndex>& indexes, const Where& where,
               const std::vector<OrderKey>& order, std::optional<size_t> wanted) {
  std::vector<const Where*> conjuncts;
  CollectConjuncts(where, &conjuncts);
  IndexPlan walk;
  size_t walk_keys = 0;  // order keys the walk yields
  for (const OrderedIndex& index : indexes) {
    if (!index.usable()) continue;
    std::optional<std::vector<KeyRange>> ranges = NarrowedRanges(index, conjuncts);
    bool reverse = false;
    size_t first = 0;
    size_t ordered = OrderedKeys(index, order, 0, &reverse);
    // With its first key fixed by the where, the index yields the order of its next keys.
    bool reverse_after_fixed = false;
    size_t after_fixed =
        IsOneValue(ranges) ? OrderedKeys(index, order, 1, &reverse_after_fixed) : 0;
    if (after_fixed > ordered) {
      first = 1;
      ordered = after_fixed;
      reverse = reverse_after_fixed;
    }
    // Most order keys first; then a walk the where narrows.
    if (ordered > walk_keys || (ordered > 0 && ordered == walk_keys && ranges && !walk.ranges)) {
      walk = IndexPlan{IndexPlan::Kind::kWalk, &index, std::move(ranges), reverse, first + ordered};
      walk_keys = ordered;
    }
  }
  // A walk for `wanted` records reads about wanted * size / matches of them (matches
  // spread evenly); narrowing reads the matches. So with a limit, another index narrows
  // only to fewer than sqrt(wanted * size) entries.
  const OrderedIndex* limited_walk = wanted ? walk.index : nullptr;
  size_t bound = SIZE_MAX;
  if (limited_walk) bound = 1 + size_t(std::sqrt(double(*wanted) * double(limited_walk->size())));
  IndexPlan narrow;
  for (const OrderedIndex& index : indexes) {
    if (!index.usable() || &index == limited_walk) continue;
    std::optional<std::vector<KeyRange>> ranges = NarrowedRanges(index, conjuncts);
    if (!ranges) continue;
    size_t size = CountUpTo(index, *ranges, bound);
    if (size < bound) {
      narrow = IndexPlan{IndexPlan::Kind::kRanges, &index, std::move(ranges)};
      bound = size;  // the next must be smaller
    }
  }
  return narrow.index ? narrow : walk;  // kScan when neither
}

}  // namespace

IndexPlan PlanFind(const std::vector<OrderedIndex>& indexes, const Filter& filter) {
  std::optional<size_t> wanted;
  if (filter.limit) wanted = filter.skip + *filter.limit;
  return Plan(indexes, filter.where, filter.order, wanted);
}

IndexPlan PlanCount(const std::vector<OrderedIndex>& indexes, const Where& where) {
  return Plan(indexes, where, {}, std::nullopt);
}

std::vector<Record> FindWithPlan(const IndexPlan& plan, const Filter& filter,
                                 const RecordLookup& lookup) {
  std::vector<Record> records;
  std::vector<const std::string*> ids;
  auto take = [&](const OrderedIndex::Entry& entry) {
    Record record = lookup(*entry.id);
    if (Matches(filter.where, *record)) {
      records.push_back(std::move(record));
      ids.push_back(entry.id);
    }
  };
  if (plan.kind == IndexPlan::Kind::kRanges) {
    VisitEntries(plan, [&](const OrderedIndex::Entry& entry) {
      take(entry);
      return true;
    });
    return OrderRecordsPage(filter, std::move(records), ids);
  }
  // kWalk. Entries come in runs whose ordered keys are equal; a run may still need its
  // remaining order keys and the id tie break (a reverse walk meets ties in descending id
  // order), so each run's matches are ordered and paged by OrderRecordsPage itself.
  Filter page;  // the filter without its where, copied once
  page.order = filter.order;
  page.include_fields = filter.include_fields;
  page.exclude_fields = filter.exclude_fields;
  size_t skip = filter.skip;
  std::optional<size_t> left = filter.limit;
  std::vector<Record> out;
  auto flush_run = [&] {
    if (records.empty()) return;
    page.skip = skip;
    page.limit = left;
    skip -= std::min(skip, records.size());
    std::vector<Record> part = OrderRecordsPage(page, std::move(records), ids);
    if (left) *left -= part.size();
    for (Record& record : part) out.push_back(std::move(record));
    records.clear();
    ids.clear();
  };
  const OrderedIndex::Entry* run = nullptr;  // the first entry of the current run
  VisitEntries(plan, [&](const OrderedIndex::Entry& entry) {
    if (run && !plan.index->SameLeadingKeys(*run, entry, plan.ordered_keys)) {
      flush_run();
      if (left && *left == 0) return false;
      run = nullptr;
    }
    if (!run) run = &entry;
    take(entry);
    return true;
  });
  flush_run();
  return out;
}

size_t CountWithPlan(const IndexPlan& plan, const Where& where, const RecordLookup& lookup) {
  size_t count = 0;
  VisitEntries(plan, [&](const OrderedIndex::Entry& entry) {
    count += Matches(where, *lookup(*entry.id)) ? 1 : 0;
    return true;
  });
  return count;
}

}  // namespace replicore
