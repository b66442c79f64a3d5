// Test-only: the filter differential data shared by the SQL stores' tests (SqliteStore and
// PostgresStore against MemoryStore on the same records): records rich in mixed types,
// arrays, nested objects and non-ASCII text, and filters over every operator.
#ifndef REPLICORE_TESTS_SERVER_FILTER_DIFFERENTIAL_H_
#define REPLICORE_TESTS_SERVER_FILTER_DIFFERENTIAL_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "replicore/filter.h"
#include "replicore/store.h"

namespace replicore {
namespace testing {

inline Filter MustFilter(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << json.dump() << ": " << filter.status().ToString();
  return filter.ok() ? filter.value() : Filter();
}

inline std::string Render(const Result<std::vector<Record>>& records) {
  if (!records.ok()) return "error: " + records.status().ToString();
  std::string out;
  for (const Record& record : *records) out += record->dump() + "\n";
  return out;
}

// ---- filters: SqliteStore against MemoryStore on the same data

inline Json RandomScalar(std::mt19937& rng) {
  static const std::vector<Json> kPool = {
      nullptr, true, false, 0, 1, 2, -3, 2.5, 1.0, 10, 100, "", "a", "A", "abc", "Abc",
      "milk", "Buy milk", "b%c", "b_c", "x.y", "caf\u00e9", "\U0001F600", "\uFF21", "10", "1",
  };
  return kPool[rng() % kPool.size()];
}

inline Json RandomValue(std::mt19937& rng, int depth) {
  int kind = static_cast<int>(rng() % 10);
  if (depth < 2 && kind == 8) {
    Json array = Json::array();
    int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) array.push_back(RandomValue(rng, depth + 1));
    return array;
  }
  if (depth < 2 && kind == 9) {
    Json object = Json::object();
    for (const char* key : {"a", "b", "name"}) {
      if (rng() % 2) object[key] = RandomValue(rng, depth + 1);
    }
    return object;
  }
  return RandomScalar(rng);
}

inline std::vector<Json> DifferentialRecords() {
  std::mt19937 rng(20240513);
  static const char* kTitles[] = {"Buy milk", "buy MILK", "walk dog", "Walk the dog", "50% off",
                                  "a_b", "ab", "caf\u00e9", "CAF\u00c9", "\U0001F600 smile",
                                  "\uFF21 wide", "line1\nline2", "", "milk"};
  std::vector<Json> records;
  for (int i = 0; i < 300; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "r%03d", (i * 7919) % 300);
    Json r = {{"id", id}};
    int title = static_cast<int>(rng() % 16);
    if (title < 14) r["title"] = kTitles[title];
    if (title == 14) r["title"] = nullptr;
    int n = static_cast<int>(rng() % 12);
    if (n < 8) r["n"] = static_cast<int>(rng() % 20) - 5;
    if (n == 8) r["n"] = (static_cast<int>(rng() % 40) - 10) / 4.0;
    if (n == 9) r["n"] = nullptr;
    if (n == 10) r["n"] = "5";
    int done = static_cast<int>(rng() % 6);
    if (done < 2) r["done"] = done == 0;
    if (done == 2) r["done"] = 1;
    if (done == 3) r["done"] = 0;
    if (done == 4) r["done"] = nullptr;
    int tags = static_cast<int>(rng() % 5);
    if (tags < 3) {
      Json list = Json::array();
      int count = static_cast<int>(rng() % 4);
      static const Json kTags[] = {"travel", "home", "work", 1, 2, nullptr, true};
      for (int k = 0; k < count; ++k) list.push_back(kTags[rng() % 7]);
      r["tags"] = list;
    } else if (tags == 3) {
      r["tags"] = "travel";
    }
    if (rng() % 3 != 0) {
      Json meta = Json::object();
      if (rng() % 4 != 0) meta["priority"] = static_cast<int>(rng() % 5);
      if (rng() % 3 == 0) meta["owner"] = rng() % 2 ? "ann" : "bob";
      if (rng() % 4 == 0) meta["deep"] = Json{{"x", static_cast<int>(rng() % 3)}};
      r["meta"] = meta;
    } else if (rng() % 2) {
      r["meta"] = nullptr;
    }
    if (rng() % 3 == 0) {
      Json items = Json::array();
      int count = static_cast<int>(rng() % 3);
      for (int k = 0; k < count; ++k) {
        items.push_back(Json{{"name", rng() % 2 ? "pen" : "ink"}, {"qty", static_cast<int>(rng() % 4)}});
      }
      r["items"] = items;
    }
    if (rng() % 2) r["mixed"] = RandomValue(rng, 0);
    records.push_back(r);
  }
  return records;
}

inline const std::vector<Json>& DifferentialFilters() {
  static const std::vector<Json> kFilters = {
      Json::object(),
      {{"where", {{"title", "Buy milk"}}}},
      {{"where", {{"title", nullptr}}}},
      {{"where", {{"title", {{"neq", nullptr}}}}}},
      {{"where", {{"title", {{"neq", "milk"}}}}}},
      {{"where", {{"done", true}}}},
      {{"where", {{"done", false}}}},
      {{"where", {{"done", 1}}}},
      {{"where", {{"done", {{"neq", true}}}}}},
      {{"where", {{"n", 5}}}},
      {{"where", {{"n", 2.5}}}},
      {{"where", {{"n", "5"}}}},
      {{"where", {{"n", {{"gt", 3}}}}}},
      {{"where", {{"n", {{"gte", 0.5}}}}}},
      {{"where", {{"n", {{"lt", 0}}}}}},
      {{"where", {{"n", {{"lte", nullptr}}}}}},
      {{"where", {{"n", {{"between", {-1, 2.5}}}}}}},
      {{"where", {{"title", {{"gt", "Walk"}}}}}},
      {{"where", {{"title", {{"lt", "\uFF21"}}}}}},
      {{"where", {{"title", {{"between", {"a", "z"}}}}}}},
      {{"where", {{"done", {{"gt", false}}}}}},
      {{"where", {{"n", {{"inq", {1, 2.5, "5", nullptr, true}}}}}}},
      {{"where", {{"n", {{"nin", {1, 2, 3}}}}}}},
      {{"where", {{"title", {{"inq", Json::array()}}}}}},
      {{"where", {{"title", {{"like", "milk"}}}}}},
      {{"where", {{"title", {{"like", "%MILK"}}}}}},
      {{"where", {{"title", {{"nlike", "b%k"}}}}}},
      {{"where", {{"title", {{"ilike", "caf_"}}}}}},
      {{"where", {{"title", {{"nilike", "WALK%"}}}}}},
      {{"where", {{"title", {{"like", "50\\%"}}}}}},
      {{"where", {{"title", {{"like", "a_b"}}}}}},
      {{"where", {{"title", {{"regexp", "^walk"}}}}}},
      {{"where", {{"title", {{"regexp", "/^walk/i"}}}}}},
      {{"where", {{"title", {{"regexp", "/^line2/m"}}}}}},
      {{"where", {{"mixed", {{"regexp", "^[a-c]"}}}}}},
      {{"where", {{"tags", "travel"}}}},
      {{"where", {{"tags", {{"neq", "travel"}}}}}},
      {{"where", {{"tags", {{"inq", {1, "home"}}}}}}},
      {{"where", {{"tags", {{"nin", {"work"}}}}}}},
      {{"where", {{"tags", nullptr}}}},
      {{"where", {{"tags.0", "travel"}}}},
      {{"where", {{"meta.priority", {{"gte", 2}}}}}},
      {{"where", {{"meta.priority", nullptr}}}},
      {{"where", {{"meta.deep.x", 1}}}},
      {{"where", {{"meta.owner", {{"neq", "ann"}}}}}},
      {{"where", {{"items.name", "pen"}}}},
      {{"where", {{"items.qty", {{"gt", 2}}}}}},
      {{"where", {{"mixed", true}}}},
      {{"where", {{"mixed", 1}}}},
      {{"where", {{"mixed", {{"gte", 1}}}}}},
      {{"where", {{"mixed", {{"neq", "a"}}}}}},
      {{"where", {{"mixed.a", {{"neq", nullptr}}}}}},
      {{"where", {{"or", {{{"done", true}}, {{"n", {{"gt", 10}}}}}}}}},
      {{"where", {{"and", {{{"title", {{"like", "a"}}}}, {{"or", {{{"n", 1}}, {{"tags", 2}}}}}}}}}},
      {{"where", {{"n", {{"gt", 0}, {"lt", 5}}}}}},
      {{"order", "title"}},
      {{"order", "title DESC"}},
      {{"order", "n ASC"}, {"limit", 20}},
      {{"order", {"done DESC", "n ASC"}}, {"skip", 30}, {"limit", 50}},
      {{"order", "mixed"}},
      {{"order", "mixed DESC"}},
      {{"order", "meta.priority DESC"}, {"where", {{"done", {{"neq", true}}}}}},
      {{"order", "tags.0"}},
      {{"order", "tags"}},
      {{"limit", 7}, {"skip", 290}},
      {{"fields", {"id", "n"}}, {"order", "n DESC"}, {"limit", 25}},
      {{"fields", {{"mixed", false}, {"items", false}}}, {"where", {{"n", {{"lte", 1}}}}}},
  };
  return kFilters;
}

inline void LoadBoth(Store& a, Store& b, const std::vector<Json>& records) {
  Batch batch;
  for (const Json& r : records) batch.records.push_back({"Todo", r["id"], Record::FromTree(r)});
  Batch copy = batch;
  ASSERT_TRUE(a.Apply(std::move(batch)).ok());
  ASSERT_TRUE(b.Apply(std::move(copy)).ok());
}

}  // namespace testing
}  // namespace replicore

#endif  // REPLICORE_TESTS_SERVER_FILTER_DIFFERENTIAL_H_
