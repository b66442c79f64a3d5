// The TEST_P bodies of the Store conformance suite (see store_conformance.h for why they are
// here and not in the header). Instantiations live in each store's own test file.
#include "core/store_conformance.h"

#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "replicore/filter.h"

namespace replicore {
namespace {

Filter MustParseFilter(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << json.dump() << ": " << filter.status().ToString();
  return filter.ok() ? filter.value() : Filter();
}

Where MustParseWhere(const Json& json) {
  Result<Where> where = ParseWhere(json);
  EXPECT_TRUE(where.ok()) << json.dump() << ": " << where.status().ToString();
  return where.ok() ? where.value() : Where();
}

Change MakeChange(const std::string& model, const std::string& model_id,
                  std::optional<std::string> rev, int64_t checkpoint) {
  Change change;
  change.id = "cid-" + model + "-" + model_id;
  change.rev = std::move(rev);
  change.checkpoint = checkpoint;
  change.model_name = model;
  change.model_id = model_id;
  return change;
}

RecordWrite Put(const std::string& model, const std::string& id, Json data) {
  return RecordWrite{model, id, Record::FromTree(std::move(data))};
}

RecordWrite Delete(const std::string& model, const std::string& id) {
  return RecordWrite{model, id, std::nullopt};
}

// Records as one line each, for one ASSERT_EQ per result.
std::string Render(const std::vector<Record>& records) {
  std::string out;
  for (const Record& record : records) out += record->dump() + "\n";
  return out;
}

// "checkpoint:modelId" for each change, in the order given.
std::string RenderOrder(const std::vector<Change>& changes) {
  std::string out;
  for (const Change& change : changes) {
    if (!out.empty()) out += " ";
    out += std::to_string(change.checkpoint) + ":" + change.model_id;
  }
  return out;
}

std::string RenderBatch(const Batch& batch) {
  std::string out;
  for (const RecordWrite& write : batch.records) {
    out += "Record(" + write.model + ", " + write.id + ", " +
           (write.data ? write.data->text() : std::string("delete")) + ")\n";
  }
  for (const ChangeWrite& write : batch.changes) {
    out += "Change(" + write.model + ", " + write.model_id + ", " +
           (write.change ? write.change->ToJson().dump() : std::string("remove")) + ")\n";
  }
  if (batch.checkpoint) out += "Checkpoint(" + std::to_string(*batch.checkpoint) + ")\n";
  for (const auto& [key, value] : batch.meta) out += "Meta(" + key + ", " + value.dump() + ")\n";
  return out;
}

Json Todo(const std::string& id, const std::string& title, bool completed, int priority) {
  return Json{{"id", id}, {"title", title}, {"completed", completed}, {"priority", priority}};
}

// ---- records

TEST_P(StoreConformanceTest, GetAbsentIsNullopt) {
  Result<std::optional<Record>> unknown_model = store_->Get("Nowhere", "x");
  ASSERT_TRUE(unknown_model.ok()) << unknown_model.status().ToString();
  EXPECT_FALSE(unknown_model->has_value());

  Batch batch;
  batch.records.push_back(Put("Todo", "a", Todo("a", "one", false, 1)));
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  Result<std::optional<Record>> absent = store_->Get("Todo", "b");
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->has_value());
  // Ids are case sensitive, and a record of one model is not visible in another.
  EXPECT_FALSE(store_->Get("Todo", "A")->has_value());
  EXPECT_FALSE(store_->Get("Note", "a")->has_value());
}

TEST_P(StoreConformanceTest, ApplyPutsAndDeletesRecordsOfSeveralModels) {
  Batch first;
  first.records.push_back(Put("Todo", "t1", Todo("t1", "one", false, 1)));
  first.records.push_back(Put("Todo", "t2", Todo("t2", "two", true, 2)));
  first.records.push_back(Put("Note", "t1", Json{{"id", "t1"}, {"text", "a note"}}));
  ASSERT_TRUE(store_->Apply(std::move(first)).ok());

  EXPECT_EQ(store_->Get("Todo", "t1")->value(), Todo("t1", "one", false, 1));
  EXPECT_EQ(store_->Get("Todo", "t2")->value(), Todo("t2", "two", true, 2));
  EXPECT_EQ(store_->Get("Note", "t1")->value(), (Json{{"id", "t1"}, {"text", "a note"}}));

  Batch second;
  second.records.push_back(Put("Todo", "t1", Todo("t1", "one, edited", true, 5)));
  second.records.push_back(Delete("Todo", "t2"));
  second.records.push_back(Delete("Todo", "never-existed"));  // deleting nothing is fine
  ASSERT_TRUE(store_->Apply(std::move(second)).ok());

  EXPECT_EQ(store_->Get("Todo", "t1")->value(), Todo("t1", "one, edited", true, 5));
  EXPECT_FALSE(store_->Get("Todo", "t2")->has_value());
  EXPECT_FALSE(store_->Get("Todo", "never-existed")->has_value());
  // The other model's record with the same id is untouched.
  EXPECT_EQ(store_->Get("Note", "t1")->value(), (Json{{"id", "t1"}, {"text", "a note"}}));
  EXPECT_EQ(DumpStore(*store_, {"Note", "Todo"}, {}),
            "Record(Note, {\"id\":\"t1\",\"text\":\"a note\"})\n"
            "Record(Todo, {\"completed\":true,\"id\":\"t1\",\"priority\":5,"
            "\"title\":\"one, edited\"})\n"
            "Checkpoint(1)\n");
}

TEST_P(StoreConformanceTest, StoresNestedJsonUnchanged) {
  Json data = {{"id", "n"},
               {"nested", {{"list", {1, 2.5, "three", nullptr, true}}, {"empty", Json::object()}}},
               {"big", 9007199254740991LL},
               {"negative", -0.125},
               {"null", nullptr}};
  Batch batch;
  batch.records.push_back(Put("Doc", "n", data));
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  Result<std::optional<Record>> got = store_->Get("Doc", "n");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(got->value(), data);
}

// Five todos written out of id order.
void SeedTodos(Store& store) {
  Batch batch;
  batch.records.push_back(Put("Todo", "c", Todo("c", "cook", false, 3)));
  batch.records.push_back(Put("Todo", "a", Todo("a", "ask", true, 1)));
  batch.records.push_back(Put("Todo", "e", Todo("e", "eat", false, 5)));
  batch.records.push_back(Put("Todo", "b", Todo("b", "buy", false, 2)));
  batch.records.push_back(Put("Todo", "d", Todo("d", "dig", true, 4)));
  batch.records.push_back(Put("Other", "z", Json{{"id", "z"}, {"completed", false}}));
  ASSERT_TRUE(store.Apply(std::move(batch)).ok());
}

std::string Ids(const std::vector<Record>& records) {
  std::string out;
  for (const Record& record : records) out += record->value("id", "?");
  return out;
}

TEST_P(StoreConformanceTest, FindWithoutOrderReturnsIdOrder) {
  ASSERT_NO_FATAL_FAILURE(SeedTodos(*store_));
  Result<std::vector<Record>> all = store_->Find("Todo", Filter());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Ids(*all), "abcde");

  Result<std::vector<Record>> open =
      store_->Find("Todo", MustParseFilter({{"where", {{"completed", false}}}}));
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(Ids(*open), "bce");

  Result<std::vector<Record>> none = store_->Find("Nowhere", Filter());
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreConformanceTest, FindWhereOrderLimitSkip) {
  ASSERT_NO_FATAL_FAILURE(SeedTodos(*store_));
  struct Case {
    Json filter;
    std::string ids;
  };
  const Case cases[] = {
      {{{"where", {{"completed", true}}}}, "ad"},
      {{{"where", {{"priority", {{"gt", 2}}}}}}, "cde"},
      {{{"where", {{"or", {{{"id", "a"}}, {{"priority", {{"gte", 5}}}}}}}}}, "ae"},
      {{{"where", {{"title", {{"nin", {"ask", "dig", "eat"}}}}}}}, "bc"},
      {{{"order", "priority DESC"}}, "edcba"},
      {{{"order", "title ASC"}}, "abcde"},
      {{{"order", {"completed DESC", "priority DESC"}}}, "daecb"},
      {{{"where", {{"completed", false}}}, {"order", "priority DESC"}}, "ecb"},
      {{{"order", "priority ASC"}, {"limit", 2}}, "ab"},
      {{{"order", "priority ASC"}, {"skip", 3}}, "de"},
      {{{"order", "priority ASC"}, {"offset", 1}, {"limit", 2}}, "bc"},
      {{{"where", {{"completed", false}}}, {"order", "priority DESC"}, {"skip", 1}, {"limit", 1}},
       "c"},
      {{{"limit", 3}}, "abc"},  // no order: id order, then the page
      {{{"skip", 4}}, "e"},
      {{{"skip", 10}}, ""},
      {{{"where", {{"priority", {{"gt", 100}}}}}}, ""},
  };
  for (const Case& c : cases) {
    Result<std::vector<Record>> found = store_->Find("Todo", MustParseFilter(c.filter));
    ASSERT_TRUE(found.ok()) << c.filter.dump() << ": " << found.status().ToString();
    EXPECT_EQ(Ids(*found), c.ids) << c.filter.dump();
  }
}

TEST_P(StoreConformanceTest, FindProjectsFields) {
  ASSERT_NO_FATAL_FAILURE(SeedTodos(*store_));
  Result<std::vector<Record>> included =
      store_->Find("Todo", MustParseFilter({{"fields", {{"id", true}, {"title", true}}},
                                            {"where", {{"completed", true}}}}));
  ASSERT_TRUE(included.ok()) << included.status().ToString();
  EXPECT_EQ(Render(*included),
            "{\"id\":\"a\",\"title\":\"ask\"}\n"
            "{\"id\":\"d\",\"title\":\"dig\"}\n");

  Result<std::vector<Record>> listed = store_->Find(
      "Todo", MustParseFilter({{"fields", {"title"}}, {"order", "priority DESC"}, {"limit", 2}}));
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Render(*listed), "{\"title\":\"eat\"}\n{\"title\":\"dig\"}\n");

  Result<std::vector<Record>> excluded =
      store_->Find("Todo", MustParseFilter({{"fields", {{"priority", false}, {"completed", false}}},
                                            {"where", {{"id", "b"}}}}));
  ASSERT_TRUE(excluded.ok()) << excluded.status().ToString();
  EXPECT_EQ(Render(*excluded), "{\"id\":\"b\",\"title\":\"buy\"}\n");
}

TEST_P(StoreConformanceTest, Count) {
  Result<size_t> empty = store_->Count("Todo", Where());
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, 0u);

  ASSERT_NO_FATAL_FAILURE(SeedTodos(*store_));
  EXPECT_EQ(*store_->Count("Todo", Where()), 5u);
  EXPECT_EQ(*store_->Count("Todo", MustParseWhere({{"completed", false}})), 3u);
  EXPECT_EQ(*store_->Count("Todo", MustParseWhere({{"priority", {{"between", {2, 4}}}}})), 3u);
  EXPECT_EQ(*store_->Count("Todo", MustParseWhere({{"id", {{"inq", {"a", "e", "x"}}}}})), 2u);
  EXPECT_EQ(*store_->Count("Todo", MustParseWhere({{"priority", 99}})), 0u);
  EXPECT_EQ(*store_->Count("Other", Where()), 1u);
  EXPECT_EQ(*store_->Count("Nowhere", Where()), 0u);

  Batch batch;
  batch.records.push_back(Delete("Todo", "a"));
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  EXPECT_EQ(*store_->Count("Todo", Where()), 4u);
}

// ---- change rows

TEST_P(StoreConformanceTest, ChangeRowsAreWrittenReadAndRemoved) {
  Result<std::optional<Change>> absent = store_->GetChange("Todo", "a");
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->has_value());

  Change created = MakeChange("Todo", "a", "rev-1", 1);
  Change updated = MakeChange("Todo", "b", "rev-3", 2);
  updated.prev = "rev-2";
  updated.prev_set = true;
  Change deleted = MakeChange("Todo", "c", std::nullopt, 2);
  deleted.prev = "rev-9";
  deleted.prev_set = true;
  Change explicit_null_prev = MakeChange("Note", "a", "rev-n", 1);
  explicit_null_prev.prev_set = true;  // prev: null, distinct from an omitted prev

  Batch batch;
  batch.changes.push_back({"Todo", "a", created});
  batch.changes.push_back({"Todo", "b", updated});
  batch.changes.push_back({"Todo", "c", deleted});
  batch.changes.push_back({"Note", "a", explicit_null_prev});
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());

  for (const Change& expected : {created, updated, deleted, explicit_null_prev}) {
    Result<std::optional<Change>> got = store_->GetChange(expected.model_name, expected.model_id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << expected.ToJson().dump();
    EXPECT_EQ((*got)->ToJson().dump(), expected.ToJson().dump());
    EXPECT_TRUE(**got == expected) << expected.ToJson().dump();
  }
  EXPECT_EQ((*store_->GetChange("Todo", "a"))->type(), ChangeType::kCreate);
  EXPECT_EQ((*store_->GetChange("Todo", "b"))->type(), ChangeType::kUpdate);
  EXPECT_EQ((*store_->GetChange("Todo", "c"))->type(), ChangeType::kDelete);

  // Overwrite a row (moving its checkpoint) and remove another (nullopt).
  Change moved = created;
  moved.rev = "rev-1b";
  moved.prev = "rev-1";
  moved.prev_set = true;
  moved.checkpoint = 3;
  Batch second;
  second.changes.push_back({"Todo", "a", moved});
  second.changes.push_back({"Todo", "b", std::nullopt});
  second.changes.push_back({"Todo", "never-existed", std::nullopt});  // removing nothing is fine
  ASSERT_TRUE(store_->Apply(std::move(second)).ok());

  EXPECT_EQ((*store_->GetChange("Todo", "a"))->ToJson().dump(), moved.ToJson().dump());
  EXPECT_FALSE(store_->GetChange("Todo", "b")->has_value());
  EXPECT_FALSE(store_->GetChange("Todo", "never-existed")->has_value());
  ChangeQuery query;
  query.model = "Todo";
  Result<std::vector<Change>> rows = store_->Changes(query);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(RenderOrder(*rows), "2:c 3:a");  // the moved row left its old position
  // The Note row is untouched by Todo's writes.
  EXPECT_EQ((*store_->GetChange("Note", "a"))->ToJson().dump(), explicit_null_prev.ToJson().dump());
}

TEST_P(StoreConformanceTest, GetManyReadsRecordsAndChangeRowsInTheOrderAsked) {
  Batch batch;
  batch.records.push_back(Put("Todo", "a", Todo("a", "one", false, 1)));
  batch.records.push_back(Put("Todo", "b", Todo("b", "two", true, 2)));
  batch.records.push_back(Put("Note", "c", Todo("c", "note", false, 3)));
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "rev-a", 1)});
  batch.changes.push_back({"Todo", "gone", MakeChange("Todo", "gone", std::nullopt, 1)});
  batch.changes.push_back({"Note", "b", MakeChange("Note", "b", "rev-nb", 1)});
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());

  // Repeated, absent, change-only and other-model ids, and ids that need escaping.
  const std::vector<std::string> ids = {"b", "a", "gone", "c", "a", "x\"y", "\u00e9"};
  Result<std::vector<StoredEntry>> entries = store_->GetMany("Todo", ids);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  std::string out;
  for (const StoredEntry& entry : *entries) {
    out += (entry.record ? (**entry.record)["title"].get<std::string>() : "-") + "/" +
           (entry.change ? entry.change->rev.value_or("null") : "-") + " ";
  }
  EXPECT_EQ(out, "two/- one/rev-a -/null -/- one/rev-a -/- -/- ");
  Result<std::vector<StoredEntry>> none = store_->GetMany("Todo", {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

// Rows at checkpoints 1..3 with model ids inserted out of order.
void SeedChanges(Store& store) {
  Batch batch;
  const std::pair<int64_t, const char*> rows[] = {
      {2, "m"}, {1, "z"}, {3, "d"}, {1, "b"}, {2, "c"}, {1, "k"}, {3, "b"}, {2, "a"},
  };
  for (const auto& [checkpoint, id] : rows) {
    batch.changes.push_back(
        {"Todo", id, MakeChange("Todo", id, std::string("r-") + id, checkpoint)});
  }
  batch.changes.push_back({"Other", "q", MakeChange("Other", "q", "r-q", 2)});
  ASSERT_TRUE(store.Apply(std::move(batch)).ok());
}

TEST_P(StoreConformanceTest, ChangesOrderedByCheckpointThenModelId) {
  ASSERT_NO_FATAL_FAILURE(SeedChanges(*store_));
  // A model id has one row: the batch writes "b" twice and the last write (checkpoint 3) wins.
  struct Case {
    int64_t since;
    std::optional<std::pair<int64_t, std::string>> after;
    std::optional<size_t> limit;
    std::string expected;
  };
  const Case cases[] = {
      {0, std::nullopt, std::nullopt, "1:k 1:z 2:a 2:c 2:m 3:b 3:d"},
      {1, std::nullopt, std::nullopt, "1:k 1:z 2:a 2:c 2:m 3:b 3:d"},
      {2, std::nullopt, std::nullopt, "2:a 2:c 2:m 3:b 3:d"},  // since is inclusive
      {3, std::nullopt, std::nullopt, "3:b 3:d"},
      {4, std::nullopt, std::nullopt, ""},
      {0, std::nullopt, 3, "1:k 1:z 2:a"},
      {0, std::nullopt, 0, ""},
      {0, std::make_pair(int64_t{2}, std::string("a")), std::nullopt, "2:c 2:m 3:b 3:d"},
      {0, std::make_pair(int64_t{2}, std::string("b")), std::nullopt, "2:c 2:m 3:b 3:d"},
      {0, std::make_pair(int64_t{1}, std::string("zz")), 2, "2:a 2:c"},
      {0, std::make_pair(int64_t{3}, std::string("b")), std::nullopt, "3:d"},
      {0, std::make_pair(int64_t{3}, std::string("d")), std::nullopt, ""},
      {2, std::make_pair(int64_t{2}, std::string("c")), 2, "2:m 3:b"},
      // A cursor before `since` does not bring back rows older than since.
      {3, std::make_pair(int64_t{1}, std::string("k")), std::nullopt, "3:b 3:d"},
  };
  for (const Case& c : cases) {
    ChangeQuery query;
    query.model = "Todo";
    query.since = c.since;
    query.after = c.after;
    query.limit = c.limit;
    Result<std::vector<Change>> rows = store_->Changes(query);
    std::string label =
        "since " + std::to_string(c.since) +
        (c.after ? " after " + std::to_string(c.after->first) + ":" + c.after->second
                 : std::string()) +
        (c.limit ? " limit " + std::to_string(*c.limit) : std::string());
    ASSERT_TRUE(rows.ok()) << label << ": " << rows.status().ToString();
    EXPECT_EQ(RenderOrder(*rows), c.expected) << label;
  }
  ChangeQuery other;
  other.model = "Other";
  EXPECT_EQ(RenderOrder(*store_->Changes(other)), "2:q");
  ChangeQuery nowhere;
  nowhere.model = "Nowhere";
  EXPECT_EQ(RenderOrder(*store_->Changes(nowhere)), "");
}

TEST_P(StoreConformanceTest, PagingChangesWithTheCursorVisitsEveryRowOnce) {
  // 103 rows over 7 checkpoints, written in several batches.
  std::set<std::string> written;
  for (int b = 0; b < 4; ++b) {
    Batch batch;
    for (int i = b; i < 103; i += 4) {
      std::string id = "id" + std::to_string(1000 + (i * 37) % 103);
      batch.changes.push_back({"Todo", id, MakeChange("Todo", id, "r" + id, 1 + i % 7)});
      written.insert(id);
    }
    ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  }
  ASSERT_EQ(written.size(), 103u);

  for (size_t page_size : {1u, 5u, 10u, 103u, 200u}) {
    std::vector<Change> seen;
    ChangeQuery query;
    query.model = "Todo";
    query.since = 2;
    query.limit = page_size;
    for (int pages = 0; pages < 200; ++pages) {
      Result<std::vector<Change>> page = store_->Changes(query);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ASSERT_LE(page->size(), page_size);
      for (const Change& change : *page) seen.push_back(change);
      if (page->size() < page_size) break;
      query.after = std::make_pair(page->back().checkpoint, page->back().model_id);
    }
    ChangeQuery all;
    all.model = "Todo";
    all.since = 2;
    Result<std::vector<Change>> expected = store_->Changes(all);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(RenderOrder(seen), RenderOrder(*expected)) << "page size " << page_size;
    std::set<std::string> ids;
    for (const Change& change : seen) {
      EXPECT_GE(change.checkpoint, 2);
      EXPECT_TRUE(ids.insert(change.model_id).second) << change.model_id << " seen twice";
    }
    size_t at_least_2 = 0;
    for (int i = 0; i < 103; ++i) at_least_2 += 1 + i % 7 >= 2 ? 1 : 0;
    EXPECT_EQ(ids.size(), at_least_2) << "page size " << page_size;
  }
}

// ---- checkpoint and meta

TEST_P(StoreConformanceTest, CheckpointStartsAtOneAndMovesWithBatches) {
  Result<int64_t> initial = store_->CurrentCheckpoint();
  ASSERT_TRUE(initial.ok()) << initial.status().ToString();
  EXPECT_EQ(*initial, 1);

  Batch bump;
  bump.checkpoint = 2;
  ASSERT_TRUE(store_->Apply(std::move(bump)).ok());
  EXPECT_EQ(*store_->CurrentCheckpoint(), 2);

  Batch records_only;
  records_only.records.push_back(Put("Todo", "a", Todo("a", "ask", false, 1)));
  ASSERT_TRUE(store_->Apply(std::move(records_only)).ok());
  EXPECT_EQ(*store_->CurrentCheckpoint(), 2);  // no checkpoint in the batch: unchanged

  Batch jump;
  jump.checkpoint = 40;
  jump.records.push_back(Put("Todo", "b", Todo("b", "buy", false, 2)));
  ASSERT_TRUE(store_->Apply(std::move(jump)).ok());
  EXPECT_EQ(*store_->CurrentCheckpoint(), 40);
}

TEST_P(StoreConformanceTest, MetaSetGetErase) {
  Result<std::optional<Json>> unset = store_->GetMeta("checkpoint.time");
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_FALSE(unset->has_value());

  Batch set;
  set.meta.push_back({"checkpoint.time", "2024-01-02T03:04:05.006Z"});
  set.meta.push_back({"since.peer-1", Json{{"source", 3}, {"target", 7}}});
  set.meta.push_back({"unresolved", Json::array({"a", "b"})});
  ASSERT_TRUE(store_->Apply(std::move(set)).ok());
  EXPECT_EQ(store_->GetMeta("checkpoint.time")->value(), "2024-01-02T03:04:05.006Z");
  EXPECT_EQ(store_->GetMeta("since.peer-1")->value(), (Json{{"source", 3}, {"target", 7}}));
  EXPECT_EQ(store_->GetMeta("unresolved")->value(), Json::array({"a", "b"}));

  Batch change;
  change.meta.push_back({"since.peer-1", Json{{"source", 4}, {"target", 9}}});
  change.meta.push_back({"unresolved", nullptr});  // null erases
  change.meta.push_back({"never-set", nullptr});   // erasing nothing is fine
  ASSERT_TRUE(store_->Apply(std::move(change)).ok());
  EXPECT_EQ(store_->GetMeta("since.peer-1")->value(), (Json{{"source", 4}, {"target", 9}}));
  EXPECT_FALSE(store_->GetMeta("unresolved")->has_value());
  EXPECT_FALSE(store_->GetMeta("never-set")->has_value());
  EXPECT_EQ(store_->GetMeta("checkpoint.time")->value(), "2024-01-02T03:04:05.006Z");
}

// ---- batches

TEST_P(StoreConformanceTest, ApplyReturnsTheCommittedBatch) {
  Batch first;
  first.records.push_back(Put("Todo", "a", Todo("a", "ask", false, 1)));
  first.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", 1)});
  first.meta.push_back({"k", "v"});
  const std::string first_text = RenderBatch(first);
  Result<CommittedBatch> c1 = store_->Apply(first);
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(RenderBatch(c1->batch), first_text);
  EXPECT_EQ(c1->checkpoint, 1);  // no bump: the current checkpoint

  Batch second;
  second.records.push_back(Delete("Todo", "a"));
  second.changes.push_back({"Todo", "a", std::nullopt});
  second.checkpoint = 2;
  second.meta.push_back({"k", nullptr});
  const std::string second_text = RenderBatch(second);
  Result<CommittedBatch> c2 = store_->Apply(second);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(RenderBatch(c2->batch), second_text);
  EXPECT_EQ(c2->checkpoint, 2);
  EXPECT_GT(c2->seq, c1->seq);

  Result<CommittedBatch> c3 = store_->Apply(Batch());
  ASSERT_TRUE(c3.ok()) << c3.status().ToString();
  EXPECT_GT(c3->seq, c2->seq);
  EXPECT_EQ(c3->checkpoint, 2);
  EXPECT_EQ(RenderBatch(c3->batch), "");
  // Per-store commit counter 1, 2, 3 for a fresh store.
  EXPECT_EQ(c1->seq, 1u);
  EXPECT_EQ(c2->seq, 2u);
  EXPECT_EQ(c3->seq, 3u);
}

TEST_P(StoreConformanceTest, EmptyBatchChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(SeedTodos(*store_));
  const std::string before = DumpStore(*store_, {"Todo", "Other"}, {"k"});
  Batch empty;
  ASSERT_TRUE(empty.empty());
  Result<CommittedBatch> committed = store_->Apply(std::move(empty));
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE(committed->batch.empty());
  EXPECT_EQ(DumpStore(*store_, {"Todo", "Other"}, {"k"}), before);
}

TEST_P(StoreConformanceTest, LastWriteOfAnIdInOneBatchWins) {
  Batch batch;
  batch.records.push_back(Put("Todo", "a", Todo("a", "first", false, 1)));
  batch.records.push_back(Put("Todo", "a", Todo("a", "second", true, 2)));
  batch.records.push_back(Put("Todo", "gone", Todo("gone", "x", false, 1)));
  batch.records.push_back(Delete("Todo", "gone"));
  batch.records.push_back(Delete("Todo", "back"));
  batch.records.push_back(Put("Todo", "back", Todo("back", "y", false, 1)));
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", 1)});
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r2", 5)});
  batch.changes.push_back({"Todo", "gone", MakeChange("Todo", "gone", "r1", 1)});
  batch.changes.push_back({"Todo", "gone", std::nullopt});
  batch.meta.push_back({"k", 1});
  batch.meta.push_back({"k", 2});
  batch.meta.push_back({"erased", "x"});
  batch.meta.push_back({"erased", nullptr});
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  EXPECT_EQ(DumpStore(*store_, {"Todo"}, {"k", "erased"}),
            "Record(Todo, {\"completed\":true,\"id\":\"a\",\"priority\":2,\"title\":\"second\"})\n"
            "Record(Todo, {\"completed\":false,\"id\":\"back\",\"priority\":1,\"title\":\"y\"})\n"
            "Change(Todo, {\"checkpoint\":5,\"id\":\"cid-Todo-a\",\"modelId\":\"a\","
            "\"modelName\":\"Todo\",\"rev\":\"r2\"})\n"
            "Checkpoint(1)\n"
            "Meta(k, 2)\n");
}

TEST_P(StoreConformanceTest, UnicodeIds) {
  const std::vector<std::string> ids = {"caf\u00e9",   "\u65e5\u672c\u8a9e", "emoji \U0001F600",
                                        "a b/c?d=e&f", "\u00e9t\u00e9-2",    "\U0001F600\u00e9"};
  Batch batch;
  for (const std::string& id : ids) {
    batch.records.push_back(Put("Todo", id, Json{{"id", id}, {"title", "t " + id}}));
    batch.changes.push_back({"Todo", id, MakeChange("Todo", id, "r " + id, 1)});
  }
  ASSERT_TRUE(store_->Apply(std::move(batch)).ok());
  for (const std::string& id : ids) {
    Result<std::optional<Record>> got = store_->Get("Todo", id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << id;
    EXPECT_EQ((***got)["title"], "t " + id);
    Result<std::optional<Change>> change = store_->GetChange("Todo", id);
    ASSERT_TRUE(change.ok()) << change.status().ToString();
    ASSERT_TRUE(change->has_value()) << id;
    EXPECT_EQ((*change)->rev.value_or("<none>"), "r " + id);
  }
  // The NFC and NFD spellings of "café" are different ids.
  EXPECT_FALSE(store_->Get("Todo", "cafe\u0301")->has_value());
  Result<std::vector<Record>> found =
      store_->Find("Todo", MustParseFilter({{"where", {{"id", "\u65e5\u672c\u8a9e"}}}}));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*(*found)[0])["title"], "t \u65e5\u672c\u8a9e");
  EXPECT_EQ(*store_->Count("Todo", Where()), ids.size());
  ChangeQuery query;
  query.model = "Todo";
  EXPECT_EQ(store_->Changes(query)->size(), ids.size());

  Batch remove;
  remove.records.push_back(Delete("Todo", "emoji \U0001F600"));
  ASSERT_TRUE(store_->Apply(std::move(remove)).ok());
  EXPECT_FALSE(store_->Get("Todo", "emoji \U0001F600")->has_value());
  EXPECT_TRUE(store_->Get("Todo", "\U0001F600\u00e9")->has_value());
}

TEST_P(StoreConformanceTest, LargeBatchCommitsAtOnce) {
  constexpr int kRecords = 10000;
  Batch batch;
  batch.records.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "r%05d", i);
    batch.records.push_back(Put("Todo", id, Todo(id, "title " + std::to_string(i), i % 2 == 0, i)));
    batch.changes.push_back({"Todo", id, MakeChange("Todo", id, "rev", 2)});
  }
  batch.checkpoint = 2;
  Result<CommittedBatch> committed = store_->Apply(std::move(batch));
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(committed->batch.records.size(), static_cast<size_t>(kRecords));

  EXPECT_EQ(*store_->Count("Todo", Where()), static_cast<size_t>(kRecords));
  EXPECT_EQ(*store_->Count("Todo", MustParseWhere({{"completed", true}})),
            static_cast<size_t>(kRecords / 2));
  EXPECT_EQ(store_->Get("Todo", "r00000")->value(), Todo("r00000", "title 0", true, 0));
  EXPECT_EQ(store_->Get("Todo", "r09999")->value(), Todo("r09999", "title 9999", false, 9999));
  Result<std::vector<Record>> page =
      store_->Find("Todo", MustParseFilter({{"order", "priority DESC"}, {"limit", 3}}));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Ids(*page), "r09999r09998r09997");
  ChangeQuery query;
  query.model = "Todo";
  query.since = 2;
  EXPECT_EQ(store_->Changes(query)->size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(*store_->CurrentCheckpoint(), 2);
}

// ---- preconditions (issue 24): checked by Apply in the same atomic step as the writes

// A precondition that (model, id) is stored as `record` with change row `change`.
Precondition Expect(const std::string& model, const std::string& id, std::optional<Json> record,
                    std::optional<Change> change) {
  std::optional<Record> expected;
  if (record) expected = Record::FromTree(std::move(*record));
  return Precondition{model, id, StoredEntry{std::move(expected), std::move(change)}};
}

// Todo a (with its change row at checkpoint 2), Todo b without one, meta k, checkpoint 2.
void SeedForPreconditions(Store& store) {
  Batch batch;
  batch.records.push_back(Put("Todo", "a", Todo("a", "ask", false, 1)));
  batch.records.push_back(Put("Todo", "b", Todo("b", "buy", false, 2)));
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", 2)});
  batch.checkpoint = 2;
  batch.meta.push_back({"k", "v"});
  ASSERT_TRUE(store.Apply(std::move(batch)).ok());
}

// A batch that would change every part of the state: records, changes, checkpoint, meta.
Batch WriteEverything() {
  Batch batch;
  batch.records.push_back(Put("Todo", "a", Todo("a", "ask again", true, 1)));
  batch.records.push_back(Delete("Todo", "b"));
  batch.records.push_back(Put("Todo", "n", Todo("n", "new", false, 9)));
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r2", 3)});
  batch.changes.push_back({"Todo", "n", MakeChange("Todo", "n", "r1", 3)});
  batch.checkpoint = 3;
  batch.meta.push_back({"k", "w"});
  return batch;
}

// Applies `batch`, expecting kPreconditionFailed and no change to the state.
void ExpectRefused(Store& store, Batch batch) {
  const std::string before = DumpStore(store, {"Todo"}, {"k"});
  Result<CommittedBatch> refused = store.Apply(std::move(batch));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPreconditionFailed)
      << refused.status().ToString();
  EXPECT_STREQ(StatusCodeName(refused.status().code()), "precondition_failed");
  EXPECT_EQ(DumpStore(store, {"Todo"}, {"k"}), before);
}

TEST_P(StoreConformanceTest, PreconditionsThatHoldLetTheBatchApply) {
  ASSERT_NO_FATAL_FAILURE(SeedForPreconditions(*store_));
  Batch batch = WriteEverything();
  batch.preconditions.push_back(
      Expect("Todo", "a", Todo("a", "ask", false, 1), MakeChange("Todo", "a", "r1", 2)));
  batch.preconditions.push_back(Expect("Todo", "b", Todo("b", "buy", false, 2), std::nullopt));
  batch.preconditions.push_back(Expect("Todo", "n", std::nullopt, std::nullopt));  // absent
  batch.expected_checkpoint = 2;
  Result<CommittedBatch> committed = store_->Apply(std::move(batch));
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  // The committed batch is what was written: the checks are dropped once they held.
  EXPECT_TRUE(committed->batch.preconditions.empty());
  EXPECT_FALSE(committed->batch.expected_checkpoint.has_value());
  EXPECT_EQ(
      DumpStore(*store_, {"Todo"}, {"k"}),
      "Record(Todo, {\"completed\":true,\"id\":\"a\",\"priority\":1,\"title\":\"ask again\"})\n"
      "Record(Todo, {\"completed\":false,\"id\":\"n\",\"priority\":9,\"title\":\"new\"})\n"
      "Change(Todo, {\"checkpoint\":3,\"id\":\"cid-Todo-a\",\"modelId\":\"a\","
      "\"modelName\":\"Todo\",\"rev\":\"r2\"})\n"
      "Change(Todo, {\"checkpoint\":3,\"id\":\"cid-Todo-n\",\"modelId\":\"n\","
      "\"modelName\":\"Todo\",\"rev\":\"r1\"})\n"
      "Checkpoint(3)\n"
      "Meta(k, \"w\")\n");
}

TEST_P(StoreConformanceTest, AFailedPreconditionWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(SeedForPreconditions(*store_));
  Batch stale_record = WriteEverything();  // another writer changed a's title since
  stale_record.preconditions.push_back(
      Expect("Todo", "a", Todo("a", "old title", false, 1), MakeChange("Todo", "a", "r1", 2)));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(stale_record)));

  Change moved = MakeChange("Todo", "a", "r1", 1);  // same record, its row moved since
  Batch stale_change = WriteEverything();
  stale_change.preconditions.push_back(Expect("Todo", "a", Todo("a", "ask", false, 1), moved));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(stale_change)));

  Batch stale_checkpoint = WriteEverything();
  stale_checkpoint.expected_checkpoint = 1;
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(stale_checkpoint)));
}

TEST_P(StoreConformanceTest, MustBeAbsentAgainstPresent) {
  ASSERT_NO_FATAL_FAILURE(SeedForPreconditions(*store_));
  Batch create_over_a = WriteEverything();  // a exists: "must be absent" fails
  create_over_a.preconditions.push_back(Expect("Todo", "a", std::nullopt, std::nullopt));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(create_over_a)));

  Batch patch_of_n = WriteEverything();  // n was never stored: "present as ..." fails
  patch_of_n.preconditions.push_back(Expect("Todo", "n", Todo("n", "new", false, 9), std::nullopt));
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(patch_of_n)));

  Batch unknown_model = WriteEverything();  // absent in a model never written holds
  unknown_model.preconditions.push_back(Expect("Nowhere", "a", std::nullopt, std::nullopt));
  unknown_model.preconditions.push_back(Expect("Todo", "n", std::nullopt, std::nullopt));
  Result<CommittedBatch> applied = store_->Apply(std::move(unknown_model));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(store_->Get("Todo", "n")->value(), Todo("n", "new", false, 9));
}

TEST_P(StoreConformanceTest, OneFailingPreconditionAmongSeveralWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(SeedForPreconditions(*store_));
  Batch batch = WriteEverything();
  batch.preconditions.push_back(
      Expect("Todo", "a", Todo("a", "ask", false, 1), MakeChange("Todo", "a", "r1", 2)));
  batch.preconditions.push_back(Expect("Todo", "b", std::nullopt, std::nullopt));  // b exists
  batch.preconditions.push_back(Expect("Todo", "n", std::nullopt, std::nullopt));
  batch.expected_checkpoint = 2;
  ASSERT_NO_FATAL_FAILURE(ExpectRefused(*store_, std::move(batch)));
  // The refusal names the record that moved.
  Batch again = WriteEverything();
  again.preconditions.push_back(Expect("Todo", "b", std::nullopt, std::nullopt));
  Result<CommittedBatch> refused = store_->Apply(std::move(again));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().details(), (Json{{"model", "Todo"}, {"id", "b"}}));
}

}  // namespace
}  // namespace replicore
