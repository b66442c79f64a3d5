// Issue 24: Database's read-then-write paths against a second writer on the same store (as
// a second server on one database would be), which writes between the read and the Apply.
// Each write is retried over what it then reads, or reported as a conflict; none is lost,
// and every change row keeps agreeing with its record.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/store_wrapper.h"
#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"

namespace replicore {
namespace {

// Lets the other writer in just before each of the next Apply calls.
class RacingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;

  void RaceNextApplies(int times, std::function<void()> write) {
    races_left_ = times;
    race_ = std::move(write);
  }
  int applies() const { return applies_; }

  Result<CommittedBatch> Apply(Batch batch) override {
    ++applies_;
    if (races_left_ > 0) {
      --races_left_;
      race_();
    }
    return StoreWrapper::Apply(std::move(batch));
  }

 private:
  int races_left_ = 0;
  std::function<void()> race_;
  int applies_ = 0;
};

class DatabaseRaceTest : public ::testing::Test {
 protected:
  DatabaseRaceTest() : racing_(&base_), mine_(&racing_, env_.Get()), other_(&base_, env_.Get()) {
    EXPECT_TRUE(mine_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(other_.AddModel(testing::TodoModel()).ok());
  }

  Json Stored(const std::string& id) {
    Result<std::optional<Record>> record = base_.Get("Todo", id);
    return record.ok() && record->has_value() ? (*record)->CopyTree() : Json();
  }

  // The change row of `id` carries the revision of the record as stored.
  void ExpectChangeAgrees(const std::string& id) {
    const ModelDefinition* model = *other_.GetModel("Todo");
    Result<std::optional<Record>> record = base_.Get("Todo", id);
    Result<std::optional<Change>> change = base_.GetChange("Todo", id);
    ASSERT_TRUE(record.ok() && change.ok());
    ASSERT_TRUE(change->has_value()) << id;
    std::optional<std::string> rev;
    if (record->has_value()) rev = model->RevisionOf(**record);
    EXPECT_EQ((*change)->rev, rev) << id;
  }

  testing::FakeEnvironment env_;
  MemoryStore base_;
  RacingStore racing_;
  Database mine_;   // reads, then applies through racing_
  Database other_;  // the other server
};

TEST_F(DatabaseRaceTest, APatchRacingAnotherPatchIsRetriedAndKeepsBoth) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "t1"}, {"title", "first"}}).ok());
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.PatchAttributes("Todo", "t1", {{"completed", true}}).ok());
  });
  const int before = racing_.applies();
  Result<Record> patched = mine_.PatchAttributes("Todo", "t1", {{"title", "mine"}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(racing_.applies() - before, 2);  // refused once, then applied over the new read
  EXPECT_EQ(Stored("t1")["title"], "mine");
  EXPECT_EQ(Stored("t1")["completed"], true);
  ExpectChangeAgrees("t1");
}

TEST_F(DatabaseRaceTest, ACreateRacingACreateOfTheSameIdIsADuplicate) {
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.Create("Todo", {{"id", "t2"}, {"title", "other"}}).ok());
  });
  Result<Record> created = mine_.Create("Todo", {{"id", "t2"}, {"title", "mine"}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kConflict) << created.status().ToString();
  EXPECT_EQ(created.status().message(), "Duplicate entry for Todo.id");
  EXPECT_EQ(Stored("t2")["title"], "other");
  ExpectChangeAgrees("t2");
}

TEST_F(DatabaseRaceTest, AnUpsertThatMeetsARecordCreatedMeanwhilePatchesIt) {
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(
        other_.Create("Todo", {{"id", "t3"}, {"title", "other"}, {"completed", true}}).ok());
  });
  Result<Record> upserted = mine_.PatchOrCreate("Todo", {{"id", "t3"}, {"title", "mine"}});
  ASSERT_TRUE(upserted.ok()) << upserted.status().ToString();
  EXPECT_EQ(Stored("t3")["title"], "mine");
  EXPECT_EQ(Stored("t3")["completed"], true);
  ExpectChangeAgrees("t3");
}

TEST_F(DatabaseRaceTest, AnUpdateAllRacingAPatchKeepsBoth) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "a"}, {"title", "a"}}).ok());
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "b"}, {"title", "b"}}).ok());
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.PatchAttributes("Todo", "b", {{"title", "b by other"}}).ok());
  });
  Result<size_t> updated = mine_.UpdateAll("Todo", Json::object(), {{"completed", true}});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(*updated, 2u);
  EXPECT_EQ(Stored("a")["completed"], true);
  EXPECT_EQ(Stored("b")["completed"], true);
  EXPECT_EQ(Stored("b")["title"], "b by other");
  ExpectChangeAgrees("a");
  ExpectChangeAgrees("b");
}

TEST_F(DatabaseRaceTest, ADeleteRacingAPatchDeletesAfterIt) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "d"}, {"title", "d"}}).ok());
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.PatchAttributes("Todo", "d", {{"title", "d by other"}}).ok());
  });
  Result<size_t> deleted = mine_.DeleteById("Todo", "d");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_TRUE(Stored("d").is_null());
  ExpectChangeAgrees("d");
}

TEST_F(DatabaseRaceTest, RacingCheckpointsHandOutEachSeqOnce) {
  const int64_t start = *mine_.CurrentCheckpoint();
  racing_.RaceNextApplies(1, [&] { ASSERT_TRUE(other_.Checkpoint().ok()); });
  Result<Json> mine = mine_.Checkpoint();
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ((*mine)["seq"], start + 2);  // the other took start + 1
  EXPECT_EQ(*base_.CurrentCheckpoint(), start + 2);
}

TEST_F(DatabaseRaceTest, AWriteStampedBeforeABumpIsStampedAgain) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "c"}, {"title", "c"}}).ok());
  racing_.RaceNextApplies(1, [&] { ASSERT_TRUE(other_.Checkpoint().ok()); });
  ASSERT_TRUE(mine_.PatchAttributes("Todo", "c", {{"title", "c2"}}).ok());
  // A replicator that took the bump's seq as its next `since` still sees the change.
  Result<std::optional<Change>> change = base_.GetChange("Todo", "c");
  ASSERT_TRUE(change.ok() && change->has_value());
  EXPECT_EQ((*change)->checkpoint, *base_.CurrentCheckpoint());
}

TEST_F(DatabaseRaceTest, AWriteThatLosesEveryRaceIsAConflictAndLosesNothing) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "t1"}, {"title", "first"}}).ok());
  int n = 0;
  racing_.RaceNextApplies(1000, [&] {
    ASSERT_TRUE(
        other_.PatchAttributes("Todo", "t1", {{"title", "other " + std::to_string(++n)}}).ok());
  });
  const int before = racing_.applies();
  Result<Record> patched = mine_.PatchAttributes("Todo", "t1", {{"completed", true}});
  ASSERT_FALSE(patched.ok());
  EXPECT_EQ(patched.status().code(), StatusCode::kConflict) << patched.status().ToString();
  EXPECT_EQ(patched.status().details(), (Json{{"model", "Todo"}, {"id", "t1"}}));
  EXPECT_EQ(racing_.applies() - before, 5);     // bounded
  EXPECT_EQ(Stored("t1")["title"], "other 5");  // every other write kept
  EXPECT_EQ(Stored("t1")["completed"], false);  // and none of the refused one
  ExpectChangeAgrees("t1");
}

// A replicated update decided on the record as read: the other server's write meanwhile
// makes it a conflict for the client to resolve, never a silent overwrite.
TEST_F(DatabaseRaceTest, ABulkUpdateRacingAPatchBecomesAConflictAndLosesNothing) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "t1"}, {"title", "first"}}).ok());
  const ModelDefinition* model = *mine_.GetModel("Todo");
  Result<std::optional<Record>> read = base_.Get("Todo", "t1");
  ASSERT_TRUE(read.ok() && read->has_value());
  const std::string r0 = model->RevisionOf(**read);
  Json updates = Json::array(
      {{{"type", "update"},
        {"data", {{"id", "t1"}, {"title", "from a peer"}, {"completed", false}}},
        {"change",
         {{"id", "c1"}, {"rev", "r-peer"}, {"prev", r0}, {"checkpoint", 1},
          {"modelName", "Todo"}, {"modelId", "t1"}}}}});
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.PatchAttributes("Todo", "t1", {{"title", "other"}}).ok());
  });
  Result<BulkUpdateResult> result = BulkUpdate(mine_, "Todo", updates);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->applied, 0u);
  EXPECT_EQ(result->conflicts.size(), 1u);
  EXPECT_EQ(Stored("t1")["title"], "other");
  ExpectChangeAgrees("t1");
}

TEST_F(DatabaseRaceTest, AConflictResolutionRacingAPatchIsRefusedAndTheChangeKeepsAgreeing) {
  ASSERT_TRUE(mine_.Create("Todo", {{"id", "t1"}, {"title", "first"}}).ok());
  racing_.RaceNextApplies(1, [&] {
    ASSERT_TRUE(other_.PatchAttributes("Todo", "t1", {{"title", "other"}}).ok());
  });
  // Refused (409): the client resolves again over the record as it now is.
  Result<Json> updated = UpdateLastChange(mine_, "Todo", "t1", {{"prev", "p-resolved"}});
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.status().code(), StatusCode::kPreconditionFailed)
      << updated.status().ToString();
  EXPECT_EQ(Stored("t1")["title"], "other");
  ExpectChangeAgrees("t1");
  EXPECT_NE(base_.GetChange("Todo", "t1")->value().prev, "p-resolved");
  ASSERT_TRUE(UpdateLastChange(mine_, "Todo", "t1", {{"prev", "p-resolved"}}).ok());
  ExpectChangeAgrees("t1");
}

}  // namespace
}  // namespace replicore
