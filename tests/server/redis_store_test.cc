// RedisStore: the Store conformance suite where it applies (the finds and counts Redis
// refuses are listed below, and each is asserted refused with the stable error), the
// filters it serves against MemoryStore's answers, all-or-nothing batches, writers in
// several threads and stores that never lose an update, bytes kept as they are, reopen,
// key prefixes, reconnecting after CLIENT KILL, and random batches against MemoryStore. Needs $REPLICORE_REDIS_URL
// (tests/redis/with-redis.sh): without it these fail in CI and skip elsewhere.
#include "replicore/redis_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/store_conformance.h"
#include "replicore/filter.h"
#include "replicore/memory_store.h"
#include "server/redis_test_util.h"

namespace replicore {
namespace {

using testing::OwnedRedis;
using testing::RawRedis;

Filter ParsedFilter(const Json& json) {
  Result<Filter> filter = ParseFilter(json);
  EXPECT_TRUE(filter.ok()) << json.dump() << ": " << filter.status().ToString();
  return filter.ok() ? *filter : Filter();
}

Where ParsedWhere(const Json& json) {
  Result<Where> where = ParseWhere(json);
  EXPECT_TRUE(where.ok()) << json.dump() << ": " << where.status().ToString();
  return where.ok() ? *where : Where();
}

// The finds of the conformance suite that RedisStore refuses (not served by a key lookup).
const std::vector<Json>& RefusedFinds() {
  static const std::vector<Json> finds = {
      {{"where", {{"completed", false}}}},
      {{"where", {{"priority", {{"gt", 2}}}}}},
      {{"where", {{"or", {{{"id", "a"}}, {{"priority", {{"gte", 5}}}}}}}}},
      {{"where", {{"title", {{"nin", {"ask", "dig", "eat"}}}}}}},
      {{"order", "priority DESC"}},
      {{"order", "priority ASC"}, {"limit", 2}},
      {{"order", "title ASC"}},
      {{"order", {"completed DESC", "priority DESC"}}},
  };
  return finds;
}

// And its counts.
const std::vector<Json>& RefusedCounts() {
  static const std::vector<Json> wheres = {
      {{"completed", false}},
      {{"priority", {{"between", {2, 4}}}}},
      {{"priority", 99}},
  };
  return wheres;
}

// Whether `status` is the Redis store's refusal.
::testing::AssertionResult IsRefusal(const Status& status) {
  const std::string& m = status.message();
  const std::string start = "The Redis store cannot serve ";
  const std::string end = "ordered by id only (limit, skip and fields as usual); ask the primary for other filters";
  if (status.code() == StatusCode::kBadFilter && m.rfind(start, 0) == 0 && m.size() > end.size() &&
      m.compare(m.size() - end.size(), end.size(), end) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "not the Redis refusal: " << status.ToString();
}

// A store of the conformance suite: a RedisStore on a prefix of its own. A find or count
// the store refuses must be one of those listed (same message); the suite then checks the
// answer the core gives over the records RedisStore serves (every record, id order), so
// the suite still checks what Redis stored.
class ConformanceRedisStore : private OwnedRedis, public Store {
 public:
  ConformanceRedisStore() : OwnedRedis("conf") {}

  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override {
    Result<std::vector<Record>> found = store->Find(model, filter);
    if (found.ok() || !Listed(found.status())) return found;
    RC_ASSIGN_OR_RETURN(std::vector<Record> all, store->Find(model, Filter()));
    std::vector<Record> matched;
    std::vector<std::string> ids;
    for (Record& record : all) {
      if (!Matches(filter.where, *record)) continue;
      ids.push_back(record->at("id").get<std::string>());
      matched.push_back(std::move(record));
    }
    std::vector<const std::string*> id_pointers;
    for (const std::string& id : ids) id_pointers.push_back(&id);
    return OrderRecordsPage(filter, std::move(matched), id_pointers);
  }
  Result<size_t> Count(const std::string& model, const Where& where) override {
    Result<size_t> count = store->Count(model, where);
    if (count.ok() || !Listed(count.status())) return count;
    RC_ASSIGN_OR_RETURN(std::vector<Record> all, store->Find(model, Filter()));
    size_t n = 0;
    for (const Record& record : all) n += Matches(where, *record) ? 1 : 0;
    return n;
  }

  Result<std::optional<Record>> Get(const std::string& m, const std::string& id) override {
    return store->Get(m, id);
  }
  Result<std::optional<Change>> GetChange(const std::string& m, const std::string& id) override {
    return store->GetChange(m, id);
  }
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override {
    return store->Changes(query);
  }
  Result<std::vector<StoredEntry>> GetMany(const std::string& m,
                                           const std::vector<std::string>& ids) override {
    return store->GetMany(m, ids);
  }
  Result<int64_t> CurrentCheckpoint() override { return store->CurrentCheckpoint(); }
  Result<std::optional<Json>> GetMeta(const std::string& key) override {
    return store->GetMeta(key);
  }
  Result<CommittedBatch> Apply(Batch batch) override { return store->Apply(std::move(batch)); }

 private:
  // Whether `status` refuses one of the listed filters; a failure of the test otherwise.
  bool Listed(const Status& status) {
    std::set<std::string> messages;
    for (const Json& json : RefusedFinds()) {
      messages.insert(store->Find("Nowhere", ParsedFilter(json)).status().message());
    }
    for (const Json& json : RefusedCounts()) {
      messages.insert(store->Count("Nowhere", ParsedWhere(json)).status().message());
    }
    if (IsRefusal(status) && messages.count(status.message()) != 0) return true;
    ADD_FAILURE() << "RedisStore refused a filter not listed as refused: " << status.ToString();
    return false;
  }
};

std::vector<StoreFactory> RedisFactories() {
  if (testing::RedisUrl().empty()) return {};  // RedisStoreTest.Available says why
  return {StoreFactory{"RedisStore",
                       [] { return std::unique_ptr<Store>(new ConformanceRedisStore()); }}};
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);
INSTANTIATE_TEST_SUITE_P(RedisStore, StoreConformanceTest, ::testing::ValuesIn(RedisFactories()),
                         StoreFactoryName());

Change Row(const std::string& model, const std::string& id, std::optional<std::string> rev,
           int64_t checkpoint) {
  Change change;
  change.id = "cid-" + id;
  change.rev = std::move(rev);
  change.checkpoint = checkpoint;
  change.model_name = model;
  change.model_id = id;
  return change;
}

RecordWrite PutTodo(const std::string& id, const std::string& title, int priority) {
  return {"Todo", id,
          Record::FromTree(Json{{"id", id}, {"title", title}, {"priority", priority}})};
}

TEST(RedisStoreTest, Available) { RC_REQUIRE_REDIS(); }

TEST(RedisStoreTest, RefusesListedFiltersWithTheStableError) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("refuse");
  ASSERT_NE(owned.store, nullptr);
  Batch seed;
  seed.records.push_back(PutTodo("a", "ask", 1));
  ASSERT_TRUE(owned.store->Apply(std::move(seed)).ok());
  for (const Json& json : RefusedFinds()) {
    Result<std::vector<Record>> found = owned.store->Find("Todo", ParsedFilter(json));
    ASSERT_FALSE(found.ok()) << json.dump();
    EXPECT_TRUE(IsRefusal(found.status())) << json.dump();
    EXPECT_STREQ(StatusCodeName(found.status().code()), "bad_filter");
    EXPECT_EQ(HttpStatusFor(found.status().code()), 400);
  }
  for (const Json& json : RefusedCounts()) {
    Result<size_t> count = owned.store->Count("Todo", ParsedWhere(json));
    ASSERT_FALSE(count.ok()) << json.dump();
    EXPECT_TRUE(IsRefusal(count.status())) << json.dump();
  }
  // The message names the filter.
  EXPECT_EQ(owned.store->Find("Todo", ParsedFilter({{"where", {{"title", "ask"}}}}))
                .status()
                .message(),
            "The Redis store cannot serve where {\"title\": ...}: it serves find and count with "
            "no where, where {\"id\": X} or {\"id\": {\"inq\": [...]}}, ordered by id only "
            "(limit, skip and fields as usual); ask the primary for other filters");
  const std::vector<std::pair<Json, std::string>> named = {
      {{{"where", {{"title", {{"like", "a%"}}}}}}, "where {\"title\": {\"like\": ...}}"},
      {{{"where", {{"id", {{"gt", "a"}}}}}}, "where {\"id\": {\"gt\": ...}}"},
      {{{"where", {{"id", "a"}, {"title", "ask"}}}}, "where {\"and\": [...]}"},
      {{{"where", {{"id", "a"}}}, {"order", "title DESC"}}, "order \"title DESC\""},
      {{{"where", {{"meta.owner", "x"}}}}, "where {\"meta.owner\": ...}"},
  };
  for (const auto& [json, what] : named) {
    Result<std::vector<Record>> found = owned.store->Find("Todo", ParsedFilter(json));
    ASSERT_FALSE(found.ok()) << json.dump();
    EXPECT_TRUE(IsRefusal(found.status()));
    EXPECT_EQ(found.status().message().rfind("The Redis store cannot serve " + what + ": ", 0), 0u)
        << found.status().message();
  }
}

// Every served shape gives what MemoryStore gives for the same records.
TEST(RedisStoreTest, ServedFiltersAnswerAsMemoryStore) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("served");
  ASSERT_NE(owned.store, nullptr);
  MemoryStore memory;
  Batch seed;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "t" + std::to_string((i * 7) % 40);  // written out of order
    seed.records.push_back(PutTodo(id, "title " + std::to_string(i), i % 5));
  }
  seed.records.push_back({"Todo", "42", Record::FromTree(Json{{"id", 42}, {"title", "n"}})});
  seed.records.push_back({"Todo", "\u00e9t\u00e9", Record::FromTree(Json{{"id", "\u00e9t\u00e9"}})});
  ASSERT_TRUE(memory.Apply(seed).ok());
  ASSERT_TRUE(owned.store->Apply(std::move(seed)).ok());
  const std::vector<Json> finds = {
      Json::object(),
      {{"limit", 5}},
      {{"skip", 3}, {"limit", 4}},
      {{"skip", 38}},
      {{"skip", 100}},
      {{"order", "id DESC"}, {"limit", 3}},
      {{"order", "id ASC"}, {"skip", 2}, {"limit", 2}},
      {{"fields", {"title"}}, {"limit", 2}},
      {{"where", {{"id", "t3"}}}},
      {{"where", {{"id", 42}}}},
      {{"where", {{"id", "missing"}}}},
      {{"where", {{"id", {{"inq", {"t9", "t1", "missing", "t1", "t22"}}}}}}},
      {{"where", {{"id", {{"inq", {"t9", "t1", "t22", "t5"}}}}}}, {"order", "id DESC"}, {"skip", 1}, {"limit", 2}},
      {{"where", {{"id", {{"inq", {"t9", "t1"}}}}}}, {"fields", {{"priority", false}}}},
      {{"where", {{"id", {{"inq", Json::array()}}}}}},
      // Counts past 2^53 (a filter may hold any uint64): Lua numbers would round them
      // into "1.8446744073709552e+19", which Redis refuses as a LIMIT.
      {{"skip", 18446744073709551615u}},
      {{"limit", 18446744073709551615u}},
      {{"skip", 2}, {"limit", 9007199254740993u}},
      {{"skip", 9223372036854775808u}, {"limit", 1}},
  };
  for (const Json& json : finds) {
    Filter filter = ParsedFilter(json);
    Result<std::vector<Record>> want = memory.Find("Todo", filter);
    Result<std::vector<Record>> got = owned.store->Find("Todo", filter);
    ASSERT_TRUE(want.ok() && got.ok()) << json.dump() << ": " << got.status().ToString();
    EXPECT_EQ(RecordsArrayText(*got), RecordsArrayText(*want)) << json.dump();
  }
  ChangeQuery every{"Todo", -1, std::nullopt, SIZE_MAX};
  Result<std::vector<Change>> changes = owned.store->Changes(every);
  EXPECT_TRUE(changes.ok()) << changes.status().ToString();
  const std::vector<Json> counts = {Json::object(), {{"id", "t3"}}, {{"id", 42}},
                                    {{"id", {{"inq", {"t1", "t1", "t2", "nope"}}}}}};
  for (const Json& json : counts) {
    Where where = ParsedWhere(json);
    EXPECT_EQ(*owned.store->Count("Todo", where), *memory.Count("Todo", where)) << json.dump();
  }
}

// A failing precondition or checkpoint writes nothing, however big the batch.
TEST(RedisStoreTest, AFailedCheckWritesNoKey) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("atomic");
  ASSERT_NE(owned.store, nullptr);
  RawRedis raw;
  Batch seed;
  seed.records.push_back(PutTodo("a", "ask", 1));
  seed.changes.push_back({"Todo", "a", Row("Todo", "a", "r1", 1)});
  ASSERT_TRUE(owned.store->Apply(std::move(seed)).ok());
  auto snapshot = [&] {
    std::string out;
    std::vector<std::string> keys = raw.Keys(owned.prefix);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) out += key + "=" + raw.Run({"DUMP", key}).text + "\n";
    return out;
  };
  const std::string before = snapshot();
  for (int variant = 0; variant < 3; ++variant) {
    Batch batch;
    for (int i = 0; i < 2000; ++i) {
      const std::string id = "n" + std::to_string(i);
      batch.records.push_back(PutTodo(id, "new", i));
      batch.changes.push_back({"Todo", id, Row("Todo", id, "r", 2)});
      batch.changes.push_back({"Other", id, Row("Other", id, "r", 2)});
    }
    batch.records.push_back({"Todo", "a", std::nullopt});
    batch.checkpoint = 2;
    batch.meta.push_back({"since.peer", Json{{"n", 1}}});
    if (variant == 0) {  // the record a changed since it was read
      batch.preconditions.push_back(
          {"Todo", "a", {Record::FromTree(Json{{"id", "a"}}), Row("Todo", "a", "r1", 1)}});
    } else if (variant == 1) {  // a's change row moved since
      batch.preconditions.push_back(
          {"Todo", "a",
           {Record::FromTree(Json{{"id", "a"}, {"priority", 1}, {"title", "ask"}}),
            Row("Todo", "a", "r1", 7)}});
    } else {
      batch.expected_checkpoint = 5;
    }
    Result<CommittedBatch> refused = owned.store->Apply(std::move(batch));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kPreconditionFailed);
    EXPECT_EQ(snapshot(), before) << "variant " << variant;
  }
}

// Writers in several threads, each with a store of its own (as several servers), each
// incrementing one record under a precondition and bumping the checkpoint: every lost race
// is refused and retried, so no increment is lost and the log holds one row per record.
TEST(RedisStoreTest, ConcurrentWritersWithPreconditionsLoseNoUpdate) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("race");
  ASSERT_NE(owned.store, nullptr);
  Batch seed;
  seed.records.push_back({"Todo", "n", Record::FromTree(Json{{"id", "n"}, {"value", 0}})});
  ASSERT_TRUE(owned.store->Apply(std::move(seed)).ok());
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Result<std::unique_ptr<RedisStore>> mine = RedisStore::Open(testing::RedisOptions(owned.prefix));
      ASSERT_TRUE(mine.ok()) << mine.status().ToString();
      RedisStore& store = **mine;
      for (int done = 0; done < kEach;) {
        Result<std::vector<StoredEntry>> read = store.GetMany("Todo", {"n"});
        Result<int64_t> checkpoint = store.CurrentCheckpoint();
        ASSERT_TRUE(read.ok() && checkpoint.ok());
        StoredEntry entry = (*read)[0];
        const int value = (**entry.record)["value"].get<int>() + 1;
        Batch batch;
        batch.preconditions.push_back({"Todo", "n", entry});
        batch.expected_checkpoint = *checkpoint;
        batch.records.push_back(
            {"Todo", "n", Record::FromTree(Json{{"id", "n"}, {"value", value}})});
        batch.changes.push_back(
            {"Todo", "n", Row("Todo", "n", "v" + std::to_string(value), *checkpoint)});
        batch.checkpoint = *checkpoint + 1;
        Result<CommittedBatch> applied = store.Apply(std::move(batch));
        if (applied.ok()) {
          ++done;
        } else {
          ASSERT_EQ(applied.status().code(), StatusCode::kPreconditionFailed)
              << applied.status().ToString();
          ++retries;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ((*owned.store->Get("Todo", "n")->value())["value"], kThreads * kEach);
  EXPECT_EQ(*owned.store->CurrentCheckpoint(), 1 + kThreads * kEach);
  ChangeQuery query;
  query.model = "Todo";
  Result<std::vector<Change>> log = owned.store->Changes(query);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);  // the row's old log entries are gone
  EXPECT_EQ((*log)[0].rev, "v" + std::to_string(kThreads * kEach));
  std::printf("%d lost races refused and retried\n", retries.load());
}

// Ids and records with NUL and non-ASCII bytes come back byte for byte.
TEST(RedisStoreTest, KeepsBytesAsTheyAre) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("bytes");
  ASSERT_NE(owned.store, nullptr);
  const std::string nul_id("a\0b", 3);
  const char kTitle[] = "nul\0here \u00e9 \U0001F600";
  const std::string title(kTitle, sizeof(kTitle) - 1);
  const std::vector<std::string> ids = {nul_id, "\u65e5\u672c", "\U0001F600", "caf\u00e9", "x\ny"};
  Batch batch;
  std::vector<std::string> texts;
  for (const std::string& id : ids) {
    Record record = Record::FromTree(Json{{"id", id}, {"title", title}, {"n", 0.1}});
    texts.push_back(record.text());
    batch.records.push_back({"Todo", id, record});
    Change row = Row("Todo", id, std::string("rev\0", 4) + id, 3);
    row.prev_set = true;
    row.prev = "\u00e9";
    batch.changes.push_back({"Todo", id, row});
  }
  batch.meta.push_back({"k\u00e9", Json{{"v", "\U0001F600"}}});
  ASSERT_TRUE(owned.store->Apply(batch).ok());
  EXPECT_NE(texts[0].find("\\u0000"), std::string::npos) << texts[0];
  for (size_t i = 0; i < ids.size(); ++i) {
    Result<std::optional<Record>> got = owned.store->Get("Todo", ids[i]);
    ASSERT_TRUE(got.ok() && got->has_value()) << i;
    EXPECT_EQ((*got)->text(), texts[i]);
    EXPECT_EQ((***got)["title"], title);  // the NUL, the é and the emoji, byte for byte
    EXPECT_EQ(owned.store->GetChange("Todo", ids[i])->value(), *batch.changes[i].change);
  }
  EXPECT_FALSE(owned.store->Get("Todo", "a")->has_value());  // the NUL is part of the id
  Result<std::vector<Record>> by_ids =
      owned.store->Find("Todo", ParsedFilter({{"where", {{"id", {{"inq", ids}}}}}}));
  ASSERT_TRUE(by_ids.ok()) << by_ids.status().ToString();
  EXPECT_EQ(by_ids->size(), ids.size());
  EXPECT_EQ(owned.store->GetMeta("k\u00e9")->value(), (Json{{"v", "\U0001F600"}}));
}

TEST(RedisStoreTest, ReopenKeepsEverything) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("reopen");
  ASSERT_NE(owned.store, nullptr);
  Batch batch;
  batch.records.push_back(PutTodo("a", "ask", 1));
  batch.records.push_back({"Note", "a", Record::FromTree(Json{{"id", "a"}, {"z", 1.5}})});
  batch.changes.push_back({"Todo", "a", Row("Todo", "a", "r1", 2)});
  batch.checkpoint = 2;
  batch.meta.push_back({"since.peer", Json{{"source", 3}}});
  ASSERT_TRUE(owned.store->Apply(std::move(batch)).ok());
  const std::string before = DumpStore(*owned.store, {"Todo", "Note"}, {"since.peer"});
  owned.store.reset();
  Result<std::unique_ptr<RedisStore>> again = RedisStore::Open(testing::RedisOptions(owned.prefix));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(DumpStore(**again, {"Todo", "Note"}, {"since.peer"}), before);
  EXPECT_NE(before.find("Checkpoint(2)"), std::string::npos);
}

TEST(RedisStoreTest, PrefixesIsolateStores) {
  RC_REQUIRE_REDIS();
  OwnedRedis one("iso"), two("iso");
  ASSERT_TRUE(one.store && two.store);
  Batch batch;
  batch.records.push_back(PutTodo("a", "ask", 1));
  batch.changes.push_back({"Todo", "a", Row("Todo", "a", "r1", 4)});
  batch.checkpoint = 4;
  batch.meta.push_back({"m", 1});
  ASSERT_TRUE(one.store->Apply(std::move(batch)).ok());
  EXPECT_EQ(DumpStore(*two.store, {"Todo"}, {"m"}), "Checkpoint(1)\n");
  EXPECT_NE(DumpStore(*one.store, {"Todo"}, {"m"}), "Checkpoint(1)\n");
  for (const std::string& key : RawRedis().Keys(one.prefix)) {
    EXPECT_EQ(key.rfind(one.prefix, 0), 0u) << key;
  }
  EXPECT_TRUE(RawRedis().Keys(two.prefix).empty());
}

// CLIENT KILL of every connection of a store (as a Redis restart would): the next reads
// and writes reconnect, and nothing is lost.
TEST(RedisStoreTest, ReconnectsAfterClientKill) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("kill");
  RedisStoreOptions options = testing::RedisOptions(owned.prefix);
  options.client_name = "rckill" + std::to_string(::getpid());
  Result<std::unique_ptr<RedisStore>> opened = RedisStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  RedisStore& store = **opened;
  RawRedis raw;
  auto kill = [&] {
    int killed = 0;
    std::string list = raw.Run({"CLIENT", "LIST"}).text;
    for (size_t at = 0; (at = list.find("id=", at)) != std::string::npos; ++at) {
      const size_t end = list.find('\n', at);
      const std::string line = list.substr(at, end - at);
      if (line.find(" name=" + options.client_name + " ") == std::string::npos) continue;
      const std::string id = line.substr(3, line.find(' ') - 3);
      killed += static_cast<int>(raw.Run({"CLIENT", "KILL", "ID", id}).integer);
    }
    return killed;
  };
  for (int round = 0; round < 3; ++round) {
    Batch batch;
    batch.records.push_back(PutTodo("r" + std::to_string(round), "t", round));
    ASSERT_TRUE(store.Apply(std::move(batch)).ok()) << "round " << round;
    ASSERT_TRUE(store.Get("Todo", "r0").ok());
    EXPECT_GE(kill(), 1) << "round " << round;
    Result<std::optional<Record>> got = store.Get("Todo", "r" + std::to_string(round));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->has_value());
    EXPECT_GE(kill(), 1);
    Batch after;
    after.records.push_back(PutTodo("after" + std::to_string(round), "t", round));
    Result<CommittedBatch> applied = store.Apply(std::move(after));
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }
  EXPECT_EQ(*store.Count("Todo", Where()), 6u);
}

// Random batches against MemoryStore (leveldb's Randomized): records, change rows moving
// between checkpoints and removed, the checkpoint; after each batch the whole state and
// random pages of the change log (since, after, limit) are the same.
TEST(RedisStoreTest, RandomBatchesMatchMemoryStore) {
  RC_REQUIRE_REDIS();
  OwnedRedis owned("random");
  ASSERT_NE(owned.store, nullptr);
  MemoryStore memory;
  std::mt19937 rng(26);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> ids = {"a", "b", "c", "ab", "\u00e9", "B", "a b", "10", "9"};
  int64_t checkpoint = 1;
  for (int step = 0; step < 150; ++step) {
    Batch batch;
    for (int k = pick(6); k > 0; --k) {
      const std::string& id = ids[pick(static_cast<int>(ids.size()))];
      if (pick(4) == 0) {
        batch.records.push_back({"Todo", id, std::nullopt});
      } else {
        batch.records.push_back(PutTodo(id, "s" + std::to_string(step), pick(9)));
      }
      std::optional<Change> row;
      if (pick(5) != 0) row = Row("Todo", id, "r" + std::to_string(step), checkpoint - pick(2));
      batch.changes.push_back({"Todo", id, row});
    }
    if (pick(3) == 0) batch.checkpoint = ++checkpoint;
    if (pick(4) == 0) batch.meta.push_back({"m", pick(2) == 0 ? Json(nullptr) : Json(step)});
    ASSERT_TRUE(memory.Apply(batch).ok());
    ASSERT_TRUE(owned.store->Apply(std::move(batch)).ok());
    ASSERT_EQ(DumpStore(*owned.store, {"Todo"}, {"m"}), DumpStore(memory, {"Todo"}, {"m"}))
        << "step " << step;
    ChangeQuery query;
    query.model = "Todo";
    query.since = pick(static_cast<int>(checkpoint) + 1);
    if (pick(2) == 0) query.after = std::make_pair(int64_t{pick(static_cast<int>(checkpoint) + 1)}, ids[pick(9)]);
    if (pick(2) == 0) query.limit = static_cast<size_t>(pick(5));
    Result<std::vector<Change>> got = owned.store->Changes(query);
    Result<std::vector<Change>> want = memory.Changes(query);
    ASSERT_TRUE(got.ok() && want.ok());
    EXPECT_EQ(*got, *want) << "step " << step << " since " << query.since;
  }
}

TEST(RedisStoreTest, ParsesUrls) {
  Result<RedisStoreOptions> tcp = ParseRedisUrl("redis://:s%40cret@10.0.0.2:6380/3?prefix=app%3A");
  ASSERT_TRUE(tcp.ok()) << tcp.status().ToString();
  EXPECT_EQ(tcp->host, "10.0.0.2");
  EXPECT_EQ(tcp->port, 6380);
  EXPECT_EQ(tcp->database, 3);
  EXPECT_EQ(tcp->password, "s@cret");
  EXPECT_EQ(tcp->prefix, "app:");
  Result<RedisStoreOptions> plain = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "localhost");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->database, 0);
  EXPECT_EQ(plain->prefix, "replicore:");
  Result<RedisStoreOptions> unix_socket = ParseRedisUrl("redis+unix:///tmp/r/redis.sock?db=2");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->unix_socket, "/tmp/r/redis.sock");
  EXPECT_EQ(unix_socket->database, 2);
  EXPECT_TRUE(IsRedisUrl("redis://x"));
  EXPECT_FALSE(IsRedisUrl("postgresql://x"));
  for (const char* bad : {"redis://h:port", "redis://h/db", "redis://h?color=red",
                          "redis+unix://relative", "http://h"}) {
    EXPECT_FALSE(ParseRedisUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace replicore
