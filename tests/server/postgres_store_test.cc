// PostgresStore: the Store conformance suite, durability across reopen, the versioned
// schema, all-or-nothing batches, filters equal to MemoryStore's (the differential data
// SqliteStore runs), records and keys holding NUL, and several stores (as several servers
// would) writing the same records at once. Needs $REPLICORE_PG_URL
// (tests/pg/with-postgres.sh): without it these fail in CI and skip elsewhere.
#include "replicore/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/store_conformance.h"
#include "core/store_wrapper.h"
#include "replicore/filter.h"
#include "replicore/memory_store.h"
#include "replicore/postgres_dialect.h"
#include "server/filter_differential.h"
#include "server/pg_test_util.h"

namespace replicore {
namespace {

using testing::OwnedPostgres;

// A store of the suite: a PostgresStore on a schema of its own.
class TempPostgresStore : private OwnedPostgres, public StoreWrapper {
 public:
  TempPostgresStore() : OwnedPostgres("conf"), StoreWrapper(store.get()) {}
};

std::vector<StoreFactory> PostgresFactories() {
  if (testing::PgUrl().empty()) return {};  // PostgresStoreTest.Available says why
  return {StoreFactory{"PostgresStore",
                       [] { return std::unique_ptr<Store>(new TempPostgresStore()); }}};
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);
INSTANTIATE_TEST_SUITE_P(PostgresStore, StoreConformanceTest,
                         ::testing::ValuesIn(PostgresFactories()), StoreFactoryName());

Change MakeChange(const std::string& model, const std::string& id, std::optional<std::string> rev,
                  int64_t checkpoint) {
  Change change;
  change.id = "cid-" + id;
  change.rev = std::move(rev);
  change.checkpoint = checkpoint;
  change.model_name = model;
  change.model_id = id;
  return change;
}

const std::vector<std::string> kModels = {"Todo", "Note"};
const std::vector<std::string> kMetaKeys = {"since.peer"};

TEST(PostgresStoreTest, Available) { RC_REQUIRE_POSTGRES(); }

TEST(PostgresStoreTest, DurableAcrossReopenAndSchemaVersioned) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("reopen");
  ASSERT_NE(owned.store, nullptr);
  Batch batch;
  batch.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"n", 1.5}, {"z", 1}, {"b", "caf\u00e9"}})});
  batch.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", 2)});
  batch.checkpoint = 2;
  batch.meta.push_back({"since.peer", Json{{"source", 3}}});
  ASSERT_TRUE(owned.store->Apply(std::move(batch)).ok());
  const std::string before = DumpStore(*owned.store, kModels, kMetaKeys);
  // Keys stay in the core's order, numbers as written: the text is stored, not jsonb.
  EXPECT_NE(before.find("{\"b\":\"caf\u00e9\",\"id\":\"a\",\"n\":1.5,\"z\":1}"), std::string::npos)
      << before;

  PostgresStoreOptions options;
  options.url = testing::PgUrl();
  options.schema = owned.schema;
  Result<std::unique_ptr<PostgresStore>> again = PostgresStore::Open(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(DumpStore(**again, kModels, kMetaKeys), before);

  // A database of version 1 (the first release) is migrated on open: the translation's
  // functions and index appear, and filters on declared indexes are answered with them.
  const std::string& s = owned.schema;
  ASSERT_TRUE(testing::PgExec("DROP INDEX " + s + ".replicore_records_nul; DROP FUNCTION " + s +
                              ".replicore_type; DROP FUNCTION " + s + ".replicore_number; DROP "
                              "FUNCTION " + s + ".replicore_text16; DROP FUNCTION " + s +
                              ".replicore_utf16; UPDATE " + s + ".replicore_schema SET version = 1"));
  // What version 1 had and version 2 no longer uses: replicore_scalar and its indexes.
  ASSERT_TRUE(testing::PgExec(
      "CREATE FUNCTION " + s + ".replicore_scalar(data text, key text) RETURNS jsonb LANGUAGE"
      " sql IMMUTABLE AS $$ SELECT NULL::jsonb $$; CREATE INDEX replicore_p_0123 ON " + s +
      ".replicore_records (" + s + ".replicore_scalar(data, 'n'))"));
  Result<std::unique_ptr<PostgresStore>> migrated = PostgresStore::Open(options);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  ASSERT_TRUE((*migrated)->DeclareIndexes("Todo", {IndexDefinition{"n_idx", {{"n", false}}}}).ok());
  Filter by_n = testing::MustFilter({{"where", {{"n", {{"gt", 1}}}}}, {"order", "n ASC"}});
  EXPECT_EQ(testing::Render((*migrated)->Find("Todo", by_n)), "{\"b\":\"caf\u00e9\",\"id\":\"a\",\"n\":1.5,\"z\":1}\n");
  Result<std::string> plan = (*migrated)->ExplainFind("Todo", by_n);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_NE(plan->find("rc_t_"), std::string::npos) << *plan;
  EXPECT_TRUE(testing::PgExec(
      "DO $$ BEGIN IF EXISTS(SELECT 1 FROM pg_indexes WHERE schemaname = '" + s +
      "' AND indexname LIKE 'replicore\\_p\\_%') OR EXISTS(SELECT 1 FROM pg_proc JOIN"
      " pg_namespace n ON n.oid = pronamespace WHERE nspname = '" + s +
      "' AND proname = 'replicore_scalar') THEN RAISE EXCEPTION 'version 1 left behind'; END IF;"
      " END $$"));

  // A database written by a newer release is refused, clearly.
  ASSERT_TRUE(testing::PgExec("UPDATE " + owned.schema + ".replicore_schema SET version = 99"));
  Result<std::unique_ptr<PostgresStore>> newer = PostgresStore::Open(options);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kStorage);
  EXPECT_NE(newer.status().message().find("schema version 99, newer"), std::string::npos)
      << newer.status().ToString();
}

TEST(PostgresStoreTest, FailedApplyMidwayLeavesNothing) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("fail");
  ASSERT_NE(owned.store, nullptr);
  Batch first;
  first.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}})});
  first.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "r1", 1)});
  ASSERT_TRUE(owned.store->Apply(std::move(first)).ok());
  const std::string before = DumpStore(*owned.store, kModels, kMetaKeys);
  // The meta value cannot be serialised: it fails after every record and change is written.
  Batch batch;
  batch.records.push_back({"Todo", "a", std::nullopt});
  batch.records.push_back({"Todo", "new", Record::FromTree(Json{{"id", "new"}})});
  batch.changes.push_back({"Todo", "a", std::nullopt});
  batch.checkpoint = 10;
  batch.meta.push_back({"bad", std::string("\xff\xfe")});
  Result<CommittedBatch> failed = owned.store->Apply(std::move(batch));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(DumpStore(*owned.store, kModels, kMetaKeys), before);
  // An id holding NUL cannot be a PostgreSQL text: refused, nothing written.
  Batch nul;
  nul.records.push_back({"Todo", "ok", Record::FromTree(Json{{"id", "ok"}})});
  nul.records.push_back({"Todo", std::string("a\0b", 3), Record::FromTree(Json{{"id", "x"}})});
  Result<CommittedBatch> refused = owned.store->Apply(std::move(nul));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kBadRequest) << refused.status().ToString();
  EXPECT_EQ(DumpStore(*owned.store, kModels, kMetaKeys), before);
  EXPECT_FALSE(owned.store->Get("Todo", std::string("a\0b", 3))->has_value());
  // The connection went back to the pool clean: the next batch commits.
  Batch ok;
  ok.records.push_back({"Todo", "after", Record::FromTree(Json{{"id", "after"}})});
  ASSERT_TRUE(owned.store->Apply(std::move(ok)).ok());
  EXPECT_TRUE(owned.store->Get("Todo", "after")->has_value());
}

TEST(PostgresStoreTest, FiltersMatchMemoryStore) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("diff");
  ASSERT_NE(owned.store, nullptr);
  // An index on some of the properties: answers never depend on it.
  ASSERT_TRUE(owned.store->DeclareIndexes("Todo", {IndexDefinition{"title_idx", {{"title", false}}},
                                                   IndexDefinition{"n_idx", {{"n", false}}}})
                  .ok());
  MemoryStore memory;
  std::vector<Json> records = testing::DifferentialRecords();
  // Strings holding NUL: jsonb refuses them, the core matches these records.
  records.push_back({{"id", "nul1"}, {"title", std::string("Buy\0milk", 8)}, {"n", 5}});
  records.push_back({{"id", "nul2"}, {"title", "milk"}, {"note", std::string("\0", 1)}, {"n", 1}});
  ASSERT_NO_FATAL_FAILURE(testing::LoadBoth(*owned.store, memory, records));
  std::vector<Json> filters = testing::DifferentialFilters();
  filters.push_back({{"where", {{"title", std::string("Buy\0milk", 8)}}}});
  filters.push_back({{"where", {{"title", {{"inq", {"milk", std::string("Buy\0milk", 8)}}}}}}});
  filters.push_back({{"where", {{"title", {{"like", "Buy"}}}}}});
  for (const Json& json : filters) {
    Filter filter = testing::MustFilter(json);
    Result<std::vector<Record>> expected = memory.Find("Todo", filter);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(testing::Render(owned.store->Find("Todo", filter)), testing::Render(expected))
        << json.dump();
    Result<size_t> count = owned.store->Count("Todo", filter.where);
    ASSERT_TRUE(count.ok()) << json.dump() << ": " << count.status().ToString();
    EXPECT_EQ(*count, *memory.Count("Todo", filter.where)) << json.dump();
  }
}

// Filters on indexed properties are answered by SQL alone (postgres_dialect.h): where,
// order, limit and skip. The same answers as MemoryStore's, with the values the SQL reads
// scalar (title, n, done), holding arrays and objects (mixed: the core answers), and after a
// record with an escaped NUL arrives (the core answers the model's queries).
TEST(PostgresStoreTest, TranslatedFiltersMatchMemoryStore) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("translated");
  ASSERT_NE(owned.store, nullptr);
  ASSERT_TRUE(owned.store
                  ->DeclareIndexes("Todo", {IndexDefinition{"title_idx", {{"title", false}}},
                                            IndexDefinition{"n_idx", {{"n", true}}},
                                            IndexDefinition{"done_n", {{"done", true}, {"n", false}}},
                                            IndexDefinition{"mixed_idx", {{"mixed", false}}}})
                  .ok());
  MemoryStore memory;
  std::vector<Json> records = testing::DifferentialRecords();
  records.push_back({{"id", "big1"}, {"n", 9007199254740993}, {"title", "\U0001F601"}});
  records.push_back({{"id", "big2"}, {"n", 9007199254740992.0}, {"title", "\uE000"}});
  records.push_back({{"id", "big3"}, {"n", 1e300}, {"title", "\uD7FF\U0001F600"}});
  ASSERT_NO_FATAL_FAILURE(testing::LoadBoth(*owned.store, memory, records));
  std::vector<Json> filters = testing::DifferentialFilters();
  filters.push_back({{"where", {{"n", 9007199254740992}}}});
  filters.push_back({{"where", {{"n", {{"gte", 9007199254740992.0}}}}}});
  filters.push_back({{"where", {{"title", {{"gt", "\uD7FF"}}}}}, {"order", "title DESC"}});
  filters.push_back({{"where", {{"done", false}, {"n", {{"gt", 0}}}}}, {"order", "n DESC"}, {"limit", 5}});
  filters.push_back({{"where", {{"title", {{"inq", {"milk", "walk dog", "\U0001F600 smile"}}}}}},
                     {"order", "title ASC"}, {"skip", 1}, {"limit", 2}});
  // Review: mixed-type operands, reversed ranges, empty lists, counts past int64.
  for (const Json& where : std::vector<Json>{
           {{"n", {{"gt", true}}}},
           {{"n", {{"gt", "3"}}}},
           {{"n", {{"lt", "10"}}}},
           {{"n", {{"between", {5, -1}}}}},
           {{"n", {{"between", {true, 5}}}}},
           {{"n", {{"between", {nullptr, 5}}}}},
           {{"n", {{"neq", 2.5}}}},
           {{"n", {{"neq", "5"}}}},
           {{"n", {{"inq", {-0.0, nullptr}}}}},
           {{"n", {{"nin", Json::array()}}}},
           {{"n", {{"nin", {nullptr, "5"}}}}},
           {{"n", -0.0}},
           {{"n", {{"gte", -0.0}}}},
           {{"n", {{"lt", 9007199254740993}}}},
           {{"done", {{"lt", 1}}}},
           {{"done", {{"gte", true}}}},
           {{"done", "true"}},
           {{"done", {{"inq", {0, false}}}}},
           {{"title", ""}},
           {{"title", {{"gt", 5}}}},
           {{"title", {{"gte", ""}}}},
           {{"title", {{"lt", "buy"}}}},
           {{"title", {{"between", {"z", "a"}}}}},
           {{"title", {{"inq", {"", nullptr}}}}},
           {{"title", {{"neq", ""}}}},
           {{"mixed", {{"gt", "a"}}}},
           {{"mixed", {{"lte", 0}}}},
           {{"mixed", nullptr}},
           {{"or", {{{"title", "milk"}}, {{"n", {{"lte", -3}}}}}}},
           {{"and", {{{"done", {{"neq", true}}}}, {{"title", {{"neq", nullptr}}}}}}}}) {
    filters.push_back({{"where", where}});
    filters.push_back({{"where", where}, {"order", "n DESC"}, {"limit", 4}});
    filters.push_back({{"where", where}, {"order", {"title ASC", "n DESC"}}, {"skip", 1}, {"limit", 3}});
  }
  filters.push_back({{"skip", 18446744073709551615u}});
  filters.push_back({{"limit", 18446744073709551615u}});
  filters.push_back({{"limit", 18446744073709551615u}, {"order", "n ASC"}});
  filters.push_back({{"skip", 9223372036854775808u}, {"limit", 1}, {"order", "title DESC"}});
  filters.push_back({{"skip", 2}, {"limit", 9223372036854775807}, {"where", {{"n", {{"gt", 0}}}}}});
  filters.push_back({{"order", {"done ASC", "mixed DESC", "n ASC"}}, {"limit", 30}});
  auto compare = [&](const char* stage) -> size_t {
    size_t translated = 0;
    for (const Json& json : filters) {
      Filter filter = testing::MustFilter(json);
      EXPECT_EQ(testing::Render(owned.store->Find("Todo", filter)),
                testing::Render(memory.Find("Todo", filter)))
          << stage << ": " << json.dump();
      Result<size_t> count = owned.store->Count("Todo", filter.where);
      EXPECT_TRUE(count.ok()) << json.dump() << ": " << count.status().ToString();
      if (count.ok()) {
        EXPECT_EQ(*count, *memory.Count("Todo", filter.where)) << stage << ": " << json.dump();
      }
      Result<std::string> plan = owned.store->ExplainFind("Todo", filter);
      EXPECT_TRUE(plan.ok()) << plan.status().ToString();
      if (plan.ok() && plan->find("rc_t_") != std::string::npos) ++translated;
    }
    return translated;
  };
  // Every filter naming only title, n and done, and most others (the order of id), go to SQL.
  EXPECT_GE(compare("scalars"), 30u);
  Result<std::vector<Change>> changes = owned.store->Changes({"Todo", -1, std::nullopt, SIZE_MAX});
  EXPECT_TRUE(changes.ok()) << changes.status().ToString();
  Batch nul;
  nul.records.push_back({"Todo", "nul", Record::FromTree(Json{{"id", "nul"}, {"n", 1},
                                                              {"title", std::string("a\0b", 3)}})});
  Batch nul_copy = nul;
  ASSERT_TRUE(owned.store->Apply(std::move(nul)).ok());
  ASSERT_TRUE(memory.Apply(std::move(nul_copy)).ok());
  compare("a record holding NUL");
}

// Translated statements are prepared per connection up to a bound; filters of more shapes
// than that are still answered (planned each time).
TEST(PostgresStoreTest, ManyFilterShapesPastThePreparedBound) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("shapes");
  ASSERT_NE(owned.store, nullptr);
  ASSERT_TRUE(owned.store->DeclareIndexes("Todo", {IndexDefinition{"n_idx", {{"n", false}}}}).ok());
  MemoryStore memory;
  std::vector<Json> records;
  for (int i = 0; i < 50; ++i) records.push_back({{"id", "r" + std::to_string(i)}, {"n", i}});
  ASSERT_NO_FATAL_FAILURE(testing::LoadBoth(*owned.store, memory, records));
  const char* ops[] = {"gt", "gte", "lt", "lte"};
  for (int shape = 0; shape < 230; ++shape) {  // 230 statements: five operators in turn
    Json conditions = Json::array();
    for (int k = 0, code = shape; k < 5; ++k, code /= 4) {
      conditions.push_back({{"n", {{ops[code % 4], (code % 4) < 2 ? k : 60 - k}}}});
    }
    Filter filter = testing::MustFilter({{"where", {{"and", conditions}}}, {"order", "n DESC"}, {"limit", 3}});
    ASSERT_EQ(testing::Render(owned.store->Find("Todo", filter)),
              testing::Render(memory.Find("Todo", filter))) << shape;
  }
}

TEST(PostgresStoreTest, DeclaredIndexesServeEqualityAndIdsChangesAreIndexScans) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("plan");
  ASSERT_NE(owned.store, nullptr);
  ASSERT_TRUE(
      owned.store->DeclareIndexes("Todo", {IndexDefinition{"title_idx", {{"title", false}}}}).ok());
  Batch batch;
  for (int i = 0; i < 2000; ++i) {
    std::string id = "r" + std::to_string(i);
    // Padded, as real records are: on a table of a few pages a scan is the better plan.
    batch.records.push_back({"Todo", id, Record::FromTree(Json{{"id", id}, {"title", "t" + std::to_string(i)},
                                                               {"pad", std::string(400, 'p')}})});
    batch.changes.push_back({"Todo", id, MakeChange("Todo", id, "r", i)});
  }
  ASSERT_TRUE(owned.store->Apply(std::move(batch)).ok());
  ASSERT_TRUE(testing::PgExec("ANALYZE " + owned.schema + ".replicore_records"));
  ASSERT_TRUE(testing::PgExec("ANALYZE " + owned.schema + ".replicore_changes"));
  Result<std::string> plan =
      owned.store->ExplainFind("Todo", testing::MustFilter({{"where", {{"title", "t7"}}}}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // The translated filter (postgres_dialect.h) reads the declared index, and so does the
  // check that no record holds what SQL cannot read (an escaped NUL, an array or object).
  const SqlValue title = PostgresDialect::ValueOf("title");
  EXPECT_NE(plan->find("Index Cond: ((model = 'Todo'::text) AND (" + title.t +
                       " = 'text'::text) AND (" + title.x + " = 't7'::text COLLATE \"C\"))"),
            std::string::npos)
      << *plan;
  EXPECT_NE(plan->find("replicore_records_nul"), std::string::npos) << *plan;
  EXPECT_EQ(plan->find("Seq Scan"), std::string::npos) << *plan;
  Result<std::vector<Record>> found =
      owned.store->Find("Todo", testing::MustFilter({{"where", {{"title", "t7"}}}}));
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  // Ordered and paged by the declared index: no sort, and a range read in index order.
  // (Against the index's direction, only ties of title would be sorted, by id.)
  Filter page = testing::MustFilter(
      {{"where", {{"title", {{"gt", "t5"}}}}}, {"order", "title ASC"}, {"limit", 3}});
  plan = owned.store->ExplainFind("Todo", page);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_NE(plan->find("Index Scan using replicore_o_"), std::string::npos) << *plan;
  EXPECT_EQ(plan->find("Sort"), std::string::npos) << *plan;
  found = owned.store->Find("Todo", page);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*(*found)[0])["title"], "t50");
  EXPECT_EQ((*(*found)[2])["title"], "t501");
}

// Several stores on one schema stand for several servers: each read-then-write pins what it
// read, and a write that lost the race is refused (kPreconditionFailed), never lost.
TEST(PostgresStoreTest, StoresOnOneDatabaseNeverLoseAnUpdate) {
  RC_REQUIRE_POSTGRES();
  OwnedPostgres owned("race");
  ASSERT_NE(owned.store, nullptr);
  Batch seed;
  seed.records.push_back({"Todo", "counter", Record::FromTree(Json{{"id", "counter"}, {"n", 0}})});
  ASSERT_TRUE(owned.store->Apply(std::move(seed)).ok());
  constexpr int kWriters = 3;
  constexpr int kIncrements = 40;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      PostgresStoreOptions options;
      options.url = testing::PgUrl();
      options.schema = owned.schema;
      Result<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(options);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      for (int i = 0; i < kIncrements;) {
        Result<std::vector<StoredEntry>> entries = (*store)->GetMany("Todo", {"counter"});
        ASSERT_TRUE(entries.ok());
        Result<StoredEntry> read = std::move((*entries)[0]);
        Result<int64_t> checkpoint = (*store)->CurrentCheckpoint();
        ASSERT_TRUE(checkpoint.ok());
        const int n = (**read->record)["n"].get<int>() + 1;
        Batch batch;
        batch.preconditions.push_back({"Todo", "counter", *read});
        batch.expected_checkpoint = *checkpoint;
        batch.records.push_back({"Todo", "counter", Record::FromTree(Json{{"id", "counter"}, {"n", n}})});
        batch.changes.push_back({"Todo", "counter", MakeChange("Todo", "counter", "r" + std::to_string(n), *checkpoint)});
        std::string own = "w" + std::to_string(w) + "-" + std::to_string(i);
        batch.records.push_back({"Note", own, Record::FromTree(Json{{"id", own}})});
        Result<CommittedBatch> applied = (*store)->Apply(std::move(batch));
        if (!applied.ok()) {
          ASSERT_EQ(applied.status().code(), StatusCode::kPreconditionFailed)
              << applied.status().ToString();
          ++refused;
          continue;
        }
        ++i;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Result<std::optional<Record>> counter = owned.store->Get("Todo", "counter");
  ASSERT_TRUE(counter.ok() && counter->has_value());
  EXPECT_EQ((***counter)["n"], kWriters * kIncrements);
  // The change row agrees with the record it describes.
  EXPECT_EQ(owned.store->GetChange("Todo", "counter")->value().rev,
            "r" + std::to_string(kWriters * kIncrements));
  EXPECT_EQ(*owned.store->Count("Note", Where()), static_cast<size_t>(kWriters * kIncrements));
  std::printf("%d writes refused and retried\n", refused.load());
}

}  // namespace
}  // namespace replicore
