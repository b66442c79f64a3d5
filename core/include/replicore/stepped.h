// A replicate or a conflict's resolution with a party this process cannot reach itself
// (the JS remote over fetch, a native HTTP client): the caller asks Next() for the
// request to carry, carries it, and hands the answer to Respond(), until Next() says it
// is done. JSON text in and out, errors as values, like LocalDatabase. The local side is
// read and written inside Next() and Respond(): a caller that persists commits after each.
#ifndef REPLICORE_STEPPED_H_
#define REPLICORE_STEPPED_H_

#include <memory>
#include <string>

#include "replicore/conflict_resolver.h"
#include "replicore/replicator.h"

namespace replicore {

// The JSON faces of the two parties' arguments, shared with LocalDatabase's in-process
// replicate and resolve. Replicate options: {"model", "peer"?, "push"?: bool (default
// true), "since"?: number | {source, target}, "cursor"?: bool (the peer pages /changes,
// PROTOCOL.md §9.1), "loopback"?: bool (the peer is LoopBack 3: §8.5), "chunkBytes"?: number}.
Result<ReplicatorOptions> ParseReplicatorOptions(const Json& options);
// Resolve args: {"model", "conflict", "how": "source" | "target" | "manual", "data"?}.
struct ResolveArgs {
  std::string model;
  Conflict conflict;
  Resolution how = Resolution::kUseSource;
  Json data;
};
Result<ResolveArgs> ParseResolveArgs(const Json& args);
// A replicate's result as JS sees it: {"checkpoints": {source, target}, "conflicts", "applied"}.
Json ReplicationResultJson(const ReplicationResult& result);

class Stepped {
 public:
  virtual ~Stepped() = default;
  // {"request": {"op": name, "args": {...}}}: carry it; {"done": result}: finished
  // (a replicate's {"checkpoints", "conflicts", "applied"}, a resolution's null);
  // {"error": {"code", "message", "details"}}: failed. Asked again without a Respond(),
  // a pending request is an error (each request is handed out once).
  virtual std::string Next() = 0;
  // The other party's answer to the request: {"ok": result} or {"error": {"code",
  // "message", "details"}} (core codes). "" or an error text.
  virtual std::string Respond(const std::string& answer) = 0;
};

// Borrow `local`. A resolve's `local` is the source of the replicate that reported the
// conflict. Bad options give a Stepped whose Next() is the error.
std::unique_ptr<Stepped> SteppedReplicate(Database* local, const std::string& options);
std::unique_ptr<Stepped> SteppedResolve(Database* local, const std::string& args);

}  // namespace replicore

#endif  // REPLICORE_STEPPED_H_
