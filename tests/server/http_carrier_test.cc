// HttpCarrier (server/include/replicore/http_carrier.h) against a real replicore-server
// process: each Op round-trips, HTTP errors come back as core codes (a bulk-update's 409
// with its conflicts), an unreachable peer is a clear kStorage error, and the Replicator
// pushes and pulls through it. Also a server replicating in the background
// (--replicate-to, --replicate-from) while it serves writes: under ThreadSanitizer (CI's
// server stage) a race between the loop and the requests stops the server.
#include "replicore/http_carrier.h"

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "replicore/gzip.h"
#include "replicore/http_api.h"
#include "replicore/memory_store.h"
#include "replicore/open_database.h"
#include "replicore/replicator.h"
#include "server/http_test_util.h"

namespace replicore::http_test {
namespace {


// A peer that answers what a test says (a broken or hostile server): httplib's server on a
// free port of 127.0.0.1, in a thread of the test.
class FakePeer {
 public:
  explicit FakePeer(std::function<void(httplib::Server&)> routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound and listening already: a connection waits in the backlog until accepted.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakePeer() {
    server_.stop();
    thread_.join();
  }
  ApiRoot root() const { return *ParseApiRoot("http://127.0.0.1:" + std::to_string(port_) + "/api"); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

class HttpCarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = WriteTodoModel();
    ASSERT_TRUE(server_.Start({"--models", models_, "--db", ":memory:", "--log-level", "off"}));
    auto root = ParseApiRoot(server_.url() + "/api/");
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_ = *root;
  }

  Response Carry(Op op, Json args) { return CarryPayload(op, std::move(args)); }
  Response CarryPayload(Op op, Payload args) {
    return HttpCarrier(root_, "Todos").Carry({op, std::move(args)});
  }
  std::string Create(const std::string& id, const std::string& title) {
    Reply reply = server_.Json_("POST", "/api/Todos", {{"id", id}, {"title", title}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    return id;
  }
  Json LastChange(const std::string& id) {
    Response change = Carry(Op::kFindLastChange, {{"id", id}});
    EXPECT_TRUE(change.status.ok()) << change.status.ToString();
    return change.result.tree();
  }

  std::string models_;
  ServerProcess server_;
  ApiRoot root_;
};

TEST_F(HttpCarrierTest, ParsesApiRoots) {
  auto root = ParseApiRoot("http://127.0.0.1:3000/api//");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->origin, "http://127.0.0.1:3000");
  EXPECT_EQ(root->path, "/api");
  EXPECT_EQ(HttpCarrier(*root, "Todos").BaseUrl(), "http://127.0.0.1:3000/api/Todos");
  EXPECT_EQ(ParseApiRoot("https://example.com/api").status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(ParseApiRoot("store.db").status().code(), StatusCode::kBadRequest);
}

TEST_F(HttpCarrierTest, ProbesReplicoreExtensions) {
  auto capabilities = HttpCarrier(root_, "Todos").Probe();
  ASSERT_TRUE(capabilities.ok()) << capabilities.status().ToString();
  EXPECT_TRUE(capabilities->cursor_changes);
  EXPECT_FALSE(capabilities->loopback);
}

TEST_F(HttpCarrierTest, EachOpRoundTrips) {
  Response checkpoint = Carry(Op::kCheckpoint, Json::object());
  ASSERT_TRUE(checkpoint.status.ok()) << checkpoint.status.ToString();
  EXPECT_TRUE(checkpoint.result.tree().contains("seq"));

  Create("a/1 x", "first");  // an id that must be percent-encoded in paths
  Create("b", "second");
  Response changes = Carry(Op::kChanges, {{"since", -1}});
  ASSERT_TRUE(changes.status.ok()) << changes.status.ToString();
  ASSERT_EQ(changes.result.tree().size(), 2u);

  // Cursor paging: one change a page, the cursor taken from X-Replicore-Next.
  Response page = Carry(Op::kChanges, {{"since", -1}, {"limit", 1}});
  ASSERT_TRUE(page.status.ok()) << page.status.ToString();
  ASSERT_EQ(page.result.tree()["changes"].size(), 1u);
  const Json next = page.result.tree()["next"];
  ASSERT_TRUE(next.is_array()) << page.result.tree().dump();
  Response second = Carry(Op::kChanges, {{"since", -1}, {"limit", 1}, {"after", next}});
  ASSERT_TRUE(second.status.ok()) << second.status.ToString();
  ASSERT_EQ(second.result.tree()["changes"].size(), 1u);
  EXPECT_NE(second.result.tree()["changes"][0]["modelId"], page.result.tree()["changes"][0]["modelId"]);
  // A full page may name a next one (the server does not look ahead): that one is empty.
  if (!second.result.tree()["next"].is_null()) {
    Response third = Carry(Op::kChanges, {{"since", -1}, {"limit", 1}, {"after", second.result.tree()["next"]}});
    EXPECT_EQ(third.result.tree()["changes"].size(), 0u) << third.result.tree().dump();
  }

  Json found = Carry(Op::kFindById, {{"id", "a/1 x"}}).result.tree();
  EXPECT_EQ(found["title"], "first");
  Response missing = Carry(Op::kFindById, {{"id", "nope"}});
  EXPECT_TRUE(missing.status.ok());
  EXPECT_TRUE(missing.result.tree().is_null());

  Json change = LastChange("a/1 x");
  EXPECT_EQ(change["modelId"], "a/1 x");

  // A source change the target does not know: the diff asks for it.
  Json unknown = {{"modelId", "c"}, {"rev", "1111111111111111111111111111111111111111"},
                  {"prev", nullptr}, {"checkpoint", 1}, {"modelName", "Todo"}};
  Response diff = Carry(Op::kDiff, {{"since", -1}, {"changes", Json::array({unknown})}});
  ASSERT_TRUE(diff.status.ok()) << diff.status.ToString();
  EXPECT_EQ(diff.result.tree()["deltas"].size(), 1u);

  Response updates = Carry(Op::kCreateUpdates, {{"deltas", Json::array({change})}});
  ASSERT_TRUE(updates.status.ok()) << updates.status.ToString();
  EXPECT_TRUE(updates.result.has_text());  // records cross as the text they came in
  EXPECT_EQ(updates.result.tree()[0]["data"]["title"], "first");

  // A bulk-update whose text is sent as it is.
  Json create = {{"type", "create"},
                 {"change", {{"modelId", "c"}, {"rev", "2222222222222222222222222222222222222222"},
                             {"prev", nullptr}, {"checkpoint", 1}, {"modelName", "Todo"}}},
                 {"data", {{"id", "c"}, {"title", "third"}}}};
  Response bulk = CarryPayload(Op::kBulkUpdate,
                        Payload::FromText(replicore::http::ToJsonText(Json{{"updates", Json::array({create})}})));
  ASSERT_TRUE(bulk.status.ok()) << bulk.status.ToString();
  EXPECT_EQ(Carry(Op::kFindById, {{"id", "c"}}).result.tree()["title"], "third");

  Response updated = Carry(Op::kUpdateLastChange, {{"id", "b"}, {"data", {{"prev", "x"}}}});
  ASSERT_TRUE(updated.status.ok()) << updated.status.ToString();
  EXPECT_EQ(LastChange("b")["prev"], "x");
}

TEST_F(HttpCarrierTest, ErrorsComeBackAsCoreCodes) {
  Create("a", "first");
  // An update over a revision the target does not have: 409 with the source change.
  Json update = {{"type", "update"},
                 {"change", {{"modelId", "a"}, {"rev", "3333333333333333333333333333333333333333"},
                             {"prev", "4444444444444444444444444444444444444444"}, {"checkpoint", 1},
                             {"modelName", "Todo"}}},
                 {"data", {{"id", "a"}, {"title", "theirs"}}}};
  Response conflict = Carry(Op::kBulkUpdate, {{"updates", Json::array({update})}});
  EXPECT_EQ(conflict.status.code(), StatusCode::kConflict) << conflict.status.ToString();
  ASSERT_TRUE(conflict.status.details().contains("conflicts")) << conflict.status.details().dump();
  EXPECT_EQ(conflict.status.details()["conflicts"][0]["modelId"], "a");

  Response none = Carry(Op::kUpdateLastChange, {{"id", "nope"}, {"data", {{"prev", "x"}}}});
  EXPECT_EQ(none.status.code(), StatusCode::kNotFound) << none.status.ToString();

  Response no_model = HttpCarrier(root_, "Nopes").Carry({Op::kCheckpoint, Json::object()});
  EXPECT_EQ(no_model.status.code(), StatusCode::kNotFound) << no_model.status.ToString();
}

TEST_F(HttpCarrierTest, GzipIsAskedForOnlyWhenWanted) {
  for (int n = 0; n < 20; ++n) Create("g" + std::to_string(n), std::string(100, 'x'));
  for (bool gzip : {true, false}) {
    HttpCarrierOptions options;
    options.accept_gzip = gzip;
    HttpCarrier carrier(root_, "Todos", options);
    Response changes = carrier.Carry({Op::kChanges, Json{{"since", -1}}});
    ASSERT_TRUE(changes.status.ok()) << changes.status.ToString();
    EXPECT_EQ(changes.result.tree().size(), 20u);
    EXPECT_EQ(carrier.gzipped_answers(), gzip ? 1u : 0u);
  }
}

TEST_F(HttpCarrierTest, AnUnreachablePeerIsAClearStorageError) {
  HttpCarrierOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  auto root = ParseApiRoot("http://127.0.0.1:1/api");
  ASSERT_TRUE(root.ok());
  HttpCarrier carrier(*root, "Todos", options);
  Response refused = carrier.Carry({Op::kCheckpoint, Json::object()});
  EXPECT_EQ(refused.status.code(), StatusCode::kStorage);
  EXPECT_NE(refused.status.message().find("cannot reach http://127.0.0.1:1"), std::string::npos)
      << refused.status.message();
  EXPECT_EQ(carrier.Probe().status().code(), StatusCode::kStorage);
}

TEST_F(HttpCarrierTest, TheReplicatorPushesAndPullsThroughIt) {
  MemoryStore store;
  Database local(&store, NativeEnvironment());
  ASSERT_TRUE(local.AddModel(ReadJsonFile(models_ + "/todo.json")).ok());
  for (int n = 0; n < 30; ++n) {
    ASSERT_TRUE(local.Create("Todo", {{"id", "l" + std::to_string(n)}, {"title", "local"}}).ok());
  }
  Create("s", "on the server");
  HttpCarrier carrier(root_, "Todos");
  for (bool push : {true, false}) {
    ReplicatorOptions options;
    options.model = "Todo";
    options.local_is_source = push;
    options.peer = carrier.BaseUrl();
    options.cursor_changes = true;
    options.changes_page = 7;  // several pages each way
    options.chunk_bytes = 512;
    Replicator replicator(&local, options);
    ASSERT_TRUE(Drive(replicator, carrier, 10000).ok()) << replicator.error().ToString();
    EXPECT_EQ(replicator.result().applied, push ? 30u : 1u);
  }
  EXPECT_GT(carrier.gzipped_answers(), 0u);  // the pages of /changes are over 1 KiB
  EXPECT_EQ(server_.Call("GET", "/api/Todos/count").json()["count"], 31);
  auto pulled = local.FindById("Todo", "s");
  ASSERT_TRUE(pulled.ok() && pulled->has_value());
}

TEST_F(HttpCarrierTest, AServerReplicatesInTheBackgroundWhileServingWrites) {
  ServerProcess pusher, puller;
  const std::string hub = server_.url() + "/api";
  ASSERT_TRUE(pusher.Start({"--models", models_, "--db", ":memory:", "--log-level", "off",
                            "--replicate-to", hub, "--replicate-interval", "0.02"}));
  ASSERT_TRUE(puller.Start({"--models", models_, "--db", ":memory:", "--log-level", "off",
                            "--replicate-from", hub, "--replicate-interval", "0.02"}));
  constexpr int kWriters = 2, kWrites = 60;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; n < kWrites; ++n) {
        const std::string id = "w" + std::to_string(w) + "-" + std::to_string(n);
        EXPECT_EQ(pusher.Json_("POST", "/api/Todos", {{"id", id}, {"title", "t"}}).status, 200);
        EXPECT_EQ(pusher.Json_("PATCH", "/api/Todos/" + id, {{"title", "patched"}}).status, 200);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Json count;
  while (std::chrono::steady_clock::now() < deadline) {
    count = puller.Call("GET", "/api/Todos/count?where=" + Enc(R"({"title":"patched"})")).json();
    if (count.is_object() && count["count"] == kWriters * kWrites) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(count["count"], kWriters * kWrites) << pusher.Log() << puller.Log();
  EXPECT_TRUE(pusher.Stop());
  EXPECT_TRUE(puller.Stop());
}

TEST(HttpCarrierPeerTest, AnAnswerOverTheLimitIsAnErrorNotBuffered) {
  // 2 MiB of valid JSON, plain and gzipped, to a carrier that takes at most 1 MiB.
  std::string big = "[0";
  while (big.size() < 2 * 1024 * 1024) big += ",0";
  big += "]";
  const std::string gzipped = *http::Gzip(big);
  FakePeer peer([&](httplib::Server& server) {
    server.Post("/api/Todos/diff", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(big, "application/json");
    });
    server.Get("/api/replicore/capabilities", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(big, "application/json");
    });
    server.Get("/api/Todos/changes", [&](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(gzipped, "application/json");
    });
  });
  HttpCarrierOptions options;
  options.max_answer_bytes = 1024 * 1024;
  // Not asked for: httplib's server would gzip the answer again; the carrier inflates a
  // gzip answer whether it asked or not.
  options.accept_gzip = false;
  HttpCarrier carrier(peer.root(), "Todos", options);
  for (Op op : {Op::kDiff, Op::kChanges}) {
    Response answer = carrier.Carry({op, Json{{"since", -1}}});
    EXPECT_EQ(answer.status.code(), StatusCode::kStorage) << OpName(op);
    EXPECT_NE(answer.status.message().find("over 1048576 bytes"), std::string::npos)
        << answer.status.message();
  }
  EXPECT_EQ(carrier.Probe().status().code(), StatusCode::kStorage);
}

TEST(HttpCarrierPeerTest, APagingCursorThatDoesNotAdvanceIsAnError) {
  // A peer that ignores `after`: the same (empty) page and cursor, again and again.
  FakePeer peer([](httplib::Server& server) {
    server.Get("/api/Todos/changes", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-Replicore-Next", "7:a");
      res.set_content("[]", "application/json");
    });
    server.Post("/api/Todos/diff", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"deltas":[],"conflicts":[]})", "application/json");
    });
    server.Post("/api/Todos/checkpoint", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"seq":8,"time":"2026-01-01T00:00:00.000Z","id":8})", "application/json");
    });
  });
  HttpCarrier carrier(peer.root(), "Todos");
  Response again = carrier.Carry({Op::kChanges, Json{{"since", -1}, {"limit", 1}, {"after", {7, "a"}}}});
  EXPECT_EQ(again.status.code(), StatusCode::kStorage) << again.status.ToString();
  EXPECT_NE(again.status.message().find("does not advance"), std::string::npos)
      << again.status.message();

  FakePeer garbled([](httplib::Server& server) {
    server.Get("/api/Todos/changes", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-Replicore-Next", "seven");  // not taken for the last page
      res.set_content(R"([{"modelId":"a","rev":"r","prev":null,"checkpoint":7,"modelName":"Todo"}])",
                      "application/json");
    });
  });
  Response garbage = HttpCarrier(garbled.root(), "Todos").Carry({Op::kChanges, Json{{"since", -1}, {"limit", 1}}});
  EXPECT_EQ(garbage.status.code(), StatusCode::kStorage) << garbage.status.ToString();

  // A pull through it ends with that error, not after a hundred million requests.
  MemoryStore store;
  Database local(&store, NativeEnvironment());
  ASSERT_TRUE(local.AddModel(ReadJsonFile(WriteTodoModel() + "/todo.json")).ok());
  ReplicatorOptions options;
  options.model = "Todo";
  options.local_is_source = false;
  options.peer = carrier.BaseUrl();
  options.cursor_changes = true;
  options.changes_page = 1;
  Replicator replicator(&local, options);
  Status pulled = Drive(replicator, carrier, 1000);
  EXPECT_EQ(pulled.code(), StatusCode::kStorage) << pulled.ToString();
}

TEST(HttpCarrierPeerTest, APeerThatTricklesItsAnswerIsCutAtTheAnswerTimeout) {
  // A byte every 100 ms: each read is well within io_timeout, the answer never ends.
  FakePeer peer([](httplib::Server& server) {
    server.Post("/api/Todos/checkpoint", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [](size_t offset, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return offset < 100 && sink.write(" ", 1);  // 10 s in all, unless cut
      });
    });
  });
  HttpCarrierOptions options;
  options.answer_timeout = std::chrono::seconds(1);
  options.accept_gzip = false;  // httplib's server would gzip the chunks into one
  const auto start = std::chrono::steady_clock::now();
  Response slow = HttpCarrier(peer.root(), "Todos", options).Carry({Op::kCheckpoint, Json::object()});
  EXPECT_EQ(slow.status.code(), StatusCode::kStorage) << slow.status.ToString();
  EXPECT_NE(slow.status.message().find("no whole answer within 1 s"), std::string::npos)
      << slow.status.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpCarrierPeerTest, ARedirectIsAnErrorNotAnEmptyAnswer) {
  FakePeer peer([](httplib::Server& server) {
    server.Post("/api/Todos/checkpoint", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://127.0.0.1:1/api/Todos/checkpoint");
    });
  });
  Response moved = HttpCarrier(peer.root(), "Todos").Carry({Op::kCheckpoint, Json::object()});
  EXPECT_EQ(moved.status.code(), StatusCode::kStorage) << moved.status.ToString();
  EXPECT_NE(moved.status.message().find("HTTP 302"), std::string::npos) << moved.status.message();
}

}  // namespace
}  // namespace replicore::http_test
