#include "replicore/replicate_command.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "replicore/open_database.h"
#include "replicore/replication_run.h"

namespace replicore {

const char kReplicateUsage[] = R"(Usage: replicore-server replicate --models DIR --from A --to B [options]
       replicore-server conflicts --models DIR (--db STORE | --state FILE) [--pg-schema NAME]

Replicates models from A to B (LoopBack 3's change/diff/bulk-update replication). A and B
are each an API root URL (http://host:port/api: a replicore-server or a LoopBack 3 server)
or a store: a SQLite file, postgresql://..., :memory:. Since and the conflicts are kept
per peer in the store (A or B), or with two URLs in the --state file, so a run that is
stopped (even by kill -9) resumes from the last replicate it finished.

Options:
  --models DIR      model JSON files (every *.json in DIR)
  --from A, --to B  the source and the target
  --model NAME      a model to replicate; repeatable (default: every model with trackChanges)
  --both            two-way: also replicate from B to A afterwards
  --conflicts P     source | target: the replicate's source (or target) wins, and the
                    resolution is replicated; manual (default): left as they are, listed
                    on stderr and by `replicore-server conflicts`
  --state FILE      a SQLite file relaying the records when both A and B are URLs (it
                    holds a full copy of the models, and the checkpoints of both peers)
  --live            repeat until SIGINT or SIGTERM; while a peer is down, wait 1 s, 2 s,
                    ... up to 60 s between tries
  --interval S      seconds between live passes (default 5; decimals allowed)
  --chunk-bytes N   bytes per diff / bulk-update request (default 1 MiB; 64 KiB for
                    LoopBack 3)
  --page N          changes read per page (default 1000)
  --pg-schema NAME  the schema of a postgresql://... A, B or --db (default: the
                    connection's search_path)
  --quiet           no progress lines on stderr

Exit status: 0 done, no conflict left; 1 a replicate failed (why, on stderr); 2 bad
arguments; 3 done, with conflicts left for a person (see `conflicts`).

`conflicts` prints each conflict left unresolved in the store, one a line:
MODEL, ID, "push|pull PEER", TYPE, "source REV", "target REV" separated by tabs; exit 3
when there are some, 0 when there are none.

A running server replicates in the background with --replicate-to URL and/or
--replicate-from URL (repeatable; every model with trackChanges; conflicts are left for a
person) every --replicate-interval S seconds (default 5).
)";

namespace {

int Fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "replicore-server: %s\n", message.c_str());
  return code;
}

// --name value, --name=value, and flags; values of repeatable options in order.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> flags;
  std::string error;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second.back();
  }
  bool Has(const std::string& name) const { return flags.count(name) || values.count(name); }
};

Args ParseArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
               const std::set<std::string>& flags) {
  Args parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    const size_t eq = name.find('=');
    const bool inline_value = name.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name) && !inline_value) {
      parsed.flags.insert(name);
    } else if (valued.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          parsed.error = name + " needs a value (see --help)";
          return parsed;
        }
        value = args[++i];
      }
      parsed.values[name].push_back(value);
    } else {
      parsed.error = "unexpected " + args[i] + " (see --help)";
      return parsed;
    }
  }
  return parsed;
}

bool ParseCount(const std::string& text, size_t* out) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n == 0 || n > (1ull << 32)) return false;
  *out = static_cast<size_t>(n);
  return true;
}

}  // namespace

// atof took "5x" for 5 and "1e-9" for an interval that rounds to 0 ms: live passes back
// to back, hammering the peers.
bool ParseInterval(const std::string& text, double* seconds) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value >= 0.001) || value > 86400) return false;
  *seconds = value;
  return true;
}

namespace {

// The models to replicate: those named, else every one with trackChanges.
Result<std::vector<std::string>> ModelNames(const std::vector<ModelFile>& files,
                                            const std::vector<std::string>& named) {
  std::vector<std::string> names;
  for (const ModelFile& file : files) {
    RC_ASSIGN_OR_RETURN(ModelDefinition model, ModelDefinition::Parse(file.definition));
    const bool wanted = named.empty() ? model.track_changes()
                                      : std::find(named.begin(), named.end(), model.name()) != named.end();
    if (wanted) names.push_back(model.name());
  }
  for (const std::string& name : named) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Status::NotFound("no model \"" + name + "\" in the --models folder");
    }
  }
  if (names.empty()) return Status::NotFound("no model with trackChanges in the --models folder");
  return names;
}

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop = true; }

// The legs from `a` to `b` (and back with `both`). A store runs the Replicator; between
// two URLs the relay store does: pull from the source into it, push from it to the target.
std::vector<Leg> LegsOf(ReplicationParty* a, ReplicationParty* b, ReplicationParty* relay,
                        bool both) {
  std::vector<Leg> legs;
  auto one_way = [&](ReplicationParty* from, ReplicationParty* to) {
    if (from->is_store()) {
      legs.push_back({from, to, true});
    } else if (to->is_store()) {
      legs.push_back({to, from, false});
    } else {
      legs.push_back({relay, from, false});
      legs.push_back({relay, to, true});
    }
  };
  one_way(a, b);
  if (both) one_way(b, a);
  return legs;
}

}  // namespace

int ReplicateCommand(const std::vector<std::string>& arg_list) {
  Args args = ParseArgs(arg_list,
                        {"--models", "--from", "--to", "--model", "--conflicts", "--state",
                         "--interval", "--chunk-bytes", "--page", "--pg-schema"},
                        {"--both", "--live", "--quiet", "--help", "-h"});
  if (args.Has("--help") || args.Has("-h")) {
    std::fputs(kReplicateUsage, stdout);
    return 0;
  }
  if (!args.error.empty()) return Fail("replicate: " + args.error);
  for (const char* required : {"--models", "--from", "--to"}) {
    if (args.Get(required).empty()) return Fail(std::string("replicate needs ") + required + " (see --help)");
  }
  RunOptions options;
  const std::string policy = args.Get("--conflicts", "manual");
  if (policy == "source") options.policy = ConflictPolicy::kSource;
  else if (policy == "target") options.policy = ConflictPolicy::kTarget;
  else if (policy != "manual") return Fail("--conflicts must be source, target or manual");
  if (args.Has("--chunk-bytes") && !ParseCount(args.Get("--chunk-bytes"), &options.chunk_bytes)) {
    return Fail("--chunk-bytes must be a positive number of bytes");
  }
  if (args.Has("--page") && !ParseCount(args.Get("--page"), &options.changes_page)) {
    return Fail("--page must be a positive number");
  }
  double interval = 5;
  if (!ParseInterval(args.Get("--interval", "5"), &interval)) {
    return Fail("--interval must be 0.001..86400 seconds");
  }
  options.quiet = args.Has("--quiet");

  auto files = ReadModelFiles(args.Get("--models"));
  if (!files.ok()) return Fail(files.status().message());
  auto names = ModelNames(*files, args.values["--model"]);
  if (!names.ok()) return Fail(names.status().message());
  options.models = *names;

  const std::string pg_schema = args.Get("--pg-schema");
  auto from = ReplicationParty::Open(args.Get("--from"), *files, pg_schema);
  if (!from.ok()) return Fail("--from: " + from.status().message());
  auto to = ReplicationParty::Open(args.Get("--to"), *files, pg_schema);
  if (!to.ok()) return Fail("--to: " + to.status().message());
  // A store (or server) replicated into itself would "succeed" doing nothing useful; the
  // names are the peers' checkpoint keys, so one file or URL spelt two ways is caught too.
  if ((*from)->name() == (*to)->name() && (*from)->name() != "store::memory:") {
    return Fail("--from and --to name the same party (" + (*from)->name() + ")");
  }
  std::unique_ptr<ReplicationParty> relay;
  if (!(*from)->is_store() && !(*to)->is_store()) {
    if (args.Get("--state").empty()) {
      return Fail("replicating between two URLs needs --state FILE (a SQLite file that relays "
                  "the records and keeps the checkpoints)");
    }
    auto opened = ReplicationParty::Open(args.Get("--state"), *files);
    if (!opened.ok()) return Fail("--state: " + opened.status().message());
    relay = std::move(opened).value();
  }
  const std::vector<Leg> legs = LegsOf(from->get(), to->get(), relay.get(), args.Has("--both"));

  if (args.Has("--live")) {
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    RunLive(legs, options, std::chrono::milliseconds(std::llround(interval * 1000)), g_stop);
    std::fprintf(stderr, "replicore-server: replicate stopped\n");
    return 0;
  }
  Result<PassTotals> totals = RunPass(legs, options);
  if (!totals.ok()) return Fail("replicate: " + totals.status().message(), 1);
  if (totals->unresolved > 0) {
    std::fprintf(stderr,
                 "replicore-server: %zu conflicts left for a person (replicore-server conflicts)\n",
                 totals->unresolved);
    return 3;
  }
  return 0;
}

int ConflictsCommand(const std::vector<std::string>& arg_list) {
  Args args = ParseArgs(arg_list, {"--models", "--db", "--state", "--pg-schema"}, {"--help", "-h"});
  if (args.Has("--help") || args.Has("-h")) {
    std::fputs(kReplicateUsage, stdout);
    return 0;
  }
  if (!args.error.empty()) return Fail("conflicts: " + args.error);
  const std::string db = args.Get("--db", args.Get("--state"));
  if (args.Get("--models").empty() || db.empty()) {
    return Fail("conflicts needs --models DIR and --db STORE (or --state FILE)");
  }
  auto files = ReadModelFiles(args.Get("--models"));
  if (!files.ok()) return Fail(files.status().message());
  auto party = ReplicationParty::Open(db, *files, args.Get("--pg-schema"));
  if (!party.ok()) return Fail(party.status().message());
  if (!(*party)->is_store()) return Fail("conflicts reads a store (--db), not a URL");
  auto lines = ListConflicts(*(*party)->db());
  if (!lines.ok()) return Fail(lines.status().message(), 1);
  for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
  return lines->empty() ? 0 : 3;
}

Result<std::unique_ptr<BackgroundReplication>> BackgroundReplication::Start(
    Database* db, const std::string& db_name, const std::vector<std::string>& to,
    const std::vector<std::string>& from, std::chrono::milliseconds interval,
    std::shared_mutex* lock) {
  std::unique_ptr<BackgroundReplication> replication(new BackgroundReplication());
  replication->self_ = ReplicationParty::OfDatabase(db, "store:" + WithoutPassword(db_name));
  std::vector<Leg> legs;
  for (const auto* urls : {&to, &from}) {
    for (const std::string& url : *urls) {
      RC_ASSIGN_OR_RETURN(std::unique_ptr<ReplicationParty> peer, ReplicationParty::OfUrl(url));
      legs.push_back({replication->self_.get(), peer.get(), urls == &to});
      replication->peers_.push_back(std::move(peer));
    }
  }
  RunOptions options;
  options.lock = lock;
  for (const std::string& name : db->ModelNames()) {
    auto model = db->GetModel(name);
    if (model.ok() && (*model)->track_changes()) options.models.push_back(name);
  }
  if (options.models.empty()) return Status::NotFound("no model with trackChanges to replicate");
  BackgroundReplication* self = replication.get();
  replication->thread_ = std::thread([self, legs, options, interval] {
    RunLive(legs, options, interval, self->stop_);
  });
  return replication;
}

BackgroundReplication::~BackgroundReplication() { Stop(); }

void BackgroundReplication::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace replicore
