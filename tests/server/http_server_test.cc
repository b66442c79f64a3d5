// HTTP tests of replicore-server: the real binary on an ephemeral port on 127.0.0.1,
// every route and error, and a replay of the LoopBack 3 captures (vectors/loopback/).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "replicore/json_canonical.h"
#include "server/http_test_util.h"

namespace {

using replicore::Json;
using namespace replicore::http_test;  // NOLINT: the helpers are this file's own vocabulary

// ---------------------------------------------------------------- fixture

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = WriteTodoModel();
    ASSERT_TRUE(server_.Start({"--models", models_, "--db", ":memory:"}));
  }
  void TearDown() override {
    if (!stopped_) {
      EXPECT_TRUE(server_.Stop());
    }
  }
  Reply Get(const std::string& t) { return server_.Call("GET", "/api/Todos" + t); }
  Reply Send(const std::string& m, const std::string& t, const Json& body) {
    return server_.Json_(m, "/api/Todos" + t, body);
  }
  void ExpectError(const Reply& r, int status, const std::string& name,
                   const std::string& message_part = "") {
    EXPECT_EQ(r.status, status) << r.body;
    Json j = r.json();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_EQ(j["error"]["statusCode"], status);
    if (status >= 500) {
      EXPECT_EQ(j["error"]["message"], "Internal Server Error");  // the cause only in the log
      EXPECT_EQ(j["error"].size(), 3u) << r.body;                 // statusCode, message, code
      EXPECT_TRUE(j["error"]["code"].is_string()) << r.body;
      return;
    }
    EXPECT_EQ(j["error"]["name"], name) << r.body;
    if (!message_part.empty()) {
      EXPECT_NE(j["error"]["message"].get<std::string>().find(message_part), std::string::npos)
          << r.body;
    }
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  }
  void Seed() {
    ASSERT_EQ(Send("POST", "", Json::array({
        {{"id", "a"}, {"title", "Alpha"}, {"completed", false}, {"created", 1}},
        {{"id", "b"}, {"title", "Beta"}, {"completed", true}, {"created", 2}},
        {{"id", "c"}, {"title", "Gamma"}, {"completed", false}, {"created", 3}, {"meta", {{"p", 2}}}},
    })).status, 200);
  }

  std::string models_;
  ServerProcess server_;
  bool stopped_ = false;
};

// ---------------------------------------------------------------- CRUD routes

TEST_F(HttpServer, FindWithJsonAndBracketFilters) {
  Seed();
  Reply all = Get("");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json().size(), 3u);
  EXPECT_EQ(all.header("Content-Type"), "application/json; charset=utf-8");
  Reply json_filter = Get("?filter=" + Enc(
      R"({"where":{"completed":false},"order":"title DESC","limit":1})"));
  ASSERT_EQ(json_filter.status, 200) << json_filter.body;
  ASSERT_EQ(json_filter.json().size(), 1u);
  EXPECT_EQ(json_filter.json()[0]["id"], "c");
  Reply brackets = Get("?filter%5Bwhere%5D%5Bcompleted%5D=true&filter%5Bfields%5D%5Btitle%5D=true");
  ASSERT_EQ(brackets.status, 200) << brackets.body;
  EXPECT_EQ(brackets.json(), (Json::array({{{"title", "Beta"}}})));
  Reply nested = Get("?filter=" + Enc(R"({"where":{"meta.p":2}})"));
  ASSERT_EQ(nested.status, 200) << nested.body;
  EXPECT_EQ(nested.json().size(), 1u);
}

TEST_F(HttpServer, FindByIdExistsHeadCountFindOne) {
  Seed();
  EXPECT_EQ(Get("/a").json()["title"], "Alpha");
  EXPECT_EQ(Get("/c?filter=" + Enc(R"({"fields":{"meta":true}})")).json(),
            (Json{{"meta", {{"p", 2}}}}));
  ExpectError(Get("/zz"), 404, "Error", "Unknown \"Todo\" id \"zz\".");
  EXPECT_EQ(Get("/zz").json()["error"]["code"], "MODEL_NOT_FOUND");
  EXPECT_EQ(Get("/a/exists").json(), (Json{{"exists", true}}));
  Reply missing = Get("/zz/exists");
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.json(), (Json{{"exists", false}}));
  Reply head = server_.Call("HEAD", "/api/Todos/a");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "15");
  EXPECT_TRUE(head.body.empty());
  Reply head_missing = server_.Call("HEAD", "/api/Todos/zz");
  EXPECT_EQ(head_missing.status, 404);
  EXPECT_TRUE(head_missing.body.empty());
  EXPECT_EQ(Get("/count").json(), (Json{{"count", 3}}));
  EXPECT_EQ(Get("/count?where=" + Enc(R"({"completed":false})")).json(),
            (Json{{"count", 2}}));
  EXPECT_EQ(Get("/count?where%5Bcompleted%5D=true").json(), (Json{{"count", 1}}));
  EXPECT_EQ(Get("/findOne?filter=" + Enc(R"({"where":{"title":"Beta"}})"))
                .json()["id"],
            "b");
  Reply none = Get("/findOne?filter=" + Enc(R"({"where":{"title":"x"}})"));
  ExpectError(none, 404, "Error", "Unknown \"Todo\" id \"undefined\".");
  // An id with an encoded slash and space is one path segment.
  ASSERT_EQ(Send("POST", "", {{"id", "a/b c"}}).status, 200);
  EXPECT_EQ(Get("/a%2Fb%20c").json()["id"], "a/b c");
}

TEST_F(HttpServer, WriteRoutes) {
  Seed();
  // POST / one and many
  Reply created = Send("POST", "", {{"title", "New"}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_TRUE(IsGuid(created.json()["id"]));
  EXPECT_EQ(created.json()["completed"], false);
  EXPECT_TRUE(created.json()["created"].is_number());
  ExpectError(Send("POST", "", {{"id", "a"}}), 409, "Error", "Duplicate entry for Todo.id");
  // PUT / replaceOrCreate: drops unsent properties
  Reply put = Send("PUT", "", {{"id", "a"}, {"title", "Alpha2"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["title"], "Alpha2");
  EXPECT_EQ(put.json()["completed"], false);
  // PATCH / patchOrCreate: merges, and creates
  EXPECT_EQ(Send("PATCH", "", {{"id", "b"}, {"title", "Beta2"}}).json()["completed"], true);
  EXPECT_EQ(Send("PATCH", "", {{"id", "n1"}, {"title", "N"}}).status, 200);
  EXPECT_EQ(Get("/n1").json()["title"], "N");
  // PUT /:id and POST /:id/replace replace; PATCH /:id merges
  EXPECT_FALSE(Send("PUT", "/c", {{"title", "G2"}}).json().contains("meta"));
  EXPECT_EQ(Send("POST", "/c/replace", {{"title", "G3"}, {"created", 9}}).json()["created"], 9);
  EXPECT_EQ(Send("PATCH", "/c", {{"completed", true}}).json()["title"], "G3");
  ExpectError(Send("PUT", "/zz", {{"title", "x"}}), 404, "Error",
              "Could not replace. Object with id zz does not exist!");
  ExpectError(Send("POST", "/zz/replace", {{"title", "x"}}), 404, "Error", "Could not replace");
  Reply patch_missing = Send("PATCH", "/zz", {{"title", "x"}});
  ExpectError(patch_missing, 404, "Error", "could not find a model with id zz");
  EXPECT_EQ(patch_missing.json()["error"]["code"], "MODEL_NOT_FOUND");
  // POST /replaceOrCreate, /upsertWithWhere, /update
  EXPECT_EQ(Send("POST", "/replaceOrCreate", {{"id", "r1"}, {"title", "R"}}).json()["title"], "R");
  Reply upsert = server_.Json_("POST", "/api/Todos/upsertWithWhere?where=" +
                                           Enc(R"({"title":"R"})"),
                               {{"completed", true}});
  ASSERT_EQ(upsert.status, 200) << upsert.body;
  EXPECT_EQ(upsert.json()["id"], "r1");
  EXPECT_EQ(upsert.json()["completed"], true);
  Reply update = server_.Json_("POST", "/api/Todos/update?where=" +
                                           Enc(R"({"completed":true})"),
                               {{"meta", {{"done", true}}}});
  ASSERT_EQ(update.status, 200) << update.body;
  EXPECT_EQ(update.json(), (Json{{"count", 3}}));
  // DELETE /:id, unknown id is {"count":0}; DELETE / is not exposed
  EXPECT_EQ(server_.Call("DELETE", "/api/Todos/r1").json(), (Json{{"count", 1}}));
  Reply gone = server_.Call("DELETE", "/api/Todos/r1");
  EXPECT_EQ(gone.status, 200);
  EXPECT_EQ(gone.json(), (Json{{"count", 0}}));
  ExpectError(server_.Call("DELETE", "/api/Todos"), 404, "Error",
              "Shared class \"Todo\" has no method handling DELETE /");
  // urlencoded bodies are parsed (and coerced by the model)
  Reply form = server_.Call("POST", "/api/Todos", "id=f-1&title=form&completed=true",
                            "application/x-www-form-urlencoded");
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_EQ(form.json()["completed"], true);
  Reply form_patch = server_.Call("PATCH", "/api/Todos/f-1", "meta%5Bk%5D=v",
                                  "application/x-www-form-urlencoded");
  EXPECT_EQ(form_patch.json()["meta"], (Json{{"k", "v"}}));
}

// ---------------------------------------------------------------- replication routes

TEST_F(HttpServer, ChangesCheckpointAndCursorPaging) {
  Seed();
  EXPECT_EQ(Get("/checkpoint").json(), 1);
  Reply bumped = server_.Call("POST", "/api/Todos/checkpoint");
  ASSERT_EQ(bumped.status, 200);
  EXPECT_EQ(bumped.json()["seq"], 2);
  EXPECT_EQ(bumped.json()["id"], 1);
  EXPECT_TRUE(MatchesWhole(bumped.json()["time"].get<std::string>(), kIso));
  EXPECT_EQ(Get("/checkpoint").json(), 2);
  ASSERT_EQ(Send("PATCH", "/a", {{"completed", true}}).status, 200);

  EXPECT_EQ(Get("/changes").json(), Json::array());  // LoopBack: no since, no changes
  EXPECT_EQ(Get("/changes?since=-1").json().size(), 3u);
  Reply since2 = Get("/changes?since=2");
  ASSERT_EQ(since2.json().size(), 1u);
  EXPECT_EQ(since2.json()[0]["modelId"], "a");
  EXPECT_EQ(since2.json()[0]["checkpoint"], 2);
  EXPECT_EQ(Get("/changes?since=-1&filter=" +
                Enc(R"({"where":{"completed":true}})")).json().size(),
            2u);
  ExpectError(Get("/changes?since=abc"), 400, "Error", "Value is not a number.");

  // §9.1: limit/after page by (checkpoint, modelId) with X-Replicore-Next.
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    Reply page = Get("/changes?since=-1&limit=2" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(page.status, 200) << page.body;
    for (const Json& c : page.json()) seen.push_back(c["modelId"]);
    after = page.header("X-Replicore-Next");
    if (after.empty()) break;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b", "c", "a"}));
  ExpectError(Get("/changes?since=-1&limit=0"), 400, "Error", "limit");
  ExpectError(Get("/changes?since=-1&limit=2&after=nope"), 400, "Error", "after");

  // changes/last
  Reply last = Get("/a/changes/last");
  ASSERT_EQ(last.status, 200);
  EXPECT_EQ(last.json()["modelId"], "a");
  Reply unknown = Get("/zz/changes/last");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body, "null");
  Reply resolved = Send("PUT", "/b/changes/last", {{"prev", "ffff"}, {"checkpoint", 99}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(resolved.json()["prev"], "ffff");
  EXPECT_EQ(resolved.json()["checkpoint"], 2);  // stamped with the current checkpoint (§9.4)
  ExpectError(Send("PUT", "/zz/changes/last", {{"prev", "a"}}), 404, "Error",
              "No change record found for Todo with id zz");
}

TEST_F(HttpServer, DiffCreateUpdatesBulkUpdate) {
  Seed();
  Json a_change = Get("/a/changes/last").json();
  // A new record from a client, and the client's view of a.
  Json local = {{"modelName", "LocalTodo"}, {"modelId", "n"}, {"rev", "1111"}, {"checkpoint", 1}};
  Reply diff = Send("POST", "/diff", Json::array({local, a_change}));
  ASSERT_EQ(diff.status, 200) << diff.body;
  ASSERT_EQ(diff.json()["deltas"].size(), 1u);
  EXPECT_EQ(diff.json()["deltas"][0]["modelId"], "n");
  EXPECT_EQ(diff.json()["deltas"][0]["prev"], nullptr);
  EXPECT_EQ(diff.json()["conflicts"], Json::array());
  EXPECT_EQ(server_.Json_("POST", "/api/Todos/diff?since=5", Json::array()).json(),
            (Json{{"deltas", Json::array()}, {"conflicts", Json::array()}}));
  ExpectError(server_.Json_("POST", "/api/Todos/diff?since=1", {{"foo", 1}}), 400, "Error",
              "Value is not an array.");

  // create-updates: data for create/update, a delta whose record is gone becomes a delete.
  Reply updates = Send("POST", "/create-updates",
                       Json::array({a_change, {{"modelName", "Todo"}, {"modelId", "gone"},
                                               {"rev", "aaaa"}, {"prev", nullptr}, {"checkpoint", 1}}}));
  ASSERT_EQ(updates.status, 200) << updates.body;
  ASSERT_EQ(updates.json().size(), 2u);
  EXPECT_EQ(updates.json()[0]["type"], "delete");
  EXPECT_EQ(updates.json()[1]["type"], "create");
  EXPECT_EQ(updates.json()[1]["data"]["title"], "Alpha");

  // bulk-update: 204; conflicts 409 with details.conflicts, the rest applied.
  Json create_n = {{"type", "create"},
                   {"change", local},
                   {"data", {{"id", "n"}, {"title", "from client"}}}};
  Reply applied = Send("POST", "/bulk-update", {{"updates", Json::array({create_n})}});
  EXPECT_EQ(applied.status, 204) << applied.body;
  EXPECT_TRUE(applied.body.empty());
  EXPECT_EQ(Get("/n").json()["title"], "from client");
  Json bad = {{"type", "update"},
              {"change", {{"modelName", "LocalTodo"}, {"modelId", "b"}, {"rev", "2222"},
                          {"prev", "WRONG"}, {"checkpoint", 1}}},
              {"data", {{"id", "b"}, {"title", "x"}}}};
  Json create_m = {{"type", "create"},
                   {"change", {{"modelName", "LocalTodo"}, {"modelId", "m"}, {"rev", "3"}, {"checkpoint", 1}}},
                   {"data", {{"id", "m"}, {"title", "M"}}}};
  Reply conflict = Send("POST", "/bulk-update", {{"updates", Json::array({bad, create_m})}});
  ExpectError(conflict, 409, "Error", "Conflict");
  EXPECT_EQ(conflict.json()["error"]["details"]["conflicts"], Json::array({bad["change"]}));
  EXPECT_EQ(Get("/m").status, 200);
  EXPECT_EQ(Get("/b").json()["title"], "Beta");
  // A validation error applies nothing (atomic, §9.2).
  Json invalid = {{"type", "create"},
                  {"change", {{"modelName", "LocalTodo"}, {"modelId", "v"}, {"rev", "4"}, {"checkpoint", 1}}},
                  {"data", {{"id", "v"}, {"bogus", 1}}}};
  Json create_w = {{"type", "create"},
                   {"change", {{"modelName", "LocalTodo"}, {"modelId", "w"}, {"rev", "5"}, {"checkpoint", 1}}},
                   {"data", {{"id", "w"}}}};
  Reply rejected = Send("POST", "/bulk-update", {{"updates", Json::array({create_w, invalid})}});
  EXPECT_EQ(rejected.status, 422) << rejected.body;
  EXPECT_EQ(Get("/w").status, 404);
  EXPECT_EQ(Send("POST", "/bulk-update", {{"updates", Json::array()}}).status, 204);
  ExpectError(Send("POST", "/bulk-update", Json::array({create_w})), 400, "Error", "updates");
  ExpectError(Send("POST", "/bulk-update", {{"updates", Json::object()}}), 400, "Error",
              "Value is not an array.");
  EXPECT_EQ(Get("/w").status, 404);
}

TEST_F(HttpServer, Capabilities) {
  Reply caps = server_.Call("GET", "/api/replicore/capabilities");
  ASSERT_EQ(caps.status, 200);
  EXPECT_EQ(caps.json(), (Json{{"protocol", "loopback3"},
                               {"extensions", {"cursor-changes", "atomic-bulk-update", "replace"}}}));
}

// ---------------------------------------------------------------- errors

TEST_F(HttpServer, Errors) {
  ExpectError(server_.Call("POST", "/api/Todos", "{\"title\": \"x\",", "application/json"), 400,
              "SyntaxError");
  ExpectError(server_.Call("POST", "/api/Todos", "42", "application/json"), 400, "Error",
              "Value is not an object.");
  ExpectError(server_.Call("POST", "/api/Todos", "{\"title\":\"plain\"}", "text/plain"), 415,
              "UnsupportedMediaTypeError");
  ExpectError(server_.Call("PATCH", "/api/Todos", "{\"id\":\"x\"}", ""), 415,
              "UnsupportedMediaTypeError");
  EXPECT_EQ(Get("/count").json(), (Json{{"count", 0}}));  // nothing was created by those
  Reply invalid = Send("POST", "", {{"title", 5}, {"dueAt", "not a date"}, {"bogus", 1}});
  ExpectError(invalid, 422, "ValidationError", "is not valid");
  EXPECT_EQ(invalid.json()["error"]["details"]["codes"],
            (Json{{"bogus", {"unknown-property"}}, {"dueAt", {"date"}}}));
  ExpectError(Get("?filter=%7B%22where%22%3A"), 400, "Error", "Value is not an object.");
  ExpectError(Get("/count?where=%7Bbad"), 400, "Error", "Value is not an object.");
  ExpectError(Get("?filter=" + Enc(R"({"where":{"title":{"nope":1}}})")),
              400, "Error", "nope");
  ExpectError(Get("?filter=" + Enc(R"({"limit":-1})")), 400, "Error",
              "limit");
  ExpectError(server_.Call("GET", "/api/Todos/foo/bar"), 404, "Error",
              "Shared class \"Todo\" has no method handling GET /foo/bar");
  ExpectError(server_.Call("POST", "/api/Todos/rectify-change", "{}", "application/json"), 404,
              "Error", "has no method handling POST /rectify-change");
  ExpectError(server_.Call("GET", "/api/Nope"), 404, "Error", "There is no method to handle GET /Nope");
  ExpectError(server_.Call("GET", "/nothing-here"), 404, "Error", "Cannot GET /nothing-here");
  ExpectError(Get("/stats"), 404, "Error", "Unknown \"Todo\" id \"stats\".");
}

TEST(HttpServerLimits, BodyOverMaxBodyIs413) {
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--models", WriteTodoModel(), "--db", ":memory:", "--max-body", "1024"}));
  std::string at_limit = "{\"id\":\"big\",\"title\":\"" + std::string(1024 - 23, 'x') + "\"}";
  ASSERT_EQ(at_limit.size(), 1024u);
  EXPECT_EQ(server.Call("POST", "/api/Todos", at_limit, "application/json").status, 200);
  std::string over = "{\"id\":\"big2\",\"title\":\"" + std::string(2000, 'x') + "\"}";
  Reply reply = server.Call("POST", "/api/Todos", over, "application/json");
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.json(), (Json{{"error", {{"statusCode", 413}, {"name", "PayloadTooLargeError"},
                                           {"message", "request entity too large"},
                                           {"code", "too_large"}}}}));
  EXPECT_EQ(server.Call("GET", "/api/Todos/big2").status, 404);
  EXPECT_TRUE(server.Stop());
}

TEST(HttpServerOptions, StaticDirApiRootAndLog) {
  std::string site = MakeTempDir("static");
  std::ofstream(site + "/index.html") << "<h1>hi</h1>";
  ServerProcess server;
  std::string lib = MakeTempDir("lib");
  std::ofstream(lib + "/core.wasm") << "wasm";
  std::ofstream(lib + "/index.js") << "export {};";
  ASSERT_TRUE(server.Start({"--models", WriteTodoModel(), "--db", ":memory:", "--static", site,
                            "--static", "/pkg/dist=" + lib, "--api-root", "/rest"}));
  Reply page = server.Call("GET", "/index.html");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<h1>hi</h1>");
  Reply wasm = server.Call("GET", "/pkg/dist/core.wasm");
  EXPECT_EQ(wasm.body, "wasm");
  EXPECT_EQ(wasm.header("Content-Type"), "application/wasm");
  EXPECT_EQ(server.Call("GET", "/pkg/dist/index.js").status, 200);
  EXPECT_EQ(server.Call("GET", "/pkg/index.js").status, 404);
  EXPECT_EQ(server.Call("GET", "/rest/Todos").body, "[]");
  EXPECT_EQ(server.Call("GET", "/api/Todos").status, 404);
  EXPECT_TRUE(server.Stop());
  EXPECT_NE(server.Log().find("GET /rest/Todos 200"), std::string::npos) << server.Log();
}

TEST(HttpServerOptions, HelpAndBadFlags) {
  std::string help = std::string(RC_SERVER_BINARY) + " --help > /dev/null";
  EXPECT_EQ(std::system(help.c_str()), 0);
  std::string bad = std::string(RC_SERVER_BINARY) + " --bogus 2> /dev/null";
  EXPECT_NE(std::system(bad.c_str()), 0);
}

TEST(HttpServerSqlite, DataSurvivesRestartAndKill9) {
  std::string dir = MakeTempDir("db");
  std::string models = WriteTodoModel();
  std::vector<std::string> args = {"--models", models, "--db", dir + "/rc.db"};
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(args));
    ASSERT_EQ(server.Json_("POST", "/api/Todos", {{"id", "s1"}, {"title", "kept"}}).status, 200);
    ASSERT_EQ(server.Call("POST", "/api/Todos/checkpoint").status, 200);
    EXPECT_TRUE(server.Stop());
  }
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(args));
    EXPECT_EQ(server.Call("GET", "/api/Todos/s1").json()["title"], "kept");
    EXPECT_EQ(server.Call("GET", "/api/Todos/checkpoint").json(), 2);
    ASSERT_EQ(server.Json_("POST", "/api/Todos", {{"id", "s2"}, {"title", "acked"}}).status, 200);
    server.Kill9();
  }
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(args));
    EXPECT_EQ(server.Call("GET", "/api/Todos/s2").json()["title"], "acked");
    EXPECT_EQ(server.Call("GET", "/api/Todos/changes?since=-1").json().size(), 2u);
    EXPECT_TRUE(server.Stop());
  }
}

TEST_F(HttpServer, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 16, kPerThread = 40;
  std::atomic<int> failures{0};
  // First request before the threads (see http_concurrency_test.cc: the function-local
  // static regex of Debian's uninstrumented cpp-httplib client, a ThreadSanitizer false race).
  ASSERT_EQ(Get("/count").status, 200);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client(server_.host(), server_.port());
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "p" + std::to_string(t) + "-" + std::to_string(i);
        auto created = client.Post("/api/Todos", Json{{"id", id}, {"title", id}}.dump(),
                                   "application/json");
        if (!created || created->status != 200) {
          ++failures;
          std::fprintf(stderr, "create %s: %s %d\n", id.c_str(),
                       created ? "status" : httplib::to_string(created.error()).c_str(),
                       created ? created->status : 0);
        }
        auto read = client.Get(("/api/Todos/" + id).c_str());
        if (!read || read->status != 200) ++failures;
        auto changes = client.Get("/api/Todos/changes?since=-1");
        if (!changes || changes->status != 200) ++failures;
        if (i % 10 == 0) client.Post("/api/Todos/checkpoint");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Get("/count").json()["count"], kThreads * kPerThread);
  EXPECT_EQ(Get("/changes?since=-1").json().size(), static_cast<size_t>(kThreads * kPerThread));
}

// ---------------------------------------------------------------- replay of the captures

struct Difference {
  int status;  // replicore's status
  const char* reason;
};

// Exchanges where replicore answers differently on purpose (README "answers better").
const std::map<std::string, Difference>& DeliberateDifferences() {
  static const std::map<std::string, Difference> kDifferences = {
      {"029-stats", {404, "the example's custom `stats` remote method is out of scope (issue 13); "
                          "POST /stats is an unknown route"}},
      {"060-bulk-update-bare-array",
       {400, "LoopBack answers a bare-array body with a 500 (TypeError); replicore says what "
             "is wrong: the body is {\"updates\": [...]}"}},
      {"063-create-updates-missing-data",
       {200, "PROTOCOL.md §8.10: a delta whose record is gone becomes a `delete` update instead "
             "of failing the whole create-updates with a 500"}},
      {"065-updateLastChange",
       {200, "PROTOCOL.md §9.4/§8.10: the resolution is stamped with the current checkpoint "
             "(3, not the row's 1) so that it replicates; only prev is written"}},
      {"090-err-text-plain-body",
       {415, "a text/plain body is refused with 415 instead of silently creating an empty "
             "todo with defaults"}},
      {"093-err-body-over-limit",
       {409, "no 100 KiB body limit (--max-body is 32 MB): the 102401-byte body reaches the "
             "create, which finds 092's id \"big\" taken"}},
  };
  return kDifferences;
}

// Exchanges where the CORE (not the server) answers differently from LoopBack today; the
// server only maps HTTP. Listed so that the replay holds everything else; to be fixed in
// core/ (reported to the lead), after which these entries must go.
// Later exchanges whose expected body changes because of a deliberate difference.
// 095-changes-final: no change row for the text/plain record 090 created in LoopBack, and
// t-2's row carries checkpoint 3 from 065.

Json RequestBody(const Json& request, std::string* text) {
  if (request.contains("body")) {
    *text = request["body"].dump();
  } else if (request.contains("bodyText")) {
    *text = request["bodyText"].get<std::string>();
  } else if (request.contains("bodyBytes")) {
    size_t bytes = request["bodyBytes"].get<size_t>();
    std::string head = "{\"id\":\"big\",\"title\":\"";
    *text = head + std::string(bytes - head.size() - 2, 'x') + "\"}";
  }
  return nullptr;
}

// Captures where a record was created and deleted within one checkpoint: LoopBack leaves
// its change row "unknown" (rev null, no prev), which /changes drops; replicore keeps a
// tombstone (rev null, prev = the last rev; README "Where replicore differs"). Only those
// rows are taken out of our answer before the comparison; everything else stays exact.
const std::set<std::string> kTombstoneCaptures = {
    "040-changes-since-filter", "043-findLastChange-deleted", "061-changes-for-pull",
    "068-diff-no-since", "095-changes-final"};

bool IsTombstone(const Json& row) {
  return row.is_object() && row.contains("rev") && row["rev"].is_null() && row.contains("prev") &&
         row["prev"].is_string();
}

Json WithoutTombstonesLoopBackLacks(const Json& want, const Json& actual) {
  if (actual.is_array() && want.is_array()) {
    std::set<std::string> theirs;
    for (const Json& row : want) {
      if (row.is_object() && row.contains("modelId")) theirs.insert(row["modelId"].dump());
    }
    Json kept = Json::array();
    for (const Json& row : actual) {
      if (IsTombstone(row) && !theirs.count(row["modelId"].dump())) continue;
      Json same;  // LoopBack's row for the same record, if any
      for (const Json& theirs_row : want) {
        if (theirs_row.is_object() && theirs_row.value("modelId", Json()) == row.value("modelId", Json())) {
          same = theirs_row;
        }
      }
      kept.push_back(WithoutTombstonesLoopBackLacks(same, row));
    }
    return kept;
  }
  if (actual.is_object()) {
    Json out = actual;
    if (IsTombstone(actual) && want.is_object() && !want.contains("prev")) out.erase("prev");
    for (auto& [key, value] : out.items()) {
      if (value.is_array() && want.is_object() && want.contains(key)) {
        value = WithoutTombstonesLoopBackLacks(want[key], value);
      }
    }
    return out;
  }
  return actual;
}

TEST(HttpReplay, LoopBackCapturesInOrder) {
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--models", WriteTodoModel(), "--db", ":memory:"}));
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kVectors)) {
    std::string name = entry.path().filename().string();
    if (MatchesWhole(name, R"(\d{3}-.*\.json)")) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 95u);

  Comparer comparer;
  std::string text_plain_guid;
  int compared = 0;
  for (const std::string& file : files) {
    Json exchange = ReadJsonFile(file);
    std::string name = exchange["name"];
    SCOPED_TRACE(name);
    const Json& request = exchange["request"];
    const Json& expected = exchange["response"];
    std::string body;
    RequestBody(request, &body);
    std::string content_type = request["headers"].value("content-type", "");
    std::string url = request["url"];
    for (const auto& [theirs, ours] : comparer.translate) {
      for (std::string* text : {&body, &url}) {
        for (size_t at = text->find(theirs); at != std::string::npos; at = text->find(theirs, at)) {
          text->replace(at, theirs.size(), ours);
        }
      }
    }
    Reply reply = server.Call(request["method"], url, body, content_type);
    ASSERT_TRUE(reply.ok) << "no answer";

    auto difference = DeliberateDifferences().find(name);
    if (difference != DeliberateDifferences().end()) {
      EXPECT_EQ(reply.status, difference->second.status) << reply.body;
      if (reply.status >= 400) {
        Json error = reply.json()["error"];
        EXPECT_EQ(error["statusCode"], reply.status);
        EXPECT_TRUE(error["name"].is_string() && error["message"].is_string()) << reply.body;
      }
      if (name == "063-create-updates-missing-data") {
        EXPECT_EQ(reply.json()[0]["type"], "delete") << reply.body;
        EXPECT_FALSE(reply.json()[0].contains("data"));
      }
      if (name == "065-updateLastChange") {
        Json adjusted = expected["body"];
        adjusted["checkpoint"] = 3;
        EXPECT_EQ(reply.json(), adjusted);
      }
      if (name == "090-err-text-plain-body") text_plain_guid = expected["body"]["id"];
      continue;
    }

    EXPECT_EQ(reply.status, expected["status"].get<int>()) << reply.body;
    if (expected.value("bodyEmpty", false)) {
      EXPECT_TRUE(reply.body.empty()) << reply.body;
    } else {
      EXPECT_EQ(reply.header("Content-Type"), "application/json; charset=utf-8");
      Json actual = reply.json();
      ASSERT_FALSE(actual.is_discarded()) << reply.body;
      Json want = expected["body"];
      if (name == "084-err-malformed-json") {
        // Node's JSON.parse message depends on the Node version; name and status are stable.
        want["error"]["message"] = actual["error"]["message"];
      }
      if (name == "095-changes-final") {
        Json kept = Json::array();
        for (const Json& change : want) {
          if (change["modelId"] == text_plain_guid) continue;
          Json c = change;
          if (c["modelId"] == "t-2") c["checkpoint"] = 3;
          kept.push_back(c);
        }
        want = kept;
      }
      if (want.contains("error") && !want["error"].contains("code")) {
        // Where LoopBack's error has no code, ours carries replicore's stable code (issue 20
        // item 5): present, then compared without it. LoopBack's own codes must match.
        EXPECT_TRUE(actual["error"]["code"].is_string()) << name << ": " << reply.body;
        actual["error"].erase("code");
      }
      if (kTombstoneCaptures.count(name)) actual = WithoutTombstonesLoopBackLacks(want, actual);
      comparer.problems.clear();
      comparer.Compare(want, actual, "body");
      for (const std::string& problem : comparer.problems) ADD_FAILURE() << problem;
      if (name == "003-create-server-id-and-defaults") {
        std::string theirs = want["id"], ours = actual["id"];
        comparer.translate[theirs] = ours;
        comparer.translate[replicore::ChangeId("Todo", theirs)] = replicore::ChangeId("Todo", ours);
      }
    }
    // Records whose data came from Date.now or a guid have varying revs from here on.
    Json records = expected["body"].is_array() ? expected["body"] : Json::array({expected["body"]});
    for (const Json& record : records) {
      if (!record.is_object() || !record.contains("id") || !record["id"].is_string()) continue;
      bool now = record.contains("created") && record["created"].is_number() &&
                 record["created"].get<double>() > 1.75e12;
      if (now || IsGuid(record["id"])) comparer.varying_ids.insert(record["id"].get<std::string>());
    }
    ++compared;
  }
  EXPECT_EQ(compared, 95 - static_cast<int>(DeliberateDifferences().size()));
  EXPECT_TRUE(server.Stop());
}

}  // namespace
