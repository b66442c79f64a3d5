// revisions-e2e.json: the same model steps through the core's write operations give the
// same stored instances, canonical JSON and Change rows as LoopBack 3.28 recorded.
#include <gtest/gtest.h>

#include <string_view>

#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/json_canonical.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"

namespace replicore {
namespace {

// The vectors write JS-only inputs as "(new Date(\"...\"))" and "(undefined)". The JS layer
// converts them before they reach the core: a Date to its ISO string, and an explicit
// undefined to nothing, or to null in a persistUndefinedAsNull model (LoopBack stores null
// there, and a default does not apply).
Json JsInputToJson(const Json& input, bool undefined_as_null) {
  if (!input.is_object()) return input;
  Json out = Json::object();
  for (auto it = input.begin(); it != input.end(); ++it) {
    if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      if (s == "(undefined)") {
        if (undefined_as_null) out[it.key()] = nullptr;
        continue;
      }
      // (new Date("<text>")) becomes <text>.
      constexpr std::string_view kDateStart = "(new Date(\"", kDateEnd = "\"))";
      if (s.size() >= kDateStart.size() + kDateEnd.size() && s.rfind(kDateStart, 0) == 0 &&
          s.compare(s.size() - kDateEnd.size(), kDateEnd.size(), kDateEnd) == 0) {
        out[it.key()] = s.substr(kDateStart.size(), s.size() - kDateStart.size() - kDateEnd.size());
        continue;
      }
    }
    out[it.key()] = *it;
  }
  return out;
}

class RevisionsE2eTest : public ::testing::Test {
 protected:
  RevisionsE2eTest() : db_(&store_, env_.Get()) {}
  testing::FakeEnvironment env_;
  MemoryStore store_;
  Database db_;
};

TEST_F(RevisionsE2eTest, EveryStepGivesLoopBacksChangeRows) {
  Json vectors = testing::LoadVector("revisions-e2e.json");
  size_t checked_changes = 0;
  ASSERT_EQ(vectors["variants"].size(), 2u);
  for (const Json& variant : vectors["variants"]) {
    // The model JSON of the vectors, with Date.now expressed as defaultFn "now".
    Json definition{{"name", variant["model"]}, {"properties", vectors["modelDefinition"]["properties"]}};
    definition["properties"]["created"] = {{"type", "number"}, {"defaultFn", "now"}};
    for (auto it = variant["settings"].begin(); it != variant["settings"].end(); ++it) {
      definition[it.key()] = *it;
    }
    const std::string model = variant["model"];
    ASSERT_TRUE(db_.AddModel(definition).ok()) << model;

    for (const Json& step : variant["steps"]) {
      const std::string name = step["name"];
      SCOPED_TRACE(model + " step " + std::to_string(step["step"].get<int>()) + " " + name);
      // What varied in the recording (guid ids, Date.now) is injected.
      const Json& stored = step.value("storedInstance", Json());
      if (stored.is_object() && stored.value("created", Json()).is_number()) {
        env_.now = stored["created"].get<double>();
      }
      if (step.contains("modelId") && step["modelId"].is_string()) {
        env_.forced_guid = step["modelId"];
      }
      Json input = JsInputToJson(step.value("input", Json()),
                                 variant["settings"].value("persistUndefinedAsNull", false));
      Status status;
      Json result;
      auto keep = [&](auto r) {
        status = r.status();
        if (r.ok()) result = testing::ToJson(*r);
      };
      if (name.rfind("create", 0) == 0 || name == "recreate-after-delete" ||
          name == "strict-unknown-property" || name == "invalid-date" ||
          name == "string-for-number") {
        keep(db_.Create(model, input));
      } else if (name == "patch-same-checkpoint" || name == "patch-after-checkpoint") {
        keep(db_.PatchAttributes(model, "e2e-1", input));
      } else if (name == "bump-checkpoint" || name == "bump-checkpoint-2") {
        keep(db_.Checkpoint());
      } else if (name == "replaceById") {
        keep(db_.ReplaceById(model, "e2e-2", input));
      } else if (name == "upsert-existing" || name == "upsert-new") {
        keep(db_.PatchOrCreate(model, input));
      } else if (name == "replaceOrCreate-existing") {
        keep(db_.ReplaceOrCreate(model, input));
      } else if (name == "updateAll") {
        auto count = db_.UpdateAll(model, input["where"], input["data"]);
        status = count.status();
        if (count.ok()) result = Json{{"count", *count}};
      } else if (name == "upsertWithWhere") {
        keep(db_.UpsertWithWhere(model, input["where"], input["data"]));
      } else if (name == "save-mutated-object-prop") {
        auto found = db_.FindById(model, "e2e-8");
        ASSERT_TRUE(found.ok() && found->has_value());
        Json instance = ***found;
        instance["meta"]["added"] = {1, 2};
        keep(db_.ReplaceById(model, "e2e-8", instance));
      } else if (name == "destroyById" || name == "destroyById-after-checkpoint") {
        if (name == "destroyById-after-checkpoint") {
          ASSERT_TRUE(db_.Checkpoint().ok());
        }
        auto count = db_.DeleteById(model, step["modelId"]);
        status = count.status();
        if (count.ok()) result = Json{{"count", *count}};
      } else if (name == "deleteAll-where") {
        auto count = db_.DeleteAll(model, input["where"]);
        status = count.status();
        if (count.ok()) result = Json{{"count", *count}};
      } else {
        FAIL() << "step not mapped to an operation: " << name;
      }

      if (step.contains("error")) {
        const Json& error = step["error"];
        ASSERT_EQ(status.code(), StatusCode::kValidation) << status.ToString();
        EXPECT_EQ(status.message(), error["message"].get<std::string>());
        EXPECT_EQ(status.details(), error["details"]);
        continue;
      }
      ASSERT_TRUE(status.ok()) << status.ToString();
      // What the operation answered (varying values are injected, so all compare).
      if (step.value("result", Json()).is_object()) {
        if (name.rfind("bump-checkpoint", 0) == 0) {
          EXPECT_EQ(result["seq"], step["result"]["seq"]);
        } else {
          EXPECT_EQ(result, step["result"]);
        }
      }
      if (stored.is_object()) {
        auto found = db_.FindById(model, step["modelId"]);
        ASSERT_TRUE(found.ok() && found->has_value());
        EXPECT_EQ(**found, stored);
        auto def = db_.GetModel(model);
        EXPECT_EQ(CanonicalJson((*def)->View(***found)), step["canonical"].get<std::string>());
      }
      if (step.value("change", Json()).is_object()) {
        auto row = FindLastChange(db_, model, step["modelId"]);
        ASSERT_TRUE(row.ok());
        EXPECT_EQ(*row, step["change"]);
        ++checked_changes;
      }
      auto current = db_.CurrentCheckpoint();
      ASSERT_TRUE(current.ok());
      EXPECT_EQ(*current, step["currentCheckpoint"].get<int64_t>());
    }
  }
  EXPECT_GE(checked_changes, 40u);
}

}  // namespace
}  // namespace replicore
