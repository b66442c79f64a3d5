// The vocabulary of replication: the operations one party asks of the other, as values
// (PROTOCOL.md §2.1 and §9), and `Answer`, the one dispatcher that answers them from a
// Database. The Replicator and the ConflictResolver emit Requests; a Carrier (in-process,
// the server's HTTP client), the server's HTTP routes and the JS remote carry them and
// feed back Responses.
#ifndef REPLICORE_PROTOCOL_H_
#define REPLICORE_PROTOCOL_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "replicore/database.h"
#include "replicore/payload.h"

namespace replicore {

// What one party asks of the other. Args and results are JSON (LoopBack's wire values),
// as trees or as text (payload.h); create-updates answers text, its records as stored:
//   kCheckpoint       {}                         -> {"seq", "time", "id"}
//   kChanges          {since, filter?, limit?, after?: [checkpoint, modelId]}
//                                                -> [Change...] or {"changes":[...], "next"}
//   kDiff             {since, changes, resent?}  -> {"deltas", "conflicts"}; resent: the
//                                                   changes were sent before (unresolved)
//   kCreateUpdates    {deltas}                   -> [Update...]
//   kBulkUpdate       {updates}                  -> null; 409 = kConflict with
//                                                   details {"conflicts": [source changes]}
//   kFindById         {id}                       -> record or null
//   kFindLastChange   {id}                       -> Change or null
//   kUpdateLastChange {id, data}                 -> Change
enum class Op {
  kCheckpoint, kChanges, kDiff, kCreateUpdates, kBulkUpdate,
  kFindById, kFindLastChange, kUpdateLastChange,
};
const char* OpName(Op op);
// The Op named `name` (OpName's inverse), or nullopt.
std::optional<Op> OpNamed(const std::string& name);

struct Request {
  Op op;
  Payload args;
};

struct Response {
  Status status;
  Payload result;
};

// Entries one diff, create-updates, bulk-update or create of many may carry: far above what a chunking
// client sends (replicore's 1 MiB chunks hold ~6,500), low enough that a request over it
// is refused in milliseconds instead of holding the store for seconds.
constexpr size_t kMaxRequestEntries = 50000;

// Answers a request from `db` for `model`: the in-process party, and what a server does.
// Takes the request by value, so a caller that is done with it can move it in.
Response Answer(Database& db, const std::string& model, Request request);

// Carries one request to the other party and returns its answer: in-process (Answer), or
// over a network (the server's HTTP carrier). Failures to reach the party come back as an
// error Response, never as an exception.
using Carrier = std::function<Response(Request)>;

// The one contract of the sans-I/O parties (Replicator, ConflictResolver): NextRequest()
// hands each request out once (nullopt while a response is awaited and once finished),
// OnResponse() takes its answer, done() / failed() / error() tell how it ended. Drives
// `party` with `carry` (any callable Request -> Response, e.g. a Carrier) for at most
// `max_steps` requests; one that has not finished by then fails with kStepLimit.
template <typename Party, typename Carry>
Status Drive(Party& party, Carry&& carry, size_t max_steps) {
  for (size_t step = 0; step < max_steps; ++step) {
    std::optional<Request> request = party.NextRequest();
    if (!request) break;
    Status status = party.OnResponse(carry(std::move(*request)));
    if (!status.ok()) return status;
  }
  if (party.failed()) return party.error();
  if (!party.done()) {
    return Status::StepLimit("did not finish within " + std::to_string(max_steps) + " requests");
  }
  return Status::Ok();
}

// Drive in-process against `remote` answering for `model`.
template <typename Party>
Status DriveLocal(Party& party, Database& remote, const std::string& model, size_t max_steps) {
  return Drive(
      party, [&](Request request) { return Answer(remote, model, std::move(request)); }, max_steps);
}

}  // namespace replicore

#endif  // REPLICORE_PROTOCOL_H_
