// The browser database's JSON-text surface: operations, errors as values, the batches a
// connector persists, loading them back, rollback, and local <-> local replication.
#include "replicore/local_database.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_util.h"

namespace replicore {
namespace {

using testing::FakeEnvironment;
using testing::TodoModel;

Json Parse(const std::string& text) { return Json::parse(text); }

class LocalDatabaseTest : public ::testing::Test {
 protected:
  LocalDatabase& Open(LocalDatabase& db) {
    EXPECT_EQ(Parse(db.AddModel(TodoModel().dump()))["ok"], "Todo");
    return db;
  }
  Json Call(LocalDatabase& db, const std::string& op, const Json& args) {
    return Parse(db.Call(op, "Todo", args.dump()));
  }
  // Every record of `db`, by id.
  Json All(LocalDatabase& db) { return Call(db, "find", {{"filter", {{"order", "id ASC"}}}}); }

  FakeEnvironment env_;
  LocalDatabase a_{env_.Get()};
  LocalDatabase b_{env_.Get()};
};

TEST_F(LocalDatabaseTest, CreateFindCountAndErrorsAsValues) {
  Open(a_);
  Json created = Call(a_, "create", {{"data", {{"id", "t1"}, {"title", "eat"}}}});
  EXPECT_EQ(created["ok"]["completed"], false);
  EXPECT_EQ(Call(a_, "count", {{"where", {{"completed", false}}}})["ok"], 1);
  EXPECT_EQ(Call(a_, "findById", {{"id", "nope"}})["ok"], nullptr);

  Json invalid = Call(a_, "create", {{"data", {{"id", "t2"}, {"bogus", 1}}}});
  EXPECT_EQ(invalid["error"]["code"], "validation");
  EXPECT_EQ(Call(a_, "create", {{"data", {{"id", "t1"}}}})["error"]["code"], "conflict");
  EXPECT_EQ(
      Call(a_, "find", {{"filter", {{"where", {{"title", {{"nope", 1}}}}}}}})["error"]["code"],
      "bad_filter");
  EXPECT_EQ(Parse(a_.Call("find", "Nope", "{}"))["error"]["code"], "not_found");
  EXPECT_EQ(Parse(a_.Call("explode", "Todo", "{}"))["error"]["code"], "bad_request");
  EXPECT_EQ(Parse(a_.Call("find", "Todo", "{not json"))["error"]["code"], "bad_request");
  EXPECT_EQ(Call(a_, "findById", {{"id", 5}})["error"]["code"], "bad_request");
  EXPECT_EQ(Parse(a_.AddModel("[]"))["error"]["code"], "validation");
}

TEST_F(LocalDatabaseTest, CreateManyIsOneBatchAndAllOrNothing) {
  Open(a_);
  a_.TakeBatches();
  Json bad =
      Call(a_, "create", {{"data", Json::array({{{"id", "x1"}}, {{"id", "x2"}, {"bogus", 1}}})}});
  EXPECT_EQ(bad["error"]["code"], "validation");
  EXPECT_EQ(bad["error"]["details"]["index"], 1);
  Json dup = Call(a_, "create", {{"data", Json::array({{{"id", "x1"}}, {{"id", "x1"}}})}});
  EXPECT_EQ(dup["error"]["code"], "conflict");
  EXPECT_EQ(Call(a_, "count", Json::object())["ok"], 0);
  EXPECT_EQ(a_.TakeBatches(), "");

  Json ok = Call(a_, "create", {{"data", Json::array({{{"id", "x1"}}, {{"id", "x2"}}})}});
  ASSERT_EQ(ok["ok"].size(), 2u);
  Json batches = Parse(a_.TakeBatches());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0]["r"].size(), 2u);
  EXPECT_EQ(batches[0]["x"].size(), 2u);
}

TEST_F(LocalDatabaseTest, PersistedBatchesAndPagesRebuildTheSameState) {
  Open(a_);
  for (int i = 0; i < 25; ++i) {
    Call(a_, "create", {{"data", {{"id", "t" + std::to_string(i)}, {"title", "n"}}}});
  }
  Call(a_, "deleteById", {{"id", "t3"}});
  a_.Call("checkpoint", "Todo", "{}");
  Call(a_, "patchAttributes", {{"id", "t4"}, {"data", {{"title", "changed"}}}});
  const std::string journal = a_.TakeBatches();

  // From the journal entries.
  LocalDatabase from_journal(env_.Get());
  Open(from_journal);
  EXPECT_EQ(from_journal.Load(journal), "");  // one journal entry: an array of batches
  // From compacted pages of 7 records.
  LocalDatabase from_pages(env_.Get());
  Open(from_pages);
  std::istringstream pages(a_.ExportPages(7));
  int page_count = 0;
  for (std::string line; std::getline(pages, line); ++page_count)
    EXPECT_EQ(from_pages.Load(line), "");
  EXPECT_EQ(page_count, 4);

  for (LocalDatabase* copy : {&from_journal, &from_pages}) {
    EXPECT_EQ(All(*copy), All(a_));
    EXPECT_EQ(Parse(copy->Call("changes", "Todo", R"({"since":-1})")),
              Parse(a_.Call("changes", "Todo", R"({"since":-1})")));
    EXPECT_EQ(Call(*copy, "currentCheckpoint", Json::object()),
              Call(a_, "currentCheckpoint", Json::object()));
  }
  EXPECT_EQ(from_pages.Load("{\"r\":[[1]]}").find("storage") != std::string::npos, true);
  EXPECT_EQ(from_pages.Load("nope").find("storage") != std::string::npos, true);
}

TEST_F(LocalDatabaseTest, RollbackUndoesEveryUnconfirmedBatch) {
  Open(a_);
  Call(a_, "create", {{"data", {{"id", "kept"}}}});
  a_.TakeBatches();
  a_.Confirm(a_.last_seq());
  const Json before = All(a_);
  Call(a_, "create", {{"data", {{"id", "lost1"}}}});
  a_.TakeBatches();
  Call(a_, "patchAttributes", {{"id", "kept"}, {"data", {{"title", "lost"}}}});
  EXPECT_EQ(a_.Rollback(), 2);
  EXPECT_EQ(All(a_), before);
  EXPECT_EQ(a_.TakeBatches(), "");
  EXPECT_EQ(a_.Rollback(), 0);
}

TEST_F(LocalDatabaseTest, ReplicateReportsConflictsAndResolvesEachWay) {
  Open(a_);
  Open(b_);
  Call(a_, "create", {{"data", {{"id", "t1"}, {"title", "first"}}}});
  Json pushed = Parse(a_.Replicate(b_, R"({"model":"Todo","peer":"b"})"));
  EXPECT_EQ(pushed["ok"]["conflicts"].size(), 0u);
  EXPECT_EQ(All(b_), All(a_));

  for (const std::string how : {"source", "target", "manual"}) {
    Call(a_, "patchAttributes", {{"id", "t1"}, {"data", {{"title", "a-" + how}}}});
    Call(b_, "patchAttributes", {{"id", "t1"}, {"data", {{"title", "b-" + how}}}});
    Json result = Parse(a_.Replicate(b_, R"({"model":"Todo","peer":"b"})"));
    ASSERT_EQ(result["ok"]["conflicts"].size(), 1u) << how;
    Json args = {{"model", "Todo"}, {"conflict", result["ok"]["conflicts"][0]}, {"how", how}};
    if (how == "manual") args["data"] = {{"id", "t1"}, {"title", "merged"}};
    EXPECT_EQ(Parse(a_.Resolve(b_, args.dump()))["ok"], nullptr) << how;
    Json again = Parse(a_.Replicate(b_, R"({"model":"Todo","peer":"b"})"));
    EXPECT_EQ(again["ok"]["conflicts"].size(), 0u) << how;
    const std::string expected = how == "source"   ? "a-source"
                                 : how == "target" ? "b-target"
                                                   : "merged";
    EXPECT_EQ(All(a_)["ok"][0]["title"], expected) << how;
    EXPECT_EQ(All(b_), All(a_)) << how;
  }
  EXPECT_EQ(
      Parse(a_.Resolve(
          b_, R"({"model":"Todo","how":"sideways","conflict":{"modelId":"t1"}})"))["error"]["code"],
      "bad_request");
  EXPECT_EQ(Parse(a_.Replicate(b_, R"({"peer":"b"})"))["error"]["code"], "bad_request");
}

}  // namespace
}  // namespace replicore
