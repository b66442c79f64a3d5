// ParseQueryString against what the qs module (Express "extended" query parser, as
// LoopBack 3 uses it) produces.
#include <gtest/gtest.h>

#include <string>

#include "replicore/filter.h"

namespace replicore {
namespace {

Json Qs(const std::string& query) {
  Result<Json> r = ParseQueryString(query);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << query;
  return r.ok() ? *r : Json();
}

TEST(QueryString, PlainKeysAndDecoding) {
  EXPECT_EQ(Qs(""), Json::object());
  EXPECT_EQ(Qs("a=1&b=two"), Json::parse(R"({"a": "1", "b": "two"})"));
  EXPECT_EQ(Qs("a=hello+world%21&b%20c=%E2%82%AC"),
            Json::parse(R"({"a": "hello world!", "b c": "€"})"));
  EXPECT_EQ(Qs("flag&x="), Json::parse(R"({"flag": "", "x": ""})"));
  EXPECT_EQ(Qs("a=1&&b=2&"), Json::parse(R"({"a": "1", "b": "2"})"));
  EXPECT_EQ(Qs("a=b=c"), Json::parse(R"({"a": "b=c"})"));
  EXPECT_EQ(Qs("=x&a=1"), Json::parse(R"({"a": "1"})"));  // empty key dropped
}

TEST(QueryString, RepeatedKeysBecomeArrays) {
  EXPECT_EQ(Qs("a=1&a=2&a=3"), Json::parse(R"({"a": ["1", "2", "3"]})"));
  EXPECT_EQ(Qs("a[b]=1&a[b]=2"), Json::parse(R"({"a": {"b": ["1", "2"]}})"));
}

TEST(QueryString, BracketNesting) {
  EXPECT_EQ(Qs("filter[where][completed]=true&filter[limit]=2"),
            Json::parse(R"({"filter": {"where": {"completed": "true"}, "limit": "2"}})"));
  // Brackets may arrive percent-encoded (the 008 capture does).
  EXPECT_EQ(Qs("filter%5Bwhere%5D%5Bcompleted%5D=true"),
            Json::parse(R"({"filter": {"where": {"completed": "true"}}})"));
  EXPECT_EQ(Qs("filter[where][meta.priority][gt]=1"),
            Json::parse(R"({"filter": {"where": {"meta.priority": {"gt": "1"}}}})"));
  EXPECT_EQ(Qs("a[b=c]=d"), Json::parse(R"({"a": {"b=c": "d"}})"));
}

TEST(QueryString, Arrays) {
  EXPECT_EQ(Qs("a[]=x&a[]=y"), Json::parse(R"({"a": ["x", "y"]})"));
  EXPECT_EQ(Qs("a[0]=x&a[1]=y"), Json::parse(R"({"a": ["x", "y"]})"));
  EXPECT_EQ(Qs("a[1]=y&a[0]=x"), Json::parse(R"({"a": ["x", "y"]})"));  // by index, as qs
  EXPECT_EQ(Qs("a[1]=b&a[3]=c"), Json::parse(R"({"a": ["b", "c"]})"));
  EXPECT_EQ(Qs("f[where][id][inq][0]=t-1&f[where][id][inq][1]=t-2"),
            Json::parse(R"({"f": {"where": {"id": {"inq": ["t-1", "t-2"]}}}})"));
  EXPECT_EQ(Qs("a[0][b]=1&a[0][c]=2"), Json::parse(R"({"a": [{"b": "1", "c": "2"}]})"));
  // Above qs's arrayLimit (20) an index is an object key.
  EXPECT_EQ(Qs("a[21]=x"), Json::parse(R"({"a": {"21": "x"}})"));
  EXPECT_EQ(Qs("a[01]=x"), Json::parse(R"({"a": {"01": "x"}})"));
  // Mixing shapes follows qs's merge.
  EXPECT_EQ(Qs("a[0]=x&a[b]=y"), Json::parse(R"({"a": {"0": "x", "b": "y"}})"));
  EXPECT_EQ(Qs("a=x&a[b]=y"), Json::parse(R"({"a": ["x", {"b": "y"}]})"));
}

TEST(QueryString, JsonFilterStaysAString) {
  Json q = Qs("filter=%7B%22where%22%3A%7B%22completed%22%3Afalse%7D%2C%22limit%22%3A2%7D&where=%7B%7D");
  EXPECT_EQ(q["filter"], R"({"where":{"completed":false},"limit":2})");
  EXPECT_EQ(q["where"], "{}");
  Result<Filter> f = ParseFilter(q["filter"]);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->limit, 2u);
}

TEST(QueryString, DepthIsBounded) {
  // qs depth 5: the sixth and later groups stay one literal key.
  EXPECT_EQ(Qs("a[b][c][d][e][f][g][h]=i"),
            Json::parse(R"({"a": {"b": {"c": {"d": {"e": {"f": {"[g][h]": "i"}}}}}}})"));
  std::string hostile = "a";
  for (int i = 0; i < 100000; ++i) hostile += "[x]";
  Json q = Qs(hostile + "=1");
  EXPECT_TRUE(q["a"]["x"]["x"]["x"]["x"]["x"].is_object());
}

TEST(QueryString, ParameterCountIsBounded) {
  std::string query;
  for (int i = 0; i < 1500; ++i) query += "k" + std::to_string(i) + "=v&";
  Json q = Qs(query);
  EXPECT_EQ(q.size(), 1000u);  // qs parameterLimit: later parameters are ignored
  EXPECT_TRUE(q.contains("k999"));
  EXPECT_FALSE(q.contains("k1000"));
}

TEST(QueryString, MalformedIsBadRequest) {
  for (const char* bad : {"a=%", "a=%2", "a=%zz", "%GG=1", "a=%FF", "a=%C3%28", "a=%ED%A0%80",
                          "a=\xff"}) {
    Result<Json> r = ParseQueryString(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kBadRequest) << bad;
  }
}

}  // namespace
}  // namespace replicore
