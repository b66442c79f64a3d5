// The replicate algorithm of PROTOCOL.md §5 as a sans-I/O state machine. It never calls
// the other party: it hands out the next request as a value and is fed the response, so
// the same code runs over fetch (JS), in-process (local <-> local) and over native HTTP.
#ifndef REPLICORE_REPLICATOR_H_
#define REPLICORE_REPLICATOR_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "replicore/conflict.h"
#include "replicore/database.h"
#include "replicore/protocol.h"

namespace replicore {

struct Checkpoints {
  int64_t source = -1;
  int64_t target = -1;
};

struct ReplicatorOptions {
  std::string model;
  bool local_is_source = true;  // push; false: pull (the other party is the source)
  // Names the other party: since and the unresolved set are kept per peer and direction.
  std::string peer = "remote";
  // Where to start; unset: what the last replicate with this peer stored, else -1.
  std::optional<Checkpoints> since;
  // diff / create-updates / bulk-update requests are cut at about this many bytes (§8.4).
  size_t chunk_bytes = 64 * 1024;
  // The peer pages /changes by cursor (replicore extension §9.1); page size (also the
  // page size in which a push reads the local change log).
  bool cursor_changes = false;
  size_t changes_page = 1000;
  int max_attempts = 3;  // LoopBack re-runs an attempt that applied something
  // The other party is LoopBack 3: a pull re-reads the source's last checkpoint (§8.5).
  bool reread_last_checkpoint = false;
};

// Items of a JSON array, as the text of a smaller array.
struct TextChunk {
  std::string text;
  size_t items = 0;
};

struct ReplicationResult {
  Checkpoints checkpoints;  // what to pass as since next time (also stored per peer)
  std::vector<Conflict> conflicts;
  size_t applied = 0;  // updates applied on the target
  int attempts = 0;
};

class Replicator {
 public:
  // Borrows `local` for the Replicator's lifetime.
  Replicator(Database* local, ReplicatorOptions options);

  // The request to send next, handed out once; nullopt while a response is awaited and
  // once done() or failed().
  std::optional<Request> NextRequest();
  // Feeds the other party's answer to the last request. An error status ends the
  // replicate (failed()), except a bulk-update 409, which reports conflicts.
  Status OnResponse(Response response);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  const Status& error() const { return error_; }
  const ReplicationResult& result() const { return result_; }

 private:
  enum class State {
    kStart, kAwaitCheckpoint, kAwaitChanges, kAwaitDiff, kAwaitCreateUpdates,
    kAwaitBulkUpdate, kAwaitFinalCheckpoint, kDone, kFailed,
  };
  Status Start();
  Status HandleResponse(Response response);
  Status OnCheckpoint(const Json& result);
  Status OnChanges(Json result);
  Status OnDiff(Json result);
  Status OnCreateUpdates(Payload result);
  Status OnBulkUpdate(const Response& response);
  Status ReadLocalChanges();      // push: the next page of the local change log
  Status SendNextDiff();          // push
  Status SendNextBulkUpdate();    // push
  Status SendNextCreateUpdates(); // pull
  void RequestChanges(int64_t since, const Json& filter);
  Status FinishAttempt();
  Status Complete();
  void AddConflict(const std::string& model_id, Json source_change, Json target_change);
  std::string StateKey(bool push) const;
  Status Fail(Status status);

  Database* local_;
  ReplicatorOptions options_;
  State state_ = State::kStart;
  Status error_;
  std::optional<Request> pending_;  // made, not yet handed out
  bool awaiting_ = false;           // handed out, no response yet
  ReplicationResult result_;

  // Per replicate.
  Checkpoints since_;
  int64_t diff_since_ = -1;  // the target's changes at or after it are compared
  std::set<std::string> unresolved_;  // ids that conflicted before (§8.3)
  std::set<std::string> compare_always_;  // unresolved in either direction
  // Per attempt.
  Checkpoints new_checkpoints_;
  std::deque<Json> chunks_;  // push: change chunks to diff; pull: delta chunks
  // push: the since each diff chunk is sent with; nullopt: unresolved changes sent again
  // (since -1, marked `resent`).
  std::deque<std::optional<int64_t>> chunk_since_;
  std::optional<std::pair<int64_t, std::string>> local_cursor_;  // push: local log position
  bool local_exhausted_ = true;      // push: every local change page was read
  std::set<std::string> resent_;     // push: unresolved ids already read from the log
  std::deque<TextChunk> update_chunks_;  // push: updates to send, as text
  std::optional<Json> next_cursor_;  // pull: where the next /changes page starts
  int64_t changes_since_ = -1;       // pull: the /changes query being paged
  Json changes_filter_;
  bool unresolved_fetched_ = false;
  std::vector<Conflict> attempt_conflicts_;
  size_t attempt_applied_ = 0;
  std::set<std::string> conflict_ids_;
};

// The meta key under which a replicate keeps since and the unresolved set for `peer`,
// `model` and direction.
std::string ReplicationStateKey(const std::string& peer, const std::string& model, bool push);
// Local changes a push to `peer` has not carried yet: the change rows since the last
// push's since, plus the ids it left unresolved.
Result<size_t> PendingPush(Database& db, const std::string& peer, const std::string& model);

// Runs a replicate in-process (local <-> local): the Replicator on `local` (source when
// options.local_is_source, else target), `remote` answering, with a bound on the number
// of requests. Since and the unresolved set are kept in `local`'s store per options.peer.
Result<ReplicationResult> ReplicateLocal(Database* local, Database* remote,
                                         ReplicatorOptions options, size_t max_requests = 1000000);

}  // namespace replicore

#endif  // REPLICORE_REPLICATOR_H_
