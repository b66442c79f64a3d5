// Embind glue: the JS package's view of LocalDatabase. JSON text in, JSON text out; no
// logic here beyond giving the core a clock and random bits.
#include <emscripten/bind.h>

#include <chrono>
#include <random>

#include "replicore/local_database.h"
#include "replicore/uuid.h"

namespace {

replicore::Environment BrowserEnvironment() {
  replicore::Environment env;
  env.now_ms = [] {  // Date.now() underneath
    using namespace std::chrono;
    return static_cast<double>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  };
  env.new_guid = [] {
    static std::mt19937_64 rng(std::random_device{}() ^
                               (static_cast<uint64_t>(std::random_device{}()) << 32));
    const uint64_t high = rng();
    return replicore::FormatUuidV4(high, rng());
  };
  return env;
}

replicore::LocalDatabase* MakeCore() { return new replicore::LocalDatabase(BrowserEnvironment()); }

}  // namespace

EMSCRIPTEN_BINDINGS(replicore) {
  using replicore::LocalDatabase;
  using replicore::Stepped;
  emscripten::class_<Stepped>("Stepped")
      .function("next", &Stepped::Next)
      .function("respond", &Stepped::Respond);
  emscripten::class_<LocalDatabase>("Core")
      .constructor(&MakeCore, emscripten::allow_raw_pointers())
      .function("addModel", &LocalDatabase::AddModel)
      .function("call", &LocalDatabase::Call)
      .function("takeBatches", &LocalDatabase::TakeBatches)
      .function("dropBatches", &LocalDatabase::DropBatches)
      .function("pendingRecords", &LocalDatabase::pending_records)
      .function("lastSeq", &LocalDatabase::last_seq)
      .function("confirm", &LocalDatabase::Confirm)
      .function("rollback", &LocalDatabase::Rollback)
      .function("load", &LocalDatabase::Load)
      .function("exportPages", &LocalDatabase::ExportPages)
      .function("recordCount", &LocalDatabase::record_count)
      .function("replicate", &LocalDatabase::Replicate)
      .function("resolve", &LocalDatabase::Resolve)
      .function("startReplicate", &LocalDatabase::StartReplicate, emscripten::allow_raw_pointers())
      .function("startResolve", &LocalDatabase::StartResolve, emscripten::allow_raw_pointers());
}
