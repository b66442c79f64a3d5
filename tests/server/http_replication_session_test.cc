// The LoopBack 3 replication session of ../shared/vectors/loopback/replication-session,
// replayed over HTTP against replicore-server: one fresh server (the scenarios' Todo model,
// `--db :memory:`) receives, in order, every HTTP request that LoopBack's server received
// in the capture (the LoopBack client's replicate and resolve calls, the "another client"
// setup writes, the verify reads, and the recorder's conflict inspections marked NOT PART
// OF REPLICATE, which are reads and are held to LoopBack too). Each reply is held to
// LoopBack's as the vectors README says: the status, then the body shape (keys and JSON
// types), then every stable value exactly: ids, change ids, revs, prev, the checkpoint
// `seq` numbers (the session has its own sequence: the server starts at checkpoint 1 and
// only POST /checkpoint moves it, so the numbers are LoopBack's own), records and their
// data. Checkpoint `time` is checked as an ISO string (Comparer). Arrays of changes and
// updates are matched by modelId (LoopBack's memory connector orders by change id,
// replicore by (checkpoint, modelId)).
//
// Deliberate differences: none is met here, so every one of the 93 exchanges is held to
// LoopBack (an exchange that differs fails the test). The differences of
// tests/core/replication_session_test.cc are the replicore CLIENT's, and the requests here
// are LoopBack's client's, so they never reach this server:
//  - every POST /diff / the since of a push's POST /diff: LoopBack's connector sends no
//    since; the server treats a missing since as 0, as LoopBack does (PROTOCOL.md §8.7);
//  - a/005-diff, c3/005-diff, d1/005-diff (no empty confirming diff): LoopBack's client
//    sends the empty POST /diff [] and gets LoopBack's {"deltas":[],"conflicts":[]};
//  - conflict.resolveUsingSource() stamp (c1, c3, e2) and conflict.resolveUsingTarget()
//    bump (c2, e): local writes of the client; the GET /:id/changes/last and GET /:id
//    they are made with are sent here and answered as LoopBack;
//  - c1/009-diff, c1/011-changes, c1/015-get-a-1, c3/017-diff, e2/009-diff,
//    e2/010-get-a-2-exists: consequences of the replicore client's unresolved set (it
//    pushes the resolved a-1 / a-2); LoopBack's client diffs [] instead, so this server
//    keeps its own a-1 edit and a-2, exactly as LoopBack's did.
// The server's own differences (tests/server/http_server_test.cc: 060, 063, 065, 090, 093)
// are not reached either: the session sends no bare-array bulk-update, no delta of a
// missing record, no PUT /:id/changes/last, only JSON bodies, and no body over 100 KiB.
//
// Each TEST starts its own fresh server and plays the scenarios in order up to its own
// (later scenarios depend on earlier ones), then stops the server (exit status 0).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/http_test_util.h"

namespace replicore::http_test {
namespace {

const std::string kSessionDir = kVectors + "/replication-session";

constexpr char kA[] = "a-push-local-creates";
constexpr char kB[] = "b-pull-server-creates";
constexpr char kC1[] = "c1-update-conflict-resolveUsingSource";
constexpr char kC2[] = "c2-update-conflict-resolveUsingTarget";
constexpr char kC3[] = "c3-update-conflict-resolveUsingSource-keep-since";
constexpr char kD1[] = "d1-delete-local-push";
constexpr char kD2[] = "d2-delete-server-pull";
constexpr char kE[] = "e-update-delete-conflict";
constexpr char kE2[] = "e2-delete-update-conflict-push-wins";
const char* const kScenarioOrder[] = {kA, kB, kC1, kC2, kC3, kD1, kD2, kE, kE2};

std::vector<Json> LoadExchanges(const std::string& scenario) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kSessionDir + "/" + scenario)) {
    std::string name = entry.path().filename().string();
    if (MatchesWhole(name, R"(\d{3}-.*\.json)")) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<Json> exchanges;
  for (const std::string& file : files) exchanges.push_back(ReadJsonFile(file));
  return exchanges;
}

class HttpSession {
 public:
  HttpSession() { started_ = server_.Start({"--models", WriteTodoModel(), "--db", ":memory:"}); }

  // Plays every scenario up to and including `scenario`, in order.
  void RunThrough(const std::string& scenario) {
    ASSERT_TRUE(started_);
    for (const char* name : kScenarioOrder) {
      SCOPED_TRACE(name);
      Play(name);
      if (::testing::Test::HasFatalFailure()) return;
      if (scenario == name) return;
    }
    ADD_FAILURE() << "unknown scenario " << scenario;
  }

  ::testing::AssertionResult Stop() { return server_.Stop(); }

  int exchanges_sent = 0;

 private:
  void Play(const std::string& scenario) {
    std::vector<Json> exchanges = LoadExchanges(scenario);
    ASSERT_FALSE(exchanges.empty()) << "no exchanges for " << scenario;
    for (const Json& exchange : exchanges) {
      Exchange(scenario, exchange);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  void Exchange(const std::string& scenario, const Json& exchange) {
    const std::string name = exchange["name"];
    SCOPED_TRACE(scenario + "/" + name);
    const Json& request = exchange["request"];
    const Json& response = exchange["response"];
    std::string body;
    if (request.contains("body")) body = request["body"].dump();
    std::string content_type = request["headers"].value("content-type", "");
    Reply reply = server_.Call(request["method"], request["url"], body, content_type);
    ASSERT_TRUE(reply.ok) << "no answer; server log: " << server_.Log();
    ++exchanges_sent;

    ASSERT_EQ(reply.status, response["status"].get<int>()) << reply.body;
    if (response.value("bodyEmpty", false)) {
      EXPECT_TRUE(reply.body.empty()) << reply.body;
      return;
    }
    EXPECT_EQ(reply.header("Content-Type"), "application/json; charset=utf-8");
    Json actual = reply.json();
    ASSERT_FALSE(actual.is_discarded()) << reply.body;
    Comparer comparer;
    comparer.Compare(response["body"], actual, "body");
    for (const std::string& problem : comparer.problems) ADD_FAILURE() << problem;
  }

  ServerProcess server_;
  bool started_ = false;
};

void PlayThrough(const char* scenario) {
  HttpSession session;
  session.RunThrough(scenario);
  EXPECT_TRUE(session.Stop());
}

TEST(HttpReplicationSession, APushLocalCreates) { PlayThrough(kA); }
TEST(HttpReplicationSession, BPullServerCreates) { PlayThrough(kB); }
TEST(HttpReplicationSession, C1UpdateConflictResolveUsingSource) { PlayThrough(kC1); }
TEST(HttpReplicationSession, C2UpdateConflictResolveUsingTarget) { PlayThrough(kC2); }
TEST(HttpReplicationSession, C3ResolveUsingSourceKeepSince) { PlayThrough(kC3); }
TEST(HttpReplicationSession, D1DeleteLocalPush) { PlayThrough(kD1); }
TEST(HttpReplicationSession, D2DeleteServerPull) { PlayThrough(kD2); }
TEST(HttpReplicationSession, EUpdateDeleteConflict) { PlayThrough(kE); }
TEST(HttpReplicationSession, E2DeleteUpdateConflictPushWins) { PlayThrough(kE2); }

// The whole session in one run: every captured exchange was sent (and held to LoopBack).
TEST(HttpReplicationSession, WholeSessionEveryExchange) {
  HttpSession session;
  session.RunThrough(kE2);
  EXPECT_TRUE(session.Stop());
  size_t captured = 0;
  for (const char* scenario : kScenarioOrder) captured += LoadExchanges(scenario).size();
  EXPECT_EQ(captured, 93u);
  EXPECT_EQ(session.exchanges_sent, static_cast<int>(captured));
}

}  // namespace
}  // namespace replicore::http_test
