#include "replicore/index_query.h"

#include <gtest/gtest.h>

#include <string>

namespace replicore {
namespace {

Filter MustParse(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << filter.status().ToString();
  return filter.ok() ? *filter : Filter{};
}

// The indexes a Todo model might declare.
std::vector<OrderedIndex> TodoIndexes() {
  std::vector<OrderedIndex> indexes;
  indexes.emplace_back(IndexDefinition{"created_idx", {{"created", false}}, false});
  indexes.emplace_back(IndexDefinition{"title_idx", {{"title", true}}, false});
  indexes.emplace_back(IndexDefinition{"open", {{"completed", false}, {"created", true}}, false});
  return indexes;
}

// The plan for `filter_json`, as "kind index reverse ordered_keys ranges", e.g.
// "walk created_idx reverse 1 all" or "ranges title_idx [\"a\",\"b\"]".
std::string Plan(const std::vector<OrderedIndex>& indexes, const Json& filter_json) {
  Filter filter = MustParse(filter_json);
  IndexPlan plan = PlanFind(indexes, filter);
  if (plan.kind == IndexPlan::Kind::kScan) return "scan";
  std::string out = plan.kind == IndexPlan::Kind::kWalk ? "walk " : "ranges ";
  out += plan.index->definition().name;
  if (plan.kind == IndexPlan::Kind::kWalk) {
    out += plan.reverse ? " reverse " : " forward ";
    out += std::to_string(plan.ordered_keys);
  }
  if (!plan.ranges) return out + " all";
  for (const KeyRange& range : *plan.ranges) {
    out += std::string(" ") + (range.low_inclusive ? "[" : "(");
    out += range.low ? range.low->dump() : "";
    out += ",";
    out += range.high ? range.high->dump() : "";
    out += range.high_inclusive ? "]" : ")";
  }
  return out;
}

TEST(IndexQueryTest, PlansWalksForAnIndexedOrderWithALimit) {
  std::vector<OrderedIndex> indexes = TodoIndexes();
  EXPECT_EQ(Plan(indexes, {{"order", "created DESC"}, {"limit", 50}}),
            "walk created_idx reverse 1 all");
  EXPECT_EQ(Plan(indexes, {{"order", "title DESC"}, {"limit", 5}, {"skip", 3}}),
            "walk title_idx forward 1 all");
  // `open` yields both order keys; created_idx none.
  EXPECT_EQ(Plan(indexes, {{"where", {{"completed", false}}},
                           {"order", {"completed ASC", "created DESC"}},
                           {"limit", 50}}),
            "walk open forward 2 [false,false]");
  // The W4 query: `open` fixes completed and yields created; created_idx only yields it.
  EXPECT_EQ(
      Plan(indexes, {{"where", {{"completed", false}}}, {"order", "created DESC"}, {"limit", 50}}),
      "walk open forward 2 [false,false]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"completed", {{"inq", Json::array({false})}}}}},
                           {"order", "created ASC"},
                           {"limit", 50}}),
            "walk open reverse 2 [false,false]");
  // A range does not fix the first key: created_idx yields the order, but `open` narrows to
  // fewer than sqrt(50 * 0) + 1 entries (these indexes are empty), so it is read instead.
  // MemoryStoreIndexTest.AFewMatchesAreReadThroughTheirIndexNotByAWalk has both outcomes.
  EXPECT_EQ(Plan(indexes, {{"where", {{"completed", {{"lte", false}}}}},
                           {"order", "created DESC"},
                           {"limit", 50}}),
            "ranges open [,false]");
  EXPECT_EQ(Plan(indexes, {{"order", {"completed DESC", "created ASC"}}, {"limit", 1}}),
            "walk open reverse 2 all");
  // Mixed directions: only the leading key comes out in order.
  EXPECT_EQ(Plan(indexes, {{"order", {"completed ASC", "created ASC"}}, {"limit", 1}}),
            "walk open forward 1 all");
  // A walk restricted to the where's range on its first key.
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"gte", 5}, {"lt", 9}}}}},
                           {"order", "created ASC"},
                           {"limit", 3}}),
            "walk created_idx forward 1 [5,9)");
}

TEST(IndexQueryTest, PlansRangesForAWhereOnAnIndexedFirstKey) {
  std::vector<OrderedIndex> indexes = TodoIndexes();
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", 5}}}}), "ranges created_idx [5,5]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", nullptr}}}}), "ranges created_idx [null,null]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"gt", 5}}}}}}), "ranges created_idx (5,]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"lte", "x"}}}}}}),
            "ranges created_idx [,\"x\"]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"title", {{"between", {"a", "c"}}}}}}}),
            "ranges title_idx [\"a\",\"c\"]");
  // inq: ascending, each value once (1 and 1.0 are equal).
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"inq", {3, 1, nullptr, 1.0}}}}}}}),
            "ranges created_idx [null,null] [1,1] [3,3]");
  // Conditions on one key are intersected; inside an and too.
  EXPECT_EQ(Plan(indexes, {{"where",
                            {{"and",
                              {{{"created", {{"gt", 1}}}},
                               {{"created", {{"lte", 4}}}},
                               {{"title", {{"like", "a%"}}}}}}}}}),
            "ranges created_idx (1,4]");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"gt", 1}, {"lt", "z"}}}}}}),
            "ranges created_idx");  // no number is below a string: nothing to read
  // Without a limit, a narrowing where beats a walk (it sorts fewer records).
  EXPECT_EQ(Plan(indexes, {{"where", {{"title", "a"}}}, {"order", "created DESC"}}),
            "ranges title_idx [\"a\",\"a\"]");
  EXPECT_EQ(Plan(indexes, {{"order", "created DESC"}}), "walk created_idx reverse 1 all");
}

TEST(IndexQueryTest, ScansWhenNoIndexHelpsOrWhenUnsure) {
  std::vector<OrderedIndex> indexes = TodoIndexes();
  EXPECT_EQ(Plan(indexes, Json::object()), "scan");
  EXPECT_EQ(Plan(indexes, {{"limit", 3}}), "scan");  // id order: no index holds it
  EXPECT_EQ(Plan(indexes, {{"order", "priority DESC"}, {"limit", 3}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"priority", 1}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"or", {{{"created", 1}}, {{"created", 2}}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"neq", 1}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"nin", Json::array({1})}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"title", {{"like", "a%"}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created.at", 1}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"gte", nullptr}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"between", {1, "z"}}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", {{"inq", {1, Json::array({2})}}}}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", Json::parse("9007199254740993")}}}}), "scan");
}

TEST(IndexQueryTest, NeverPlansOverAnIndexARecordCouldNotEnter) {
  std::vector<OrderedIndex> indexes = TodoIndexes();
  std::string id = "odd";
  indexes[0].Insert(id, Record::FromTree({{"created", {1, 2}}}));
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", 5}}}}), "scan");
  EXPECT_EQ(Plan(indexes, {{"order", "created DESC"}, {"limit", 50}}), "scan");
  indexes[0].Erase(id, Record::FromTree({{"created", {1, 2}}}));
  EXPECT_EQ(Plan(indexes, {{"where", {{"created", 5}}}}), "ranges created_idx [5,5]");
}

}  // namespace
}  // namespace replicore
