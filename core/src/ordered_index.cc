#include "replicore/ordered_index.h"

#include "json_text.h"

#include <cmath>

namespace replicore {

namespace {

constexpr int64_t kMaxExactInteger = int64_t{1} << 53;

// Value `i` of a key: the key itself for a one-key index, else its array element.
const Json& KeyValue(const Json& key, size_t i, size_t key_count) {
  return key_count == 1 ? key : key[i];
}

}  // namespace

bool IsIndexable(const Json* value) {
  if (value == nullptr || value->is_null() || value->is_boolean() || value->is_string()) {
    return true;
  }
  if (value->is_number_unsigned()) return value->get<uint64_t>() <= uint64_t{kMaxExactInteger};
  if (value->is_number_integer()) {
    int64_t n = value->get<int64_t>();
    return n >= -kMaxExactInteger && n <= kMaxExactInteger;
  }
  if (value->is_number_float()) return !std::isnan(value->get<double>());
  return false;
}

// The value of a member's text: the common scalars directly (the parser's setup costs more
// than the work for one short value, and an index reads one per record as a page loads),
// anything else through the parser.
Json ScalarOf(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null") return nullptr;
  if (text.size() >= 2 && text.front() == '"' && text.find('\\') == std::string_view::npos) {
    return std::string(text.substr(1, text.size() - 2));
  }
  // Integers of up to 16 characters (canonical text writes no leading zero), typed as the
  // parser types them: negative numbers signed, the others unsigned.
  if (text.size() <= 16) {
    JsonTextReader reader(text);
    if (Result<int64_t> value = reader.Integer(); value.ok() && reader.AtEnd()) {
      if (*value < 0) return *value;
      return static_cast<uint64_t>(*value);
    }
  }
  return Json::parse(std::string(text), nullptr, /*allow_exceptions=*/false);
}

std::optional<Json> IndexKeyOf(const Record& record, const IndexDefinition& definition) {
  const std::string& text = record.text();
  if (text.empty() || text.front() != '{') return std::nullopt;
  auto value_of = [&](const IndexKey& key) -> std::optional<Json> {
    std::optional<std::string_view> member = MemberText(text, key.property);
    if (!member) return Json();  // undefined and null order alike
    Json value = ScalarOf(*member);
    if (value.is_discarded() || !IsIndexable(&value)) return std::nullopt;
    return value;
  };
  if (definition.keys.size() == 1) return value_of(definition.keys[0]);
  Json key = Json::array();
  for (const IndexKey& index_key : definition.keys) {
    std::optional<Json> value = value_of(index_key);
    if (!value) return std::nullopt;
    key.push_back(std::move(*value));
  }
  return key;
}

// A position in the index, on its first key: before (or after) every entry whose first
// value equals `value`, or, with no value, every entry of that OrderRank.
struct OrderedIndex::Less::Probe {
  int rank;
  const Json* value;
  bool after;
};

int OrderedIndex::Less::CompareKeys(const Json& a, const Json& b, size_t count) const {
  for (size_t i = 0; i < count; ++i) {
    int c = OrderCompare(&KeyValue(a, i, key_count_), &KeyValue(b, i, key_count_));
    if (c != 0) return Directed(c, i);
  }
  return 0;
}

bool OrderedIndex::Less::operator()(const Entry& a, const Entry& b) const {
  int c = CompareKeys(a.key, b.key, key_count_);
  return c != 0 ? c < 0 : *a.id < *b.id;
}

// <0 when the entry sorts before the probe, >0 after; never 0.
int OrderedIndex::Less::ComparePosition(const Entry& entry, const Probe& probe) const {
  const Json& value = KeyValue(entry.key, 0, key_count_);
  int rank = OrderRank(&value);
  int c = rank != probe.rank ? (rank < probe.rank ? -1 : 1) : 0;
  if (c == 0 && probe.value) c = OrderCompare(&value, probe.value);
  if (c == 0) return probe.after ? -1 : 1;
  return Directed(c, 0);
}

bool OrderedIndex::Less::operator()(const Entry& a, const Probe& b) const {
  return ComparePosition(a, b) < 0;
}

bool OrderedIndex::Less::operator()(const Probe& a, const Entry& b) const {
  return ComparePosition(b, a) > 0;
}

namespace {

OrderedIndex::Less LessFor(IndexDefinition* definition) {
  std::vector<IndexKey>& keys = definition->keys;
  if (keys.size() > OrderedIndex::kMaxKeys)
    keys.erase(keys.begin() + OrderedIndex::kMaxKeys, keys.end());
  uint64_t descending = 0;
  for (size_t i = 0; i < keys.size(); ++i) descending |= uint64_t{keys[i].descending} << i;
  return OrderedIndex::Less(keys.size(), descending);
}

}  // namespace

OrderedIndex::OrderedIndex(IndexDefinition definition)
    : definition_(std::move(definition)), entries_(LessFor(&definition_)) {}

void OrderedIndex::Insert(const std::string& id, const Record& record) {
  std::optional<Json> key = IndexKeyOf(record, definition_);
  if (!key) {
    ++unindexable_;
    return;
  }
  entries_.insert(Entry{std::move(*key), &id});
}

void OrderedIndex::Erase(const std::string& id, const Record& record) {
  std::optional<Json> key = IndexKeyOf(record, definition_);
  if (!key) {
    --unindexable_;
    return;
  }
  entries_.erase(Entry{std::move(*key), &id});
}

bool KeyRange::empty() const {
  if (!low || !high) return false;
  int c = OrderCompare(&*low, &*high);
  return c > 0 || (c == 0 && !(low_inclusive && high_inclusive));
}

std::pair<OrderedIndex::Iterator, OrderedIndex::Iterator> OrderedIndex::Range(
    const KeyRange& range) const {
  if (range.empty()) return {entries_.end(), entries_.end()};
  // In index order a descending first key meets `high` first.
  bool descending = definition_.keys[0].descending;
  const std::optional<Json>& first = descending ? range.high : range.low;
  const std::optional<Json>& last = descending ? range.low : range.high;
  bool first_inclusive = descending ? range.high_inclusive : range.low_inclusive;
  bool last_inclusive = descending ? range.low_inclusive : range.high_inclusive;
  using Probe = Less::Probe;
  int rank = range.rank();
  Iterator begin =
      entries_.lower_bound(Probe{rank, first ? &*first : nullptr, first && !first_inclusive});
  Iterator end =
      entries_.lower_bound(Probe{rank, last ? &*last : nullptr, !last || last_inclusive});
  return {begin, end};
}

}  // namespace replicore
