// Resolving a Conflict, sans-I/O like the Replicator: the reads and writes on the other
// party come out as Requests; the local side is read and written directly.
// LoopBack's Conflict methods (PROTOCOL.md §7.2):
//   kUseSource  resolve()/resolveUsingSource(): source change.prev := target rev; when the
//               target deleted the record, or the source is the server (pulling), the
//               source's data is copied to the target instead
//   kUseTarget  resolveUsingTarget(): the source takes the target's data (or is deleted)
//   kManual     resolveManually(data): the source takes data (null: deleted), then resolve()
// Every resolution is stamped with the current checkpoint, so it replicates (§8.3), and
// every write is conditional on the revision the conflict showed.
#ifndef REPLICORE_CONFLICT_RESOLVER_H_
#define REPLICORE_CONFLICT_RESOLVER_H_

#include <functional>
#include <optional>
#include <string>

#include "replicore/conflict.h"
#include "replicore/replicator.h"

namespace replicore {

enum class Resolution { kUseSource, kUseTarget, kManual };

class ConflictResolver {
 public:
  // Borrows `local`. `manual_data` is used by kManual only (null: delete the record).
  ConflictResolver(Database* local, std::string model, Conflict conflict, Resolution how,
                   Json manual_data = nullptr);

  std::optional<Request> NextRequest();
  Status OnResponse(const Response& response);
  bool done() const { return done_; }
  bool failed() const { return !error_.ok(); }
  const Status& error() const { return error_; }

 private:
  using Continuation = std::function<Status(const Json& result)>;
  // Answers `request` here, or sends it to the other party; continues with its result.
  Status Step(bool on_local, Request request, Continuation next);
  Status Begin();
  // kUseSource's work (LoopBack's resolve()), also after a manual write.
  Status Resolve();
  Status SetSourcePrev(const Json& target_change);
  Status CopySourceToTarget();
  Status WriteSource(const Json& record, bool then_resolve);
  // Replaces (or, for null, deletes) the record on the local side or the other party, if
  // it is still the revision the conflict showed.
  Status Write(bool on_local, const Json& record, Continuation next);
  Status Refusal(const Status& status) const;
  Status ChangedSince() const;
  Status Finish();

  Database* local_;
  std::string model_;
  Conflict conflict_;
  Resolution how_;
  Json manual_data_;
  bool started_ = false;
  bool done_ = false;
  bool wrote_local_ = false;   // data written here: bump before finishing
  bool wrote_remote_ = false;  // data written there: ask it to bump
  Status error_;
  std::optional<Request> pending_;
  Continuation continuation_;
};

// Drives a resolution in-process: `remote` answers (bounded steps).
Status ResolveLocal(Database* local, Database* remote, const std::string& model,
                    const Conflict& conflict, Resolution how, Json manual_data = nullptr);

}  // namespace replicore

#endif  // REPLICORE_CONFLICT_RESOLVER_H_
