// LoopBack 3 filter semantics (memory connector) and the vectors captured from a real
// LoopBack server.
#include "replicore/filter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace replicore {
namespace {

Json Todos() {
  return Json::parse(R"([
    {"id": "t-1", "title": "Buy milk", "completed": false, "created": 1700000000000},
    {"id": "t-2", "title": "Write report", "completed": true, "created": 1700000000001,
     "dueAt": "2024-06-30T12:00:00.000Z"},
    {"id": "t-3", "title": "Book flight", "completed": false, "created": 1700000000002,
     "meta": {"priority": 2, "tags": ["travel"]}},
    {"id": "t-4", "title": "Dentist", "completed": false, "created": 1700000000003,
     "dueAt": "2024-07-01T00:00:00.000Z", "meta": {"priority": 5, "a": {"d": 2, "c": 3}}},
    {"id": "t-5", "title": null, "completed": true, "created": 1700000000004,
     "tags": ["x", "y"], "items": [{"name": "a"}, {"name": "b"}]}
  ])");
}

const PropertyTypeLookup kTodoTypes = [](std::string_view p) -> std::optional<std::string> {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"id", "string"},   {"title", "string"}, {"completed", "boolean"},
      {"created", "number"}, {"dueAt", "date"}, {"meta", "object"}, {"tags", "array"},
  };
  auto it = kTypes.find(p);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
};

// Ids of the records of `data` matching `where` (parsed from JSON text).
std::vector<std::string> Ids(const std::string& where_json, const Json& data = Todos(),
                             const PropertyTypeLookup* types = nullptr) {
  Result<Where> where = ParseWhere(Json::parse(where_json), types);
  EXPECT_TRUE(where.ok()) << where.status().ToString() << " for " << where_json;
  std::vector<std::string> ids;
  if (!where.ok()) return ids;
  for (const Json& r : data) {
    if (Matches(*where, r)) ids.push_back(r["id"].get<std::string>());
  }
  return ids;
}

using V = std::vector<std::string>;

std::vector<Json> RunFilter(const Filter& f, const Json& data) {
  std::vector<const Json*> matching;
  for (const Json& r : data) {
    if (Matches(f.where, r)) matching.push_back(&r);
  }
  std::vector<Json> page;
  for (size_t i : OrderPage(f, matching)) page.push_back(Project(f, *matching[i]));
  return page;
}

std::vector<std::string> RunIds(const std::string& filter_json, const Json& data = Todos()) {
  Result<Filter> f = ParseFilter(Json::parse(filter_json), &kTodoTypes);
  EXPECT_TRUE(f.ok()) << f.status().ToString() << " for " << filter_json;
  std::vector<std::string> ids;
  if (!f.ok()) return ids;
  for (const Json& r : RunFilter(*f, data)) ids.push_back(r.value("id", ""));
  return ids;
}

void ExpectBadFilter(const std::string& filter_json, const std::string& mention) {
  Result<Filter> f = ParseFilter(Json::parse(filter_json));
  ASSERT_FALSE(f.ok()) << filter_json;
  EXPECT_EQ(f.status().code(), StatusCode::kBadFilter) << filter_json;
  EXPECT_NE(f.status().message().find(mention), std::string::npos)
      << "message \"" << f.status().message() << "\" should mention \"" << mention << "\"";
}

TEST(FilterWhere, EmptyMatchesEverything) {
  EXPECT_EQ(Ids("{}").size(), 5u);
  Result<Where> w = ParseWhere(nullptr);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(Matches(*w, Todos()[0]));
}

TEST(FilterWhere, Equality) {
  EXPECT_EQ(Ids(R"({"title": "Buy milk"})"), V{"t-1"});
  EXPECT_EQ(Ids(R"({"title": "buy milk"})"), V{});
  EXPECT_EQ(Ids(R"({"completed": true})"), (V{"t-2", "t-5"}));
  EXPECT_EQ(Ids(R"({"created": 1700000000002})"), V{"t-3"});
  EXPECT_EQ(Ids(R"({"created": 1700000000002.0})"), V{"t-3"});
  EXPECT_EQ(Ids(R"({"title": {"eq": "Dentist"}})"), V{"t-4"});
}

TEST(FilterWhere, NullMatchesNullOrAbsent) {
  EXPECT_EQ(Ids(R"({"title": null})"), V{"t-5"});
  EXPECT_EQ(Ids(R"({"dueAt": null})"), (V{"t-1", "t-3", "t-5"}));
  EXPECT_EQ(Ids(R"({"dueAt": {"neq": null}})"), (V{"t-2", "t-4"}));
}

TEST(FilterWhere, Neq) {
  EXPECT_EQ(Ids(R"({"completed": {"neq": true}})"), (V{"t-1", "t-3", "t-4"}));
  EXPECT_EQ(Ids(R"({"title": {"neq": "Buy milk"}})"), (V{"t-2", "t-3", "t-4", "t-5"}));
  // Absent values are "not equal" (JS compare gives NaN).
  EXPECT_EQ(Ids(R"({"dueAt": {"neq": "2024-06-30T12:00:00.000Z"}})"), (V{"t-1", "t-3", "t-4", "t-5"}));
}

TEST(FilterWhere, Comparisons) {
  EXPECT_EQ(Ids(R"({"created": {"gt": 1700000000002}})"), (V{"t-4", "t-5"}));
  EXPECT_EQ(Ids(R"({"created": {"gte": 1700000000002}})"), (V{"t-3", "t-4", "t-5"}));
  EXPECT_EQ(Ids(R"({"created": {"lt": 1700000000001}})"), V{"t-1"});
  EXPECT_EQ(Ids(R"({"created": {"lte": 1700000000001}})"), (V{"t-1", "t-2"}));
  EXPECT_EQ(Ids(R"({"created": {"gt": 1800000000000}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"gt": "C"}})"), (V{"t-2", "t-4"}));
  EXPECT_EQ(Ids(R"({"title": {"lt": "C"}})"), (V{"t-1", "t-3"}));
  EXPECT_EQ(Ids(R"({"dueAt": {"gte": "2024-07-01"}})"), V{"t-4"});
  EXPECT_EQ(Ids(R"({"completed": {"gt": false}})"), (V{"t-2", "t-5"}));
  // Mismatched types never compare.
  EXPECT_EQ(Ids(R"({"created": {"gt": "1"}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"lt": 5}})"), V{});
}

TEST(FilterWhere, StringsCompareByUtf16CodeUnits) {
  // U+FF5E (one unit 0xFF5E) sorts after U+1F600 (surrogates 0xD83D...) in JS, although
  // its code point (and UTF-8 bytes) are smaller.
  Json data = Json::parse(R"([{"id": "a", "s": "\uFF5E"}, {"id": "b", "s": "\uD83D\uDE00"}])");
  EXPECT_EQ(Ids(R"({"s": {"gt": "\uD83D\uDE00"}})", data), V{"a"});
  EXPECT_EQ(Ids(R"({"s": {"lt": "\uFF5E"}})", data), V{"b"});
}

TEST(FilterWhere, Between) {
  EXPECT_EQ(Ids(R"({"created": {"between": [1700000000001, 1700000000003]}})"),
            (V{"t-2", "t-3", "t-4"}));
  EXPECT_EQ(Ids(R"({"created": {"between": [1, 2]}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"between": ["B", "C"]}})"), (V{"t-1", "t-3"}));
}

TEST(FilterWhere, InqNin) {
  EXPECT_EQ(Ids(R"({"id": {"inq": ["t-1", "t-4", "zz"]}})"), (V{"t-1", "t-4"}));
  EXPECT_EQ(Ids(R"({"id": {"inq": []}})"), V{});
  EXPECT_EQ(Ids(R"({"id": {"nin": ["t-1", "t-4"]}})"), (V{"t-2", "t-3", "t-5"}));
  EXPECT_EQ(Ids(R"({"dueAt": {"inq": [null]}})"), (V{"t-1", "t-3", "t-5"}));
  // An object with sequential numeric keys is an array (qs above its array limit).
  EXPECT_EQ(Ids(R"({"id": {"inq": {"0": "t-2", "1": "t-3"}}})"), (V{"t-2", "t-3"}));
}

TEST(FilterWhere, LikeIsUnanchoredCaseSensitive) {
  EXPECT_EQ(Ids(R"({"title": {"like": "B%"}})"), (V{"t-1", "t-3"}));  // both start with B
  EXPECT_EQ(Ids(R"({"title": {"like": "milk"}})"), V{"t-1"});       // unanchored
  EXPECT_EQ(Ids(R"({"title": {"like": "MILK"}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"like": "^Bu_ m%k$"}})"), V{});  // ^ and $ are literal
  EXPECT_EQ(Ids(R"({"title": {"like": "Bu_ m%k"}})"), V{"t-1"});
  EXPECT_EQ(Ids(R"({"title": {"like": "Buy.milk"}})"), V{});  // "." is literal
  EXPECT_EQ(Ids(R"({"title": {"nlike": "o"}})"), (V{"t-1", "t-4", "t-5"}));
}

TEST(FilterWhere, IlikeNilike) {
  EXPECT_EQ(Ids(R"({"title": {"ilike": "%MILK"}})"), V{"t-1"});
  EXPECT_EQ(Ids(R"({"title": {"ilike": "xyz"}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"nilike": "%O%"}})"), (V{"t-1", "t-4", "t-5"}));
}

TEST(FilterWhere, Regexp) {
  EXPECT_EQ(Ids(R"({"title": {"regexp": "^B"}})"), (V{"t-1", "t-3"}));
  EXPECT_EQ(Ids(R"({"title": {"regexp": "/^b/i"}})"), (V{"t-1", "t-3"}));
  EXPECT_EQ(Ids(R"({"title": {"regexp": "/^b/"}})"), V{});
  EXPECT_EQ(Ids(R"({"title": {"regexp": "/report$/g"}})"), V{"t-2"});
  EXPECT_EQ(Ids(R"({"title": {"regexp": "^Z"}})"), V{});
  Result<Where> w = ParseWhere(Json::parse(R"({"title": {"regexp": "/a+/im"}})"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->regex_source, "a+");
  EXPECT_EQ(w->regex_flags, "im");
}

TEST(FilterWhere, SeveralOperatorsAreAnded) {
  EXPECT_EQ(Ids(R"({"created": {"gt": 1700000000000, "lt": 1700000000003}})"), (V{"t-2", "t-3"}));
}

TEST(FilterWhere, AndOrNesting) {
  EXPECT_EQ(Ids(R"({"and": [{"completed": false}, {"created": {"gt": 1700000000001}}]})"),
            (V{"t-3", "t-4"}));
  EXPECT_EQ(Ids(R"({"or": [{"id": "t-1"}, {"title": "Dentist"}]})"), (V{"t-1", "t-4"}));
  EXPECT_EQ(Ids(R"({"or": []})"), V{});
  EXPECT_EQ(Ids(R"({"and": []})").size(), 5u);
  EXPECT_EQ(Ids(R"({"or": [{"and": [{"completed": true}, {"title": null}]},
                          {"and": [{"completed": false}, {"or": [{"id": "t-1"}, {"id": "t-3"}]}]}]})"),
            (V{"t-1", "t-3", "t-5"}));
  // Several keys are an implicit and, also next to and/or.
  EXPECT_EQ(Ids(R"({"completed": false, "created": {"lt": 1700000000003}})"), (V{"t-1", "t-3"}));
  EXPECT_EQ(Ids(R"({"completed": false, "or": [{"id": "t-2"}, {"id": "t-4"}]})"), V{"t-4"});
}

TEST(FilterWhere, NestedDotPaths) {
  EXPECT_EQ(Ids(R"({"meta.priority": 2})"), V{"t-3"});
  EXPECT_EQ(Ids(R"({"meta.priority": {"gt": 1}})"), (V{"t-3", "t-4"}));
  EXPECT_EQ(Ids(R"({"meta.a.c": 3})"), V{"t-4"});
  EXPECT_EQ(Ids(R"({"meta.tags": "travel"})"), V{"t-3"});
  EXPECT_EQ(Ids(R"({"meta.tags.0": "travel"})"), V{"t-3"});
  EXPECT_EQ(Ids(R"({"meta.missing.deep": null})").size(), 5u);
  EXPECT_EQ(Ids(R"({"items.name": "b"})"), V{"t-5"});  // arrays of objects, Mongo style
}

TEST(FilterWhere, ArrayValuedPropertyMatchesElements) {
  EXPECT_EQ(Ids(R"({"tags": "y"})"), V{"t-5"});
  EXPECT_EQ(Ids(R"({"tags": "z"})"), V{});
  EXPECT_EQ(Ids(R"({"tags": {"inq": ["z", "x"]}})"), V{"t-5"});
  EXPECT_EQ(Ids(R"({"tags": ["x", "y"]})", Todos(), &kTodoTypes), V{"t-5"});
  Json empty = Json::parse(R"([{"id": "e", "tags": []}])");
  EXPECT_EQ(Ids(R"({"tags": {"neq": "x"}})", empty), V{"e"});
}

TEST(FilterWhere, ObjectEqualityForObjectProperties) {
  EXPECT_EQ(Ids(R"({"meta": {"priority": 2, "tags": ["travel"]}})", Todos(), &kTodoTypes),
            V{"t-3"});
  EXPECT_EQ(Ids(R"({"meta": {"priority": 2}})", Todos(), &kTodoTypes), V{});
  EXPECT_EQ(Ids(R"({"meta.a": {"c": 3, "d": 2}})", Todos(), &kTodoTypes), V{"t-4"});
}

TEST(FilterWhere, CoercesStringsByDeclaredType) {
  EXPECT_EQ(Ids(R"({"completed": "true"})", Todos(), &kTodoTypes), (V{"t-2", "t-5"}));
  EXPECT_EQ(Ids(R"({"completed": "0"})", Todos(), &kTodoTypes), (V{"t-1", "t-3", "t-4"}));
  EXPECT_EQ(Ids(R"({"created": "1700000000004"})", Todos(), &kTodoTypes), V{"t-5"});
  EXPECT_EQ(Ids(R"({"created": {"gte": "1700000000003"}})", Todos(), &kTodoTypes),
            (V{"t-4", "t-5"}));
  EXPECT_EQ(Ids(R"({"created": {"inq": ["1700000000000", "1700000000001"]}})", Todos(),
                &kTodoTypes),
            (V{"t-1", "t-2"}));
  EXPECT_EQ(Ids(R"({"created": {"between": ["1700000000003", "1.7e12"]}})", Todos(),
                &kTodoTypes),
            V{});
  // Without types, strings stay strings: "true" is not true.
  EXPECT_EQ(Ids(R"({"completed": "true"})"), V{});
  // Beyond int64_t a number stays a double (no out-of-range cast on the way).
  EXPECT_EQ(Ids(R"({"created": {"lt": "1e300"}})", Todos(), &kTodoTypes).size(), 5u);

  Result<Where> bad = ParseWhere(Json::parse(R"({"created": "soon"})"), &kTodoTypes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kBadFilter);
  EXPECT_NE(bad.status().message().find("created"), std::string::npos);
  EXPECT_NE(bad.status().message().find("soon"), std::string::npos);
  Result<Where> bad_bool = ParseWhere(Json::parse(R"({"completed": "maybe"})"), &kTodoTypes);
  EXPECT_EQ(bad_bool.status().code(), StatusCode::kBadFilter);
}

TEST(FilterOrder, SingleKeyAscDesc) {
  EXPECT_EQ(RunIds(R"({"order": "title"})"), (V{"t-5", "t-3", "t-1", "t-4", "t-2"}));
  EXPECT_EQ(RunIds(R"({"order": "title ASC"})"), (V{"t-5", "t-3", "t-1", "t-4", "t-2"}));
  EXPECT_EQ(RunIds(R"({"order": "title desc"})"), (V{"t-2", "t-4", "t-1", "t-3", "t-5"}));
  EXPECT_EQ(RunIds(R"({"order": "created DESC"})"), (V{"t-5", "t-4", "t-3", "t-2", "t-1"}));
}

TEST(FilterOrder, UndefinedFirstInAscLastInDesc) {
  EXPECT_EQ(RunIds(R"({"order": "dueAt ASC"})"), (V{"t-1", "t-3", "t-5", "t-2", "t-4"}));
  EXPECT_EQ(RunIds(R"({"order": "dueAt DESC"})"), (V{"t-4", "t-2", "t-1", "t-3", "t-5"}));
  EXPECT_EQ(RunIds(R"({"order": "meta.priority DESC"})"), (V{"t-4", "t-3", "t-1", "t-2", "t-5"}));
}

TEST(FilterOrder, SeveralKeys) {
  const V expected = {"t-4", "t-3", "t-1", "t-5", "t-2"};
  EXPECT_EQ(RunIds(R"({"order": ["completed ASC", "created DESC"]})"), expected);
  EXPECT_EQ(RunIds(R"({"order": "completed ASC, created DESC"})"), expected);
  EXPECT_EQ(RunIds(R"({"order": "completed,created DESC"})"), expected);
  // Stable: equal keys keep the input order.
  EXPECT_EQ(RunIds(R"({"order": "completed DESC"})"), (V{"t-2", "t-5", "t-1", "t-3", "t-4"}));
}

TEST(FilterPage, LimitSkipOffset) {
  EXPECT_EQ(RunIds(R"({"order": "created", "limit": 2})"), (V{"t-1", "t-2"}));
  EXPECT_EQ(RunIds(R"({"order": "created", "skip": 3})"), (V{"t-4", "t-5"}));
  EXPECT_EQ(RunIds(R"({"order": "created", "offset": 1, "limit": 2})"), (V{"t-2", "t-3"}));
  EXPECT_EQ(RunIds(R"({"order": "created", "skip": "1", "limit": "1"})"), V{"t-2"});
  EXPECT_EQ(RunIds(R"({"skip": 10})"), V{});
  // limit 0 is "no limit", as in the memory connector (filter.limit || nodes.length).
  EXPECT_EQ(RunIds(R"({"limit": 0})").size(), 5u);
  Result<Filter> f = ParseFilter(Json::parse(R"({"limit": 0})"));
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->limit.has_value());
}

TEST(FilterFields, IncludeExclude) {
  Json t3 = Todos()[2];
  Result<Filter> inc = ParseFilter(Json::parse(R"({"fields": {"id": true, "title": true}})"));
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(Project(*inc, t3), Json::parse(R"({"id": "t-3", "title": "Book flight"})"));
  Result<Filter> arr = ParseFilter(Json::parse(R"({"fields": ["title", "nope"]})"));
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(Project(*arr, t3), Json::parse(R"({"title": "Book flight"})"));  // no id added
  Result<Filter> exc = ParseFilter(Json::parse(R"({"fields": {"meta": false, "id": false}})"));
  ASSERT_TRUE(exc.ok());
  EXPECT_EQ(Project(*exc, t3),
            Json::parse(R"({"title": "Book flight", "completed": false, "created": 1700000000002})"));
  // Mixed: inclusions win.
  Result<Filter> mixed = ParseFilter(Json::parse(R"({"fields": {"title": true, "meta": false}})"));
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(Project(*mixed, t3), Json::parse(R"({"title": "Book flight"})"));
  // Bracket form strings.
  Result<Filter> str = ParseFilter(Json::parse(R"({"fields": {"title": "true", "id": "false"}})"));
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(Project(*str, t3), Json::parse(R"({"title": "Book flight"})"));
  Result<Filter> none = ParseFilter(Json::parse(R"({})"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(Project(*none, t3), t3);
  // A page of a filter with fields is projected.
  std::vector<Json> out = RunFilter(*inc, Todos());
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[4], Json::parse(R"({"id": "t-5", "title": null})"));
}

TEST(FilterParse, JsonStringFilter) {
  Result<Filter> f = ParseFilter(Json(R"({"where":{"completed":false},"order":"title ASC","limit":2})"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  std::vector<std::string> ids;
  for (const Json& r : RunFilter(*f, Todos())) ids.push_back(r["id"]);
  EXPECT_EQ(ids, (V{"t-3", "t-1"}));
  Result<Where> w = ParseWhere(Json(R"({"id":"t-2"})"));
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(Matches(*w, Todos()[1]));
  EXPECT_FALSE(Matches(*w, Todos()[0]));
  // Unknown top-level keys (include) are ignored; null means no filter.
  EXPECT_TRUE(ParseFilter(Json::parse(R"({"include": "owner"})")).ok());
  EXPECT_TRUE(ParseFilter(nullptr).ok());
}

TEST(FilterParse, BracketFormEndToEnd) {
  Result<Json> q =
      ParseQueryString("filter[where][completed]=true&filter[order]=title%20DESC&filter[limit]=2");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(*q, Json::parse(R"({"filter": {"where": {"completed": "true"},
                                           "order": "title DESC", "limit": "2"}})"));
  Result<Filter> f = ParseFilter((*q)["filter"], &kTodoTypes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f->limit.has_value());
  EXPECT_EQ(*f->limit, 2u);
  std::vector<std::string> ids;
  for (const Json& r : RunFilter(*f, Todos())) ids.push_back(r["id"]);
  EXPECT_EQ(ids, (V{"t-2", "t-5"}));  // "Write report" > null
  EXPECT_TRUE(Matches(f->where, Todos()[1]));
  EXPECT_FALSE(Matches(f->where, Todos()[0]));
}

TEST(FilterInvalid, EachNamesTheProblem) {
  ExpectBadFilter(R"({"where": {"title": {"foo": 1}}})", "foo");
  ExpectBadFilter(R"({"where": {"title": {"like": "x", "foo": 1}}})", "foo");
  ExpectBadFilter(R"({"where": {"created": {"between": [1, 2, 3]}}})", "2 values");
  ExpectBadFilter(R"({"where": {"created": {"between": 1}}})", "between");
  ExpectBadFilter(R"({"where": {"id": {"inq": "t-1"}}})", "inq");
  ExpectBadFilter(R"({"where": {"id": {"nin": 5}}})", "nin");
  ExpectBadFilter(R"({"limit": -1})", "limit");
  ExpectBadFilter(R"({"limit": "abc"})", "limit");
  ExpectBadFilter(R"({"limit": 2.5})", "limit");
  ExpectBadFilter(R"({"skip": -3})", "skip");
  ExpectBadFilter(R"({"offset": "x"})", "offset");
  ExpectBadFilter(R"({"order": "title SIDEWAYS"})", "title SIDEWAYS");
  ExpectBadFilter(R"({"order": 5})", "order");
  ExpectBadFilter(R"({"order": ["title", 3]})", "order");
  ExpectBadFilter(R"({"where": 5})", "Value is not an object");
  ExpectBadFilter(R"({"where": [1, 2]})", "not an object");
  ExpectBadFilter(R"({"where": {"or": {"id": 1}}})", "or");
  ExpectBadFilter(R"({"where": {"and": [5]}})", "not an object");
  ExpectBadFilter(R"({"where": {"title": {"regexp": "a("}}})", "regular expression");
  ExpectBadFilter(R"({"where": {"title": {"regexp": "/a/x"}}})", "flags");
  ExpectBadFilter(R"({"where": {"title": {"regexp": 5}}})", "regexp");
  ExpectBadFilter(R"({"where": {"title": {"like": 5}}})", "like");
  ExpectBadFilter(R"({"where": {"title": {}}})", "title");
  ExpectBadFilter(R"({"fields": 5})", "fields");
  ExpectBadFilter(R"({"fields": {"a": {"b": 1}}})", "fields");
  ExpectBadFilter(R"("{\"where\":")", "Value is not an object.");
  ExpectBadFilter(R"([1])", "Value is not an object.");
  ExpectBadFilter(R"(5)", "Value is not an object.");
  // Nesting bound.
  std::string deep = R"({"title": "x"})";
  for (int i = 0; i < 100; ++i) deep = R"({"and": [)" + deep + "]}";
  ExpectBadFilter(R"({"where": )" + deep + "}", "nested");
}

TEST(FilterPerf, HundredThousandRecords) {
  Json data = Json::array();
  for (int i = 0; i < 100000; ++i) {
    data.push_back({{"id", "r" + std::to_string(i)}, {"n", i}, {"done", i % 2 == 0},
                    {"meta", {{"p", i % 10}}}});
  }
  Result<Where> w = ParseWhere(Json::parse(
      R"({"done": true, "n": {"gte": 1000}, "meta.p": {"inq": [2, 4]}})"));
  ASSERT_TRUE(w.ok());
  size_t count = 0;
  for (const Json& r : data) count += Matches(*w, r);
  EXPECT_EQ(count, 19800u);
}

// ---------------------------------------------------------------------------------------
// The captures of a real LoopBack 3 server (memory connector).

Json LoadVector(const std::string& name) {
  std::ifstream in(std::string(RC_VECTORS_DIR) + "/loopback/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str(), nullptr, false);
}

PropertyTypeLookup VectorTypes() {
  Json model = LoadVector("_model-todo.json");
  std::map<std::string, std::string, std::less<>> types;
  if (!model.is_discarded()) {
    for (auto& [name, def] : model["model"]["properties"].items()) {
      types[name] = def.is_string() ? def.get<std::string>() : def.value("type", "any");
    }
  }
  return [types](std::string_view p) -> std::optional<std::string> {
    auto it = types.find(p);
    if (it == types.end()) return std::nullopt;
    return it->second;
  };
}

std::string QueryOf(const Json& vec) {
  std::string url = vec["request"]["url"];
  return url.substr(url.find('?') + 1);
}

// Records as they stood after 006 (the reads 007-017 do not change them).
Json FindAllBody() {
  Json v = LoadVector("006-find-all.json");
  return v.is_discarded() ? Json::array() : v["response"]["body"];
}

Result<Filter> FilterOfVector(const Json& vec, const PropertyTypeLookup* types) {
  RC_ASSIGN_OR_RETURN(Json query, ParseQueryString(QueryOf(vec)));
  return ParseFilter(query["filter"], types);
}

TEST(FilterVectors, FindWithJsonFilter007) {
  Json vec = LoadVector("007-find-filter-json.json");
  ASSERT_FALSE(vec.is_discarded());
  PropertyTypeLookup types = VectorTypes();
  Result<Filter> f = FilterOfVector(vec, &types);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Json(RunFilter(*f, FindAllBody())), vec["response"]["body"]);
}

TEST(FilterVectors, FindWithBrackets008) {
  Json vec = LoadVector("008-find-filter-brackets.json");
  ASSERT_FALSE(vec.is_discarded());
  PropertyTypeLookup types = VectorTypes();
  Result<Filter> f = FilterOfVector(vec, &types);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Json(RunFilter(*f, FindAllBody())), vec["response"]["body"]);
}

TEST(FilterVectors, FindWithFields009) {
  Json vec = LoadVector("009-find-filter-fields.json");
  ASSERT_FALSE(vec.is_discarded());
  PropertyTypeLookup types = VectorTypes();
  Result<Filter> f = FilterOfVector(vec, &types);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Json(RunFilter(*f, FindAllBody())), vec["response"]["body"]);
}

TEST(FilterVectors, CountWhere017) {
  Json vec = LoadVector("017-count-where.json");
  ASSERT_FALSE(vec.is_discarded());
  PropertyTypeLookup types = VectorTypes();
  Result<Json> q = ParseQueryString(QueryOf(vec));
  ASSERT_TRUE(q.ok());
  Result<Where> w = ParseWhere((*q)["where"], &types);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  int count = 0;
  for (const Json& r : FindAllBody()) count += Matches(*w, r);
  EXPECT_EQ(count, vec["response"]["body"]["count"].get<int>());
}

TEST(FilterVectors, ChangesSinceFilter040) {
  // Rebuild the Todos as they stood at 040 from the full records the writes returned.
  Json records = FindAllBody();
  for (const char* name : {"020-put-collection-replaceOrCreate.json",
                           "021-patch-collection-upsert.json", "025-post-replace.json",
                           "038-patch-after-checkpoint.json"}) {
    Json vec = LoadVector(name);
    ASSERT_FALSE(vec.is_discarded()) << name;
    const Json& body = vec["response"]["body"];
    bool replaced = false;
    for (Json& r : records) {
      if (r["id"] == body["id"]) r = body, replaced = true;
    }
    if (!replaced) records.push_back(body);
  }
  Json vec = LoadVector("040-changes-since-filter.json");
  ASSERT_FALSE(vec.is_discarded());
  PropertyTypeLookup types = VectorTypes();
  Result<Filter> f = FilterOfVector(vec, &types);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  std::set<std::string> matched;
  for (const Json& r : RunFilter(*f, records)) matched.insert(r["id"].get<std::string>());
  std::set<std::string> expected;
  for (const Json& change : vec["response"]["body"]) expected.insert(change["modelId"]);
  EXPECT_EQ(matched, expected);
}

TEST(FilterVectors, InvalidJsonFilters085And086) {
  for (const char* name : {"085-err-invalid-filter-json.json", "086-err-invalid-where-json.json"}) {
    Json vec = LoadVector(name);
    ASSERT_FALSE(vec.is_discarded()) << name;
    Result<Json> q = ParseQueryString(QueryOf(vec));
    ASSERT_TRUE(q.ok());
    Json value = q->contains("filter") ? (*q)["filter"] : (*q)["where"];
    Status s = q->contains("filter") ? ParseFilter(value).status() : ParseWhere(value).status();
    EXPECT_EQ(s.code(), StatusCode::kBadFilter);
    EXPECT_EQ(s.message(), vec["response"]["body"]["error"]["message"]);
  }
}

}  // namespace
}  // namespace replicore
