#include "replicore/ordered_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace replicore {
namespace {

IndexDefinition Definition(std::vector<IndexKey> keys) {
  return IndexDefinition{"idx", std::move(keys), false};
}

// Records by id, mirrored into one index the way MemoryStore does it (the index borrows
// the map's keys).
class IndexedRecords {
 public:
  explicit IndexedRecords(IndexDefinition definition) : index_(std::move(definition)) {}

  void Put(const std::string& id, Json record) {
    Remove(id);
    auto it = records_.insert_or_assign(id, Record::FromTree(std::move(record))).first;
    index_.Insert(it->first, it->second);
  }
  void Remove(const std::string& id) {
    auto it = records_.find(id);
    if (it == records_.end()) return;
    index_.Erase(it->first, it->second);
    records_.erase(it);
  }

  const OrderedIndex& index() const { return index_; }

  // "key:id ..." in index order.
  std::string Dump() const { return Dump(index_.begin(), index_.end()); }
  std::string Dump(const KeyRange& range) const {
    auto [begin, end] = index_.Range(range);
    return Dump(begin, end);
  }

 private:
  static std::string Dump(OrderedIndex::Iterator begin, OrderedIndex::Iterator end) {
    std::string out;
    for (auto it = begin; it != end; ++it) {
      if (!out.empty()) out += ' ';
      out += it->key.dump() + ":" + *it->id;
    }
    return out;
  }

  std::map<std::string, Record> records_;
  OrderedIndex index_;
};

TEST(OrderedIndexTest, OrdersValuesAsOrderPageDoesThenIds) {
  IndexedRecords records(Definition({{"v", false}}));
  records.Put("s1", {{"v", "b"}});
  records.Put("s2", {{"v", "\xee\x80\x80"}});      // U+E000
  records.Put("s3", {{"v", "\xf0\x9f\x98\x80"}});  // U+1F600: a surrogate pair, so before U+E000
  records.Put("n2", {{"v", 2.5}});
  records.Put("n1", {{"v", 10}});
  records.Put("n0", {{"v", -1}});
  records.Put("b1", {{"v", true}});
  records.Put("b0", {{"v", false}});
  records.Put("u", {{"other", 1}});  // undefined: with null, first
  records.Put("z", {{"v", nullptr}});
  records.Put("a", {{"v", nullptr}});
  records.Put("n3", {{"v", 1}});
  records.Put("n4", {{"v", 1.0}});  // equal to 1 (and stored as 1): ties go by id
  EXPECT_EQ(records.Dump(),
            "null:a null:u null:z false:b0 true:b1 -1:n0 1:n3 1:n4 2.5:n2 10:n1 \"b\":s1 "
            "\"\xf0\x9f\x98\x80\":s3 \"\xee\x80\x80\":s2");
}

TEST(OrderedIndexTest, DescendingKeyReversesValuesButNotIdTies) {
  IndexedRecords records(Definition({{"v", true}}));
  records.Put("b", {{"v", 1}});
  records.Put("a", {{"v", 1}});
  records.Put("c", {{"v", 2}});
  records.Put("d", {{"v", "x"}});
  records.Put("e", Json::object());
  EXPECT_EQ(records.Dump(), "\"x\":d 2:c 1:a 1:b null:e");
}

TEST(OrderedIndexTest, CompoundKeyOrdersEachKeyInItsDirection) {
  IndexedRecords records(Definition({{"done", false}, {"created", true}}));
  records.Put("a", {{"done", true}, {"created", 1}});
  records.Put("b", {{"done", false}, {"created", 1}});
  records.Put("c", {{"done", false}, {"created", 3}});
  records.Put("d", {{"done", true}, {"created", 2}});
  records.Put("e", {{"created", 9}});
  EXPECT_EQ(records.Dump(), "[null,9]:e [false,3]:c [false,1]:b [true,2]:d [true,1]:a");
}

TEST(OrderedIndexTest, UpdateAndEraseMoveExactlyTheirEntry) {
  IndexedRecords records(Definition({{"v", false}}));
  records.Put("a", {{"v", 1}});
  records.Put("b", {{"v", 1}});
  records.Put("c", {{"v", 2}});
  records.Put("a", {{"v", 3}});
  EXPECT_EQ(records.Dump(), "1:b 2:c 3:a");
  records.Remove("c");
  EXPECT_EQ(records.Dump(), "1:b 3:a");
  EXPECT_EQ(records.index().size(), 2u);
}

TEST(OrderedIndexTest, UnindexableValueDisablesTheIndexUntilItsRecordChanges) {
  for (const Json& odd :
       {Json::array({1}), Json{{"x", 1}}, Json(int64_t{1} << 60), Json(uint64_t{1} << 63)}) {
    SCOPED_TRACE(odd.dump());
    IndexedRecords records(Definition({{"a", false}, {"v", false}}));
    records.Put("a", {{"v", 1}});
    records.Put("odd", {{"v", odd}});
    EXPECT_FALSE(records.index().usable());
    EXPECT_EQ(records.Dump(), "[null,1]:a");
    records.Put("odd", {{"v", 2}});
    EXPECT_TRUE(records.index().usable());
    EXPECT_EQ(records.Dump(), "[null,1]:a [null,2]:odd");
  }
  auto indexable = [](const char* text) {
    Json value = Json::parse(text);
    return IsIndexable(&value);
  };
  EXPECT_TRUE(IsIndexable(nullptr));
  EXPECT_TRUE(indexable("9007199254740992"));  // 2^53
  EXPECT_FALSE(indexable("9007199254740993"));
  EXPECT_FALSE(indexable("-9007199254740993"));
  EXPECT_TRUE(indexable("1e300"));
}

class OrderedIndexRangeTest : public ::testing::TestWithParam<bool> {
 protected:
  // Values of every rank on one key, in the direction of the test's parameter.
  OrderedIndexRangeTest() : records_(Definition({{"v", GetParam()}})) {
    records_.Put("u", Json::object());
    records_.Put("z", {{"v", nullptr}});
    records_.Put("f", {{"v", false}});
    records_.Put("t", {{"v", true}});
    records_.Put("n1", {{"v", 1}});
    records_.Put("n2", {{"v", 2}});
    records_.Put("n2b", {{"v", 2.0}});
    records_.Put("n3", {{"v", 3}});
    records_.Put("sa", {{"v", "a"}});
    records_.Put("sb", {{"v", "b"}});
  }
  // The ids in `range`, sorted (the order tests are above).
  std::string Ids(const KeyRange& range) {
    auto [begin, end] = records_.index().Range(range);
    std::vector<std::string> ids;
    for (auto it = begin; it != end; ++it) ids.push_back(*it->id);
    std::sort(ids.begin(), ids.end());
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
    return out;
  }
  IndexedRecords records_;
};

TEST_P(OrderedIndexRangeTest, RangesStayWithinOneRank) {
  auto range = [](std::optional<Json> low, bool low_in, std::optional<Json> high, bool high_in) {
    return KeyRange{std::move(low), std::move(high), low_in, high_in};
  };
  EXPECT_EQ(Ids(range(2, true, 2, true)), "n2 n2b");
  EXPECT_EQ(Ids(range(nullptr, true, nullptr, true)), "u z");
  EXPECT_EQ(Ids(range(1, false, std::nullopt, true)), "n2 n2b n3");
  EXPECT_EQ(Ids(range(2, true, std::nullopt, true)), "n2 n2b n3");
  EXPECT_EQ(Ids(range(std::nullopt, true, 3, false)), "n1 n2 n2b");
  EXPECT_EQ(Ids(range(std::nullopt, true, "b", true)), "sa sb");
  EXPECT_EQ(Ids(range(false, false, std::nullopt, true)), "t");
  EXPECT_EQ(Ids(range(1.5, true, 2.5, true)), "n2 n2b");
  EXPECT_EQ(Ids(range(2, true, 1, true)), "");  // low above high
  EXPECT_EQ(Ids(range(2, false, 2, true)), "");
  EXPECT_EQ(Ids(range(7, true, 7, true)), "");
}

INSTANTIATE_TEST_SUITE_P(Directions, OrderedIndexRangeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Descending" : "Ascending";
                         });

}  // namespace
}  // namespace replicore
