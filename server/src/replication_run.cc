#include "replicore/replication_run.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "replicore/conflict_resolver.h"
#include "replicore/replicator.h"

namespace replicore {
namespace {

constexpr size_t kMaxRequests = 100000000;  // a bound on a runaway, never on a real run
constexpr size_t kMaxResolveRequests = 64;
constexpr int kMaxRounds = 3;  // replicate, resolve, replicate again (a resolution may race)
// Where the conflicts each leg left unresolved are kept for `conflicts`: one meta value,
// {"<push|pull> <peer> <model>": [Conflict JSON...]} (the Replicator keeps only ids).
constexpr char kConflictsKey[] = "replicate-cli:conflicts";

using Clock = std::chrono::steady_clock;
using Lock = std::unique_lock<std::shared_mutex>;

Lock Hold(std::shared_mutex* mu) { return mu != nullptr ? Lock(*mu) : Lock(); }

// A sans-I/O party whose steps (they read and write the local database) run under `mu`;
// the carrying of each request between them does not.
template <typename Party>
class Guarded {
 public:
  Guarded(Party* party, std::shared_mutex* mu) : party_(party), mu_(mu) {}
  std::optional<Request> NextRequest() {
    Lock lock = Hold(mu_);
    return party_->NextRequest();
  }
  Status OnResponse(Response response) {
    Lock lock = Hold(mu_);
    return party_->OnResponse(std::move(response));
  }
  bool done() const { return party_->done(); }
  bool failed() const { return party_->failed(); }
  const Status& error() const { return party_->error(); }

 private:
  Party* party_;
  std::shared_mutex* mu_;
};

// Counts a replicate's requests and says how far it got, at most once a second.
class Progress {
 public:
  Progress(std::string label, bool quiet) : label_(std::move(label)), quiet_(quiet) {}

  Carrier Counting(const Carrier& carry) {
    return [this, carry](Request request) {
      const Op op = request.op;
      Response response = carry(std::move(request));
      ++requests_;
      if (op == Op::kDiff) ++diffs_;
      if (op == Op::kCreateUpdates || op == Op::kBulkUpdate) ++updates_;
      if (!quiet_ && Clock::now() - last_ >= std::chrono::seconds(1)) {
        last_ = Clock::now();
        std::fprintf(stderr,
                     "replicate: %s: %zu requests so far (%zu diffs, %zu chunks of updates), %.1f s\n",
                     label_.c_str(), requests_, diffs_, updates_, Seconds());
      }
      return response;
    };
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  size_t requests() const { return requests_; }
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  bool quiet_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
  size_t requests_ = 0;
  size_t diffs_ = 0;
  size_t updates_ = 0;  // create-updates (pull) or bulk-update (push) requests
};

Resolution ResolutionFor(ConflictPolicy policy) {
  return policy == ConflictPolicy::kTarget ? Resolution::kUseTarget : Resolution::kUseSource;
}

std::string ConflictsEntry(bool push, const std::string& peer, const std::string& model) {
  return std::string(push ? "push " : "pull ") + peer + " " + model;
}

// Keeps `conflicts` (none: forgets the entry) as what the leg left unresolved.
Status SaveConflicts(Database& db, const std::string& entry, const std::vector<Conflict>& conflicts) {
  RC_ASSIGN_OR_RETURN(std::optional<Json> stored, db.store()->GetMeta(kConflictsKey));
  Json all = stored && stored->is_object() ? *stored : Json::object();
  if (conflicts.empty() && !all.contains(entry)) return Status::Ok();
  if (conflicts.empty()) {
    all.erase(entry);
  } else {
    Json list = Json::array();
    for (const Conflict& conflict : conflicts) list.push_back(conflict.ToJson());
    all[entry] = std::move(list);
  }
  Batch batch;
  batch.meta.push_back({kConflictsKey, std::move(all)});
  return db.Commit(std::move(batch)).status();
}

struct ModelOutcome {
  size_t applied = 0;
  size_t resolved = 0;
  std::vector<Conflict> left;
};

Status Resolve(Database* local, const std::string& model, const Conflict& conflict,
               ConflictPolicy policy, const Carrier& carry, std::shared_mutex* mu) {
  ConflictResolver resolver(local, model, conflict, ResolutionFor(policy));
  Guarded<ConflictResolver> guarded(&resolver, mu);
  return Drive(guarded, carry, kMaxResolveRequests);
}

// One model over one leg: replicate, then (source/target) resolve and replicate again.
Result<ModelOutcome> RunModel(const Leg& leg, const ModelDefinition& model,
                              const RunOptions& options, Progress* progress) {
  RC_ASSIGN_OR_RETURN(ModelLink link, leg.remote->Link(model));
  ReplicatorOptions replicator_options;
  replicator_options.model = model.name();
  replicator_options.local_is_source = leg.push;
  replicator_options.peer = link.peer;
  replicator_options.chunk_bytes = options.chunk_bytes ? options.chunk_bytes : link.chunk_bytes;
  replicator_options.cursor_changes = link.cursor_changes;
  if (options.changes_page) replicator_options.changes_page = options.changes_page;
  replicator_options.reread_last_checkpoint = link.loopback;
  const Carrier carry = progress->Counting(link.carry);
  Database* local = leg.local->db();
  ModelOutcome outcome;
  for (int round = 0; round < kMaxRounds; ++round) {
    Replicator replicator(local, replicator_options);
    Guarded<Replicator> guarded(&replicator, options.lock);
    RC_RETURN_IF_ERROR(Drive(guarded, carry, kMaxRequests));
    outcome.applied += replicator.result().applied;
    outcome.left = replicator.result().conflicts;
    // The last round's conflicts stay: resolved now, nothing would carry the resolution.
    if (outcome.left.empty() || options.policy == ConflictPolicy::kManual ||
        round + 1 == kMaxRounds) {
      break;
    }
    for (const Conflict& conflict : outcome.left) {
      Status resolved = Resolve(local, model.name(), conflict, options.policy, carry, options.lock);
      // A record changed since the conflict was seen: the next replicate reports it again.
      if (resolved.code() == StatusCode::kConflict ||
          resolved.code() == StatusCode::kPreconditionFailed) {
        continue;
      }
      RC_RETURN_IF_ERROR(resolved);
      ++outcome.resolved;
    }
  }
  Lock lock = Hold(options.lock);
  RC_RETURN_IF_ERROR(SaveConflicts(*local, ConflictsEntry(leg.push, link.peer, model.name()),
                                   outcome.left));
  return outcome;
}

void SleepUnless(std::chrono::milliseconds wait, const std::atomic<bool>& stop) {
  const Clock::time_point until = Clock::now() + wait;
  while (!stop && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(100),
                                                          until - Clock::now()));
  }
}

}  // namespace

Result<PassTotals> RunPass(const std::vector<Leg>& legs, const RunOptions& options) {
  PassTotals totals;
  for (const Leg& leg : legs) {
    for (const std::string& name : options.models) {
      RC_ASSIGN_OR_RETURN(const ModelDefinition* model, leg.local->db()->GetModel(name));
      const std::string label = name + (leg.push ? " push " : " pull ") + leg.local->name() +
                                (leg.push ? " -> " : " <- ") + leg.remote->name();
      Progress progress(label, options.quiet);
      Result<ModelOutcome> outcome = RunModel(leg, *model, options, &progress);
      if (!outcome.ok()) {
        return Status(outcome.status().code(), label + ": " + outcome.status().message(),
                      outcome.status().details());
      }
      totals.applied += outcome->applied;
      totals.resolved += outcome->resolved;
      totals.unresolved += outcome->left.size();
      const bool idle = outcome->applied == 0 && outcome->resolved == 0 && outcome->left.empty();
      if (!options.quiet && !(idle && options.quiet_when_idle)) {
        std::fprintf(stderr,
                     "replicate: %s: %zu applied, %zu conflicts resolved, %zu left, %zu requests, "
                     "%.2f s\n",
                     label.c_str(), outcome->applied, outcome->resolved, outcome->left.size(),
                     progress.requests(), progress.Seconds());
      }
      for (const Conflict& conflict : outcome->left) {
        if (options.quiet) break;
        std::fprintf(stderr, "replicate: %s: conflict on %s (%s), left for a person\n",
                     label.c_str(), conflict.model_id.c_str(), ChangeTypeName(conflict.type()));
      }
    }
  }
  return totals;
}

void RunLive(const std::vector<Leg>& legs, const RunOptions& options,
             std::chrono::milliseconds interval, const std::atomic<bool>& stop) {
  constexpr std::chrono::milliseconds kFirstBackoff{1000};
  constexpr std::chrono::milliseconds kMaxBackoff{60000};
  RunOptions live = options;
  live.quiet_when_idle = true;  // a line per pass only when something happened
  std::chrono::milliseconds backoff = kFirstBackoff;
  bool down = false;
  while (!stop) {
    Result<PassTotals> pass = RunPass(legs, live);
    std::chrono::milliseconds wait = interval;
    if (!pass.ok()) {
      if (stop) break;
      std::fprintf(stderr, "replicate: %s; trying again in %.0f s\n",
                   pass.status().message().c_str(), backoff.count() / 1000.0);
      wait = backoff;
      backoff = std::min(backoff * 2, kMaxBackoff);
      down = true;
    } else {
      if (down) std::fprintf(stderr, "replicate: the peers answer again\n");
      backoff = kFirstBackoff;
      down = false;
    }
    SleepUnless(wait, stop);
  }
}

Result<std::vector<std::string>> ListConflicts(Database& db) {
  RC_ASSIGN_OR_RETURN(std::optional<Json> stored, db.store()->GetMeta(kConflictsKey));
  std::vector<std::string> lines;
  if (!stored || !stored->is_object()) return lines;
  auto rev = [](const Json& change) {
    return change.is_object() && change.contains("rev") && change["rev"].is_string()
               ? change["rev"].get<std::string>()
               : std::string("-");
  };
  for (const auto& [entry, conflicts] : stored->items()) {
    // entry: "<push|pull> <peer> <model>"
    const size_t last_space = entry.rfind(' ');
    const std::string model = entry.substr(last_space + 1);
    const std::string leg = entry.substr(0, last_space);
    if (!conflicts.is_array()) continue;
    for (const Json& conflict : conflicts) {
      if (!conflict.is_object()) continue;
      lines.push_back(model + "\t" + conflict.value("modelId", "") + "\t" + leg + "\t" +
                      conflict.value("type", "") + "\tsource " +
                      rev(conflict.value("sourceChange", Json())) + "\ttarget " +
                      rev(conflict.value("targetChange", Json())));
    }
  }
  return lines;
}

}  // namespace replicore
