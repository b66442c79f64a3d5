// Two databases linked in-process, no HTTP (h11's ConnectionPair): every replicate runs
// the real Replicator against the other side's Answer(), with a step bound.
#include <gtest/gtest.h>

#include "core/test_util.h"
#include "replicore/conflict_resolver.h"
#include "replicore/database.h"
#include "replicore/json_canonical.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"
#include "replicore/replicator.h"

namespace replicore {
namespace {

class ReplicatorPairTest : public ::testing::Test {
 protected:
  ReplicatorPairTest() : client_(&client_store_, env_.Get()), server_(&server_store_, env_.Get()) {
    EXPECT_TRUE(client_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(server_.AddModel(testing::TodoModel()).ok());
  }

  ReplicationResult Push(ReplicatorOptions options = {}) { return Run(true, options); }
  ReplicationResult Pull(ReplicatorOptions options = {}) { return Run(false, options); }
  ReplicationResult Run(bool push, ReplicatorOptions options) {
    options.model = "Todo";
    options.peer = "server";
    options.local_is_source = push;
    auto result = ReplicateLocal(&client_, &server_, options, 10000);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ReplicationResult{};
  }

  // Every record of a database, in id order, as one string.
  static std::string Dump(Database& db) {
    auto all = db.Find("Todo", Json());
    EXPECT_TRUE(all.ok());
    return testing::ToJson(*all).dump();
  }
  Json Get(Database& db, const std::string& id) {
    auto found = db.FindById("Todo", id);
    EXPECT_TRUE(found.ok());
    return found.ok() && found->has_value() ? ***found : Json();
  }
  void ExpectConverged() { EXPECT_EQ(Dump(client_), Dump(server_)); }

  // Creates `id` on the client and pushes it, so both sides share it.
  void Shared(const std::string& id, const std::string& title) {
    ASSERT_TRUE(client_.Create("Todo", {{"id", id}, {"title", title}}).ok());
    Push();
    ASSERT_EQ(Get(server_, id)["title"], title);
  }

  testing::FakeEnvironment env_;
  MemoryStore client_store_;
  MemoryStore server_store_;
  Database client_;
  Database server_;
};

TEST_F(ReplicatorPairTest, PushCreatesUpdatesAndDeletes) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client_.Create("Todo", {{"id", "t" + std::to_string(i)}, {"title", "x"}}).ok());
  }
  ReplicationResult first = Push();
  EXPECT_EQ(first.applied, 3u);
  EXPECT_TRUE(first.conflicts.empty());
  ExpectConverged();
  // Revisions agree on both sides.
  EXPECT_EQ(*FindLastChange(client_, "Todo", "t1"), *FindLastChange(client_, "Todo", "t1"));
  EXPECT_EQ((*FindLastChange(server_, "Todo", "t1"))["rev"],
            (*FindLastChange(client_, "Todo", "t1"))["rev"]);

  ASSERT_TRUE(client_.PatchAttributes("Todo", "t1", {{"title", "changed"}}).ok());
  ASSERT_TRUE(client_.DeleteById("Todo", "t2").ok());
  ReplicationResult second = Push();
  EXPECT_EQ(second.applied, 2u);
  EXPECT_EQ(Get(server_, "t1")["title"], "changed");
  EXPECT_TRUE(Get(server_, "t2").is_null());
  ExpectConverged();
}

// Running out of steps is its own error, for both parties of the one contract.
TEST_F(ReplicatorPairTest, RunningOutOfStepsIsAStepLimitError) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "a"}, {"title", "one"}}).ok());
  ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "server";
  auto cut = ReplicateLocal(&client_, &server_, options, 2);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kStepLimit) << cut.status().ToString();
  EXPECT_STREQ(StatusCodeName(cut.status().code()), "step_limit");

  Replicator replicator(&client_, options);
  EXPECT_EQ(DriveLocal(replicator, server_, "Todo", 1).code(), StatusCode::kStepLimit);
  Replicator whole(&client_, options);
  EXPECT_TRUE(DriveLocal(whole, server_, "Todo", 100).ok());
  EXPECT_TRUE(whole.done());
}

// LoopBack leaves a record created and deleted within one checkpoint without a change row
// /changes shows ("unknown"); ours leaves a delete based on the last rev, so a peer that
// holds the record (a resolution copies data without a bump) deletes it too.
TEST_F(ReplicatorPairTest, ACreateAndDeleteInOneCheckpointLeavesATombstone) {
  ASSERT_TRUE(server_.Create("Todo", {{"id", "t"}, {"title", "brief"}}).ok());
  const Json created = Get(server_, "t");
  ASSERT_TRUE(client_.Create("Todo", created).ok());  // the client holds the same record
  ASSERT_TRUE(server_.DeleteById("Todo", "t").ok());
  auto changes = Changes(server_, "Todo", -1, Json());
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changes.size(), 1u);
  EXPECT_EQ(changes->changes[0].type(), ChangeType::kDelete);
  EXPECT_EQ(changes->changes[0].prev, Revision(created));
  Pull();
  EXPECT_TRUE(Get(client_, "t").is_null()) << "the delete reached the client";
}

TEST_F(ReplicatorPairTest, PullCreatesUpdatesAndDeletes) {
  ASSERT_TRUE(server_.Create("Todo", {{"id", "s1"}, {"title", "one"}}).ok());
  ASSERT_TRUE(server_.Create("Todo", {{"id", "s2"}, {"title", "two"}}).ok());
  EXPECT_EQ(Pull().applied, 2u);
  ExpectConverged();
  ASSERT_TRUE(server_.ReplaceById("Todo", "s1", {{"title", "replaced"}}).ok());
  ASSERT_TRUE(server_.DeleteById("Todo", "s2").ok());
  EXPECT_EQ(Pull().applied, 2u);
  EXPECT_EQ(Get(client_, "s1")["title"], "replaced");
  EXPECT_TRUE(Get(client_, "s2").is_null());
  ExpectConverged();
}

TEST_F(ReplicatorPairTest, UpdateIsAppliedAsReplace) {
  // LoopBack merges (§8.2): a property removed at the source would survive on the target.
  ASSERT_TRUE(client_.Create("Todo", {{"id", "m"}, {"title", "t"}, {"dueAt", "2024-01-01"}}).ok());
  Push();
  ASSERT_TRUE(client_.ReplaceById("Todo", "m", {{"title", "t2"}}).ok());
  Push();
  EXPECT_FALSE(Get(server_, "m").contains("dueAt"));
  ExpectConverged();
  EXPECT_TRUE(Pull().conflicts.empty());  // no spurious conflict afterwards
}

TEST_F(ReplicatorPairTest, SecondReplicateChangesNothing) {
  Shared("a", "one");
  ASSERT_TRUE(server_.Create("Todo", {{"id", "b"}, {"title", "two"}}).ok());
  Pull();
  std::string client_before = Dump(client_);
  std::string server_before = Dump(server_);
  ReplicationResult push = Push();
  ReplicationResult pull = Pull();
  EXPECT_EQ(push.applied + pull.applied, 0u);
  EXPECT_TRUE(push.conflicts.empty() && pull.conflicts.empty());
  EXPECT_EQ(Dump(client_), client_before);
  EXPECT_EQ(Dump(server_), server_before);
}

TEST_F(ReplicatorPairTest, IncrementalSinceSendsOnlyNewChanges) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client_.Create("Todo", {{"id", "r" + std::to_string(i)}}).ok());
  }
  Push();
  ASSERT_TRUE(client_.PatchAttributes("Todo", "r7", {{"title", "new"}}).ok());
  // Count what the first diff carries, driving the Replicator by hand.
  ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "server";
  Replicator replicator(&client_, options);
  size_t diffed = 0;
  for (int step = 0; step < 100; ++step) {
    auto request = replicator.NextRequest();
    if (!request) break;
    if (request->op == Op::kDiff) diffed += request->args.tree()["changes"].size();
    ASSERT_TRUE(replicator.OnResponse(Answer(server_, "Todo", *request)).ok());
  }
  ASSERT_TRUE(replicator.done());
  EXPECT_EQ(replicator.result().applied, 1u);
  EXPECT_LE(diffed, 2u);  // r7 (and again in the confirming second attempt)
  EXPECT_EQ(Get(server_, "r7")["title"], "new");
}

TEST_F(ReplicatorPairTest, ChangeSetLargerThanOnePage) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(client_.Create("Todo", {{"id", "p" + std::to_string(i)}, {"title", "page"}}).ok());
    ASSERT_TRUE(server_.Create("Todo", {{"id", "q" + std::to_string(i)}, {"title", "page"}}).ok());
  }
  ReplicatorOptions small;
  small.chunk_bytes = 2048;
  small.changes_page = 37;
  size_t diffs = 0;
  {
    ReplicatorOptions options = small;
    options.model = "Todo";
    options.peer = "server";
    Replicator replicator(&client_, options);
    for (int step = 0; step < 10000; ++step) {
      auto request = replicator.NextRequest();
      if (!request) break;
      if (request->op == Op::kDiff) {
        ++diffs;
        EXPECT_LE(request->args.Dump().size(), 2 * small.chunk_bytes);
      }
      ASSERT_TRUE(replicator.OnResponse(Answer(server_, "Todo", *request)).ok());
    }
    ASSERT_TRUE(replicator.done());
    EXPECT_EQ(replicator.result().applied, 300u);
  }
  EXPECT_GT(diffs, 5u);
  EXPECT_EQ(Pull(small).applied, 300u);  // pages of 37 changes by cursor
  ExpectConverged();
  EXPECT_EQ(*client_.Count("Todo", Json()), 600u);
}

// ---- conflicts

struct ConflictCase {
  const char* name;
  // Client and server edits of the shared record "c" after it was replicated.
  std::function<void(Database&)> client_edit;
  std::function<void(Database&)> server_edit;
  ChangeType type;
};

// Makes GoogleTest print the case's name instead of the bytes of the struct.
void PrintTo(const ConflictCase& c, std::ostream* os) { *os << c.name; }

void Edit(Database& db, const char* title) {
  ASSERT_TRUE(db.PatchAttributes("Todo", "c", {{"title", title}}).ok());
}
void Remove(Database& db) { ASSERT_EQ(*db.DeleteById("Todo", "c"), 1u); }

class ReplicatorConflictTest : public ReplicatorPairTest,
                               public ::testing::WithParamInterface<ConflictCase> {
 protected:
  // Makes the conflict of GetParam() and returns it as a push (client = source) sees it.
  Conflict MakeConflict() {
    const ConflictCase& c = GetParam();
    Shared("c", "base");
    ASSERT_OK_CHECKPOINTS();
    c.client_edit(client_);
    c.server_edit(server_);
    ReplicationResult push = Push();
    EXPECT_EQ(push.conflicts.size(), 1u);
    if (push.conflicts.empty()) return Conflict{};
    EXPECT_EQ(push.conflicts[0].model_id, "c");
    EXPECT_EQ(push.conflicts[0].type(), c.type);
    return push.conflicts[0];
  }
  void ASSERT_OK_CHECKPOINTS() {
    // Both sides move to a new checkpoint so the edits become updates (prev set).
    ASSERT_TRUE(client_.Checkpoint().ok());
    ASSERT_TRUE(server_.Checkpoint().ok());
  }
};

TEST_P(ReplicatorConflictTest, UseSourceThenPushWins) {
  Conflict conflict = MakeConflict();
  Json client_state = Get(client_, "c");
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", conflict, Resolution::kUseSource).ok());
  // The stored since has advanced past the conflicting change: the resolution is
  // stamped with the current checkpoint and the id is in the unresolved set (§8.3).
  ReplicationResult push = Push();
  EXPECT_TRUE(push.conflicts.empty());
  EXPECT_EQ(Get(server_, "c"), client_state);
  ExpectConverged();
  EXPECT_TRUE(Pull().conflicts.empty());
  ExpectConverged();
}

TEST_P(ReplicatorConflictTest, UseTargetTakesServerData) {
  Conflict conflict = MakeConflict();
  Json server_state = Get(server_, "c");
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", conflict, Resolution::kUseTarget).ok());
  EXPECT_EQ(Get(client_, "c"), server_state);
  EXPECT_TRUE(Push().conflicts.empty());
  EXPECT_TRUE(Pull().conflicts.empty());
  ExpectConverged();
}

TEST_P(ReplicatorConflictTest, ManualResolutionReplicates) {
  Conflict conflict = MakeConflict();
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", conflict, Resolution::kManual,
                           Json{{"title", "merged"}})
                  .ok());
  EXPECT_EQ(Get(client_, "c")["title"], "merged");
  EXPECT_TRUE(Push().conflicts.empty());
  EXPECT_EQ(Get(server_, "c")["title"], "merged");
  EXPECT_TRUE(Pull().conflicts.empty());
  ExpectConverged();
}

TEST_P(ReplicatorConflictTest, SwappedPartiesResolveOnTheOtherSide) {
  // A pull sees the same conflict with the server as source; resolving it with the
  // server's data (use source) converges too.
  Conflict push_conflict = MakeConflict();
  (void)push_conflict;
  ReplicationResult pull = Pull();
  ASSERT_EQ(pull.conflicts.size(), 1u);
  EXPECT_FALSE(pull.conflicts[0].local_is_source);
  Json server_state = Get(server_, "c");
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", pull.conflicts[0].SwapParties(),
                           Resolution::kUseTarget)
                  .ok());
  // After the swap the client is the source, and "target" is the server.
  EXPECT_EQ(Get(client_, "c"), server_state);
  EXPECT_TRUE(Pull().conflicts.empty());
  EXPECT_TRUE(Push().conflicts.empty());
  ExpectConverged();
}

TEST_P(ReplicatorConflictTest, PullUseSourceCopiesTheServersRecordAndLeavesItsChange) {
  MakeConflict();
  ReplicationResult pull = Pull();
  ASSERT_EQ(pull.conflicts.size(), 1u);
  Json server_state = Get(server_, "c");
  Json server_change = *FindLastChange(server_, "Todo", "c");
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", pull.conflicts[0], Resolution::kUseSource).ok());
  EXPECT_EQ(Get(client_, "c"), server_state);
  // Not re-parented (LoopBack's way): other clients that took this version stay settled.
  EXPECT_EQ(*FindLastChange(server_, "Todo", "c"), server_change);
  EXPECT_TRUE(Push().conflicts.empty());
  EXPECT_TRUE(Pull().conflicts.empty());
  ExpectConverged();
}

TEST_P(ReplicatorConflictTest, AWriteMadeAfterTheConflictWasShownIsNeverOverwritten) {
  Conflict conflict = MakeConflict();
  ASSERT_TRUE(client_.ReplaceOrCreate("Todo", {{"id", "c"}, {"title", "typed after the report"}}).ok());
  Status refused = ResolveLocal(&client_, &server_, "Todo", conflict, Resolution::kUseTarget);
  EXPECT_EQ(refused.code(), StatusCode::kConflict) << refused.ToString();
  EXPECT_EQ(Get(client_, "c")["title"], "typed after the report");
  // Replicating again shows the conflict with the new write, which then resolves.
  ReplicationResult push = Push();
  ASSERT_EQ(push.conflicts.size(), 1u);
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", push.conflicts[0], Resolution::kUseSource).ok());
  EXPECT_TRUE(Push().conflicts.empty());
  EXPECT_EQ(Get(server_, "c")["title"], "typed after the report");
  ExpectConverged();
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ReplicatorConflictTest,
    ::testing::Values(
        ConflictCase{"UpdateUpdate", [](Database& db) { Edit(db, "client"); },
                     [](Database& db) { Edit(db, "server"); }, ChangeType::kUpdate},
        ConflictCase{"UpdateDelete", [](Database& db) { Edit(db, "client"); }, Remove,
                     ChangeType::kDelete},
        ConflictCase{"DeleteUpdate", Remove, [](Database& db) { Edit(db, "server"); },
                     ChangeType::kDelete}),
    [](const ::testing::TestParamInfo<ConflictCase>& info) { return info.param.name; });

TEST_F(ReplicatorPairTest, CreateCreateConflict) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "dup"}, {"title", "client"}}).ok());
  ASSERT_TRUE(server_.Create("Todo", {{"id", "dup"}, {"title", "server"}}).ok());
  ReplicationResult push = Push();
  ASSERT_EQ(push.conflicts.size(), 1u);
  EXPECT_EQ(push.conflicts[0].type(), ChangeType::kUnknown);  // LoopBack: create/create
  ASSERT_TRUE(ResolveLocal(&client_, &server_, "Todo", push.conflicts[0], Resolution::kUseSource).ok());
  EXPECT_TRUE(Push().conflicts.empty());
  EXPECT_EQ(Get(server_, "dup")["title"], "client");
  ExpectConverged();
}

TEST_F(ReplicatorPairTest, ClientsThatAllTakeTheServersVersionSettle) {
  // Three replicas edit one record; both clients pull and keep the server's version.
  // Were the server's change re-parented onto each client in turn (LoopBack's resolve()),
  // each resolution would make the other client's conflict anew, forever (soak finding 5).
  MemoryStore second_store;
  Database second(&second_store, env_.Get());
  ASSERT_TRUE(second.AddModel(testing::TodoModel()).ok());
  auto replicate = [&](Database& client, bool push) {
    ReplicatorOptions options;
    options.model = "Todo";
    options.peer = "server";
    options.local_is_source = push;
    auto result = ReplicateLocal(&client, &server_, options, 10000);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ReplicationResult{};
  };
  Shared("p", "base");
  replicate(second, false);
  for (Database* db : {&client_, &second, &server_}) ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_TRUE(client_.PatchAttributes("Todo", "p", {{"title", "first"}}).ok());
  ASSERT_TRUE(second.PatchAttributes("Todo", "p", {{"title", "second"}}).ok());
  ASSERT_TRUE(server_.PatchAttributes("Todo", "p", {{"title", "server"}}).ok());
  for (Database* client : {&client_, &second}) {
    ReplicationResult pull = replicate(*client, false);
    ASSERT_EQ(pull.conflicts.size(), 1u);
    ASSERT_TRUE(ResolveLocal(client, &server_, "Todo", pull.conflicts[0], Resolution::kUseSource).ok());
  }
  for (int round = 0; round < 2; ++round) {
    for (Database* client : {&client_, &second}) {
      EXPECT_TRUE(replicate(*client, false).conflicts.empty()) << "round " << round;
      EXPECT_TRUE(replicate(*client, true).conflicts.empty()) << "round " << round;
    }
  }
  EXPECT_EQ(Get(client_, "p")["title"], "server");
  EXPECT_EQ(Get(second, "p")["title"], "server");
  EXPECT_EQ(Dump(second), Dump(server_));
  ExpectConverged();
}

TEST_F(ReplicatorPairTest, UnresolvedConflictIsReportedAgain) {
  // LoopBack forgets a conflict once since advances (§8.3); replicore keeps reporting it.
  Shared("u", "base");
  ASSERT_TRUE(client_.Checkpoint().ok());
  ASSERT_TRUE(server_.Checkpoint().ok());
  ASSERT_TRUE(client_.PatchAttributes("Todo", "u", {{"title", "L"}}).ok());
  ASSERT_TRUE(server_.PatchAttributes("Todo", "u", {{"title", "S"}}).ok());
  EXPECT_EQ(Push().conflicts.size(), 1u);
  EXPECT_EQ(Push().conflicts.size(), 1u);
  EXPECT_EQ(Pull().conflicts.size(), 1u);
}

TEST_F(ReplicatorPairTest, BadResponseFailsWithoutAdvancingSince) {
  ASSERT_TRUE(client_.Create("Todo", {{"id", "z"}}).ok());
  ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "server";
  Replicator replicator(&client_, options);
  auto request = replicator.NextRequest();
  ASSERT_TRUE(request.has_value());
  EXPECT_FALSE(replicator.OnResponse(Response{Status::Ok(), Json("garbage")}).ok());
  EXPECT_TRUE(replicator.failed());
  EXPECT_FALSE(replicator.NextRequest().has_value());
  auto meta = client_store_.GetMeta("replicate:server:Todo:push");
  ASSERT_TRUE(meta.ok());
  EXPECT_FALSE(meta->has_value());
  // A later replicate still sends z.
  EXPECT_EQ(Push().applied, 1u);
}

}  // namespace
}  // namespace replicore
