// RedisStore's layouts without a Redis: change rows round-trip exactly and equal rows encode
// equal bytes (the Lua script compares them), the checkpoint prefix sorts as the numbers do
// (the change log is read by byte order), and the filter plan serves only key lookups.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../../server/src/redis_codec.h"   // private to the server library
#include "../../server/src/redis_filter.h"  // private to the server library

namespace replicore {
namespace {

Change SomeRow() {
  Change change;
  change.id = "cid";
  change.rev = "r1";
  change.checkpoint = 7;
  change.model_name = "Todo";
  change.model_id = "a";
  return change;
}

TEST(RedisCodecTest, ChangeRowsRoundTrip) {
  std::vector<Change> rows(6, SomeRow());
  rows[1].rev.reset();                       // a deletion
  rows[2].prev_set = true;                   // prev set to null
  rows[3].prev_set = true;
  rows[3].prev = std::string("p\0:9:", 5);   // NUL and the field separator inside
  rows[4].rev = "";                          // empty, not absent
  rows[5].checkpoint = -3;
  rows[5].id = std::string(300, 'x') + "\u00e9";
  for (const Change& row : rows) {
    const std::string text = EncodeRedisChange(row);
    Result<Change> back = DecodeRedisChange(text, row.model_id);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, row);
    EXPECT_EQ(back->rev, row.rev);
    EXPECT_EQ(back->prev, row.prev_set ? row.prev : std::nullopt);
    EXPECT_EQ(text.substr(0, kRedisCheckpointDigits), RedisCheckpointKey(row.checkpoint));
  }
}

// Change's equality ignores prev until it is set, and so do the bytes.
TEST(RedisCodecTest, EqualRowsEncodeEqualBytes) {
  Change stale = SomeRow(), clean = SomeRow();
  stale.prev = "left over";
  EXPECT_EQ(stale, clean);
  EXPECT_EQ(EncodeRedisChange(stale), EncodeRedisChange(clean));
  clean.prev_set = true;
  EXPECT_NE(EncodeRedisChange(stale), EncodeRedisChange(clean));
}

TEST(RedisCodecTest, MalformedRowsAreStorageErrors) {
  const std::string good = EncodeRedisChange(SomeRow());
  for (const std::string& bad : {std::string(), good.substr(0, 16), good.substr(0, good.size() - 1),
                                 good + "x", "g" + good.substr(1), good.substr(0, 16) + "9" +
                                 good.substr(17)}) {
    Result<Change> decoded = DecodeRedisChange(bad, "a");
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kStorage);
  }
}

TEST(RedisCodecTest, CheckpointKeysSortAsNumbers) {
  const std::vector<int64_t> numbers = {INT64_MIN, -1000, -1, 0, 1, 2, 9, 10, 15, 16, 255, 1 << 20,
                                        int64_t{1} << 53, INT64_MAX};
  for (size_t i = 1; i < numbers.size(); ++i) {
    EXPECT_LT(RedisCheckpointKey(numbers[i - 1]), RedisCheckpointKey(numbers[i])) << numbers[i];
    EXPECT_EQ(RedisCheckpointKey(numbers[i]).size(), kRedisCheckpointDigits);
  }
  // (checkpoint, model id) order: the checkpoint first, then the id's bytes.
  EXPECT_LT(RedisLogMember(9, "zzz"), RedisLogMember(10, "a"));
  EXPECT_LT(RedisLogMember(10, "a"), RedisLogMember(10, "ab"));
}

TEST(RedisFilterPlanTest, ServesKeyLookupsOnly) {
  Result<Where> all = ParseWhere(Json::object());
  Result<RedisPlan> plan = PlanRedisWhere(*all);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->all);
  Result<Where> ids = ParseWhere({{"id", {{"inq", {"b", 5, "b", 2.5, true}}}}});
  plan = PlanRedisWhere(*ids);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->all);
  EXPECT_EQ(plan->ids, (std::vector<std::string>{"b", "5", "2.5", "true"}));  // String(id), once
  for (const Json& refused : {Json{{"id", nullptr}}, Json{{"id", {{"inq", {Json::object()}}}}},
                              Json{{"id", {"a", "b"}}}, Json{{"id", {{"neq", "a"}}}},
                              Json{{"title", "a"}}, Json{{"or", {{{"id", "a"}}}}}}) {
    Result<Where> where = ParseWhere(refused);
    ASSERT_TRUE(where.ok()) << refused.dump();
    Result<RedisPlan> refusal = PlanRedisWhere(*where);
    ASSERT_FALSE(refusal.ok()) << refused.dump();
    EXPECT_EQ(refusal.status().code(), StatusCode::kBadFilter);
    EXPECT_EQ(refusal.status().message().rfind(kRedisRefusal, 0), 0u);
  }
  Result<Filter> by_id = ParseFilter({{"order", {"id DESC"}}});
  EXPECT_TRUE(PlanRedisFind(*by_id).ok());
  Result<Filter> by_title = ParseFilter({{"order", "title"}});
  EXPECT_FALSE(PlanRedisFind(*by_title).ok());
}

}  // namespace
}  // namespace replicore
