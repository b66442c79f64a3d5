// Native benchmarks of the core (one thread): revisions, and replicates between two
// MemoryStores linked in-process by ReplicateLocal. bench/README.md records the results.
//
//   core_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/json_canonical.h"
#include "replicore/memory_store.h"
#include "replicore/replicator.h"
#include "replicore/sha1.h"

namespace replicore {
namespace {

// tests/core/test_util.h's FakeEnvironment and TodoModel (tests/ is not on the include path).
using testing::FakeEnvironment;
using testing::TodoModel;

void Check(const Status& status, const char* what) {
  if (!status.ok()) {
    fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    abort();
  }
}

// A deterministic uuid-like id (v4 layout), scattered so ids do not arrive in key order.
std::string UuidLike(uint64_t i) {
  uint64_t a = (i + 1) * 0x9E3779B97F4A7C15ull;
  uint64_t b = (a ^ (a >> 29)) * 0xBF58476D1CE4E5B9ull;
  char buffer[40];
  snprintf(buffer, sizeof(buffer), "%08x-%04x-4%03x-%04x-%012llx",
           static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
           static_cast<unsigned>(a & 0xfff), static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
           static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buffer;
}

// ~140 bytes as canonical JSON.
Json Todo(uint64_t i) {
  return Json{{"id", UuidLike(i)},
              {"title", "Buy milk and eggs #" + std::to_string(i % 1000)},
              {"completed", false},
              {"created", 1700000000000 + static_cast<int64_t>(i)},
              {"meta", {{"priority", i % 5}}}};
}

constexpr size_t kPool = 1024;  // distinct todos cycled through by the per-record benchmarks

// ---- 1. canonical JSON + SHA-1 of a parsed todo (target >= 1,000,000/s)

void BM_Revision(benchmark::State& state) {
  std::vector<Json> todos;
  for (size_t i = 0; i < kPool; ++i) todos.push_back(Todo(i));
  size_t i = 0;
  for (auto _ : state) {
    std::string rev = Revision(todos[i++ % kPool]);
    benchmark::DoNotOptimize(rev);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(CanonicalJson(todos[0]).size());
}
BENCHMARK(BM_Revision);

// The two halves of BM_Revision, to see where its time goes.
void BM_CanonicalJson(benchmark::State& state) {
  std::vector<Json> todos;
  for (size_t i = 0; i < kPool; ++i) todos.push_back(Todo(i));
  size_t i = 0;
  for (auto _ : state) {
    std::string text = CanonicalJson(todos[i++ % kPool]);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CanonicalJson);

void BM_Sha1Hex(benchmark::State& state) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < kPool; ++i) texts.push_back(CanonicalJson(Todo(i)));
  size_t i = 0;
  for (auto _ : state) {
    std::string hex = Sha1Hex(texts[i++ % kPool]);
    benchmark::DoNotOptimize(hex);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(texts[0].size()));
}
BENCHMARK(BM_Sha1Hex);

// ---- 2. the same from the JSON text (no target)

void BM_ParseAndRevision(benchmark::State& state) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < kPool; ++i) texts.push_back(Todo(i).dump());
  size_t i = 0;
  for (auto _ : state) {
    Json todo = Json::parse(texts[i++ % kPool]);
    std::string rev = Revision(todo);
    benchmark::DoNotOptimize(rev);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndRevision);

// ---- replicate fixtures

// A Database over its own MemoryStore with the Todo model.
struct Side {
  FakeEnvironment env;
  MemoryStore store;
  Database db{&store, env.Get()};
  Side() { Check(db.AddModel(TodoModel()), "AddModel"); }
  void CreateTodos(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto created = db.Create("Todo", Todo(i));
      Check(created.status(), "Create");
    }
  }
  size_t Count() {
    auto count = db.Count("Todo", Json());
    Check(count.status(), "Count");
    return *count;
  }
};

ReplicationResult Replicate(Side* local, Side* remote, bool push, bool from_scratch) {
  ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "remote";
  options.local_is_source = push;
  // The same local side is replicated into a fresh peer every iteration: start from -1
  // instead of the since stored by the previous iteration.
  if (from_scratch) options.since = Checkpoints{-1, -1};
  auto result = ReplicateLocal(&local->db, &remote->db, options);
  Check(result.status(), "ReplicateLocal");
  if (!result->conflicts.empty()) Check(Status::Storage("unexpected conflicts"), "Replicate");
  return *result;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Built once (not timed), shared by the push and pull benchmarks.
Side* Populated(size_t n) {
  static std::unique_ptr<Side> side;
  static size_t size = 0;
  if (size != n) {
    side = std::make_unique<Side>();
    auto start = std::chrono::steady_clock::now();
    side->CreateTodos(n);
    fprintf(stderr, "setup: %zu Creates in %.3f s\n", n, SecondsSince(start));
    size = n;
  }
  return side.get();
}

// ---- 3. a full replicate of N todos into an empty side (target < 0.5 s for 100,000)

void BM_FullPush(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Side* client = Populated(n);
  for (auto _ : state) {
    auto server = std::make_unique<Side>();
    auto start = std::chrono::steady_clock::now();
    ReplicationResult result = Replicate(client, server.get(), /*push=*/true, true);
    state.SetIterationTime(SecondsSince(start));
    if (result.applied != n || server->Count() != n) {
      Check(Status::Storage("push did not copy every todo"), "BM_FullPush");
    }
    server.reset();  // not timed (manual time)
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_FullPush)->Arg(10000)->Arg(100000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_FullPull(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Side* server = Populated(n);
  for (auto _ : state) {
    auto client = std::make_unique<Side>();
    auto start = std::chrono::steady_clock::now();
    ReplicationResult result = Replicate(client.get(), server, /*push=*/false, true);
    state.SetIterationTime(SecondsSince(start));
    if (result.applied != n || client->Count() != n) {
      Check(Status::Storage("pull did not copy every todo"), "BM_FullPull");
    }
    client.reset();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_FullPull)->Arg(100000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);

// ---- 4. an incremental push of C changes among N todos (target < 5 ms for C = 100)

struct SyncedPair {
  Side client;
  Side server;
  uint64_t next_patch = 0;
};

// Both sides hold the same N todos (replicated once, not timed).
SyncedPair* Synced(size_t n) {
  static std::unique_ptr<SyncedPair> pair;
  static size_t size = 0;
  if (size != n) {
    pair.reset();
    pair = std::make_unique<SyncedPair>();
    pair->client.CreateTodos(n);
    Replicate(&pair->client, &pair->server, /*push=*/true, false);
    if (pair->server.Count() != n) Check(Status::Storage("not in sync"), "Synced");
    size = n;
  }
  return pair.get();
}

void BM_IncrementalPush(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t changes = static_cast<size_t>(state.range(1));
  SyncedPair* pair = Synced(n);
  for (auto _ : state) {
    for (size_t k = 0; k < changes; ++k) {  // not timed (manual time)
      uint64_t patch = pair->next_patch++;
      // Spread over the data set: record (patch * 7919) mod n, a new title each time.
      std::string id = UuidLike((patch * 7919) % n);
      auto patched = pair->client.db.PatchAttributes(
          "Todo", id, {{"title", "Buy milk and eggs #" + std::to_string(patch)},
                       {"completed", patch % 2 == 0}});
      Check(patched.status(), "PatchAttributes");
    }
    auto start = std::chrono::steady_clock::now();
    ReplicationResult result = Replicate(&pair->client, &pair->server, /*push=*/true, false);
    state.SetIterationTime(SecondsSince(start));
    if (result.applied != changes) {
      fprintf(stderr, "applied %zu of %zu changes\n", result.applied, changes);
      abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(changes));
}
BENCHMARK(BM_IncrementalPush)
    ->ArgNames({"N", "changes"})
    ->Args({10000, 100})
    ->Args({100000, 100})
    ->Args({100000, 10})
    ->Args({100000, 1000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace replicore

BENCHMARK_MAIN();
