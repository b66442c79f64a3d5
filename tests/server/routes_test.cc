// The route table of a model (routes.h) and Api's `before` hook, without a socket: Api over
// a MemoryStore, fed ApiRequests directly.
#include "replicore/routes.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "replicore/memory_store.h"

namespace replicore::http {
namespace {

const std::vector<std::pair<unsigned, std::string>> kMethodNames = {
    {kGet, "GET"}, {kHead, "HEAD"},   {kPost, "POST"},
    {kPut, "PUT"}, {kPatch, "PATCH"}, {kDelete, "DELETE"}};

// The pattern's segments with :id filled in.
std::vector<std::string> PathOf(const std::string& pattern, const std::string& id) {
  std::vector<std::string> segments = SplitPath(pattern);
  for (std::string& segment : segments) {
    if (segment == ":id") segment = id;
  }
  return segments;
}

// "GET /count -> count" (the pattern matched, its :id) for one-line expectations.
std::string Matched(const std::string& method, const std::string& path) {
  RouteMatch match = MatchRoute(ModelRoutes(), method, SplitPath(path));
  if (match.route == nullptr) return "none";
  std::string shown = match.route->pattern;
  return (shown.empty() ? "/" : shown) + (match.id.empty() ? "" : " id=" + match.id);
}

TEST(Routes, EveryRouteIsReachableByEachOfItsMethods) {
  size_t reached = 0;
  for (const Route& route : ModelRoutes()) {
    for (const auto& [bit, name] : kMethodNames) {
      if ((route.methods & bit) == 0) continue;
      RouteMatch match = MatchRoute(ModelRoutes(), name, PathOf(route.pattern, "r-1"));
      EXPECT_EQ(match.route, &route) << name << " " << route.pattern;
      EXPECT_EQ(match.id, std::string(route.pattern).find(":id") == 0 ? "r-1" : "");
      ++reached;
    }
    EXPECT_NE(route.handler, nullptr) << route.pattern;
    EXPECT_STRNE(route.summary, "") << route.pattern;
  }
  EXPECT_EQ(reached, 31u);  // 24 routes, 7 of them GET and HEAD
}

TEST(Routes, LiteralSegmentsBeatIdForTheMethodsTheyServe) {
  EXPECT_EQ(Matched("GET", "count"), "count");
  EXPECT_EQ(Matched("HEAD", "count"), "count");
  EXPECT_EQ(Matched("PUT", "count"), ":id id=count");  // replaces the record "count"
  EXPECT_EQ(Matched("GET", "diff"), ":id id=diff");    // diff is POST only
  EXPECT_EQ(Matched("HEAD", "x"), ":id id=x");         // the HEAD route, before GET's
  EXPECT_EQ(Matched("POST", "checkpoint"), "checkpoint");
  EXPECT_EQ(Matched("GET", "changes/exists"), ":id/exists id=changes");
  EXPECT_EQ(Matched("GET", "count/changes/last"), ":id/changes/last id=count");
  EXPECT_EQ(Matched("POST", "x"), "none");  // no POST /:id
  EXPECT_EQ(Matched("DELETE", ""), "none");
  EXPECT_EQ(Matched("POST", "x/changes/last"), "none");
  EXPECT_EQ(Matched("GET", "a/b/c/d"), "none");
  EXPECT_EQ(Matched("OPTIONS", "x"), "none");
  EXPECT_EQ(Matched("get", "count"), "none");  // methods are matched exactly
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : db_(&store_, env_.Get()) {
    EXPECT_TRUE(db_.AddModel(testing::TodoModel()).ok());
    api_ = std::make_unique<Api>(&db_, "/api");
  }

  ApiResponse Call(const std::string& method, const std::string& path,
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   const std::string& body = "") {
    ApiRequest request;
    request.method = method;
    size_t question = path.find('?');
    request.path = path.substr(0, question);
    if (question != std::string::npos) request.query = path.substr(question + 1);
    request.headers = std::move(headers);
    request.body = body;
    return api_->Handle(request);
  }

  testing::FakeEnvironment env_;
  MemoryStore store_;
  Database db_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, UnknownMethodsAndPathsAnswerAsBefore) {
  auto message = [](const ApiResponse& response) {
    return Json::parse(response.body)["error"]["message"].get<std::string>();
  };
  for (const char* method : {"OPTIONS", "FOO", "POST"}) {
    ApiResponse response = Call(method, "/api/Todos/x");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(message(response),
              "Shared class \"Todo\" has no method handling " + std::string(method) + " /x");
  }
  EXPECT_EQ(message(Call("DELETE", "/api/Todos/")),
            "Shared class \"Todo\" has no method handling DELETE /");
  EXPECT_EQ(message(Call("GET", "/api/Todos/a/b/c/d")),
            "Shared class \"Todo\" has no method handling GET /a/b/c/d");
  // The query is read before the route is looked for, as before the table.
  EXPECT_EQ(Call("DELETE", "/api/Todos?filter=%zz").status, 400);
  EXPECT_EQ(Call("GET", "/api/Todos/count").body, R"({"count":0})");
}

TEST(ApiRequest, HeaderIsFoundWhateverItsCase) {
  ApiRequest request;
  request.headers = {{"content-type", "application/json"}, {"X-Twice", "1"}, {"x-twice", "2"}};
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("X-TWICE"), "1");
  EXPECT_EQ(request.Header("Content"), "");
  EXPECT_EQ(request.Header("Authorization"), "");
}

TEST(StatusResponse, UnauthorizedAndForbiddenAre401And403WithTheirCodes) {
  EXPECT_EQ(
      StatusResponse(Status::Unauthorized("log in")).body,
      R"({"error":{"statusCode":401,"name":"Error","message":"log in","code":"unauthorized"}})");
  ApiResponse forbidden = StatusResponse(Status::Forbidden("not yours"));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(Json::parse(forbidden.body)["error"]["code"], "forbidden");
}

TEST_F(ApiTest, BeforeHookSeesTheHeadersAndMayRefuse) {
  std::vector<std::string> seen;  // "<model> <pattern> <Authorization>" per call of the hook
  api_->set_before([&](const ApiRequest& request, const ModelDefinition& model,
                       const Route& route) -> std::optional<ApiResponse> {
    const std::string authorization = request.Header("Authorization");
    seen.push_back(model.name() + " " + route.pattern + " " + authorization);
    if (authorization.empty()) return StatusResponse(Status::Unauthorized("log in"));
    if (authorization != "Bearer ok") return StatusResponse(Status::Forbidden("not yours"));
    return std::nullopt;
  });
  const std::string todo = R"({"id":"t-1","title":"milk"})";

  ApiResponse refused = Call("POST", "/api/Todos", {{"Content-Type", "application/json"}}, todo);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(Json::parse(refused.body)["error"]["code"], "unauthorized");
  ApiResponse forbidden =
      Call("POST", "/api/Todos",
           {{"content-type", "application/json"}, {"AUTHORIZATION", "Bearer x"}}, todo);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(Json::parse(forbidden.body)["error"]["code"], "forbidden");

  const std::vector<std::pair<std::string, std::string>> ok = {{"authorization", "Bearer ok"}};
  EXPECT_EQ(Call("GET", "/api/Todos/count", ok).body, R"({"count":0})");  // nothing was created
  ApiResponse created =
      Call("POST", "/api/Todos",
           {{"Authorization", "Bearer ok"}, {"Content-Type", "application/json"}}, todo);
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(Call("GET", "/api/Todos/t-1/exists", ok).body, R"({"exists":true})");

  // Only a matched model route reaches the hook.
  EXPECT_EQ(Call("GET", "/api/Todos/a/b/c/d").status, 404);
  EXPECT_EQ(Call("GET", "/api/replicore/capabilities").status, 200);
  EXPECT_EQ(seen, (std::vector<std::string>{"Todo  ", "Todo  Bearer x", "Todo count Bearer ok",
                                            "Todo  Bearer ok", "Todo :id/exists Bearer ok"}));
}

}  // namespace
}  // namespace replicore::http
