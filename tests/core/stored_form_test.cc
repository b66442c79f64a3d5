// A record that is already in the form the model stores is stored as the text it came in
// (stored_form.h). The check must never accept a text that normalizing its tree would change
// or refuse: a differential test holds it to that, and bulk-update over text is compared with
// bulk-update over a tree.
#include "../../core/src/stored_form.h"  // private to the core

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/json_canonical.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"

namespace replicore {
namespace {

ModelDefinition Model() {
  Json definition = testing::TodoModel();
  definition["properties"]["title"] = {{"type", "string"}, {"required", true}};
  definition["properties"]["rank"] = {{"type", "number"}, {"max", 10}};
  definition["properties"]["any"] = {{"type", "any"}};
  definition["properties"]["tags"] = {{"type", "array"}};
  definition["properties"]["code"] = {{"type", "string"}, {"pattern", "^[a-z]+$"}};
  auto model = ModelDefinition::Parse(definition);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return std::move(model).value();
}

TEST(StoredFormTest, AcceptsWhatTheModelStoresAsItIs) {
  const ModelDefinition model = Model();
  EXPECT_TRUE(IsStoredForm(model, R"({"completed":false,"created":1700000000000,"id":"a","title":"x"})"));
  EXPECT_TRUE(IsStoredForm(model, "{\"id\":\"a\",\"title\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"));
  EXPECT_TRUE(IsStoredForm(model, R"({"any":-7,"dueAt":null,"id":"a","meta":null,"title":"x"})"));
  EXPECT_TRUE(IsStoredForm(model, R"({"any":"s","completed":true,"title":"t"})"));
  EXPECT_TRUE(IsStoredForm(model, R"({"meta":{"a":[1,{"b":null}],"z":"y"},"tags":[],"title":"x"})"));
  EXPECT_TRUE(IsStoredForm(model, R"({"any":{"x":[true,false]},"title":"x"})"));
}

TEST(StoredFormTest, RefusesWhatItCannotTellCheaply) {
  const ModelDefinition model = Model();
  for (std::string text : {
           R"({"title":"x","id":"a"})",                 // keys out of order
           R"({"id":"a", "title":"x"})",                // whitespace
           R"({"id":"a","id":"a","title":"x"})",        // a key twice
           R"({"id":"a","other":1,"title":"x"})",       // not declared (strict model)
           R"({"id":"a","title":"a\"b"})",              // an escape
           R"({"id":"a","title":"a\u0041"})",           // an escape canonical-json would not write
           R"({"created":1.5,"title":"x"})",            // a fraction
           R"({"created":-0,"title":"x"})",             // negative zero
           R"({"created":01,"title":"x"})",             // a leading zero
           R"({"created":1234567890123456,"title":"x"})",  // 16 digits
           R"({"created":1e3,"title":"x"})",            // an exponent
           R"({"dueAt":"2024-01-01T00:00:00.000Z","title":"x"})",  // a date: coerced
           R"({"meta":{"b":1,"a":2},"title":"x"})",     // nested keys out of order
           R"({"meta":{"a":1.5},"title":"x"})",         // a nested fraction
           R"({"meta":{"a":"
"},"title":"x"})",        // a nested escape
           "{\"meta\":{\"\xc3\xa9\":1},\"title\":\"x\"}",  // a non-ASCII nested key
           R"({"meta":[],"title":"x"})",                // an array for an object
           R"({"meta":{"a":1}x,"title":"x"})",
           R"({"meta":{"a":1,},"title":"x"})",
           R"({"id":"a"})",                             // required title missing
           R"({"id":"a","title":""})",                  // required title blank
           R"({"id":"a","title":null})",                // required title null
           R"({"created":"5","title":"x"})",            // a string for a number: coerced
           R"({"completed":1,"title":"x"})",            // a number for a boolean: coerced
           R"({"rank":5,"title":"x"})",                 // a rule (max)
           R"({"code":"abc","title":"x"})",             // a rule (pattern)
           R"({"title":"x"} )",                         // trailing text
           R"({"title":"x"},)",
           R"({"title":"x")",
           R"([])",
           "{\"title\":\"\xe2\x80\xa8\"}",              // U+2028: canonical-json escapes it
           "{\"title\":\"\xef\xbb\xbf\"}",              // U+FEFF
           "{\"title\":\"\x7f\"}",                      // DEL
           "{\"title\":\"\xff\"}",                      // not UTF-8
           "{\"title\":\"\xed\xa0\x80\"}",              // a surrogate
           "{\"title\":\"\xc0\xaf\"}",                  // overlong
           "{\"title\":\"a\tb\"}",                      // a control character
       }) {
    EXPECT_FALSE(IsStoredForm(model, text)) << text;
  }
}

// Random record texts, canonical and not: whatever IsStoredForm accepts must normalize (no
// defaults, as a bulk-update does) to exactly the same text.
TEST(StoredFormTest, WhatItAcceptsNormalizesToTheSameText) {
  const ModelDefinition model = Model();
  const unsigned seed = std::getenv("RC_SEED") ? std::atoi(std::getenv("RC_SEED")) : 22;
  std::mt19937 rng(seed);
  const std::vector<std::string> keys = {"id", "title", "completed", "created", "dueAt", "meta",
                                         "rank", "any", "tags", "code", "zzz", "Title", "a b"};
  const std::vector<std::string> values = {
      "null", "true", "false", "0", "-0", "7", "-12", "01", "1.5", "2e3", "123456789012345",
      "1234567890123456", "9007199254740993", "\"\"", "\"x\"", "\"abc\"", "\"a\\\"b\"",
      "\"\\u00e9\"", "\"\xc3\xa9\"", "\"\xe2\x80\xa8\"", "\"\xf0\x9f\x98\x80\"", "\"\xff\"",
      "\"2024-01-01T00:00:00.000Z\"", "\"5\"", "{}", "[]", "[1]", "{\"a\":1}", "\"\\/\"",
      "{\"b\":1,\"a\":2}", "[\"x\",{\"a\":null}]", "{\"a\":{\"b\":[true,-3]}}", "[1.5]",
      "{\"a\":\"\xe2\x80\xa8\"}", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "{\"A\":1,\"a\":2}"};
  size_t accepted = 0;
  const size_t kCases = 40000;
  for (size_t i = 0; i < kCases; ++i) {
    std::vector<std::string> chosen;
    const size_t count = rng() % 5;
    for (size_t k = 0; k < count; ++k) chosen.push_back(keys[rng() % keys.size()]);
    if (rng() % 2) chosen.push_back("title");
    if (rng() % 3) std::sort(chosen.begin(), chosen.end());
    std::string text = "{";
    for (size_t k = 0; k < chosen.size(); ++k) {
      if (k) text += rng() % 20 ? "," : ", ";
      text += "\"" + chosen[k] + "\":" + values[rng() % values.size()];
    }
    text += "}";
    if (!IsStoredForm(model, text)) continue;
    ++accepted;
    Json tree = Json::parse(text, nullptr, false);
    ASSERT_FALSE(tree.is_discarded()) << text;
    Environment env;
    auto normalized = model.Normalize(tree, env, NormalizeOptions{false, false});
    ASSERT_TRUE(normalized.ok()) << text << ": " << normalized.status().ToString();
    ASSERT_EQ(CanonicalJson(*normalized), text) << "seed " << seed;
  }
  EXPECT_GT(accepted, kCases / 100) << "the check must accept the common case";
}

// Bulk-update over text and over a tree: the same answers and the same stored state.
class BulkUpdateTextTest : public ::testing::Test {
 protected:
  BulkUpdateTextTest() : text_db_(&text_store_, env_.Get()), tree_db_(&tree_store_, env_.Get()) {
    EXPECT_TRUE(text_db_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(tree_db_.AddModel(testing::TodoModel()).ok());
    for (Database* db : {&text_db_, &tree_db_}) {
      EXPECT_TRUE(db->Create("Todo", {{"id", "old"}, {"title", "kept"}}).ok());
    }
  }

  // Applies `updates` to both, expects the same outcome, returns the text side's.
  Result<BulkUpdateResult> Both(const std::string& updates) {
    Result<BulkUpdateResult> text = BulkUpdateText(text_db_, "Todo", updates);
    Json tree = Json::parse(updates, nullptr, false);
    Result<BulkUpdateResult> by_tree = tree.is_discarded()
                                           ? Result<BulkUpdateResult>(Status::BadRequest("x"))
                                           : BulkUpdate(tree_db_, "Todo", tree);
    EXPECT_EQ(text.ok(), by_tree.ok()) << updates;
    if (text.ok() && by_tree.ok()) {
      EXPECT_EQ(text->applied, by_tree->applied) << updates;
      EXPECT_EQ(text->conflicts, by_tree->conflicts) << updates;
    } else if (!tree.is_discarded() && !text.ok() && !by_tree.ok()) {
      EXPECT_EQ(text.status().ToString(), by_tree.status().ToString()) << updates;
    }
    EXPECT_EQ(State(text_db_), State(tree_db_)) << updates;
    return text;
  }

  static std::string State(Database& db) {
    std::string state;
    auto records = db.Find("Todo", Json());
    for (const Record& record : *records) state += record.text() + "\n";
    auto changes = Changes(db, "Todo", -1, Json());
    for (const Change& change : changes->changes) state += change.ToJson().dump() + "\n";
    return state;
  }

  static std::string Update(const std::string& type, const std::string& id,
                            const std::optional<std::string>& rev,
                            const std::optional<std::string>& prev, const std::string& data) {
    Json change{{"modelName", "Todo"}, {"modelId", id}, {"rev", rev ? Json(*rev) : Json()},
                {"prev", prev ? Json(*prev) : Json()}, {"checkpoint", 1}};
    std::string text = "{\"change\":" + change.dump();
    if (!data.empty()) text += ",\"data\":" + data;
    return text + ",\"type\":\"" + type + "\"}";
  }

  std::string RevOf(const std::string& data) {
    auto model = text_db_.GetModel("Todo");
    return (*model)->RevisionOf(Record::FromTree(Json::parse(data)));
  }

  testing::FakeEnvironment env_;
  MemoryStore text_store_;
  MemoryStore tree_store_;
  Database text_db_;
  Database tree_db_;
};

TEST_F(BulkUpdateTextTest, StoresTheSameAsTheTreePath) {
  const std::string plain = R"({"completed":false,"id":"n1","title":"new"})";
  const std::string coerced = R"({"completed":"yes","id":"n2","title":"coerced"})";
  const std::string old_rev = *Changes(text_db_, "Todo", -1, Json())->changes[0].rev;
  const std::string edit = R"({"id":"old","title":"edited"})";
  auto result = Both("[" + Update("create", "n1", RevOf(plain), std::nullopt, plain) + "," +
                     Update("create", "n2", "r-any", std::nullopt, coerced) + "," +
                     Update("update", "old", RevOf(edit), old_rev, edit) + "]");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->applied, 3u);
  EXPECT_EQ(text_store_.Get("Todo", "n1")->value().text(), plain) << "stored as it came";
  // Again: idempotent; then a conflict (prev no longer current).
  (void)Both("[" + Update("create", "n1", RevOf(plain), std::nullopt, plain) + "]");
  auto conflict = Both("[" + Update("update", "old", "r2", old_rev, R"({"id":"old","title":"late"})") + "]");
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(conflict->conflicts.size(), 1u);
}

TEST_F(BulkUpdateTextTest, RefusesAsTheTreePathDoes) {
  (void)Both("[" + Update("create", "x1", "r", std::nullopt, R"({"id":"other","title":"t"})") + "]");
  (void)Both("[" + Update("create", "x2", "r", std::nullopt, R"({"id":"x2"})") + "]");  // required title
  (void)Both("[" + Update("create", "x3", "r", std::nullopt, "") + "]");               // no data
  (void)Both("[" + Update("upsert", "x4", "r", std::nullopt, R"({"id":"x4","title":"t"})") + "]");
  (void)Both(R"([{"type":"create"}])");
  (void)Both(R"([5])");
  (void)Both(R"({"updates":[]})");
  (void)Both("[]");
  // Malformed text: refused, nothing written.
  auto malformed = BulkUpdateText(text_db_, "Todo",
                                  "[" + Update("create", "x5", "r", std::nullopt, R"({"id":"x5","title":[})") + "]");
  EXPECT_FALSE(malformed.ok());
  EXPECT_FALSE(text_store_.Get("Todo", "x5")->has_value());
}

}  // namespace
}  // namespace replicore
