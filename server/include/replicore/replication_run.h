// Runs replications between two parties (replication_party.h): one pass over every leg
// and model, conflicts resolved by a policy or left for a person, progress on stderr; and
// the live loop that repeats passes with exponential back-off while a peer is down. Used
// by `replicore-server replicate` and by a running server's --replicate-to/--replicate-from.
#ifndef REPLICORE_REPLICATION_RUN_H_
#define REPLICORE_REPLICATION_RUN_H_

#include <atomic>
#include <chrono>
#include <shared_mutex>
#include <string>
#include <vector>

#include "replicore/conflict.h"
#include "replicore/replication_party.h"

namespace replicore {

// Who wins a conflict: the replicate's source, its target, or nobody (left for a person,
// listed by `replicore-server conflicts`).
enum class ConflictPolicy { kSource, kTarget, kManual };

// One replicate direction: the Replicator runs on `local` (a store party); push: local
// is the source, else `remote` is.
struct Leg {
  ReplicationParty* local;
  ReplicationParty* remote;
  bool push;
};

struct RunOptions {
  std::vector<std::string> models;  // names; every one must be in each store's database
  ConflictPolicy policy = ConflictPolicy::kManual;
  size_t chunk_bytes = 0;    // 0: the link's (1 MiB, 64 KiB for LoopBack 3)
  size_t changes_page = 0;   // 0: the Replicator's default
  bool quiet = false;        // no progress lines on stderr
  bool quiet_when_idle = false;  // no line for a model a pass found nothing to do for
  // Held exclusively around every step on a local database (never across network I/O):
  // a running server's lock around its Database. Null: no lock.
  std::shared_mutex* lock = nullptr;
};

struct PassTotals {
  size_t applied = 0;
  size_t resolved = 0;
  size_t unresolved = 0;  // conflicts left (manual)
};

// Every leg, in order, for every model: replicate; with source/target, resolve each
// conflict and replicate again so the resolution crosses. Unresolved conflicts are kept
// in the local store (ListConflicts). Stops at the first error.
Result<PassTotals> RunPass(const std::vector<Leg>& legs, const RunOptions& options);

// RunPass until `stop`, `interval` apart; while a pass fails (a peer down), waits 1 s,
// 2 s, ... up to 60 s between tries, saying so on stderr, and back to `interval` once a
// pass succeeds. Returns when `stop` is set (checked at least every 100 ms while waiting).
void RunLive(const std::vector<Leg>& legs, const RunOptions& options,
             std::chrono::milliseconds interval, const std::atomic<bool>& stop);

// The conflicts the last replicates left unresolved in `db`'s store, one line each:
// "<model>\t<id>\t<push|pull> <peer>\t<type>\tsource <rev>\ttarget <rev>".
Result<std::vector<std::string>> ListConflicts(Database& db);

}  // namespace replicore

#endif  // REPLICORE_REPLICATION_RUN_H_
