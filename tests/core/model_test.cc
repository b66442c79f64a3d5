#include "replicore/model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "replicore/json_canonical.h"

namespace replicore {
namespace {

Json LoadVectors(const std::string& name) {
  std::ifstream in(std::string(RC_VECTORS_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

Environment FixedEnv() {
  Environment env;
  env.now_ms = [] { return 1700000000000.0; };
  env.new_guid = [] { return std::string("guid-1"); };
  return env;
}

ModelDefinition MustParse(const Json& definition) {
  Result<ModelDefinition> model = ModelDefinition::Parse(definition);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? model.value() : ModelDefinition();
}

// The e2e Todo (loopback-example-offline-sync): created defaults to Date.now in JS, which
// model JSON says as defaultFn "now" on a number.
Json E2eDefinition(const std::string& name, bool persist_undefined_as_null) {
  Json vectors = LoadVectors("revisions-e2e.json");
  Json def = vectors["modelDefinition"];
  def.erase("createdDefault");
  def["name"] = name;
  def["strict"] = "throw";
  def["trackChanges"] = true;
  if (persist_undefined_as_null) def["persistUndefinedAsNull"] = true;
  def["properties"]["created"]["defaultFn"] = "now";
  return def;
}

std::string ParseError(const Json& definition) {
  Result<ModelDefinition> model = ModelDefinition::Parse(definition);
  EXPECT_FALSE(model.ok()) << definition.dump();
  if (model.ok()) return "";
  EXPECT_EQ(model.status().code(), StatusCode::kValidation);
  return model.status().message();
}

TEST(ModelParseTest, RevisionVectorModels) {
  Json vectors = LoadVectors("revisions.json");
  ModelDefinition todo = MustParse(vectors["models"]["RevTodo"]);
  EXPECT_EQ(todo.name(), "RevTodo");
  EXPECT_EQ(todo.plural(), "RevTodos");
  EXPECT_EQ(todo.base(), "PersistedModel");
  EXPECT_EQ(todo.strict(), Strictness::kStrict);
  EXPECT_FALSE(todo.persist_undefined_as_null());
  ASSERT_EQ(todo.properties().size(), 6u);
  EXPECT_EQ(todo.id_property().name, "id");
  EXPECT_EQ(todo.id_property().type, PropertyType::kString);
  const PropertyDefinition* completed = todo.FindProperty("completed");
  ASSERT_NE(completed, nullptr);
  EXPECT_EQ(completed->type, PropertyType::kBoolean);
  EXPECT_EQ(completed->default_value, Json(false));
  EXPECT_EQ(todo.FindProperty("dueAt")->type, PropertyType::kDate);
  EXPECT_EQ(todo.FindProperty("meta")->type, PropertyType::kObject);
  EXPECT_EQ(todo.FindProperty("nope"), nullptr);

  ModelDefinition null_todo = MustParse(vectors["models"]["RevTodoNull"]);
  EXPECT_TRUE(null_todo.persist_undefined_as_null());
}

TEST(ModelParseTest, E2eAndServerTodo) {
  ModelDefinition e2e = MustParse(E2eDefinition("TodoE2E", false));
  EXPECT_EQ(e2e.strict(), Strictness::kThrow);
  EXPECT_TRUE(e2e.track_changes());
  EXPECT_EQ(e2e.FindProperty("title")->type, PropertyType::kString);  // shorthand
  EXPECT_EQ(e2e.FindProperty("created")->default_fn, "now");
  EXPECT_EQ(e2e.id_property().default_fn, "guid");

  Json server = LoadVectors("loopback/_model-todo.json")["model"];
  ModelDefinition todo = MustParse(server);
  EXPECT_EQ(todo.name(), "Todo");
  EXPECT_EQ(todo.plural(), "Todos");
  EXPECT_EQ(todo.strict(), Strictness::kThrow);
  EXPECT_TRUE(todo.track_changes());
  // The misspelt key is ignored, as LoopBack ignores it.
  EXPECT_FALSE(todo.persist_undefined_as_null());

  PropertyTypeLookup types = todo.TypeLookup();
  EXPECT_EQ(types("completed"), std::optional<std::string>("boolean"));
  EXPECT_EQ(types("dueAt"), std::optional<std::string>("date"));
  EXPECT_EQ(types("bogus"), std::nullopt);
}

TEST(ModelParseTest, ShorthandsAndCaseInsensitiveTypes) {
  ModelDefinition m = MustParse(Json::parse(R"({
    "name": "Thing", "plural": "Thingies", "hidden": ["secret"],
    "properties": {"tags": ["string"], "x": [], "when": {"type": "Date"},
                   "n": "Number", "s": {"type": "String", "required": true},
                   "list": {"type": ["number"]}, "secret": "string"}})"));
  EXPECT_EQ(m.plural(), "Thingies");
  EXPECT_EQ(m.FindProperty("tags")->type, PropertyType::kArray);
  EXPECT_EQ(m.FindProperty("tags")->item_type, PropertyType::kString);
  EXPECT_EQ(m.FindProperty("x")->type, PropertyType::kArray);
  EXPECT_FALSE(m.FindProperty("x")->item_type.has_value());
  EXPECT_EQ(m.FindProperty("when")->type, PropertyType::kDate);
  EXPECT_EQ(m.FindProperty("n")->type, PropertyType::kNumber);
  EXPECT_TRUE(m.FindProperty("s")->required);
  EXPECT_EQ(m.FindProperty("list")->item_type, PropertyType::kNumber);
  // No id declared: an implied guid id of type any.
  EXPECT_EQ(m.id_property().name, "id");
  EXPECT_EQ(m.id_property().type, PropertyType::kAny);
  EXPECT_EQ(m.id_property().default_fn, "guid");
  EXPECT_EQ(m.hidden(), std::vector<std::string>{"secret"});
}

TEST(ModelParseTest, MalformedDefinitionsNameThePath) {
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"properties": {}})")), "name: required"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": 5})")), "name:"));
  EXPECT_EQ(ParseError(Json::parse(R"({"name": "T", "properties": {"title": {"type": "strng"}}})")),
            "properties.title.type: unknown type \"strng\"");
  EXPECT_EQ(ParseError(Json::parse(R"({"name": "T", "properties": {"title": "strng"}})")),
            "properties.title: unknown type \"strng\"");
  EXPECT_EQ(ParseError(Json::parse(R"({"name": "T", "properties": {"tags": ["string", "number"]}})")),
            "properties.tags: array shorthand takes at most one item type");
  EXPECT_EQ(ParseError(Json::parse(
                R"({"name": "T", "properties": {"x": {"type": "string", "defaultFn": "foo"}}})")),
            "properties.x.defaultFn: unknown \"foo\"");
  EXPECT_TRUE(has(ParseError(Json::parse(
                      R"({"name": "T", "properties": {"x": {"type": "string", "defaultFn": "now"}}})")),
                  "properties.x.defaultFn:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "properties": {
                      "a": {"type": "string", "id": true}, "b": {"type": "string", "id": true}}})")),
                  "properties.b.id:"));
  EXPECT_TRUE(has(ParseError(Json::parse(
                      R"({"name": "T", "properties": {"n": {"type": "number", "default": "x"}}})")),
                  "properties.n.default:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "strict": "yes"})")), "strict:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "hidden": [1]})")), "hidden.0:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "trackChanges": "yes"})")),
                  "trackChanges:"));
  EXPECT_TRUE(has(ParseError(Json::parse(
                      R"({"name": "T", "properties": {"p": {"type": "string", "pattern": "("}}})")),
                  "properties.p.pattern:"));
  EXPECT_TRUE(has(ParseError(Json::parse(
                      R"({"name": "T", "properties": {"p": {"type": "string", "min": "1"}}})")),
                  "properties.p.min:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "properties": {"p": {"required": true}}})")),
                  "properties.p.type: required"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "properties": {"p": 5}})")),
                  "properties.p:"));
  EXPECT_TRUE(has(ParseError(Json::parse(R"({"name": "T", "properties": []})")), "properties:"));
  EXPECT_TRUE(has(ParseError(Json::parse("[]")), "model definition"));
}

TEST(ModelParseTest, NeverCrashesOnArbitraryJson) {
  const Json junk[] = {nullptr, 1, -2.5, true, "s", Json::array(), Json::object(),
                       Json::array({1, nullptr}), Json{{"a", nullptr}}};
  const char* keys[] = {"name", "plural", "base", "strict", "hidden", "trackChanges",
                        "persistUndefinedAsNull", "properties"};
  const char* prop_keys[] = {"type", "required", "default", "id", "defaultFn",
                             "min", "max", "length", "pattern"};
  for (const Json& j : junk) {
    (void)ModelDefinition::Parse(j);
    for (const char* k : keys) {
      Json def = {{"name", "T"}};
      def[k] = j;
      (void)ModelDefinition::Parse(def);
      Json with_prop = {{"name", "T"}, {"properties", {{"p", j}}}};
      (void)ModelDefinition::Parse(with_prop);
    }
    for (const char* k : prop_keys) {
      Json def = {{"name", "T"}, {"properties", {{"p", {{"type", "string"}}}}}};
      def["properties"]["p"][k] = j;
      Result<ModelDefinition> m = ModelDefinition::Parse(def);
      if (m.ok()) {
        for (const Json& data : junk) (void)m->Normalize(data, FixedEnv());
        (void)m->Normalize(Json{{"p", j}, {"q", j}}, FixedEnv());
      }
    }
  }
}

// Every "model" vector: Normalize, then View, then canonical JSON.
TEST(ModelNormalizeTest, RevisionModelVectors) {
  Json vectors = LoadVectors("revisions.json");
  int count = 0;
  for (const Json& c : vectors["cases"]) {
    if (c.value("kind", "") != "model") continue;
    ++count;
    SCOPED_TRACE(c["name"].get<std::string>());
    ModelDefinition model = MustParse(vectors["models"][c["modelName"].get<std::string>()]);
    Json instance = c["instance"];
    Result<Json> stored = model.Normalize(instance, FixedEnv());
    if (instance.contains("bogus")) {
      // juggler's toJSON drops the unknown property, but save() fails validation; we refuse.
      ASSERT_FALSE(stored.ok());
      EXPECT_EQ(stored.status().details()["codes"], Json::parse(R"({"bogus":["unknown-property"]})"));
      EXPECT_NE(stored.status().message().find("`bogus`"), std::string::npos);
      instance.erase("bogus");
      stored = model.Normalize(instance, FixedEnv());
    }
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(CanonicalJson(model.View(*stored)), c["canonical"].get<std::string>());
    Result<std::string> id = model.IdOf(*stored);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(*id, c["modelId"].get<std::string>());
  }
  EXPECT_EQ(count, 7);
}

// E2e create steps: what the server stored, given the inputs (defaults injected).
TEST(ModelNormalizeTest, E2eCreateSteps) {
  Json vectors = LoadVectors("revisions-e2e.json");
  for (const Json& variant : vectors["variants"]) {
    const bool nulls = variant["settings"].value("persistUndefinedAsNull", false);
    ModelDefinition model = MustParse(E2eDefinition(variant["model"], nulls));
    for (const Json& step : variant["steps"]) {
      const std::string name = step["name"];
      if (name.rfind("create", 0) != 0 && name != "string-for-number") continue;
      if (!step["storedInstance"].is_object()) continue;
      SCOPED_TRACE(variant["model"].get<std::string>() + " " + name);
      Json input = step["input"];
      const Json& expected = step["storedInstance"];
      if (input.value("created", Json()).is_string() &&
          input["created"].get<std::string>() == "(undefined)") {
        // JS undefined: the default applies, unless persistUndefinedAsNull turns it to null
        // first (juggler's setter does that before defaults are considered).
        if (nulls) {
          input["created"] = nullptr;
        } else {
          input.erase("created");
        }
      }
      if (input.contains("dueAt") && input["dueAt"].is_string() &&
          input["dueAt"].get<std::string>().rfind("(new Date", 0) == 0) {
        input["dueAt"] = expected["dueAt"];  // a JS Date crosses as its ISO string
      }
      Environment env;
      env.now_ms = [&] { return expected["created"].get<double>(); };
      env.new_guid = [&] { return expected["id"].get<std::string>(); };
      Result<Json> stored = model.Normalize(input, env);
      ASSERT_TRUE(stored.ok()) << stored.status().ToString();
      EXPECT_EQ(*stored, expected);
      EXPECT_EQ(CanonicalJson(model.View(*stored)), step["canonical"].get<std::string>());
    }
  }
}

TEST(ModelNormalizeTest, E2eErrorSteps) {
  Json vectors = LoadVectors("revisions-e2e.json");
  int checked = 0;
  for (const Json& variant : vectors["variants"]) {
    const bool nulls = variant["settings"].value("persistUndefinedAsNull", false);
    ModelDefinition model = MustParse(E2eDefinition(variant["model"], nulls));
    for (const Json& step : variant["steps"]) {
      if (!step.contains("error")) continue;
      ++checked;
      Result<Json> stored = model.Normalize(step["input"], FixedEnv());
      ASSERT_FALSE(stored.ok());
      EXPECT_EQ(stored.status().code(), StatusCode::kValidation);
      EXPECT_EQ(stored.status().message(), step["error"]["message"].get<std::string>());
      EXPECT_EQ(stored.status().details(), step["error"]["details"]);
    }
  }
  EXPECT_EQ(checked, 4);
}

TEST(ModelNormalizeTest, HttpCapturedErrorsAndCoercions) {
  Json definition = LoadVectors("loopback/_model-todo.json")["model"];
  definition["properties"]["created"]["defaultFn"] = "now";  // Date.now, set in JS there
  ModelDefinition todo = MustParse(definition);
  for (const char* name : {"076-err-strict-unknown-property", "077-err-invalid-date"}) {
    Json exchange = LoadVectors(std::string("loopback/") + name + ".json");
    Result<Json> stored = todo.Normalize(exchange["request"]["body"], FixedEnv());
    ASSERT_FALSE(stored.ok());
    const Json& error = exchange["response"]["body"]["error"];
    EXPECT_EQ(stored.status().message(), error["message"].get<std::string>());
    EXPECT_EQ(stored.status().details(), error["details"]);
  }
  for (const char* name : {"079-wrong-type-boolean", "080-wrong-type-number",
                           "081-wrong-type-title-number", "082-wrong-type-meta-string"}) {
    SCOPED_TRACE(name);
    Json exchange = LoadVectors(std::string("loopback/") + name + ".json");
    const Json& response = exchange["response"]["body"];
    Environment env = FixedEnv();
    env.now_ms = [&] { return response["created"].get<double>(); };
    Result<Json> stored = todo.Normalize(exchange["request"]["body"], env);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(*stored, response);
  }
}

ModelDefinition CoercionModel() {
  return MustParse(Json::parse(R"({"name": "C", "properties": {
    "id": {"type": "string", "id": true},
    "s": "string", "n": "number", "b": "boolean", "d": "date", "o": "object", "a": "any",
    "tags": ["string"], "nums": ["number"], "x": []}})"));
}

Json Coerce(const ModelDefinition& m, const char* key, const Json& value) {
  Result<Json> out = m.Normalize(Json{{"id", "c"}, {key, value}}, FixedEnv());
  EXPECT_TRUE(out.ok()) << key << " " << value.dump() << " " << out.status().ToString();
  return out.ok() ? (*out)[key] : Json("<error>");
}

TEST(ModelNormalizeTest, Coercions) {
  ModelDefinition m = CoercionModel();
  EXPECT_EQ(Coerce(m, "s", 123), "123");
  EXPECT_EQ(Coerce(m, "s", 0.1), "0.1");
  EXPECT_EQ(Coerce(m, "s", 1e21), "1e+21");
  EXPECT_EQ(Coerce(m, "s", true), "true");
  EXPECT_EQ(Coerce(m, "s", nullptr), nullptr);
  EXPECT_EQ(Coerce(m, "n", "42"), 42);
  EXPECT_EQ(Coerce(m, "n", " 4.5e1 "), 45);
  EXPECT_EQ(Coerce(m, "n", "0x10"), 16);
  EXPECT_EQ(Coerce(m, "n", ""), 0);
  EXPECT_EQ(Coerce(m, "n", "abc"), nullptr);
  EXPECT_EQ(Coerce(m, "n", "Infinity"), nullptr);
  EXPECT_EQ(Coerce(m, "n", "1.5"), 1.5);
  EXPECT_EQ(Coerce(m, "n", true), 1);
  EXPECT_EQ(Coerce(m, "n", false), 0);
  EXPECT_EQ(Coerce(m, "n", 0.30000000000000004), 0.30000000000000004);
  EXPECT_EQ(Coerce(m, "b", "true"), true);
  EXPECT_EQ(Coerce(m, "b", "1"), true);
  EXPECT_EQ(Coerce(m, "b", "false"), false);
  EXPECT_EQ(Coerce(m, "b", "0"), false);
  EXPECT_EQ(Coerce(m, "b", "yes"), true);
  EXPECT_EQ(Coerce(m, "b", ""), false);
  EXPECT_EQ(Coerce(m, "b", 0), false);
  EXPECT_EQ(Coerce(m, "b", 2), true);
  EXPECT_EQ(Coerce(m, "b", nullptr), nullptr);
  EXPECT_EQ(Coerce(m, "d", "2024-06-30"), "2024-06-30T00:00:00.000Z");
  EXPECT_EQ(Coerce(m, "d", 1700000000000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(Coerce(m, "d", -1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(Coerce(m, "d", nullptr), nullptr);
  EXPECT_EQ(Coerce(m, "o", "str"), "str");
  EXPECT_EQ(Coerce(m, "o", Json{{"z", 1}}), Json({{"z", 1}}));
  EXPECT_EQ(Coerce(m, "a", Json::array({1, "x"})), Json::array({1, "x"}));
  EXPECT_EQ(Coerce(m, "tags", Json::array({"a", 1, true})), Json::array({"a", "1", "true"}));
  EXPECT_EQ(Coerce(m, "nums", Json::array({"1", 2})), Json::array({1, 2}));
  EXPECT_EQ(Coerce(m, "nums", "[1,\"2\"]"), Json::array({1, 2}));
  EXPECT_EQ(Coerce(m, "x", Json::array({Json::object(), nullptr})),
            Json::array({Json::object(), nullptr}));
  EXPECT_EQ(CanonicalJson(Coerce(m, "n", "1e21")), "1e+21");
}

TEST(ModelNormalizeTest, WrongShapesAreRejected) {
  ModelDefinition m = CoercionModel();
  Result<Json> out = m.Normalize(
      Json::parse(R"({"id": "c", "s": {"a": 1}, "n": [1], "b": {}, "d": "2024-13-01",
                      "tags": "nope", "nums": ["x", "1"], "d2": 1})"),
      FixedEnv());
  ASSERT_FALSE(out.ok());
  const Json& codes = out.status().details()["codes"];
  EXPECT_EQ(codes["s"], Json::array({"type"}));
  EXPECT_EQ(codes["n"], Json::array({"type"}));
  EXPECT_EQ(codes["b"], Json::array({"type"}));
  EXPECT_EQ(codes["d"], Json::array({"date"}));
  EXPECT_EQ(codes["tags"], Json::array({"type"}));
  EXPECT_FALSE(codes.contains("nums"));  // "x" -> null is what juggler does for a number
  EXPECT_FALSE(codes.contains("d2"));    // not strict: unknown kept
  EXPECT_EQ(out.status().details()["context"], "C");

  Result<Json> not_object = m.Normalize(Json::array(), FixedEnv());
  EXPECT_EQ(not_object.status().code(), StatusCode::kValidation);
}

TEST(ModelNormalizeTest, DefaultsWithInjectedClockAndGuid) {
  ModelDefinition m = MustParse(Json::parse(R"({"name": "D", "properties": {
    "id": {"type": "string", "id": true, "defaultFn": "uuid"},
    "at": {"type": "date", "defaultFn": "now"},
    "ms": {"type": "number", "defaultFn": "now"},
    "since": {"type": "date", "default": "$now"},
    "day": {"type": "date", "default": "2024-06-30"},
    "n": {"type": "number", "default": 5},
    "tags": {"type": ["string"], "default": ["a"]},
    "plain": "string"}})"));
  Result<Json> out = m.Normalize(Json::object(), FixedEnv());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, Json::parse(R"({"id": "guid-1", "at": "2023-11-14T22:13:20.000Z",
      "ms": 1700000000000, "since": "2023-11-14T22:13:20.000Z",
      "day": "2024-06-30T00:00:00.000Z", "n": 5, "tags": ["a"]})"));

  // Explicit null is a value: no default.
  out = m.Normalize(Json{{"n", nullptr}}, FixedEnv());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["n"], nullptr);

  NormalizeOptions no_defaults;
  no_defaults.apply_defaults = false;
  out = m.Normalize(Json{{"id", "x"}}, FixedEnv(), no_defaults);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, Json({{"id", "x"}}));

  NormalizeOptions fill;
  fill.fill_nulls = true;
  fill.apply_defaults = false;
  out = m.Normalize(Json{{"id", "x"}}, FixedEnv(), fill);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 8u);
  EXPECT_EQ((*out)["plain"], nullptr);
  EXPECT_EQ((*out)["at"], nullptr);

  // The implied id is generated too.
  ModelDefinition implied = MustParse(Json::parse(R"({"name": "I", "properties": {"t": "string"}})"));
  out = implied.Normalize(Json{{"t", "x"}}, FixedEnv());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["id"], "guid-1");
}

TEST(ModelNormalizeTest, ValidationsListEveryProperty) {
  ModelDefinition m = MustParse(Json::parse(R"({"name": "V", "strict": true, "properties": {
    "id": {"type": "string", "id": true},
    "title": {"type": "string", "required": true},
    "code": {"type": "string", "length": 3, "pattern": "^[A-Z]+$"},
    "name": {"type": "string", "min": 2, "max": 4},
    "n": {"type": "number", "min": 1, "max": 10},
    "tags": {"type": ["string"], "max": 1},
    "due": {"type": "date", "required": true}}})"));
  Result<Json> out = m.Normalize(
      Json::parse(R"({"id": "v", "title": "", "code": "ab", "name": "abcdef", "n": 11,
                      "tags": ["a", "b"], "due": "junk", "zz": 1})"),
      FixedEnv());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().details()["codes"], Json::parse(R"({
      "title": ["presence"], "code": ["length.is", "format"], "name": ["length.max"],
      "n": ["max"], "tags": ["length.max"], "due": ["date"], "zz": ["unknown-property"]})"));
  // Declared properties come in name order (nlohmann::json keeps an object's keys sorted, so
  // the definition's order is gone; juggler would use it), then unknown ones.
  EXPECT_EQ(out.status().message(),
            "The `V` instance is not valid. Details: "
            "`code` length is wrong (value: \"ab\"); `code` is invalid (value: \"ab\"); "
            "`due` is not a valid date (value: Invalid Date); "
            "`n` is greater than 10 (value: 11); "
            "`name` too long (value: \"abcdef\"); "
            "`tags` too long (value: [ 'a', 'b' ]); "
            "`title` can't be blank (value: \"\"); "
            "`zz` is not defined in the model (value: undefined).");

  out = m.Normalize(Json::parse(R"({"id": "v", "name": "a", "n": 0})"), FixedEnv());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().details()["codes"], Json::parse(R"({
      "title": ["presence"], "name": ["length.min"], "n": ["min"], "due": ["presence"]})"));
  EXPECT_NE(out.status().message().find("`title` can't be blank (value: undefined)"),
            std::string::npos);

  out = m.Normalize(Json::parse(R"({"id": "v", "title": "t", "code": "ABC", "due": 0})"),
                    FixedEnv());
  EXPECT_TRUE(out.ok()) << out.status().ToString();
}

TEST(ModelNormalizeTest, LongValuesAreTruncatedLikeJuggler) {
  ModelDefinition m = MustParse(Json::parse(
      R"({"name": "L", "properties": {"s": {"type": "string", "max": 3}}})"));
  Result<Json> out = m.Normalize(Json{{"s", "abcdefghijklmnopqrstuvwxyz0123456789"}}, FixedEnv());
  ASSERT_FALSE(out.ok());
  // 25 characters, "...", the last 3.
  EXPECT_EQ(out.status().message(),
            "The `L` instance is not valid. Details: `s` too long "
            "(value: \"abcdefghijklmnopqrstuvwxy...789\").");
}

TEST(ModelNormalizeTest, MalformedStringsAreRejectedNamingTheProperty) {
  ModelDefinition m = CoercionModel();
  const std::string lone = "a\xED\xA0\xBD" "b";  // a lone high surrogate as WTF-8
  for (const char* key : {"s", "o", "tags", "free"}) {
    Json value = lone;
    if (std::string(key) == "o") value = Json{{"deep", Json::array({lone})}};
    if (std::string(key) == "tags") value = Json::array({"ok", lone});
    Result<Json> out = m.Normalize(Json{{"id", "c"}, {key, value}}, FixedEnv());
    ASSERT_FALSE(out.ok()) << key;
    EXPECT_EQ(out.status().details()["codes"][key], Json::array({"invalid-string"})) << key;
    // The message itself stays well-formed.
    EXPECT_FALSE(FindMalformedString(Json(out.status().message()))) << out.status().message();
  }
  Result<Json> bad_key = m.Normalize(Json{{"id", "c"}, {"k\xFF", 1}}, FixedEnv());
  ASSERT_FALSE(bad_key.ok());
  EXPECT_FALSE(FindMalformedString(bad_key.status().details()));
}

TEST(ModelViewTest, HidesHiddenProperties) {
  ModelDefinition m = MustParse(Json::parse(
      R"({"name": "H", "hidden": ["secret"], "properties": {"id": {"type": "string", "id": true},
          "secret": "string"}})"));
  Result<Json> stored = m.Normalize(Json{{"id", "h"}, {"secret", "s"}}, FixedEnv());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["secret"], "s");
  EXPECT_EQ(m.View(*stored), Json({{"id", "h"}}));
}

TEST(ModelIdTest, IdOf) {
  ModelDefinition m = MustParse(Json::parse(
      R"({"name": "K", "properties": {"key": {"type": "number", "id": true}}})"));
  EXPECT_EQ(m.id_property().name, "key");
  EXPECT_EQ(*m.IdOf(Json{{"key", 1}}), "1");
  EXPECT_EQ(*m.IdOf(Json{{"key", 1.5}}), "1.5");
  EXPECT_EQ(*m.IdOf(Json{{"key", "a"}}), "a");
  Result<std::string> missing = m.IdOf(Json{{"id", "a"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kValidation);
  EXPECT_NE(missing.status().message().find("key"), std::string::npos);
  EXPECT_FALSE(m.IdOf(Json{{"key", nullptr}}).ok());
  EXPECT_FALSE(m.IdOf(Json::array()).ok());
}

}  // namespace
}  // namespace replicore

namespace replicore {
namespace {

TEST(ModelIndexesTest, ParsesEveryLoopBackForm) {
  Result<ModelDefinition> model = ModelDefinition::Parse(Json::parse(R"({
    "name": "Todo",
    "properties": {"id": {"type": "string", "id": true},
                   "created": {"type": "number", "index": true},
                   "code": {"type": "string", "index": {"unique": true}},
                   "title": {"type": "string", "index": false}},
    "indexes": {"by_title": {"title": 1},
                "open_newest": {"keys": {"completed": 1, "created": -1},
                                "options": {"unique": false}},
                "cols": {"columns": "title, created DESC", "kind": "unique"}}})"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<IndexDefinition>& indexes = model->indexes();
  ASSERT_EQ(indexes.size(), 5u);
  // Properties' indexes first, then "indexes", each group by name.
  EXPECT_EQ(indexes[0].name, "code_idx");
  EXPECT_TRUE(indexes[0].unique);
  EXPECT_EQ(indexes[1].name, "created_idx");
  EXPECT_FALSE(indexes[1].unique);
  EXPECT_EQ(indexes[2].name, "by_title");
  EXPECT_EQ(indexes[2].keys[0].property, "title");
  EXPECT_EQ(indexes[3].name, "cols");
  ASSERT_EQ(indexes[3].keys.size(), 2u);
  EXPECT_EQ(indexes[3].keys[1].property, "created");
  EXPECT_TRUE(indexes[3].keys[1].descending);
  EXPECT_TRUE(indexes[3].unique);
  EXPECT_EQ(indexes[4].name, "open_newest");
  ASSERT_EQ(indexes[4].keys.size(), 2u);
  EXPECT_FALSE(indexes[4].keys[0].descending);
  EXPECT_EQ(indexes[4].keys[1].property, "created");
  EXPECT_TRUE(indexes[4].keys[1].descending);
}

TEST(ModelIndexesTest, MalformedDeclarationsNameTheirPath) {
  for (const char* bad : {R"({"name": "T", "indexes": []})",
                          R"({"name": "T", "indexes": {"i": {"a": 2}}})",
                          R"({"name": "T", "indexes": {"i": {}}})",
                          R"({"name": "T", "indexes": {"i": {"columns": "a,,b"}}})",
                          R"({"name": "T", "properties": {"a": {"type": "string", "index": 1}}})"}) {
    Result<ModelDefinition> model = ModelDefinition::Parse(Json::parse(bad));
    ASSERT_FALSE(model.ok()) << bad;
    EXPECT_EQ(model.status().code(), StatusCode::kValidation) << bad;
    EXPECT_NE(model.status().message().find("index"), std::string::npos)
        << model.status().message();
  }
}

}  // namespace
}  // namespace replicore
