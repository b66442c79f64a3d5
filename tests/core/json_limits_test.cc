#include "replicore/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace replicore {
namespace {

std::string Nested(int depth, const std::string& open, const std::string& close, const std::string& inner) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += open;
  text += inner;
  for (int i = 0; i < depth; ++i) text += close;
  return text;
}

TEST(JsonLimits, AcceptsUpToTheLimitAndRefusesPastIt) {
  auto at_limit = ParseJsonWithin(Nested(kMaxJsonDepth, "[", "]", "1"));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(JsonDepth(*at_limit), kMaxJsonDepth);
  auto past = ParseJsonWithin(Nested(kMaxJsonDepth + 1, "[", "]", "1"));
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(past.status().message(), TooDeepMessage());
  auto objects = ParseJsonWithin(Nested(kMaxJsonDepth + 1, "{\"a\":", "}", "1"));
  EXPECT_FALSE(objects.ok());
}

TEST(JsonLimits, AMillionLevelsAreRefusedWithoutRecursion) {
  auto deep = ParseJsonWithin(Nested(1000000, "[", "]", ""));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), TooDeepMessage());
  auto in_a_field = ParseJsonWithin("{\"title\":\"x\",\"meta\":" + Nested(1000000, "{\"k\":", "}", "0") + "}");
  EXPECT_FALSE(in_a_field.ok());
}

TEST(JsonLimits, BracketsInsideStringsDoNotCount) {
  const std::string brackets(500, '[');
  auto in_string = ParseJsonWithin("{\"title\":\"" + brackets + "\",\"q\":\"a\\\"[[\"}");
  ASSERT_TRUE(in_string.ok()) << in_string.status().ToString();
  EXPECT_EQ((*in_string)["title"], brackets);
  EXPECT_EQ(JsonDepth(*in_string), 1);
}

TEST(JsonLimits, SyntaxErrorsKeepTheirMessage) {
  auto bad = ParseJsonWithin("{\"a\":");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos) << bad.status().message();
  EXPECT_EQ(JsonDepth(Json(3)), 0);
  EXPECT_EQ(JsonDepth(Json::parse(R"({"a":[{"b":{}}]})")), 4);
}

}  // namespace
}  // namespace replicore
