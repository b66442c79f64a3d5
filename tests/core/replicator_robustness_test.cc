// Hostile or broken peers: malformed requests and responses give a Status, never an
// exception, a crash or a partial write (the issue's "errors as values").
#include <gtest/gtest.h>

#include "core/test_util.h"
#include "replicore/conflict_resolver.h"
#include "replicore/memory_store.h"
#include "replicore/replicator.h"

namespace replicore {
namespace {

std::vector<Json> Garbage() {
  return {
      nullptr, true, 1, -1.5e300, "x", Json::array(), Json::object(), Json::array({nullptr}),
      Json::array({1}), Json::array({"x"}), Json::array({Json::object()}),
      Json::parse(R"([{"modelId": {}}])"), Json::parse(R"([{"modelId": "a", "rev": 5}])"),
      Json::parse(R"([{"modelId": "a", "checkpoint": "7"}])"),
      Json::parse(R"({"deltas": 1, "conflicts": []})"),
      Json::parse(R"({"deltas": [{}], "conflicts": [5]})"),
      Json::parse(R"({"deltas": [], "conflicts": [{"modelId": 5}]})"),
      Json::parse(R"({"changes": {}, "next": 3})"), Json::parse(R"({"changes": [], "next": [1]})"),
      Json::parse(R"({"seq": "1"})"), Json::parse(R"({"seq": 1e300})"),
      Json::parse(R"([{"type": "create", "change": {"modelId": "a"}, "data": 5}])"),
      Json::parse(R"([{"type": "update", "change": {"modelId": "a", "rev": "r"}, "data": {"id": 5}}])"),
      Json::parse(R"([{"type": 7, "change": []}])"),
      Json::parse(R"({"updates": [{"type": "delete", "change": {"modelId": 1}}]})"),
  };
}

class RobustnessTest : public ::testing::Test {
 protected:
  RobustnessTest() : client_(&client_store_, env_.Get()), server_(&server_store_, env_.Get()) {
    EXPECT_TRUE(client_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(server_.AddModel(testing::TodoModel()).ok());
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(client_.Create("Todo", {{"id", "c" + std::to_string(i)}}).ok());
      EXPECT_TRUE(server_.Create("Todo", {{"id", "s" + std::to_string(i)}}).ok());
    }
  }
  std::string Records(Database& db) { return testing::ToJson(*db.Find("Todo", Json())).dump(); }

  testing::FakeEnvironment env_;
  MemoryStore client_store_, server_store_;
  Database client_, server_;
};

TEST_F(RobustnessTest, AnswerSurvivesMalformedArgs) {
  const std::vector<Op> ops = {Op::kCheckpoint, Op::kChanges, Op::kDiff, Op::kCreateUpdates,
                               Op::kBulkUpdate, Op::kFindById, Op::kFindLastChange,
                               Op::kUpdateLastChange};
  const char* keys[] = {"since", "changes", "deltas", "updates", "id", "data", "filter", "after",
                        "limit"};
  size_t errors = 0;
  for (Op op : ops) {
    for (const Json& value : Garbage()) {
      for (const char* key : keys) {
        Response response = Answer(server_, "Todo", Request{op, Json{{key, value}}});
        errors += response.status.ok() ? 0 : 1;
      }
      errors += Answer(server_, "Todo", Request{op, value}).status.ok() ? 0 : 1;
    }
  }
  EXPECT_GT(errors, 500u);  // most garbage is refused with a status
}

TEST_F(RobustnessTest, ReplicatorFailsCleanlyOnMalformedResponses) {
  // Replace the k-th response of a push and of a pull with garbage, for every k and value.
  for (bool push : {true, false}) {
    for (size_t k = 0; k < 6; ++k) {
      for (const Json& garbage : Garbage()) {
        MemoryStore store;
        Database local(&store, env_.Get());
        ASSERT_TRUE(local.AddModel(testing::TodoModel()).ok());
        ASSERT_TRUE(local.Create("Todo", {{"id", "mine"}}).ok());
        std::string before = Records(local);
        ReplicatorOptions options;
        options.model = "Todo";
        options.local_is_source = push;
        Replicator replicator(&local, options);
        for (size_t step = 0; step < 50; ++step) {
          auto request = replicator.NextRequest();
          if (!request) break;
          Response response = Answer(server_, "Todo", *request);
          if (step == k) response = Response{Status::Ok(), garbage};
          (void)replicator.OnResponse(std::move(response));
        }
        EXPECT_TRUE(replicator.done() || replicator.failed());
        if (replicator.failed()) {
          EXPECT_FALSE(replicator.error().ok());
          EXPECT_FALSE(replicator.NextRequest().has_value());
          // A push never writes records locally; a failed pull applied nothing partial
          // beyond whole committed batches of valid updates.
          if (push) {
            EXPECT_EQ(Records(local), before);
          }
        }
      }
    }
  }
}

TEST_F(RobustnessTest, CorruptStoredStateIsAnError) {
  Batch batch;
  batch.meta.push_back({"replicate:server:Todo:push", Json{{"since", "x"}, {"unresolved", {1}}}});
  ASSERT_TRUE(client_store_.Apply(batch).ok());
  ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "server";
  Replicator replicator(&client_, options);
  EXPECT_FALSE(replicator.NextRequest().has_value());
  EXPECT_TRUE(replicator.failed());
  EXPECT_EQ(replicator.error().code(), StatusCode::kStorage);
}

TEST_F(RobustnessTest, ResolverSurvivesMalformedResponses) {
  Conflict conflict;
  conflict.model_id = "c1";
  for (Resolution how : {Resolution::kUseSource, Resolution::kUseTarget, Resolution::kManual}) {
    for (const Json& garbage : Garbage()) {
      ConflictResolver resolver(&client_, "Todo", conflict, how, Json{{"title", "m"}});
      for (int step = 0; step < 8; ++step) {
        auto request = resolver.NextRequest();
        if (!request) break;
        (void)resolver.OnResponse(Response{Status::Ok(), garbage});
      }
      EXPECT_TRUE(resolver.done() || resolver.failed() || !resolver.NextRequest());
    }
  }
}

}  // namespace
}  // namespace replicore
