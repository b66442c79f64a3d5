// Protocol messages as text (payload.h): records cross from one store to the other, and
// onto the wire, as the text they are stored as.
#include "replicore/payload.h"

#include <gtest/gtest.h>

#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/protocol.h"
#include "replicore/replication.h"

namespace replicore {
namespace {

TEST(PayloadTest, TextStaysAsItIsUntilATreeIsRead) {
  Payload payload = Payload::FromText(R"({ "b": [1, 2], "a": "x" })");
  EXPECT_TRUE(payload.has_text());
  EXPECT_EQ(payload.Dump(), R"({ "b": [1, 2], "a": "x" })") << "not re-serialised";
  EXPECT_EQ(payload.tree(), Json::parse(R"({"a":"x","b":[1,2]})"));
  EXPECT_EQ(payload.TakeTree(), Json::parse(R"({"a":"x","b":[1,2]})"));
  EXPECT_FALSE(payload.has_text());
}

TEST(PayloadTest, ATreeIsDumpedOnlyWhenWritten) {
  Payload payload = Json{{"since", 3}};
  EXPECT_FALSE(payload.has_text());
  EXPECT_EQ(payload.tree()["since"], 3);
  EXPECT_EQ(payload.Dump(), R"({"since":3})");
}

TEST(PayloadTest, TextThatIsNotJsonReadsAsDiscarded) {
  EXPECT_TRUE(Payload::FromText("[1,").tree().is_discarded());
  EXPECT_TRUE(Payload::FromText(std::string(5000, '[') + std::string(5000, ']')).tree().is_discarded())
      << "nesting beyond the limit is refused before it is parsed";
}

class CreateUpdatesTextTest : public ::testing::Test {
 protected:
  CreateUpdatesTextTest() : db_(&store_, env_.Get()) {
    EXPECT_TRUE(db_.AddModel(testing::TodoModel()).ok());
  }
  testing::FakeEnvironment env_;
  MemoryStore store_;
  Database db_;
};

TEST_F(CreateUpdatesTextTest, RecordsGoOutAsTheTextTheyAreStoredAs) {
  // U+2028 and U+FEFF are escaped by canonical-json and not by nlohmann's dump: the answer
  // holds the stored bytes, not a re-serialisation.
  ASSERT_TRUE(db_.Create("Todo", {{"id", "a"}, {"title", "line\u2028two\ufeff"}}).ok());
  ASSERT_TRUE(db_.Create("Todo", {{"id", "b"}, {"title", "gone"}}).ok());
  ASSERT_TRUE(db_.DeleteById("Todo", "b").ok());
  auto stored = store_.Get("Todo", "a");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto changes = Changes(db_, "Todo", -1, Json());
  ASSERT_TRUE(changes.ok());
  Json deltas = Json::array();
  for (const Change& change : changes->changes) deltas.push_back(change.ToJson());

  Response response = Answer(db_, "Todo", Request{Op::kCreateUpdates, Json{{"deltas", deltas}}});
  ASSERT_TRUE(response.status.ok()) << response.status.ToString();
  ASSERT_TRUE(response.result.has_text());
  const std::string text(response.result.text());
  EXPECT_NE(text.find("\"data\":" + (*stored)->text()), std::string::npos) << text;
  const Json& updates = response.result.tree();
  ASSERT_TRUE(updates.is_array());
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]["type"], "delete") << "deletes come first";
  EXPECT_EQ(updates[0]["change"]["modelId"], "b");
  EXPECT_FALSE(updates[0].contains("data"));
  EXPECT_EQ(updates[1]["type"], "create");
  EXPECT_EQ(updates[1]["data"], ***stored);
  EXPECT_EQ(updates[1]["change"]["id"], ChangeId("Todo", "a"));
}

TEST_F(CreateUpdatesTextTest, NoDeltasIsAnEmptyArray) {
  Response response = Answer(db_, "Todo", Request{Op::kCreateUpdates, Json{{"deltas", Json::array()}}});
  ASSERT_TRUE(response.status.ok());
  EXPECT_EQ(response.result.Dump(), "[]");
}

}  // namespace
}  // namespace replicore
