// MemoryStore's declared indexes, differentially (leveldb's Randomized): a store with
// indexes against one without, fed the same batches, undos and filters; every Find and
// Count must answer alike. Seeded: RC_SEED=<n> replays one seed, printed on failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"

namespace replicore {
namespace {

constexpr uint32_t kSeeds = 20;
constexpr int kSteps = 200;
constexpr int kIds = 40;
constexpr int kQueriesPerStep = 4;

Filter MustParse(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << filter.status().ToString();
  return filter.ok() ? *filter : Filter{};
}

const char* const kProperties[] = {"created", "completed", "title", "n"};

std::vector<IndexDefinition> Indexes() {
  return {
      IndexDefinition{"created_idx", {{"created", false}}},
      IndexDefinition{"title_idx", {{"title", true}}},
      IndexDefinition{"open", {{"completed", false}, {"created", true}}},
      IndexDefinition{"pair", {{"n", false}, {"title", false}}},
  };
}

// The W4 query over 1,000 todos reads a few records, not all of them, and answers as the
// scan does.
TEST(MemoryStoreIndexTest, OrderedPageReadsOnlyTheRecordsItNeeds) {
  MemoryStore indexed, plain;
  ASSERT_TRUE(
      indexed.DeclareIndexes("Todo", {IndexDefinition{"created_idx", {{"created", false}}}}).ok());
  Batch batch;
  for (int i = 0; i < 1000; ++i) {
    batch.records.push_back({"Todo", "t" + std::to_string(i),
                             Record::FromTree(Json{{"id", "t" + std::to_string(i)},
                                                   {"completed", i % 2 == 0},
                                                   {"created", (i * 7919) % 1000}})});
  }
  ASSERT_TRUE(indexed.Apply(batch).ok());
  ASSERT_TRUE(plain.Apply(batch).ok());
  Filter filter =
      MustParse({{"where", {{"completed", false}}}, {"order", "created DESC"}, {"limit", 50}});
  Result<std::vector<Record>> found = indexed.Find("Todo", filter);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(indexed.records_examined(), 99u);  // 50 matches and the 49 misses among them
  Result<std::vector<Record>> scanned = plain.Find("Todo", filter);
  EXPECT_EQ(plain.records_examined(), 1000u);
  ASSERT_EQ(*found, *scanned);
  EXPECT_EQ(found->size(), 50u);

  Result<size_t> count =
      indexed.Count("Todo", MustParse({{"where", {{"created", {{"lt", 10}}}}}}).where);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 10u);
  EXPECT_EQ(indexed.records_examined(), 10u);
}

// With a limit, a where that another index narrows to a few records reads those instead
// of walking the order's index past every record that does not match.
TEST(MemoryStoreIndexTest, AFewMatchesAreReadThroughTheirIndexNotByAWalk) {
  MemoryStore indexed, plain;
  ASSERT_TRUE(indexed
                  .DeclareIndexes("Todo", {IndexDefinition{"created_idx", {{"created", false}}},
                                           IndexDefinition{"title_idx", {{"title", false}}}})
                  .ok());
  Batch batch;
  for (int i = 0; i < 1000; ++i) {
    std::string id = "t" + std::to_string(i);
    std::string title = i % 200 == 0 ? "rare" : "common";  // 5 rare ones
    batch.records.push_back({"Todo", id, Record::FromTree(Json{{"id", id}, {"title", title}, {"created", i}})});
  }
  ASSERT_TRUE(indexed.Apply(batch).ok());
  ASSERT_TRUE(plain.Apply(batch).ok());
  // sqrt(3 * 1000) is about 55: 5 rare titles are read through title_idx, 995 common ones
  // are met walking created_idx.
  for (const auto& [title, examined] : {std::pair<const char*, size_t>{"rare", 5}, {"common", 3}}) {
    SCOPED_TRACE(title);
    Filter filter =
        MustParse({{"where", {{"title", title}}}, {"order", "created DESC"}, {"limit", 3}});
    Result<std::vector<Record>> found = indexed.Find("Todo", filter);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(indexed.records_examined(), examined);
    EXPECT_EQ(*found, *plain.Find("Todo", filter));
    EXPECT_EQ(found->size(), 3u);
  }
}

// A model's declared index reaches the store through Database::AddModel, after records
// were loaded (as a connector's pages are applied before the models are added).
TEST(MemoryStoreIndexTest, ModelDeclaredIndexIsBuiltOverStoredRecords) {
  MemoryStore store;
  Batch batch;
  for (int i = 0; i < 100; ++i) {
    std::string id = "t" + std::to_string(i);
    batch.records.push_back({"Todo", id, Record::FromTree(Json{{"id", id}, {"created", i}})});
  }
  ASSERT_TRUE(store.Apply(batch).ok());
  testing::FakeEnvironment env;
  Database db(&store, env.Get());
  ASSERT_TRUE(db.AddModel({{"name", "Todo"},
                           {"properties",
                            {{"id", {{"type", "string"}, {"id", true}}},
                             {"created", {{"type", "number"}, {"index", true}}}}}})
                  .ok());
  Result<std::vector<Record>> found = db.Find("Todo", {{"order", "created DESC"}, {"limit", 2}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*(*found)[0])["id"], "t99");
  EXPECT_EQ((*(*found)[1])["id"], "t98");
  EXPECT_EQ(store.records_examined(), 2u);
}

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {
    indexed_.set_keep_undo(true);
    plain_.set_keep_undo(true);
  }

  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  void DeclareIndexes() { ASSERT_TRUE(indexed_.DeclareIndexes("Todo", Indexes()).ok()); }

  // Mixed types, with ties: undefined, null, booleans, equal ints and doubles, strings that
  // UTF-16 and UTF-8 order differently. `odd` adds values no index can hold.
  std::optional<Json> Value(bool odd) {
    static const char* const kStrings[] = {
        "", "a", "b", "B", "ab", "\xee\x80\x80", "\xf0\x9f\x98\x80"};
    switch (Pick(odd ? 11 : 10)) {
      case 0:
        return std::nullopt;
      case 1:
        return Json(nullptr);
      case 2:
        return Json(Pick(2) == 0);
      case 3:
      case 4:
        return Json(Pick(7) - 3);
      case 5: {
        const double kDoubles[] = {0.5, 1.0, 2.5, -0.0};
        return Json(kDoubles[Pick(4)]);
      }
      case 6:
      case 7:
      case 8:
        return Json(kStrings[Pick(7)]);
      case 9:
        return Json(Pick(20));
      default: {
        const Json kOdd[] = {Json::array({1}), Json{{"x", 1}}, Json(int64_t{1} << 60)};
        return kOdd[Pick(3)];
      }
    }
  }

  void Write() {
    Batch batch;
    for (int i = 1 + Pick(4); i > 0; --i) {
      std::string id = "r" + std::to_string(Pick(kIds));
      if (Pick(5) == 0) {
        batch.records.push_back({"Todo", id, std::nullopt});
        continue;
      }
      Json record = {{"id", id}};
      for (const char* property : kProperties) {
        // Only `created` ever holds an odd value, and rarely, so the other indexes stay usable.
        bool odd = std::string(property) == "created" && Pick(20) == 0;
        std::optional<Json> value = Value(odd);
        if (value) record[property] = *value;
      }
      batch.records.push_back({"Todo", id, Record::FromTree(record)});
    }
    ASSERT_TRUE(indexed_.Apply(batch).ok());
    ASSERT_TRUE(plain_.Apply(batch).ok());
  }

  void Undo() {
    Status a = indexed_.UndoLast();
    Status b = plain_.UndoLast();
    ASSERT_EQ(a.ok(), b.ok());
  }

  void Confirm() {
    uint64_t seq = static_cast<uint64_t>(Pick(kSteps));
    indexed_.Confirm(seq);
    plain_.Confirm(seq);
  }

  Json Condition() {
    std::string property = kProperties[Pick(4)];
    auto operand = [&] { return Value(false).value_or(Json(2)); };
    switch (Pick(10)) {
      case 0:
        return {{property, operand()}};
      case 1:
        return {{property, {{"neq", operand()}}}};
      case 2:
        return {{property, {{"gt", operand()}}}};
      case 3:
        return {{property, {{"gte", operand()}, {"lt", operand()}}}};
      case 4:
        return {{property, {{"lte", operand()}}}};
      case 5:
        return {{property, {{"between", {operand(), operand()}}}}};
      case 6:
        return {{property, {{"inq", {operand(), operand(), operand()}}}}};
      case 7:
        return {{property, {{"nin", {operand()}}}}};
      case 8:
        return {{property, {{"like", "a%"}}}};
      default:
        return {{property, {{"lt", operand()}}}};
    }
  }

  Json Where(int depth) {
    int kind = Pick(depth < 2 ? 6 : 4);
    if (kind < 4) return Condition();
    Json children = Json::array();
    for (int i = 2 + Pick(2); i > 0; --i) children.push_back(Where(depth + 1));
    return {{kind == 4 ? "and" : "or", children}};
  }

  Json RandomFilter() {
    Json filter = Json::object();
    if (Pick(4) != 0) filter["where"] = Where(0);
    Json order = Json::array();
    for (int i = Pick(3); i > 0; --i) {
      const char* const kKeys[] = {"created", "completed", "title", "n", "id"};
      order.push_back(std::string(kKeys[Pick(5)]) + (Pick(2) ? " DESC" : " ASC"));
    }
    if (!order.empty()) filter["order"] = order;
    if (Pick(3) != 0) filter["limit"] = 1 + Pick(8);
    if (Pick(3) == 0) filter["skip"] = Pick(5);
    if (Pick(8) == 0) filter["fields"] = {{"title", true}, {"created", true}};
    return filter;
  }

  void Query() {
    Json json = RandomFilter();
    SCOPED_TRACE("filter " + json.dump());
    Result<Filter> filter = ParseFilter(json);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    Result<std::vector<Record>> expected = plain_.Find("Todo", *filter);
    Result<std::vector<Record>> found = indexed_.Find("Todo", *filter);
    ASSERT_TRUE(expected.ok() && found.ok());
    ASSERT_EQ(RecordsArrayText(*found), RecordsArrayText(*expected));
    ++queries_;
    indexed_queries_ += indexed_.records_examined() < plain_.records_examined() ? 1 : 0;
    Result<size_t> expected_count = plain_.Count("Todo", filter->where);
    Result<size_t> count = indexed_.Count("Todo", filter->where);
    ASSERT_TRUE(expected_count.ok() && count.ok());
    ASSERT_EQ(*count, *expected_count);
  }

  int queries() const { return queries_; }
  int indexed_queries() const { return indexed_queries_; }

 private:
  std::mt19937 rng_;
  MemoryStore indexed_, plain_;
  int queries_ = 0, indexed_queries_ = 0;
};

// Returns the share of queries that read fewer records through an index.
double RunSeed(uint32_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RC_SEED=" + std::to_string(seed) +
               ")");
  World world(seed);
  // Half the seeds declare at once, half over records already stored.
  int declare_at = seed % 2 == 0 ? 0 : kSteps / 3;
  for (int step = 0; step < kSteps && !::testing::Test::HasFailure(); ++step) {
    if (step == declare_at) world.DeclareIndexes();
    int action = world.Pick(10);
    if (action < 5) {
      world.Write();
    } else if (action == 5) {
      world.Undo();
    } else if (action == 6) {
      world.Confirm();
    } else {
      for (int i = 0; i < kQueriesPerStep && !::testing::Test::HasFailure(); ++i) world.Query();
    }
  }
  return world.queries() == 0 ? 0 : double(world.indexed_queries()) / world.queries();
}

TEST(MemoryStoreIndexTest, IndexedStoreAnswersEveryFilterAsAScan) {
  if (const char* replay = std::getenv("RC_SEED")) {
    RunSeed(static_cast<uint32_t>(std::strtoul(replay, nullptr, 10)));
    return;
  }
  double indexed_share = 0;
  for (uint32_t seed = 1; seed <= kSeeds && !HasFailure(); ++seed) {
    indexed_share += RunSeed(seed) / kSeeds;
  }
  // The comparison proves something only if the indexes were used.
  EXPECT_GT(indexed_share, 0.3);
}

}  // namespace
}  // namespace replicore
