// SqliteStore: the Store conformance suite, durability across reopen, all-or-nothing
// batches, filters equal to MemoryStore's (a differential test), SQL injection attempts and
// concurrent readers during writes.
#include "replicore/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/store_conformance.h"
#include "server/filter_differential.h"
#include "server/temp_dir.h"
#include "replicore/filter.h"
#include "replicore/memory_store.h"
#include "replicore/scoped_store.h"
#include "core/store_wrapper.h"

namespace replicore {
namespace {

using testing::TempDir;
using testing::DifferentialFilters;
using testing::DifferentialRecords;
using testing::LoadBoth;
using testing::MustFilter;
using testing::Render;

std::unique_ptr<SqliteStore> MustOpen(const std::string& path, int busy_timeout_ms = 5000) {
  SqliteStoreOptions options;
  options.path = path;
  options.busy_timeout_ms = busy_timeout_ms;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A SqliteStore on a file of its own temporary directory, removed with the store.
struct OwnedSqlite {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = MustOpen(dir.File("store.db"));
};
class TempSqliteStore : private OwnedSqlite, public StoreWrapper {
 public:
  TempSqliteStore() : StoreWrapper(store.get()) {}
};

struct OwnedMemorySqlite {
  std::unique_ptr<SqliteStore> store = MustOpen(":memory:");
};
class MemorySqliteStore : private OwnedMemorySqlite, public StoreWrapper {
 public:
  MemorySqliteStore() : StoreWrapper(store.get()) {}
};

INSTANTIATE_TEST_SUITE_P(
    SqliteStore, StoreConformanceTest,
    ::testing::Values(
        StoreFactory{"SqliteStoreFile", [] { return std::unique_ptr<Store>(new TempSqliteStore()); }},
        StoreFactory{"SqliteStoreMemory",
                     [] { return std::unique_ptr<Store>(new MemorySqliteStore()); }}),
    StoreFactoryName());

Change MakeChange(const std::string& model, const std::string& id, std::optional<std::string> rev,
                  std::optional<std::string> prev, int64_t checkpoint) {
  Change change;
  change.id = "cid-" + id;
  change.rev = std::move(rev);
  change.prev = std::move(prev);
  change.prev_set = change.prev.has_value();
  change.checkpoint = checkpoint;
  change.model_name = model;
  change.model_id = id;
  return change;
}


const std::vector<std::string> kModels = {"Todo", "Note"};
const std::vector<std::string> kMetaKeys = {"checkpoint.time", "since.peer", "gone"};

Batch SampleBatch() {
  Batch batch;
  batch.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "ask"}, {"n", 1.5}})});
  batch.records.push_back({"Todo", "b", Record::FromTree(Json{{"id", "b"}, {"tags", {"x", 2, nullptr}}})});
  batch.records.push_back({"Note", "a", Record::FromTree(Json{{"id", "a"}, {"text", "caf\u00e9 \U0001F600"}})});
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", std::nullopt, 2)});
  batch.changes.push_back({"Todo", "b", MakeChange("Todo", "b", std::nullopt, "r0", 3)});
  batch.changes.push_back({"Note", "a", MakeChange("Note", "a", "r2", "r1", 2)});
  batch.checkpoint = 3;
  batch.meta.push_back({"checkpoint.time", "2024-01-02T03:04:05.006Z"});
  batch.meta.push_back({"since.peer", Json{{"source", 3}, {"target", 7}}});
  return batch;
}

TEST(SqliteStoreTest, DurableAcrossReopen) {
  TempDir dir;
  std::string path = dir.File("durable.db");
  std::string before;
  {
    std::unique_ptr<SqliteStore> store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Apply(SampleBatch()).ok());
    Batch second;
    second.records.push_back({"Todo", "c", Record::FromTree(Json{{"id", "c"}})});
    second.records.push_back({"Todo", "a", std::nullopt});
    second.changes.push_back({"Todo", "a", std::nullopt});
    second.meta.push_back({"gone", 1});
    second.meta.push_back({"gone", nullptr});
    ASSERT_TRUE(store->Apply(std::move(second)).ok());
    before = DumpStore(*store, kModels, kMetaKeys);
  }
  EXPECT_NE(before.find("Checkpoint(3)"), std::string::npos) << before;
  EXPECT_NE(before.find("Record(Note"), std::string::npos) << before;
  std::unique_ptr<SqliteStore> reopened = MustOpen(path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(DumpStore(*reopened, kModels, kMetaKeys), before);
  // prev_set and null rev survive exactly.
  Result<std::optional<Change>> change = reopened->GetChange("Todo", "b");
  ASSERT_TRUE(change.ok());
  ASSERT_TRUE(change->has_value());
  EXPECT_EQ(**change, MakeChange("Todo", "b", std::nullopt, "r0", 3));

  // The file is in WAL mode.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  // Changes(since, after, limit) is a range scan of the (model, checkpoint, model_id) index.
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT id FROM changes WHERE model = 'x' AND "
                               "checkpoint >= 1 AND (checkpoint, model_id) > (1, 'a') ORDER BY "
                               "checkpoint, model_id LIMIT 10",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_NE(plan.find("changes_by_checkpoint"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(SqliteStoreTest, FailedApplyWhileAnotherConnectionHoldsTheWriteLock) {
  TempDir dir;
  std::string path = dir.File("locked.db");
  std::unique_ptr<SqliteStore> store = MustOpen(path, /*busy_timeout_ms=*/50);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Apply(SampleBatch()).ok());
  const std::string before = DumpStore(*store, kModels, kMetaKeys);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Batch batch;
  batch.records.push_back({"Todo", "new", Record::FromTree(Json{{"id", "new"}})});
  batch.changes.push_back({"Todo", "new", MakeChange("Todo", "new", "r", std::nullopt, 9)});
  batch.checkpoint = 9;
  Result<CommittedBatch> failed = store->Apply(std::move(batch));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kStorage);
  EXPECT_NE(failed.status().message().find("locked"), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(DumpStore(*store, kModels, kMetaKeys), before);
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  // The lock gone, writing works again.
  Batch retry;
  retry.records.push_back({"Todo", "new", Record::FromTree(Json{{"id", "new"}})});
  ASSERT_TRUE(store->Apply(std::move(retry)).ok());
  EXPECT_TRUE(store->Get("Todo", "new")->has_value());
}

TEST(SqliteStoreTest, FilesOfSchemaZeroAreRewrittenAsCanonicalTextOnce) {
  TempDir dir;
  const std::string path = dir.File("v0.db");
  {
    std::unique_ptr<SqliteStore> store = MustOpen(path);
    ASSERT_NE(store, nullptr);
  }
  // What a release before records-as-text left: nlohmann's dump (U+2028 raw, 1.0 as 1.0).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO records(model, id, data) VALUES ('Todo', 'a', "
                         "'{\"id\":\"a\",\"n\":1.0,\"t\":\"x\u2028y\"}');"
                         "PRAGMA user_version = 0;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::unique_ptr<SqliteStore> upgraded = MustOpen(path);
  ASSERT_NE(upgraded, nullptr);
  Result<std::optional<Record>> record = upgraded->Get("Todo", "a");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->text(), R"({"id":"a","n":1,"t":"x\u2028y"})");
  // A file from a newer release is refused rather than misread.
  upgraded.reset();
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  SqliteStoreOptions options;
  options.path = path;
  Result<std::unique_ptr<SqliteStore>> newer = SqliteStore::Open(options);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos) << newer.status().message();
}

TEST(SqliteStoreTest, FailedApplyMidwayLeavesNothing) {
  for (const char* path_kind : {"file", "memory"}) {
    TempDir dir;
    std::unique_ptr<SqliteStore> store =
        MustOpen(std::string(path_kind) == "file" ? dir.File("midway.db") : ":memory:");
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Apply(SampleBatch()).ok());
    const std::string before = DumpStore(*store, kModels, kMetaKeys);

    // Records, changes, checkpoint and a meta erase all written before the failure: the last
    // meta value holds invalid UTF-8, which cannot be serialized as JSON text. (Records are
    // canonical text already, so a record can no longer fail there.)
    Batch batch;
    batch.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "overwritten"}})});
    batch.records.push_back({"Todo", "b", std::nullopt});
    batch.records.push_back({"Todo", "new", Record::FromTree(Json{{"id", "new"}})});
    batch.changes.push_back({"Todo", "a", std::nullopt});
    batch.checkpoint = 10;
    batch.meta.push_back({"since.peer", nullptr});
    batch.meta.push_back({"bad", std::string("\xff\xfe")});
    Result<CommittedBatch> failed = store->Apply(std::move(batch));
    ASSERT_FALSE(failed.ok()) << path_kind;
    EXPECT_EQ(failed.status().code(), StatusCode::kStorage);
    EXPECT_EQ(DumpStore(*store, kModels, kMetaKeys), before) << path_kind;

    // Same with the bad value in meta, after every other part of the batch.
    Batch meta_fails;
    meta_fails.records.push_back({"Todo", "z", Record::FromTree(Json{{"id", "z"}})});
    meta_fails.changes.push_back({"Todo", "z", MakeChange("Todo", "z", "r", std::nullopt, 11)});
    meta_fails.checkpoint = 11;
    meta_fails.meta.push_back({"checkpoint.time", "x"});
    meta_fails.meta.push_back({"gone", std::string("\xc3")});
    ASSERT_FALSE(store->Apply(std::move(meta_fails)).ok());
    EXPECT_EQ(DumpStore(*store, kModels, kMetaKeys), before) << path_kind;

    // No transaction was left open: the next batch commits, and its seq follows the last
    // successful one.
    Batch ok;
    ok.records.push_back({"Todo", "after", Record::FromTree(Json{{"id", "after"}})});
    Result<CommittedBatch> committed = store->Apply(std::move(ok));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    EXPECT_EQ(committed->seq, 2u);
    EXPECT_TRUE(store->Get("Todo", "after")->has_value());
  }
}


TEST(SqliteStoreTest, FiltersMatchMemoryStore) {
  TempDir dir;
  std::unique_ptr<SqliteStore> sqlite = MustOpen(dir.File("diff.db"));
  ASSERT_NE(sqlite, nullptr);
  MemoryStore memory;
  ASSERT_NO_FATAL_FAILURE(LoadBoth(*sqlite, memory, DifferentialRecords()));
  size_t non_trivial = 0;
  for (const Json& json : DifferentialFilters()) {
    Filter filter = MustFilter(json);
    Result<std::vector<Record>> expected = memory.Find("Todo", filter);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(Render(sqlite->Find("Todo", filter)), Render(expected)) << json.dump();
    Result<size_t> count = sqlite->Count("Todo", filter.where);
    ASSERT_TRUE(count.ok()) << json.dump() << ": " << count.status().ToString();
    EXPECT_EQ(*count, *memory.Count("Todo", filter.where)) << json.dump();
    if (!expected->empty() && expected->size() < 300) ++non_trivial;
  }
  // The data set is rich enough that most filters select a strict, non-empty subset.
  EXPECT_GE(non_trivial, DifferentialFilters().size() * 2 / 3);
}

TEST(SqliteStoreTest, SqlInjectionInPropertyNamesAndValues) {
  TempDir dir;
  std::unique_ptr<SqliteStore> sqlite = MustOpen(dir.File("inject.db"));
  ASSERT_NE(sqlite, nullptr);
  MemoryStore memory;
  std::vector<Json> records = {
      {{"id", "1"}, {"title", "' OR '1'='1"}, {"title') OR 1=1 --", "hit"}},
      {{"id", "2"}, {"title", "plain"}, {"we\"ird", 1}, {"back\\slash", 2}, {"a'b", 3}},
      {{"id", "3"}, {"title", "x"}, {"$", 4}, {"x[0]", 5}, {"*", 6}, {"", 7}, {"ctl\n", 8}},
      {{"id", "4"}, {"title", "\"); DROP TABLE records; --"}},
  };
  ASSERT_NO_FATAL_FAILURE(LoadBoth(*sqlite, memory, records));
  const std::vector<Json> filters = {
      {{"where", {{"title') OR 1=1 --", "hit"}}}},
      {{"where", {{"title') OR 1=1 --", {{"neq", "hit"}}}}}},
      {{"where", {{"title", "' OR '1'='1"}}}},
      {{"where", {{"title", "' OR 1=1 --"}}}},
      {{"where", {{"title", {{"like", "%' OR '%"}}}}}},
      {{"where", {{"title", {{"inq", {"') OR 1=1 --", "plain"}}}}}}},
      {{"where", {{"title", {{"regexp", "'\\); DROP TABLE records; --"}}}}}},
      {{"where", {{"title", "\"); DROP TABLE records; --"}}}},
      {{"where", {{"we\"ird", 1}}}},
      {{"where", {{"back\\slash", 2}}}},
      {{"where", {{"a'b", 3}}}},
      {{"where", {{"$", 4}}}},
      {{"where", {{"x[0]", 5}}}},
      {{"where", {{"*", 6}}}},
      {{"where", {{"", 7}}}},
      {{"where", {{"ctl\n", 8}}}},
      {{"where", {{"$.title", "plain"}}}},
      {{"where", {{"title\") OR 1=1 --.x", {{"neq", 1}}}}}},
      {{"order", "title')DESC--"}},
      {{"order", "we\"ird DESC"}},
      {{"order", "x[0] DESC"}},
  };
  for (const Json& json : filters) {
    Filter filter = MustFilter(json);
    Result<std::vector<Record>> found = sqlite->Find("Todo", filter);
    ASSERT_TRUE(found.ok()) << json.dump() << ": " << found.status().ToString();
    EXPECT_EQ(Render(found), Render(memory.Find("Todo", filter))) << json.dump();
    Result<size_t> count = sqlite->Count("Todo", filter.where);
    ASSERT_TRUE(count.ok()) << json.dump() << ": " << count.status().ToString();
    EXPECT_EQ(*count, *memory.Count("Todo", filter.where)) << json.dump();
  }
  // An order key no parser would produce (spaces, quotes, SQL) is still only a bound value.
  Filter raw;
  raw.order.push_back(OrderKey{{"title') DESC; DROP TABLE records; --", "x"}, true});
  raw.order.push_back(OrderKey{{"title"}, false});
  EXPECT_EQ(Render(sqlite->Find("Todo", raw)), Render(memory.Find("Todo", raw)));
  // Targeted expectations, not only agreement.
  EXPECT_EQ(sqlite->Find("Todo", MustFilter({{"where", {{"title", "' OR 1=1 --"}}}}))->size(), 0u);
  EXPECT_EQ(sqlite->Find("Todo", MustFilter({{"where", {{"we\"ird", 1}}}}))->size(), 1u);
  // Models and ids are values too.
  EXPECT_FALSE(sqlite->Get("Todo' OR '1'='1", "1' OR '1'='1")->has_value());
  EXPECT_EQ(*sqlite->Count("Todo' OR 1=1 --", Where()), 0u);
  EXPECT_EQ(*sqlite->Count("Todo", Where()), 4u);  // the table is still there
}

TEST(SqliteStoreTest, ConcurrentReadersSeeConsistentSnapshots) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = MustOpen(dir.File("concurrent.db"));
  ASSERT_NE(store, nullptr);
  constexpr int kRecords = 20;
  constexpr int kBatches = 150;
  // Every batch rewrites all records with version v and sets the checkpoint and meta to v,
  // so any consistent read sees one version everywhere.
  auto write_version = [&](int v) {
    Batch batch;
    for (int i = 0; i < kRecords; ++i) {
      std::string id = "r" + std::to_string(i);
      batch.records.push_back({"Todo", id, Record::FromTree(Json{{"id", id}, {"v", v}})});
      batch.changes.push_back({"Todo", id, MakeChange("Todo", id, "rev" + std::to_string(v),
                                                      std::nullopt, v)});
    }
    batch.checkpoint = v;
    batch.meta.push_back({"version", v});
    return store->Apply(std::move(batch));
  };
  ASSERT_TRUE(write_version(1).ok());

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      int last_seen = 0;
      while (!done.load()) {
        Filter filter;
        if (t % 2) filter = MustFilter({{"where", {{"v", {{"gte", 1}}}}}, {"order", "v DESC"}});
        Result<std::vector<Record>> all = store->Find("Todo", filter);
        if (!all.ok() || all->size() != static_cast<size_t>(kRecords)) {
          ++failures;
          continue;
        }
        int v = (*(*all)[0])["v"].get<int>();
        for (const Record& r : *all) {
          if ((*r)["v"] != v) ++failures;
        }
        if (v < last_seen) ++failures;  // never goes back in time
        last_seen = v;
        ChangeQuery query;
        query.model = "Todo";
        Result<std::vector<Change>> changes = store->Changes(query);
        if (!changes.ok() || changes->size() != static_cast<size_t>(kRecords)) {
          ++failures;
        } else {
          int64_t cp = changes->front().checkpoint;
          for (const Change& c : *changes) {
            if (c.checkpoint != cp) ++failures;
          }
        }
        Result<int64_t> checkpoint = store->CurrentCheckpoint();
        Result<std::optional<Json>> meta = store->GetMeta("version");
        Result<size_t> count = store->Count("Todo", MustFilter({{"where", {{"v", {{"gte", v}}}}}}).where);
        if (!checkpoint.ok() || *checkpoint < v || !meta.ok() || !meta->has_value() ||
            !count.ok()) {
          ++failures;
        }
        ++reads;
      }
    });
  }
  for (int v = 2; v <= kBatches; ++v) {
    Result<CommittedBatch> committed = write_version(v);
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  }
  // Let the readers see the final state too.
  while (reads.load() < 200) std::this_thread::yield();
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store->CurrentCheckpoint(), kBatches);
  EXPECT_EQ((**store->Get("Todo", "r0"))->at("v"), kBatches);
}

// Issue 24: the read scope is a hook of every Store, so the HTTP layer needs no downcast.
// Through the interface a file store batches a thread's reads on one snapshot; a write of
// another thread shows once the scope ends. A partition batches as its base; MemoryStore
// and a ":memory:" file batch nothing.
TEST(SqliteStoreTest, ReadScopeThroughTheStoreInterface) {
  TempDir dir;
  std::unique_ptr<SqliteStore> sqlite = MustOpen(dir.File("scope.db"));
  ASSERT_NE(sqlite, nullptr);
  Store* store = sqlite.get();
  EXPECT_TRUE(store->SnapshotReads());
  {
    std::unique_ptr<ReadScope> scope = store->BatchReads(/*exclusive=*/false);
    ASSERT_NE(scope, nullptr);
    EXPECT_EQ(store->BatchReads(false), nullptr);  // nested: the outer one serves
    EXPECT_FALSE(store->Get("Todo", "a")->has_value());  // the snapshot starts here
    std::thread writer([&] {
      Batch batch;
      batch.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}})});
      EXPECT_TRUE(store->Apply(std::move(batch)).ok());
    });
    writer.join();
    EXPECT_FALSE(store->Get("Todo", "a")->has_value());
  }
  EXPECT_TRUE(store->Get("Todo", "a")->has_value());

  ScopedStore partition(store, "alice");
  EXPECT_TRUE(partition.SnapshotReads());
  EXPECT_NE(partition.BatchReads(false), nullptr);

  MemoryStore memory;
  EXPECT_FALSE(memory.SnapshotReads());
  EXPECT_EQ(memory.BatchReads(true), nullptr);
  std::unique_ptr<SqliteStore> private_memory = MustOpen(":memory:");
  EXPECT_FALSE(private_memory->SnapshotReads());
  EXPECT_EQ(private_memory->BatchReads(false), nullptr);
}

TEST(SqliteStoreTest, SeveralStoresInOneThreadKeepTheirOwnReaders) {
  TempDir dir;
  std::unique_ptr<SqliteStore> a = MustOpen(dir.File("a.db"));
  std::unique_ptr<SqliteStore> b = MustOpen(dir.File("b.db"));
  Batch batch;
  batch.records.push_back({"Todo", "only-a", Record::FromTree(Json{{"id", "only-a"}})});
  ASSERT_TRUE(a->Apply(std::move(batch)).ok());
  EXPECT_TRUE(a->Get("Todo", "only-a")->has_value());
  EXPECT_FALSE(b->Get("Todo", "only-a")->has_value());
  // A store reopened (possibly at the same address) reads its own file.
  a.reset();
  std::unique_ptr<SqliteStore> c = MustOpen(dir.File("c.db"));
  EXPECT_FALSE(c->Get("Todo", "only-a")->has_value());
  std::unique_ptr<SqliteStore> a2 = MustOpen(dir.File("a.db"));
  EXPECT_TRUE(a2->Get("Todo", "only-a")->has_value());
}

TEST(SqliteStoreTest, OpenFailsCleanlyOnABadPath) {
  SqliteStoreOptions options;
  options.path = "/nonexistent-dir-for-replicore/x.db";
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kStorage);
}

}  // namespace
}  // namespace replicore
