#include "replicore/record.h"

#include <gtest/gtest.h>

#include "replicore/batch_codec.h"
#include "replicore/json_canonical.h"
#include "../../core/src/json_text.h"  // private to the core

namespace replicore {
namespace {

TEST(RecordTest, TextIsTheCanonicalJsonOfTheTree) {
  Json tree = {{"title", "line\u2028two"}, {"id", "a"}, {"n", 1.5}, {"big", 9007199254740993}};
  Record record = Record::FromTree(tree);
  EXPECT_EQ(record.text(), CanonicalJson(tree));
  EXPECT_EQ(record.text(), R"({"big":9007199254740992,"id":"a","n":1.5,"title":"line\u2028two"})");
  EXPECT_EQ(*record, tree);
}

TEST(RecordTest, TextIsParsedOnlyWhenAValueIsRead) {
  Record record = Record::FromCanonicalText(R"({"id":"a","title":"x"})");
  EXPECT_FALSE(record.has_tree());
  Record copy = record;
  EXPECT_EQ((*copy)["title"], "x");
  EXPECT_TRUE(copy.has_tree());
  EXPECT_FALSE(record.has_tree()) << "a copy's tree stays with the copy";
  EXPECT_FALSE(copy.TextOnly().has_tree());
  EXPECT_EQ(copy.TextOnly(), record);
}

TEST(RecordTest, ArrayTextJoinsTheTexts) {
  EXPECT_EQ(RecordsArrayText({}), "[]");
  EXPECT_EQ(RecordsArrayText({Record::FromTree({{"a", 1}}), Record::FromTree({{"b", "\""}})}),
            R"([{"a":1},{"b":"\""}])");
}

Batch SampleBatch() {
  Batch batch;
  batch.records.push_back({"Todo", "a\"1", Record::FromTree({{"id", "a\"1"}, {"t", "\u00e9\ufeff"}})});
  batch.records.push_back({"Todo", "b", std::nullopt});
  Change change;
  change.model_name = "Todo";
  change.model_id = "a\"1";
  change.id = ChangeId("Todo", "a\"1");
  change.rev = "r1";
  change.checkpoint = 4;
  change.prev_set = true;
  batch.changes.push_back({"Todo", "a\"1", change});
  batch.changes.push_back({"Todo", "b", std::nullopt});
  batch.checkpoint = 5;
  batch.meta.push_back({"since.peer", Json{{"source", 3}}});
  return batch;
}

TEST(BatchCodecTest, RoundTripsWithoutParsingRecords) {
  const std::string text = EncodeBatch(SampleBatch());
  Result<std::vector<Batch>> decoded = DecodeBatches(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 1u);
  const Batch& batch = decoded->front();
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[0].id, "a\"1");
  ASSERT_TRUE(batch.records[0].data.has_value());
  EXPECT_FALSE(batch.records[0].data->has_tree()) << "opening parses no record";
  EXPECT_EQ(batch.records[0].data->text(), SampleBatch().records[0].data->text());
  EXPECT_FALSE(batch.records[1].data.has_value());
  ASSERT_EQ(batch.changes.size(), 2u);
  ASSERT_TRUE(batch.changes[0].change.has_value());
  EXPECT_EQ(batch.changes[0].change->rev, "r1");
  EXPECT_TRUE(batch.changes[0].change->prev_set);
  EXPECT_FALSE(batch.changes[0].change->prev.has_value());
  EXPECT_EQ(batch.changes[0].change->id, ChangeId("Todo", "a\"1"));
  EXPECT_FALSE(batch.changes[1].change.has_value());
  EXPECT_EQ(batch.checkpoint, 5);
  ASSERT_EQ(batch.meta.size(), 1u);
  EXPECT_EQ(batch.meta[0].second, (Json{{"source", 3}}));
  EXPECT_EQ(EncodeBatch(batch), text);
}

TEST(BatchCodecTest, ReadsAJournalEntryOfSeveralBatches) {
  const std::string text = "[" + EncodeBatch(SampleBatch()) + " , " + EncodeBatch(Batch()) + "]";
  Result<std::vector<Batch>> decoded = DecodeBatches(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->size(), 2u);
  EXPECT_TRUE((*decoded)[1].empty());
}

TEST(BatchCodecTest, BatchesOfTheTreeEraAreCanonicalisedOnce) {
  // Written before "c": a dumped tree, keys in byte order, U+2028 raw, 1.0 as a float.
  const std::string old = "{\"r\":[[\"Todo\",\"a\",{\"id\":\"a\",\"n\":1.0,\"t\":\"x\xe2\x80\xa8y\"}]],"
                          "\"x\":[[\"Todo\",\"a\",[\"r\",2]]],\"k\":2}";
  Result<std::vector<Batch>> decoded = DecodeBatches(old);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Record& record = *decoded->front().records[0].data;
  EXPECT_EQ(record.text(), R"({"id":"a","n":1,"t":"x\u2028y"})");
}

TEST(BatchCodecTest, MalformedTextIsAnErrorNeverAPartialBatch) {
  const std::string good = EncodeBatch(SampleBatch());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    Result<std::vector<Batch>> decoded = DecodeBatches(good.substr(0, cut));
    EXPECT_FALSE(decoded.ok()) << "cut at " << cut;
  }
  for (const char* bad : {"", "[", "{}x", R"({"r":[["T","a",5]]})", R"({"r":[["T",1,null]]})",
                          R"({"r":{}})", R"({"x":[["T","a",[1]]]})", R"({"k":"1"})",
                          R"({"m":[["k"]]})", "{\"r\":[[\"T\",\"a\",{\"t\":\"\x01\"}]]}"}) {
    EXPECT_FALSE(DecodeBatches(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace replicore

namespace replicore {
namespace {

TEST(MemberTextTest, FindsTopLevelMembersOnly) {
  const std::string text =
      R"({"a":{"b":1,"created":9},"cr\u00e9ated":[1,"x"],"created":17,"s":"}\"","z":null})";
  EXPECT_EQ(MemberText(text, "created"), std::optional<std::string_view>("17"));
  EXPECT_EQ(MemberText(text, "a"), std::optional<std::string_view>(R"({"b":1,"created":9})"));
  EXPECT_EQ(MemberText(text, "s"), std::optional<std::string_view>(R"("}\"")"));
  EXPECT_EQ(MemberText(text, "z"), std::optional<std::string_view>("null"));
  EXPECT_EQ(MemberText(text, "cr\u00e9ated"), std::optional<std::string_view>(R"([1,"x"])"))
      << "escaped names are compared unescaped";
  EXPECT_FALSE(MemberText(text, "b").has_value()) << "nested members are not top-level";
  EXPECT_FALSE(MemberText("[1,2]", "a").has_value());
  EXPECT_FALSE(MemberText("{}", "a").has_value());
  EXPECT_FALSE(MemberText(R"({"a":)", "a").has_value());
}

}  // namespace
}  // namespace replicore
