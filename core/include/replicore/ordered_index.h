// One declared index of one model, kept in memory by MemoryStore (the browser's store):
// its records' key values and ids, ordered exactly as OrderPage orders them, so that
// Find can read a page in order and narrow a where without scanning every record.
#ifndef REPLICORE_ORDERED_INDEX_H_
#define REPLICORE_ORDERED_INDEX_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "replicore/filter.h"
#include "replicore/model_indexes.h"

namespace replicore {

// Whether an index can hold `value` (nullptr: undefined) and order it as a scan does:
// undefined, null, booleans, strings and numbers that compare exactly (JSON has no NaN;
// integers beyond 2^53 are excluded because nlohmann compares them with doubles after a
// rounding conversion, which is not a strict weak order). Arrays and objects are excluded
// because a where tests an array element by element, which no range of whole values covers.
bool IsIndexable(const Json* value);

// The key of `record` in an index of `definition`: the value of its one key (null for
// undefined), or an array of the values of its keys; nullopt when one is not indexable.
// The only place where an index reads a record: from its text, always (the keys a record
// enters and leaves with must be the same), and without parsing the rest of it.
std::optional<Json> IndexKeyOf(const Record& record, const IndexDefinition& definition);

// The values of an index's first key between `low` and `high` (in OrderCompare's
// ascending order whatever the index's direction), all of one OrderRank. An unset bound
// runs to the start or the end of that rank; at least one bound is set.
struct KeyRange {
  std::optional<Json> low, high;
  bool low_inclusive = true, high_inclusive = true;

  int rank() const { return OrderRank(low ? &*low : &*high); }
  bool empty() const;  // low above high
};

// A std::set of {key, borrowed id}: one node per record, about 40 bytes in wasm32 plus the
// text of a string key, and O(log n) to insert or erase as each batch applies (a sorted
// vector would halve the size but move half the index on every write).
class OrderedIndex {
 public:
  struct Entry {
    Json key;               // as IndexKeyOf gives it
    const std::string* id;  // borrowed: see Insert
  };

  // Sorts by each key in its declared direction, then by id (OrderPage's tie
  // break, ascending however the keys go). Transparent, to find a range's bounds.
  class Less {
   public:
    using is_transparent = void;
    struct Probe;  // a position just before or after a run of first-key values
    // Bit i of `descending` is set when key i is descending.
    Less(size_t key_count, uint64_t descending) : key_count_(key_count), descending_(descending) {}
    bool operator()(const Entry& a, const Entry& b) const;
    bool operator()(const Entry& a, const Probe& b) const;
    bool operator()(const Probe& a, const Entry& b) const;
    // Compares the first `count` keys of a and b in index order: <0, 0, >0.
    int CompareKeys(const Json& a, const Json& b, size_t count) const;

   private:
    int ComparePosition(const Entry& entry, const Probe& probe) const;
    int Directed(int c, size_t key) const { return (descending_ >> key) & 1 ? -c : c; }
    size_t key_count_;
    uint64_t descending_;  // a bit mask keeps the comparator, which std::set copies, small
  };
  using Entries = std::set<Entry, Less>;
  using Iterator = Entries::const_iterator;

  // An index orders by its first kMaxKeys keys at most (a longer declaration is cut).
  static constexpr size_t kMaxKeys = 64;
  explicit OrderedIndex(IndexDefinition definition);

  const IndexDefinition& definition() const { return definition_; }

  // `id` is borrowed until the matching Erase: MemoryStore passes the key of its record
  // map, whose nodes never move. `record` is read only during the call.
  void Insert(const std::string& id, const Record& record);
  // `record` must be the one inserted under `id`.
  void Erase(const std::string& id, const Record& record);

  // False while some record's key is not indexable (IsIndexable): such a record has no
  // entry, so the index cannot stand for a scan until that record changes.
  bool usable() const { return unindexable_ == 0; }
  size_t size() const { return entries_.size(); }

  Iterator begin() const { return entries_.begin(); }
  Iterator end() const { return entries_.end(); }
  // The entries whose first key lies in `range`, in index order.
  std::pair<Iterator, Iterator> Range(const KeyRange& range) const;
  // Whether two entries have equal values (OrderCompare 0) on the first `count` keys.
  bool SameLeadingKeys(const Entry& a, const Entry& b, size_t count) const {
    return entries_.key_comp().CompareKeys(a.key, b.key, count) == 0;
  }

 private:
  IndexDefinition definition_;
  Entries entries_;
  size_t unindexable_ = 0;  // records left out
};

}  // namespace replicore

#endif  // REPLICORE_ORDERED_INDEX_H_
