// `replicore-server replicate` and `replicore-server conflicts` (issue 26), and the live
// replication a running server starts for --replicate-to / --replicate-from.
#ifndef REPLICORE_REPLICATE_COMMAND_H_
#define REPLICORE_REPLICATE_COMMAND_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "replicore/database.h"
#include "replicore/replication_party.h"

namespace replicore {

// The --help text of both commands.
extern const char kReplicateUsage[];

// Exit codes: 0 done (no conflict left), 1 a replicate failed (the message on stderr),
// 2 bad arguments, 3 done but conflicts are left for a person (--conflicts manual).
// --live runs until SIGINT or SIGTERM and then exits 0.
int ReplicateCommand(const std::vector<std::string>& args);
// --interval / --replicate-interval: decimal seconds, 0.001 to 86400, all of the text.
bool ParseInterval(const std::string& text, double* seconds);
// Prints the conflicts left unresolved in a store (--db or --state), one line each;
// exit 0 when there are none, 3 when some are listed.
int ConflictsCommand(const std::vector<std::string>& args);

// A running server's live replication of every model with trackChanges, over its own
// database, in a thread of its own: pushes to each `to`, pulls from each `from`.
class BackgroundReplication {
 public:
  // `lock` is the server's lock around `db` (held for each local step, never across I/O).
  static Result<std::unique_ptr<BackgroundReplication>> Start(
      Database* db, const std::string& db_name, const std::vector<std::string>& to,
      const std::vector<std::string>& from, std::chrono::milliseconds interval,
      std::shared_mutex* lock);
  ~BackgroundReplication();  // Stop()
  // Asks the loop to end and waits for it (at most one request's timeout).
  void Stop();

 private:
  BackgroundReplication() = default;
  std::unique_ptr<ReplicationParty> self_;
  std::vector<std::unique_ptr<ReplicationParty>> peers_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace replicore

#endif  // REPLICORE_REPLICATE_COMMAND_H_
