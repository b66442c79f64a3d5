// Stepped replicate and resolve: the JSON surface the JS remote drives over fetch, carried
// here in-process: each request as text to Answer() on another Database, each answer back
// as text.
#include "replicore/stepped.h"

#include <gtest/gtest.h>

#include "core/test_util.h"
#include "replicore/memory_store.h"

namespace replicore {
namespace {

class SteppedTest : public ::testing::Test {
 protected:
  SteppedTest() : client_(&client_store_, env_.Get()), server_(&server_store_, env_.Get()) {
    EXPECT_TRUE(client_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(server_.AddModel(testing::TodoModel()).ok());
  }

  // Carries every request of `stepped` to the server; the done result or the error.
  Json Drive(Stepped& stepped, int max_steps = 1000) {
    for (int step = 0; step < max_steps; ++step) {
      Json next = Json::parse(stepped.Next());
      if (!next.contains("request")) return next;
      std::optional<Op> op = OpNamed(next["request"]["op"].get<std::string>());
      EXPECT_TRUE(op.has_value());
      Response response = Answer(server_, "Todo", Request{*op, next["request"]["args"]});
      Json answer = response.status.ok()
                        ? Json{{"ok", response.result.tree()}}
                        : Json{{"error", {{"code", StatusCodeName(response.status.code())},
                                          {"message", response.status.message()},
                                          {"details", response.status.details()}}}};
      std::string failed = stepped.Respond(answer.dump());
      if (!failed.empty()) return Json::parse(failed);
    }
    return Json{{"error", "too many steps"}};
  }

  Json Replicate(bool push) {
    auto stepped = SteppedReplicate(
        &client_, Json{{"model", "Todo"}, {"peer", "server"}, {"push", push}, {"cursor", true}}.dump());
    return Drive(*stepped);
  }

  std::string Title(Database& db, const std::string& id) {
    auto found = db.FindById("Todo", id);
    return found.ok() && found->has_value() ? (***found)["title"].get<std::string>() : "<none>";
  }

  testing::FakeEnvironment env_;
  MemoryStore client_store_;
  MemoryStore server_store_;
  Database client_;
  Database server_;
};

TEST_F(SteppedTest, PushThenPullConverge) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "a"}, {"title", "from the client"}}).ok());
  Json push = Replicate(true);
  ASSERT_TRUE(push.contains("done")) << push.dump();
  EXPECT_EQ(push["done"]["applied"], 1);
  EXPECT_EQ(Title(server_, "a"), "from the client");

  ASSERT_TRUE(server_.Create("Todo", {{"id", "b"}, {"title", "from the server"}}).ok());
  Json pull = Replicate(false);
  ASSERT_TRUE(pull.contains("done")) << pull.dump();
  EXPECT_EQ(Title(client_, "b"), "from the server");
  EXPECT_EQ(Replicate(true)["done"]["applied"], 0) << "nothing left to push";
}

TEST_F(SteppedTest, AConflictIsReportedAndEachResolutionReplicates) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "a"}, {"title", "base"}}).ok());
  ASSERT_TRUE(Replicate(true).contains("done"));
  ASSERT_TRUE(client_.PatchAttributes("Todo", "a", {{"title", "client"}}).ok());
  ASSERT_TRUE(server_.PatchAttributes("Todo", "a", {{"title", "server"}}).ok());
  Json push = Replicate(true);
  ASSERT_EQ(push["done"]["conflicts"].size(), 1u) << push.dump();

  auto resolve = SteppedResolve(
      &client_, Json{{"model", "Todo"}, {"conflict", push["done"]["conflicts"][0]}, {"how", "source"}}.dump());
  Json resolved = Drive(*resolve);
  ASSERT_TRUE(resolved.contains("done")) << resolved.dump();
  EXPECT_TRUE(Replicate(true)["done"]["conflicts"].empty());
  EXPECT_EQ(Title(server_, "a"), "client");
}

TEST_F(SteppedTest, MisuseAndBadAnswersAreErrorsNotCrashes) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "a"}, {"title", "x"}}).ok());
  auto stepped = SteppedReplicate(&client_, R"({"model":"Todo","push":true})");
  EXPECT_EQ(Json::parse(stepped->Respond(R"({"ok":null})"))["error"]["code"], "bad_request")
      << "an answer before any request";
  ASSERT_TRUE(Json::parse(stepped->Next()).contains("request"));
  EXPECT_EQ(Json::parse(stepped->Next())["error"]["code"], "bad_request") << "asked twice";
  EXPECT_EQ(Json::parse(stepped->Respond("not json"))["error"]["code"], "bad_request");
  EXPECT_EQ(Json::parse(stepped->Respond(R"({"error":{"code":"nonsense"}})"))["error"]["code"],
            "bad_request");
  // An error answer ends the replicate with that error.
  EXPECT_EQ(Json::parse(stepped->Respond(R"({"error":{"code":"unauthorized","message":"no"}})"))
                ["error"]["code"],
            "unauthorized");

  auto bad = SteppedReplicate(&client_, R"({"push":true})");
  EXPECT_EQ(Json::parse(bad->Next())["error"]["code"], "bad_request");
  auto bad_resolve = SteppedResolve(&client_, R"({"model":"Todo","how":"sideways","conflict":{}})");
  EXPECT_EQ(Json::parse(bad_resolve->Next())["error"]["code"], "bad_request");
}

}  // namespace
}  // namespace replicore
