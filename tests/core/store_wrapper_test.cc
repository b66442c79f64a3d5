// Fault injection (sqlite's pagerfault idea, STYLE.md §3): for every write operation of a
// Database, make the Nth store call fail for N = 1, 2, ... until the operation succeeds without
// hitting the failure, and check after each failure that the operation reported it and that the
// store is exactly as before.
#include "core/store_wrapper.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/store_conformance.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"

namespace replicore {
namespace {

constexpr uint64_t kMaxCalls = 100;

const Json kTodoModel = Json::parse(R"({
  "name": "Todo", "plural": "Todos", "trackChanges": true, "strict": "throw",
  "properties": {
    "id": {"type": "string", "id": true},
    "title": "string",
    "completed": {"type": "boolean", "default": false}
  }
})");

Environment FixedEnv() {
  Environment env;
  env.now_ms = [] { return 1700000000000.0; };
  env.new_guid = [counter = 0]() mutable { return "guid-" + std::to_string(++counter); };
  return env;
}

// A Database over a StoreWrapper over a MemoryStore; the test reads `memory` directly, so its
// checks never count as store calls.
struct Rig {
  Rig() : wrapper(&memory), db(&wrapper, FixedEnv()) {}
  MemoryStore memory;
  StoreWrapper wrapper;
  Database db;
};

std::string Dump(Store& store) { return DumpStore(store, {"Todo"}, {"checkpoint.time"}); }

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& rc_result_ = (expr);                                \
    ASSERT_TRUE(rc_result_.ok()) << rc_result_.status().ToString(); \
  } while (false)

// Three todos, one of them patched after a checkpoint (so its row has a prev), and a deleted
// record whose change row remains; checkpoint 3 and its time in meta.
void Seed(Rig& rig) {
  Status added = rig.db.AddModel(kTodoModel);
  ASSERT_TRUE(added.ok()) << added.ToString();
  ASSERT_OK(rig.db.Create("Todo", {{"id", "t1"}, {"title", "a"}}));
  ASSERT_OK(rig.db.Create("Todo", {{"id", "t2"}, {"title", "b"}, {"completed", true}}));
  ASSERT_OK(rig.db.Create("Todo", {{"id", "t3"}, {"title", "c"}}));
  ASSERT_OK(rig.db.Create("Todo", {{"id", "t9"}, {"title", "gone"}}));
  ASSERT_OK(rig.db.Checkpoint());
  ASSERT_OK(rig.db.PatchAttributes("Todo", "t1", {{"title", "a2"}}));
  ASSERT_OK(rig.db.DeleteById("Todo", "t9"));
  ASSERT_OK(rig.db.Checkpoint());
}

std::string CurrentRev(MemoryStore& memory, const std::string& id) {
  Result<std::optional<Change>> change = memory.GetChange("Todo", id);
  if (!change.ok() || !change->has_value() || !(*change)->rev) return "<no rev>";
  return *(*change)->rev;
}

struct Operation {
  std::string name;
  std::function<Status(Database&)> run;
  // Checks the store after the operation succeeded.
  std::function<void(MemoryStore&)> check;
};

template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

std::optional<Record> Get(MemoryStore& memory, const std::string& id) {
  Result<std::optional<Record>> record = memory.Get("Todo", id);
  return record.ok() ? *record : std::optional<Record>(Record::FromTree(Json("<read error>")));
}

std::vector<Operation> Operations(const Json& bulk_updates) {
  return {
      {"Create",
       [](Database& db) {
         return StatusOf(db.Create("Todo", {{"id", "n1"}, {"title", "new"}}));
       },
       [](MemoryStore& m) {
         EXPECT_EQ(Get(m, "n1"), Json({{"id", "n1"}, {"title", "new"}, {"completed", false}}));
         EXPECT_TRUE(m.GetChange("Todo", "n1")->has_value());
       }},
      {"PatchAttributes",
       [](Database& db) {
         return StatusOf(db.PatchAttributes("Todo", "t1", {{"title", "patched"}}));
       },
       [](MemoryStore& m) { EXPECT_EQ((**Get(m, "t1"))["title"], "patched"); }},
      {"ReplaceById",
       [](Database& db) {
         return StatusOf(db.ReplaceById("Todo", "t2", {{"title", "replaced"}}));
       },
       [](MemoryStore& m) {
         EXPECT_EQ(Get(m, "t2"), Json({{"id", "t2"}, {"title", "replaced"}, {"completed", false}}));
       }},
      {"PatchOrCreateExisting",
       [](Database& db) {
         return StatusOf(db.PatchOrCreate("Todo", {{"id", "t3"}, {"completed", true}}));
       },
       [](MemoryStore& m) {
         EXPECT_EQ(Get(m, "t3"), Json({{"id", "t3"}, {"title", "c"}, {"completed", true}}));
       }},
      {"PatchOrCreateNew",
       [](Database& db) {
         return StatusOf(db.PatchOrCreate("Todo", {{"id", "n2"}, {"title", "x"}}));
       },
       [](MemoryStore& m) { EXPECT_TRUE(Get(m, "n2").has_value()); }},
      {"ReplaceOrCreateExisting",
       [](Database& db) {
         return StatusOf(db.ReplaceOrCreate("Todo", {{"id", "t2"}, {"title", "r"}}));
       },
       [](MemoryStore& m) {
         EXPECT_EQ(Get(m, "t2"), Json({{"id", "t2"}, {"title", "r"}, {"completed", false}}));
       }},
      {"ReplaceOrCreateNew",
       [](Database& db) {
         return StatusOf(db.ReplaceOrCreate("Todo", {{"id", "n3"}, {"title", "y"}}));
       },
       [](MemoryStore& m) { EXPECT_TRUE(Get(m, "n3").has_value()); }},
      {"UpdateAll",
       [](Database& db) {
         Result<size_t> count = db.UpdateAll("Todo", {{"completed", false}}, {{"completed", true}});
         if (count.ok()) {
           EXPECT_EQ(*count, 2u);
         }
         return StatusOf(count);
       },
       [](MemoryStore& m) {
         EXPECT_EQ(*m.Count("Todo", Where()), 3u);
         EXPECT_EQ((**Get(m, "t1"))["completed"], true);
         EXPECT_EQ((**Get(m, "t3"))["completed"], true);
       }},
      {"UpsertWithWhereExisting",
       [](Database& db) {
         return StatusOf(db.UpsertWithWhere("Todo", {{"title", "b"}}, {{"completed", false}}));
       },
       [](MemoryStore& m) { EXPECT_EQ((**Get(m, "t2"))["completed"], false); }},
      {"UpsertWithWhereNew",
       [](Database& db) {
         return StatusOf(
             db.UpsertWithWhere("Todo", {{"title", "zzz"}}, {{"id", "n4"}, {"title", "zzz"}}));
       },
       [](MemoryStore& m) { EXPECT_TRUE(Get(m, "n4").has_value()); }},
      {"DeleteById",
       [](Database& db) {
         Result<size_t> count = db.DeleteById("Todo", "t3");
         if (count.ok()) {
           EXPECT_EQ(*count, 1u);
         }
         return StatusOf(count);
       },
       [](MemoryStore& m) {
         EXPECT_FALSE(Get(m, "t3").has_value());
         ASSERT_TRUE(m.GetChange("Todo", "t3")->has_value());
         EXPECT_EQ((*m.GetChange("Todo", "t3"))->type(), ChangeType::kDelete);
       }},
      {"DeleteAll",
       [](Database& db) {
         Result<size_t> count = db.DeleteAll("Todo", {{"completed", false}});
         if (count.ok()) {
           EXPECT_EQ(*count, 2u);
         }
         return StatusOf(count);
       },
       [](MemoryStore& m) { EXPECT_EQ(*m.Count("Todo", Where()), 1u); }},
      {"DeleteAllEverything", [](Database& db) { return StatusOf(db.DeleteAll("Todo", nullptr)); },
       [](MemoryStore& m) { EXPECT_EQ(*m.Count("Todo", Where()), 0u); }},
      {"Checkpoint",
       [](Database& db) {
         Result<Json> checkpoint = db.Checkpoint();
         if (checkpoint.ok()) {
           EXPECT_EQ((*checkpoint)["seq"], 4);
         }
         return StatusOf(checkpoint);
       },
       [](MemoryStore& m) { EXPECT_EQ(*m.CurrentCheckpoint(), 4); }},
      {"BulkUpdate",
       [bulk_updates](Database& db) {
         Result<BulkUpdateResult> result = BulkUpdate(db, "Todo", bulk_updates);
         if (result.ok()) {
           EXPECT_EQ(result->applied, 3u);
           EXPECT_EQ(result->conflicts, Json::array());
         }
         return StatusOf(result);
       },
       [](MemoryStore& m) {
         EXPECT_EQ(Get(m, "n5"), Json({{"id", "n5"}, {"title", "bulk"}, {"completed", false}}));
         EXPECT_EQ((**Get(m, "t1"))["title"], "bulk t1");
         EXPECT_FALSE(Get(m, "t3").has_value());
       }},
  };
}

// Updates for BulkUpdate against the seeded store: a create, an update of t1 and a delete of
// t3, the last two based on the revisions the seeded store holds.
Json BulkUpdates(MemoryStore& seeded) {
  return Json::array({
      {{"type", "create"},
       {"change", {{"modelId", "n5"}, {"rev", "rev-n5"}, {"checkpoint", 7}, {"modelName", "Todo"}}},
       {"data", {{"id", "n5"}, {"title", "bulk"}, {"completed", false}}}},
      {{"type", "update"},
       {"change",
        {{"modelId", "t1"},
         {"rev", "rev-t1"},
         {"prev", CurrentRev(seeded, "t1")},
         {"checkpoint", 7},
         {"modelName", "Todo"}}},
       {"data", {{"id", "t1"}, {"title", "bulk t1"}, {"completed", false}}}},
      {{"type", "delete"},
       {"change",
        {{"modelId", "t3"},
         {"rev", nullptr},
         {"prev", CurrentRev(seeded, "t3")},
         {"checkpoint", 7},
         {"modelName", "Todo"}}}},
  });
}

class StoreWrapperFaultTest : public ::testing::TestWithParam<bool> {};

// Param: whether only writes (Apply) count, i.e. the failure is injected at each write only.
TEST_P(StoreWrapperFaultTest, FailureAtEachCallLeavesTheStoreUnchanged) {
  const bool only_writes = GetParam();
  Json bulk_updates;
  {
    Rig seeded;
    ASSERT_NO_FATAL_FAILURE(Seed(seeded));
    bulk_updates = BulkUpdates(seeded.memory);
  }
  for (const Operation& op : Operations(bulk_updates)) {
    SCOPED_TRACE(op.name);
    bool succeeded = false;
    uint64_t failures = 0;
    for (uint64_t n = 1; n <= kMaxCalls && !succeeded; ++n) {
      SCOPED_TRACE("failing store call " + std::to_string(n));
      Rig rig;
      ASSERT_NO_FATAL_FAILURE(Seed(rig));
      const std::string before = Dump(rig.memory);
      int commits = 0;
      rig.db.set_commit_listener([&commits](const CommittedBatch&) { ++commits; });
      rig.wrapper.set_fail_only_writes(only_writes);
      rig.wrapper.FailCall(n);
      Status status = op.run(rig.db);
      if (rig.wrapper.failed()) {
        ++failures;
        EXPECT_FALSE(status.ok()) << "the injected failure was swallowed";
        EXPECT_EQ(status.code(), StatusCode::kStorage) << status.ToString();
        EXPECT_EQ(commits, 0);
        ASSERT_EQ(Dump(rig.memory), before);
        continue;
      }
      // Fewer than n calls: the operation ran to its end without meeting the failure.
      succeeded = true;
      ASSERT_TRUE(status.ok()) << status.ToString();
      EXPECT_EQ(commits, 1);
      EXPECT_NE(Dump(rig.memory), before) << "the operation changed nothing";
      op.check(rig.memory);
    }
    EXPECT_TRUE(succeeded) << "still failing after " << kMaxCalls << " injected failures";
    // Every operation reads before it writes, and writes once.
    if (only_writes) {
      EXPECT_EQ(failures, 1u);
    } else {
      EXPECT_GE(failures, 2u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Injection, StoreWrapperFaultTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "WritesOnly" : "AllCalls");
                         });

TEST(StoreWrapperTest, FailCallCountsFromNowAndFailsOnce) {
  MemoryStore memory;
  StoreWrapper wrapper(&memory);
  ASSERT_TRUE(wrapper.Get("Todo", "a").ok());
  EXPECT_EQ(wrapper.calls(), 1u);
  wrapper.FailCall(2);
  EXPECT_TRUE(wrapper.CurrentCheckpoint().ok());
  EXPECT_FALSE(wrapper.failed());
  Result<CommittedBatch> failed = wrapper.Apply(Batch());
  EXPECT_EQ(failed.status().code(), StatusCode::kStorage);
  EXPECT_TRUE(wrapper.failed());
  EXPECT_TRUE(wrapper.Apply(Batch()).ok());  // only the Nth call fails
  // The failed Apply never reached the store: its first commit is the one after.
  Result<CommittedBatch> next = memory.Apply(Batch());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 2u);
  wrapper.FailCall(0);
  EXPECT_TRUE(wrapper.Get("Todo", "a").ok());
}

TEST(StoreWrapperTest, OnlyWritesCountWhenAsked) {
  MemoryStore memory;
  StoreWrapper wrapper(&memory);
  wrapper.set_fail_only_writes(true);
  wrapper.FailCall(1);
  EXPECT_TRUE(wrapper.Get("Todo", "a").ok());
  ChangeQuery query;
  query.model = "Todo";
  EXPECT_TRUE(wrapper.Changes(query).ok());
  EXPECT_EQ(wrapper.calls(), 0u);
  Batch batch;
  batch.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}})});
  EXPECT_EQ(wrapper.Apply(std::move(batch)).status().code(), StatusCode::kStorage);
  EXPECT_FALSE(memory.Get("Todo", "a")->has_value());
}

}  // namespace
}  // namespace replicore
