// Users and access tokens: UserStore with a clock of its own, LoginLimiter, TokenOf, and the
// real binary (`user add`, POST /Users, /Users/login, /Users/logout) on 127.0.0.1.
// Every login and every user added costs one Argon2id hash (~70 ms, 64 MiB): the counts
// here are kept small on purpose.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "replicore/login_limiter.h"
#include "replicore/user_routes.h"
#include "replicore/user_store.h"
#include "server/http_test_util.h"

namespace {

using replicore::Json;
using replicore::StatusCode;
using replicore::UserStore;
using replicore::http::LoginLimiter;
using replicore::http::LoginLimits;
using namespace replicore::http_test;  // NOLINT: the helpers are this file's own vocabulary

const char kToken[] = "[0-9a-f]{64}";

// ---------------------------------------------------------------- UserStore

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    replicore::UserStoreOptions options;
    options.path = ":memory:";
    options.now_ms = [this] { return now_.load(); };
    auto opened = UserStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  std::atomic<int64_t> now_{1780000000000};
  std::unique_ptr<UserStore> store_;
};

TEST_F(UserStoreTest, LoginUserOfTokenLogoutAndExpiry) {
  auto alice = store_->AddUser("alice", "correct horse", "Alice@Example.com");
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  EXPECT_TRUE(IsGuid((*alice)["id"]));
  EXPECT_EQ((*alice)["username"], "alice");
  EXPECT_EQ((*alice)["email"], "Alice@Example.com");
  EXPECT_EQ((*alice)["created"], "2026-05-28T20:26:40.000Z");
  EXPECT_FALSE(alice->contains("password"));
  const std::string id = (*alice)["id"];

  auto token = store_->Login(UserStore::By::kUsername, "alice", "correct horse", 60);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(MatchesWhole((*token)["id"].get<std::string>(), kToken));
  EXPECT_EQ((*token)["ttl"], 60);
  EXPECT_EQ((*token)["created"], "2026-05-28T20:26:40.000Z");
  EXPECT_EQ((*token)["userId"], id);
  const std::string raw = (*token)["id"];
  EXPECT_EQ(*store_->UserOfToken(raw), id);

  // A wrong password and an unknown user: one answer.
  auto wrong = store_->Login(UserStore::By::kUsername, "alice", "wrong horse", 60);
  auto unknown = store_->Login(UserStore::By::kUsername, "nobody", "correct horse", 60);
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthorized);
  EXPECT_EQ(wrong.status().ToString(), unknown.status().ToString());
  // By email, in any ASCII case; a username is not an email.
  auto by_email = store_->Login(UserStore::By::kEmail, "alice@EXAMPLE.com", "correct horse", 600);
  ASSERT_TRUE(by_email.ok()) << by_email.status().ToString();
  EXPECT_FALSE(store_->Login(UserStore::By::kEmail, "alice", "correct horse", 60).ok());

  // The 60 s token expires; the 600 s one does not yet.
  now_ += 59999;
  EXPECT_TRUE(store_->UserOfToken(raw).ok());
  now_ += 1;
  EXPECT_EQ(store_->UserOfToken(raw).status().code(), StatusCode::kUnauthorized);
  EXPECT_EQ(store_->Logout(raw).code(), StatusCode::kUnauthorized);
  const std::string second = (*by_email)["id"];
  EXPECT_EQ(*store_->UserOfToken(second), id);
  EXPECT_TRUE(store_->Logout(second).ok());
  EXPECT_EQ(store_->UserOfToken(second).status().code(), StatusCode::kUnauthorized);
  EXPECT_EQ(store_->Logout(second).code(), StatusCode::kUnauthorized);
  EXPECT_EQ(store_->UserOfToken("").status().code(), StatusCode::kUnauthorized);
  EXPECT_EQ(store_->UserOfToken(std::string(100000, 'a')).status().code(),
            StatusCode::kUnauthorized);
  EXPECT_EQ(store_->Login(UserStore::By::kUsername, "alice", "correct horse", 0).status().code(),
            StatusCode::kBadRequest);
}

TEST_F(UserStoreTest, ValidationAndConflicts) {
  auto code = [&](const std::string& name, const std::string& password,
                  const std::string& email = "") {
    return store_->AddUser(name, password, email).status().code();
  };
  // Refused before any hash is spent.
  EXPECT_EQ(code("", "correct horse"), StatusCode::kValidation);
  EXPECT_EQ(code(std::string(129, 'a'), "correct horse"), StatusCode::kValidation);
  EXPECT_EQ(code("tab\there", "correct horse"), StatusCode::kValidation);
  EXPECT_EQ(code("c1\xC2\x85", "correct horse"), StatusCode::kValidation);
  EXPECT_EQ(code("bad\xFFutf8", "correct horse"), StatusCode::kValidation);
  EXPECT_EQ(code("bob", "1234567"), StatusCode::kValidation);
  EXPECT_EQ(code("bob", std::string(1025, 'p')), StatusCode::kValidation);
  EXPECT_EQ(code("bob", "correct horse", std::string(250, 'e') + "@x.io"), StatusCode::kValidation);
  EXPECT_EQ(code("bob", "correct horse", "no-at-sign"), StatusCode::kValidation);
  auto invalid = store_->AddUser("bob", "1234567");
  EXPECT_EQ(invalid.status().details()["codes"]["password"], Json::array({"length"}));
  EXPECT_EQ(invalid.status().message().find("1234567"), std::string::npos);  // never echoed

  ASSERT_TRUE(store_->AddUser(std::string(128, 'a'), std::string(8, 'p')).ok());
  ASSERT_TRUE(store_->AddUser("Zoë", "correct horse", "zoe@example.com").ok());
  EXPECT_EQ(code("Zoë", "another one"), StatusCode::kConflict);
  EXPECT_EQ(code("zoe2", "another one", "ZOE@example.COM"), StatusCode::kConflict);
  EXPECT_EQ(store_->AddUser("zoe2", "another one", "zoe@example.com").status().details()["field"],
            "email");
  auto listed = store_->ListUsers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0]["username"], "Zoë");  // by username, in byte order
}

// ---------------------------------------------------------------- LoginLimiter

// A whole failed attempt: 0 when it was allowed, else the seconds to wait.
int64_t Fail(LoginLimiter& limiter, const std::string& name, const std::string& address,
             int64_t now_ms) {
  int64_t wait = limiter.Begin(name, address, now_ms);
  if (wait == 0) limiter.Finish(name, address, now_ms, /*succeeded=*/false);
  return wait;
}

TEST(LoginLimiterTest, PerNameThenPerAddressWithinTheWindow) {
  LoginLimiter limiter;  // 5 per name, 20 per address, 15 minutes
  const int64_t t0 = 1000000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Fail(limiter, "username:alice", "10.0.0.1", t0 + i), 0);
  EXPECT_EQ(limiter.Begin("username:alice", "10.0.0.1", t0 + 10), 900);  // seconds, rounded up
  EXPECT_EQ(limiter.Begin("username:alice", "10.0.0.2", t0 + 10), 900);  // from any address
  EXPECT_EQ(Fail(limiter, "username:bob", "10.0.0.1", t0 + 10), 0);      // another name
  EXPECT_EQ(limiter.Begin("username:alice", "10.0.0.1", t0 + 15 * 60000 - 1), 1);
  EXPECT_EQ(Fail(limiter, "username:alice", "10.0.0.1", t0 + 15 * 60000), 0);  // the first left

  // A success forgets the name's failures (not the address's).
  LoginLimiter fresh;
  for (int i = 0; i < 4; ++i) Fail(fresh, "username:carol", "10.0.0.9", t0);
  ASSERT_EQ(fresh.Begin("username:carol", "10.0.0.9", t0 + 1), 0);
  fresh.Finish("username:carol", "10.0.0.9", t0 + 1, /*succeeded=*/true);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Fail(fresh, "username:carol", "10.0.0.9", t0 + 2), 0);

  // Pending attempts count: the sixth of six parallel ones waits (1 s), until one ends.
  LoginLimiter parallel;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(parallel.Begin("username:dave", "10.0.0.5", t0), 0);
  EXPECT_EQ(parallel.Begin("username:dave", "10.0.0.5", t0), 1);
  parallel.Finish("username:dave", "10.0.0.5", t0 + 50, /*succeeded=*/true);
  EXPECT_EQ(parallel.Begin("username:dave", "10.0.0.5", t0 + 50), 0);

  // 20 failures from one address, spread over names, stop that address only.
  LoginLimiter spread;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Fail(spread, "username:u" + std::to_string(i), "2001:db8:1:2::7", t0), 0);
  }
  EXPECT_GT(spread.Begin("username:new", "2001:db8:1:2::7", t0), 0);
  EXPECT_GT(spread.Begin("username:new", "2001:db8:1:2:ffff::1", t0), 0);  // the same /64
  EXPECT_EQ(spread.Begin("username:new", "2001:db8:1:3::7", t0), 0);

  EXPECT_EQ(LoginLimiter::AddressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginLimiter::AddressKey("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(LoginLimiter::AddressKey("192.0.2.1"), "192.0.2.1");
}

TEST(LoginLimiterTest, MemoryIsBounded) {
  LoginLimits limits;
  limits.max_keys = 100;
  LoginLimiter limiter(limits);
  for (int i = 0; i < 5; ++i) Fail(limiter, "username:target", "10.1.0.1", 1);
  EXPECT_GT(limiter.Begin("username:target", "10.1.0.1", 2), 0);
  // A flood of other names evicts the least recently used entries: never over max_keys.
  for (int i = 0; i < 1000; ++i) {
    Fail(limiter, "username:flood" + std::to_string(i),
         "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250), 3);
  }
  EXPECT_EQ(limiter.Begin("username:target", "10.1.0.3", 4), 0);  // forgotten, as documented
}

// ---------------------------------------------------------------- TokenOf

replicore::http::ApiRequest RequestWith(std::string query,
                                        std::vector<std::pair<std::string, std::string>> headers) {
  replicore::http::ApiRequest request;
  request.method = "POST";
  request.path = "/api/Users/logout";
  request.query = std::move(query);
  request.headers = std::move(headers);
  return request;
}

TEST(TokenOfTest, TheFormsLoopBackAccepts) {
  using replicore::http::TokenOf;
  EXPECT_EQ(TokenOf(RequestWith("", {})), "");
  EXPECT_EQ(TokenOf(RequestWith("", {{"authorization", "abc"}})), "abc");
  EXPECT_EQ(TokenOf(RequestWith("", {{"Authorization", "Bearer abc"}})), "abc");
  EXPECT_EQ(TokenOf(RequestWith("", {{"Authorization", "bEARER   abc "}})), "abc");
  EXPECT_EQ(TokenOf(RequestWith("", {{"X-Access-Token", "xyz"}})), "xyz");
  EXPECT_EQ(TokenOf(RequestWith("a=1&access_token=q%2B1", {})), "q+1");
  // Basic "TOKEN:" (curl http://TOKEN@host/) and "user:TOKEN": the longer part.
  EXPECT_EQ(TokenOf(RequestWith("", {{"Authorization", "Basic dG9rZW4xMjM6"}})), "token123");
  EXPECT_EQ(TokenOf(RequestWith("", {{"Authorization", "Basic dTp0b2tlbjEyMw=="}})), "token123");
  // LoopBack's order: the query, then X-Access-Token, then Authorization.
  EXPECT_EQ(TokenOf(RequestWith("access_token=q", {{"X-Access-Token", "x"},
                                                   {"Authorization", "a"}})),
            "q");
  EXPECT_EQ(TokenOf(RequestWith("", {{"Authorization", "a"}, {"x-access-token", "x"}})), "x");
  EXPECT_EQ(TokenOf(RequestWith("access_token[a]=1", {})), "");  // not a string
}

TEST(TokenOfTest, RedactTokensForLogs) {
  using replicore::http::RedactTokens;
  EXPECT_EQ(RedactTokens("/api/Todos"), "/api/Todos");
  EXPECT_EQ(RedactTokens("/api/Todos?access_token=secret&x=1"), "/api/Todos?access_token=***&x=1");
  EXPECT_EQ(RedactTokens("/a?x=1&ACCESS%5Ftoken=secret"), "/a?x=1&ACCESS%5Ftoken=***");
  EXPECT_EQ(RedactTokens("/a?access_token%5B0%5D=secret&"), "/a?access_token%5B0%5D=***&");
}

// ---------------------------------------------------------------- the binary

struct Ran {
  int status = -1;  // exit status, or -1 (killed / did not exit within 20 s)
  std::string out, err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// replicore-server with `args`, `input` on stdin (not a terminal).
Ran RunServerCommand(std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), RC_SERVER_BINARY);
  const std::string dir = MakeTempDir("cmd");
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  int in[2];
  if (pipe(in) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    close(in[1]);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  Ran ran;
  int status = 0;
  for (int i = 0; i < 2000; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (ran.status == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ran.out = ReadFile(out_path);
  ran.err = ReadFile(err_path);
  return ran;
}

// A request with headers, JSON by default.
Reply Send(const ServerProcess& server, const std::string& method, const std::string& target,
           const std::string& body = "", httplib::Headers headers = {},
           const std::string& content_type = "application/json") {
  return server.Call(method, target, body, content_type, std::move(headers));
}

Reply Login(const ServerProcess& server, const Json& credentials) {
  return Send(server, "POST", "/api/Users/login", credentials.dump());
}

std::string CodeOf(const Reply& reply) {
  Json body = reply.json();
  return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

class UsersServer : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = WriteTodoModel();
    db_ = MakeTempDir("users") + "/db.sqlite";
  }
  // `user add NAME` with the password on stdin; the id it printed, or "".
  std::string AddUser(const std::string& name, const std::string& password,
                      const std::string& email = "") {
    std::vector<std::string> args = {"user", "add", name, "--db", db_};
    if (!email.empty()) {
      args.push_back("--email");
      args.push_back(email);
    }
    Ran ran = RunServerCommand(args, password + "\n");
    EXPECT_EQ(ran.status, 0) << ran.err;
    std::string id = ran.out.substr(0, ran.out.find('\n'));
    EXPECT_TRUE(IsGuid(id)) << ran.out;
    return id;
  }
  ::testing::AssertionResult Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--models", models_, "--db", db_, "--users"};
    args.insert(args.end(), extra.begin(), extra.end());
    return server_.Start(args);
  }

  std::string models_, db_;
  ServerProcess server_;
};

TEST_F(UsersServer, UserAddThenLogin) {
  const std::string id = AddUser("alice", "correct horse battery", "alice@example.com");
  Ran short_password = RunServerCommand({"user", "add", "bob", "--db", db_}, "short\n");
  EXPECT_EQ(short_password.status, 2);
  EXPECT_NE(short_password.err.find("too short"), std::string::npos) << short_password.err;
  Ran taken = RunServerCommand({"user", "add", "alice", "--db", db_}, "another password\n");
  EXPECT_EQ(taken.status, 2);
  EXPECT_NE(taken.err.find("taken"), std::string::npos) << taken.err;
  Ran list = RunServerCommand({"user", "list", "--db", db_}, "");
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(list.out.rfind(id + "\talice\talice@example.com\t", 0), 0u) << list.out;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 1);

  ASSERT_TRUE(Start());
  Reply ok = Login(server_, {{"username", "alice"}, {"password", "correct horse battery"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  // LoopBack's AccessToken, in its key order.
  EXPECT_TRUE(MatchesWhole(ok.body,
      R"(\{"id":"[0-9a-f]{64}","ttl":1209600,"created":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","userId":")" +
      id + "\"\\}")) << ok.body;
  Reply by_email = Send(server_, "POST", "/api/Users/login?include=user",
                        "email=ALICE%40example.com&password=correct+horse+battery&ttl=60",
                        {}, "application/x-www-form-urlencoded");
  ASSERT_EQ(by_email.status, 200) << by_email.body;
  EXPECT_EQ(by_email.json()["ttl"], 60);
  EXPECT_EQ(by_email.json()["user"]["username"], "alice");

  Reply wrong = Login(server_, {{"username", "alice"}, {"password", "correct horse"}});
  Reply unknown = Login(server_, {{"username", "nobody"}, {"password", "correct horse battery"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(CodeOf(wrong), "unauthorized");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, wrong.body);  // nothing tells an unknown user from a wrong password
  EXPECT_EQ(Login(server_, {{"email", "nobody@example.com"}, {"password", "x"}}).body, wrong.body);
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, TokenFormsLogoutAndExpiry) {
  AddUser("alice", "correct horse battery");
  ASSERT_TRUE(Start({"--token-ttl", "1"}));
  auto token = [&] {
    Reply r = Login(server_, {{"username", "alice"}, {"password", "correct horse battery"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["ttl"], 1);
    return r.json()["id"].get<std::string>();
  };
  // Each form ends its token (204); the same token again is refused (401).
  const std::vector<std::pair<std::string, httplib::Headers>> forms = {
      {"", {{"Authorization", "@"}}},
      {"", {{"Authorization", "bearer @"}}},
      {"?access_token=@", {}},
      {"", {{"X-Access-Token", "@"}}},
  };
  for (const auto& [query, headers] : forms) {
    const std::string raw = token();
    std::string q = query;
    if (size_t at = q.find('@'); at != std::string::npos) q.replace(at, 1, raw);
    httplib::Headers h;
    for (auto [name, value] : headers) h.emplace(name, value.replace(value.find('@'), 1, raw));
    Reply out = Send(server_, "POST", "/api/Users/logout" + q, "", h);
    EXPECT_EQ(out.status, 204) << query << " " << out.body;
    EXPECT_TRUE(out.body.empty());
    Reply again = Send(server_, "POST", "/api/Users/logout" + q, "", h);
    EXPECT_EQ(again.status, 401) << again.body;
    EXPECT_EQ(CodeOf(again), "unauthorized");
  }
  Reply none = Send(server_, "POST", "/api/Users/logout");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json()["error"]["message"], "accessToken is required to logout");

  // --token-ttl 1: a second later the token is refused.
  const std::string raw = token();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Reply expired = Send(server_, "POST", "/api/Users/logout", "", {{"Authorization", raw}});
  EXPECT_EQ(expired.status, 401) << expired.body;
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, SignUpOnlyWhenAllowed) {
  ASSERT_TRUE(Start());
  Json bob{{"username", "bob"}, {"password", "bob's password"}};
  Reply refused = Send(server_, "POST", "/api/Users", bob.dump());
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(CodeOf(refused), "forbidden");
  EXPECT_TRUE(server_.Stop());

  ASSERT_TRUE(Start({"--allow-signup"}));
  Reply created = Send(server_, "POST", "/api/Users", bob.dump());
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_TRUE(MatchesWhole(created.body,
      R"(\{"id":"[0-9a-f-]{36}","username":"bob","created":"[^"]+"\})")) << created.body;
  Reply duplicate = Send(server_, "POST", "/api/Users", bob.dump());
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(CodeOf(duplicate), "conflict");
  Reply login = Login(server_, bob);
  EXPECT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.json()["userId"], created.json()["id"]);
  // Users are not records: no other route, and the model routes are unchanged.
  EXPECT_EQ(Send(server_, "GET", "/api/Users").status, 404);
  EXPECT_EQ(Send(server_, "GET", "/api/Todos").status, 200);
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, BadInputIsAClear4xx) {
  ASSERT_TRUE(Start({"--allow-signup"}));
  struct Case {
    std::string path, body, content_type;
    int status;
    std::string code;
  };
  const std::string big(2000, 'x');
  const std::vector<Case> cases = {
      {"/login", Json{{"username", std::string(129, 'u')}, {"password", "p"}}.dump(), "application/json", 422, "validation"},
      {"/login", Json{{"email", big + "@x.io"}, {"password", "p"}}.dump(), "application/json", 422, "validation"},
      {"/login", Json{{"username", "a"}, {"password", std::string(1025, 'p')}}.dump(), "application/json", 422, "validation"},
      {"/login", Json{{"username", "a"}, {"password", std::string(1 << 20, 'p')}}.dump(), "application/json", 422, "validation"},
      {"/login", Json{{"password", "p"}}.dump(), "application/json", 400, "bad_request"},
      {"/login", Json{{"username", "a"}}.dump(), "application/json", 400, "bad_request"},
      {"/login", Json{{"username", Json{{"$ne", nullptr}}}, {"password", "p"}}.dump(), "application/json", 400, "bad_request"},
      {"/login", Json{{"username", "a"}, {"password", 12345678}}.dump(), "application/json", 400, "bad_request"},
      {"/login", Json{{"username", "a"}, {"password", "p"}, {"ttl", -5}}.dump(), "application/json", 400, "bad_request"},
      {"/login", "[1,2]", "application/json", 400, "bad_request"},
      {"/login", "{\"username\":", "application/json", 400, "bad_request"},
      {"/login", "username=a", "text/plain", 415, "unsupported_media_type"},
      {"", Json{{"username", "bob"}, {"password", "short"}}.dump(), "application/json", 422, "validation"},
      {"", Json{{"username", ""}, {"password", "long enough"}}.dump(), "application/json", 422, "validation"},
      {"", Json{{"username", "bob"}, {"password", "long enough"}, {"email", big}}.dump(), "application/json", 422, "validation"},
      {"", Json{{"username", "bob"}, {"password", "long enough"}, {"email", "bob"}}.dump(), "application/json", 422, "validation"},
  };
  for (const Case& c : cases) {
    Reply r = Send(server_, "POST", "/api/Users" + c.path, c.body, {}, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.body.substr(0, 80) << ": " << r.body.substr(0, 300);
    EXPECT_EQ(CodeOf(r), c.code) << r.body.substr(0, 300);
    EXPECT_LE(r.body.size(), 2000u);
  }
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, FailedLoginsAreRateLimited) {
  AddUser("alice", "correct horse battery");
  AddUser("carol", "carol's password");
  ASSERT_TRUE(Start());
  Json wrong{{"username", "alice"}, {"password", "not the password"}};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(server_, wrong).status, 401) << i;
  Reply limited = Login(server_, wrong);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(CodeOf(limited), "too_many_requests");
  const std::string retry = limited.header("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GT(std::stoi(retry), 0);
  EXPECT_LE(std::stoi(retry), 900);
  // While limited, the right password is refused as well.
  Reply right = Login(server_, {{"username", "alice"}, {"password", "correct horse battery"}});
  EXPECT_EQ(right.status, 429) << right.body;
  // Another user from the same address is not (20 failures per address).
  EXPECT_EQ(Login(server_, {{"username", "carol"}, {"password", "carol's password"}}).status, 200);
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, ParallelLoginsShareTheLimitAndTheHashSlots) {
  AddUser("alice", "correct horse battery");
  AddUser("dave", "dave's password");
  ASSERT_TRUE(Start());
  // cpp-httplib's client parses the status line with a function-local static regex in the
  // uninstrumented library: one request first, so ThreadSanitizer sees no false race
  // (as http_concurrency_test.cc does).
  ASSERT_EQ(Send(server_, "GET", "/api/Todos/count").status, 200);
  // Ten wrong passwords at once: the limit counts each attempt as it starts, so exactly
  // five are verified (401) and five refused (429), however they interleave.
  std::vector<int> statuses(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = Login(server_, {{"username", "alice"}, {"password", "wrong " + std::to_string(i)}}).status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401), 5);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429), 5);
  // Five right ones at once (another name) wait for the two hash slots and all succeed.
  threads.clear();
  std::vector<std::string> tokens(5);
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      Reply r = Login(server_, {{"username", "dave"}, {"password", "dave's password"}});
      if (r.status == 200) tokens[i] = r.json()["id"];
      EXPECT_EQ(r.status, 200) << r.body;
    });
  }
  for (auto& t : threads) t.join();
  std::sort(tokens.begin(), tokens.end());
  EXPECT_FALSE(tokens[0].empty());
  EXPECT_EQ(std::unique(tokens.begin(), tokens.end()), tokens.end());  // all different
  EXPECT_TRUE(server_.Stop());
}

TEST_F(UsersServer, PasswordsAndTokensAreNeverStoredNorLogged) {
  const std::string alice_password = "Secret-Alice-7f3a9c";
  const std::string bob_password = "Secret-Bob-0d41e2";
  AddUser("alice", alice_password);
  ASSERT_TRUE(Start({"--allow-signup", "--log-level", "debug"}));
  ASSERT_EQ(Send(server_, "POST", "/api/Users",
                 Json{{"username", "bob"}, {"password", bob_password}}.dump()).status, 200);
  std::vector<std::string> tokens;
  for (const auto& [name, password] : {std::pair{"alice", alice_password}, {"bob", bob_password}}) {
    Reply r = Login(server_, {{"username", name}, {"password", password}});
    ASSERT_EQ(r.status, 200) << r.body;
    tokens.push_back(r.json()["id"]);
  }
  EXPECT_EQ(Login(server_, {{"username", "alice"}, {"password", bob_password}}).status, 401);
  // Used in the query (the log shows request targets), then ended.
  EXPECT_EQ(Send(server_, "GET", "/api/Todos?access_token=" + tokens[0]).status, 200);
  EXPECT_EQ(Send(server_, "POST", "/api/Users/logout?access_token=" + tokens[0]).status, 204);
  EXPECT_EQ(Send(server_, "POST", "/api/Users/logout?access_token=" + tokens[0]).status, 401);
  EXPECT_EQ(Send(server_, "POST", "/api/Users/logout", "", {{"Authorization", "Bearer " + tokens[1]}})
                .status,
            204);

  auto files = [&] {
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) bytes += ReadFile(db_ + suffix);
    return bytes;
  };
  const std::string while_running = files();
  EXPECT_TRUE(server_.Stop());
  const std::string after = files();
  const std::string log = server_.Log();
  EXPECT_NE(log.find("access_token=***"), std::string::npos) << log;
  EXPECT_NE(while_running.find("alice"), std::string::npos);  // the file is the right one
  for (const std::string& secret : {alice_password, bob_password, tokens[0], tokens[1]}) {
    EXPECT_EQ(while_running.find(secret), std::string::npos) << secret;
    EXPECT_EQ(after.find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

TEST_F(UsersServer, AModelNamedUserRefusesToStartWithUsers) {
  std::ofstream(models_ + "/user.json")
      << R"({"name":"User","base":"PersistedModel","properties":{"name":"string"}})";
  Ran ran = RunServerCommand({"--models", models_, "--db", ":memory:", "--users", "--port", "0"}, "");
  EXPECT_EQ(ran.status, 2);
  EXPECT_NE(ran.err.find("clashes with the built-in User model"), std::string::npos) << ran.err;
  EXPECT_EQ(ran.out, "");
}

TEST_F(UsersServer, WithoutUsersThereIsNoUsersRoute) {
  ASSERT_TRUE(server_.Start({"--models", models_, "--db", ":memory:"}));
  Reply r = Login(server_, {{"username", "a"}, {"password", "b"}});
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_TRUE(server_.Stop());
}

}  // namespace
