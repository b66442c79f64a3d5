// GET /openapi.json's document (openapi.h) against the Api it describes, without a socket:
// every route of the tables is documented and every documented operation is dispatched to
// a handler; schemas follow the model's properties; security and errors by the settings.
#include "replicore/openapi.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "replicore/http_api.h"
#include "replicore/memory_store.h"
#include "replicore/user_routes.h"
#include "replicore/user_store.h"

namespace replicore::http {
namespace {

using Doc = nlohmann::ordered_json;

// Todo plus a model with every kind of property, hidden and required ones.
Json NoteModel() {
  return Json::parse(R"({
    "name": "Note", "plural": "Notes", "strict": true, "hidden": ["secret"],
    "properties": {
      "id": {"type": "string", "id": true, "defaultFn": "guid"},
      "title": {"type": "string", "required": true, "min": 1, "max": 80},
      "body": {"type": "string", "required": true, "default": "-"},
      "stars": {"type": "number", "min": 0, "max": 5, "default": 3},
      "tags": ["string"],
      "at": "date",
      "done": "boolean",
      "extra": {"type": "any"},
      "secret": {"type": "string", "required": true, "pattern": "^s"}
    }})");
}

class OpenApiTest : public ::testing::Test {
 protected:
  OpenApiTest() : db_(&store_, env_.Get()) {
    EXPECT_TRUE(db_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(db_.AddModel(NoteModel()).ok());
  }

  // An Api over the two models: without users, or with users, Note owned and Todo `shared`.
  std::unique_ptr<Api> MakeApi(bool users, SharedAccess shared = SharedAccess::kOpen) {
    auto api = std::make_unique<Api>(&db_, "/api");
    if (users) {
      if (!users_) users_ = std::move(UserStore::Open(":memory:")).value();
      api->set_users(users_.get(), UserOptions{});
      api->set_ownership({"Note"}, shared);
    }
    return api;
  }

  ApiResponse Call(Api& api, const std::string& method, const std::string& path,
                   const std::string& body = "") {
    ApiRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    if (!body.empty()) request.headers = {{"Content-Type", "application/json"}};
    return api.Handle(request);
  }

  testing::FakeEnvironment env_;
  MemoryStore store_;
  Database db_;
  std::unique_ptr<UserStore> users_;
};

// "GET /api/Todos/{id}" for every operation of the document.
std::vector<std::string> Operations(const Doc& document) {
  std::vector<std::string> operations;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [verb, operation] : item.items()) {
      std::string method = verb;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      operations.push_back(method + " " + path);
    }
  }
  return operations;
}

// RouteList's ":id" written as OpenAPI's "{id}".
std::string AsTemplate(std::string route) {
  size_t at = route.find(":id");
  if (at != std::string::npos) route.replace(at, 3, "{id}");
  return route;
}

TEST_F(OpenApiTest, EveryRouteServedIsDocumentedAndNothingElse) {
  for (bool users : {false, true}) {
    auto api = MakeApi(users);
    std::vector<std::string> documented = Operations(OpenApiDocument(api->Description()));
    std::vector<std::string> served;
    for (const std::string& route : api->RouteList()) served.push_back(AsTemplate(route));
    std::sort(documented.begin(), documented.end());
    std::sort(served.begin(), served.end());
    EXPECT_EQ(documented, served) << "users " << users;
    // Two models of 31 method routes each, the capabilities (GET, HEAD), and the 3 user routes.
    EXPECT_EQ(served.size(), users ? 67u : 64u);
  }
}

TEST_F(OpenApiTest, EveryDocumentedOperationReachesAHandler) {
  auto api = MakeApi(false);
  ASSERT_EQ(Call(*api, "POST", "/api/Todos", R"({"id":"t-1","title":"a"})").status, 200);
  ASSERT_EQ(Call(*api, "POST", "/api/Notes", R"({"id":"t-1","title":"a","secret":"s"})").status,
            200);
  for (const std::string& operation : Operations(OpenApiDocument(api->Description()))) {
    const std::string method = operation.substr(0, operation.find(' '));
    std::string path = operation.substr(operation.find(' ') + 1);
    if (size_t at = path.find("{id}"); at != std::string::npos) path.replace(at, 4, "t-1");
    ApiResponse response = Call(*api, method, path);
    EXPECT_EQ(response.body.find("no method"), std::string::npos)
        << operation << ": " << response.body;
    EXPECT_NE(response.status, 405) << operation;
  }
}

TEST_F(OpenApiTest, ModelSchemasFollowTheProperties) {
  Doc document = OpenApiDocument(MakeApi(false)->Description());
  const Doc& schemas = document["components"]["schemas"];
  const Doc& note = schemas["Note"];
  EXPECT_EQ(note["type"], "object");
  EXPECT_FALSE(note["properties"].contains("secret"));  // hidden: LoopBack never answers it
  EXPECT_EQ(note["required"], Doc::parse(R"(["body","id","title"])"));  // in name order
  // replicore-server still answers hidden properties: the answer's schema must not refuse them.
  EXPECT_FALSE(note.contains("additionalProperties"));
  EXPECT_EQ(schemas["NoteWrite"]["additionalProperties"], false);  // strict
  const Doc& props = note["properties"];
  EXPECT_EQ(props["title"], Doc::parse(R"({"type":"string","minLength":1.0,"maxLength":80.0})"));
  EXPECT_EQ(props["stars"]["type"], "number");
  EXPECT_EQ(props["stars"]["default"], 3);
  EXPECT_EQ(props["stars"]["maximum"], 5.0);
  EXPECT_EQ(props["stars"]["nullable"], true);
  EXPECT_EQ(props["body"]["default"], "-");
  EXPECT_EQ(props["tags"]["type"], "array");
  EXPECT_EQ(props["tags"]["items"], Doc::parse(R"({"type":"string"})"));
  EXPECT_EQ(props["at"]["format"], "date-time");
  EXPECT_EQ(props["done"]["type"], "boolean");
  EXPECT_EQ(props["extra"], Doc::object());  // any
  EXPECT_EQ(props["id"]["description"], "The id; set by the server when absent: a new UUID");

  const Doc& write = schemas["NoteWrite"];  // what a create sends: hidden too, defaults optional
  EXPECT_EQ(write["required"], Doc::parse(R"(["secret","title"])"));
  EXPECT_EQ(write["properties"]["secret"]["writeOnly"], true);
  EXPECT_EQ(write["properties"]["secret"]["pattern"], "^s");
  EXPECT_FALSE(schemas["NotePatch"].contains("required"));

  const Doc& todo = schemas["Todo"];
  EXPECT_EQ(todo["additionalProperties"], false);  // strict "throw", nothing hidden
  EXPECT_EQ(todo["properties"]["completed"]["default"], false);
  EXPECT_EQ(todo["required"], Doc::parse(R"(["id"])"));
  EXPECT_EQ(schemas["TodoUpdate"]["properties"]["data"]["$ref"], "#/components/schemas/Todo");

  // The routes use them: answers as read, bodies as written or patched.
  const Doc& items = document["paths"]["/api/Notes"];
  EXPECT_EQ(items["get"]["responses"]["200"]["content"]["application/json"]["schema"],
            Doc::parse(R"({"type":"array","items":{"$ref":"#/components/schemas/Note"}})"));
  EXPECT_EQ(items["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/NotePatch");
  EXPECT_EQ(document["paths"]["/api/Notes/{id}"]["put"]["requestBody"]["content"]
                    ["application/json"]["schema"]["$ref"],
            "#/components/schemas/NoteWrite");
  EXPECT_EQ(items["get"]["parameters"][0]["$ref"], "#/components/parameters/filter");
  EXPECT_EQ(document["paths"]["/api/Notes/changes"]["get"]["parameters"].size(), 4u);
  EXPECT_TRUE(document["paths"]["/api/Notes/bulk-update"]["post"]["responses"].contains("204"));
}

TEST_F(OpenApiTest, ErrorsHaveLoopBacksBody) {
  Doc document = OpenApiDocument(MakeApi(false)->Description());
  const Doc& error = document["components"]["schemas"]["Error"]["properties"]["error"];
  // The keys of a real error answer are the schema's.
  Json real = Json::parse(ErrorResponse(404, "Error", "Unknown", "MODEL_NOT_FOUND",
                                        Json{{"x", 1}}).body)["error"];
  for (const auto& [key, value] : real.items()) {
    EXPECT_TRUE(error["properties"].contains(key)) << key;
  }
  const Doc& find_by_id = document["paths"]["/api/Todos/{id}"]["get"]["responses"];
  EXPECT_EQ(find_by_id["404"]["$ref"], "#/components/responses/NotFound");
  EXPECT_EQ(find_by_id["400"]["$ref"], "#/components/responses/BadRequest");
  EXPECT_FALSE(find_by_id.contains("413"));  // no body
  const Doc& create = document["paths"]["/api/Todos"]["post"]["responses"];
  for (const char* status : {"200", "400", "409", "413", "415", "422", "500"}) {
    EXPECT_TRUE(create.contains(status)) << status;
  }
  EXPECT_FALSE(create.contains("401"));  // no users
  // HEAD answers carry no body.
  EXPECT_FALSE(document["paths"]["/api/Todos/{id}"]["head"]["responses"]["404"].contains("$ref"));
  const Doc& not_found = document["components"]["responses"]["NotFound"];
  EXPECT_EQ(not_found["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error");
}

TEST_F(OpenApiTest, TokensWhereUsersOwnTheirRecords) {
  Doc without = OpenApiDocument(MakeApi(false)->Description());
  EXPECT_FALSE(without["components"].contains("securitySchemes"));
  EXPECT_FALSE(without["paths"].contains("/api/Users/login"));

  Doc document = OpenApiDocument(MakeApi(true, SharedAccess::kReadOnly)->Description());
  const Doc& schemes = document["components"]["securitySchemes"];
  EXPECT_EQ(schemes["bearer"]["scheme"], "bearer");
  EXPECT_EQ(schemes["accessToken"]["name"], "access_token");
  const Doc& owned = document["paths"]["/api/Notes"]["get"];
  EXPECT_EQ(owned["security"].size(), 3u);
  EXPECT_TRUE(owned["responses"].contains("401"));
  const Doc& shared_read = document["paths"]["/api/Todos"]["get"];
  EXPECT_FALSE(shared_read.contains("security"));
  EXPECT_FALSE(shared_read["responses"].contains("403"));
  EXPECT_TRUE(document["paths"]["/api/Todos"]["post"]["responses"].contains("403"));
  // A reader may take checkpoints (to replicate from a read-only model).
  EXPECT_FALSE(document["paths"]["/api/Todos/checkpoint"]["post"]["responses"].contains("403"));
  EXPECT_TRUE(document["paths"]["/api/Users/logout"]["post"].contains("security"));
  EXPECT_FALSE(document["paths"]["/api/Users/login"]["post"].contains("security"));
  EXPECT_TRUE(document["paths"]["/api/Users/login"]["post"]["responses"].contains("429"));
  EXPECT_EQ(document["paths"]["/api/Users/login"]["post"]["parameters"][0]["$ref"],
            "#/components/parameters/include");
}

TEST_F(OpenApiTest, OperationIdsAreLoopBacksAndUnique) {
  Doc document = OpenApiDocument(MakeApi(true)->Description());
  std::set<std::string> ids;
  size_t operations = 0;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [verb, operation] : item.items()) {
      ids.insert(operation["operationId"].get<std::string>());
      ++operations;
    }
  }
  EXPECT_EQ(ids.size(), operations);
  EXPECT_EQ(document["paths"]["/api/Todos"]["get"]["operationId"], "Todo.find");
  EXPECT_EQ(document["paths"]["/api/Todos"]["put"]["operationId"], "Todo.replaceOrCreate");
  EXPECT_EQ(document["paths"]["/api/Todos/replaceOrCreate"]["post"]["operationId"],
            "Todo.replaceOrCreate__post_api_Todos_replaceOrCreate");
  EXPECT_EQ(document["paths"]["/api/Users/login"]["post"]["operationId"], "User.login");
  EXPECT_EQ(document["openapi"], "3.0.3");
}

}  // namespace
}  // namespace replicore::http
