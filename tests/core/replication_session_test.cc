// The LoopBack 3 replication session of ../shared/vectors/loopback/replication-session,
// replayed through the Replicator (and the ConflictResolver) against a MemoryStore
// Database playing the LoopBack server.
//
// The client database has the model "LocalTodo" and the server "Todo", as in the capture
// (LocalTodo is `base: Todo`), so change ids, revisions and model names can be compared
// exactly. The Replicator is driven by hand: every Request it emits is recorded and
// answered with Answer(server, "Todo", request), then held to the captured HTTP exchange
// of the same position: same operation, same change objects (by modelId: id, rev, prev,
// checkpoint), same updates (type, change, data), same results.
//
// Checkpoint numbers are compared through two maps "LoopBack seq -> our seq", one for the
// client's sequence and one for the server's: replicore's extra attempts and its extra
// checkpoint bumps (listed below) shift later numbers, and not on both sides alike, so the
// two sequences no longer move in lockstep as LoopBack's do. Server seqs are paired from
// the POST /checkpoint responses; client seqs from the client's own bump of the same
// attempt (LoopBack bumps both sides once per attempt, so its client seq of an attempt is
// the seq of that attempt's POST /checkpoint; ExpectSameResult checks that the capture's
// newCheckpoints agree), which the Replicator's result checkpoints confirm (source for a
// push, target for a pull).
//
// The scenarios run in order on one server and one client (later ones depend on earlier
// ones); each TEST plays the scenarios before it first if they have not run yet.
//
// Where replicore answers better on purpose (PROTOCOL.md §8), the exchange or step is
// listed in kDifferences with its reason; the test then asserts what replicore does
// instead. Everything else is held to LoopBack.
//
// Deliberate behaviours that this session never reaches, so they have no entry (an entry
// must be met by the replay) and the replay would fail on them as undeclared (extra
// requests, other changes or results):
//  - the end-of-replicate bump of a target that applied updates (a push's extra POST
//    /checkpoint after the last bulk-update, a pull's extra local bump): every replicate
//    here that applied something ran again and its last attempt applied nothing;
//  - resolveUsingSource against a target that deleted the record (the source's data is
//    copied to the target, then the target is asked for a checkpoint): the three
//    resolveUsingSource here meet a target that updated;
//  - a diff that refuses to fast-forward a create (prev null) onto a real deletion in
//    the window: no create here meets a deletion;
//  - ids left unresolved by a pull: no pull here reports a conflict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/test_util.h"
#include "replicore/conflict.h"
#include "replicore/conflict_resolver.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"
#include "replicore/replicator.h"

namespace replicore {
namespace {

constexpr char kSessionDir[] = "loopback/replication-session";
constexpr char kClientModel[] = "LocalTodo";
constexpr char kServerModel[] = "Todo";

constexpr char kA[] = "a-push-local-creates";
constexpr char kB[] = "b-pull-server-creates";
constexpr char kC1[] = "c1-update-conflict-resolveUsingSource";
constexpr char kC2[] = "c2-update-conflict-resolveUsingTarget";
constexpr char kC3[] = "c3-update-conflict-resolveUsingSource-keep-since";
constexpr char kD1[] = "d1-delete-local-push";
constexpr char kD2[] = "d2-delete-server-pull";
constexpr char kE[] = "e-update-delete-conflict";
constexpr char kE2[] = "e2-delete-update-conflict-push-wins";
const char* const kScenarioOrder[] = {kA, kB, kC1, kC2, kC3, kD1, kD2, kE, kE2};

// Every deliberate difference from the capture. `exchange_or_step` is the name of the
// first captured exchange that differs (the replay is compared up to it, and what
// replicore does from there is asserted by the scenario), or a step of scenario.md.
struct Difference {
  const char* scenario;
  const char* exchange_or_step;
  const char* reason;
};

constexpr char kAll[] = "*";
constexpr char kEveryDiff[] = "every POST /diff";
constexpr char kPushDiffSince[] = "the since of a push's POST /diff";
constexpr char kResolveStamp[] = "conflict.resolveUsingSource()";
constexpr char kResolveBump[] = "conflict.resolveUsingTarget()";

constexpr Difference kDifferences[] = {
    {kAll, kEveryDiff,
     "replicore's client always sends `since` with a diff (PROTOCOL.md §8.7): a server "
     "checkpoint of an earlier replicate, or -1 for the ids of the unresolved set (§8.3). "
     "LoopBack's connector drops it and the server uses 0."},
    {kAll, kPushDiffSince,
     "a push diffs its changes against the server changes this client has not pulled yet: "
     "since = the last PULL's since.source (-1 before any pull), not LoopBack's since.target "
     "of the last push, which lets a push overwrite a server edit the client never received "
     "(a pull's local diff likewise uses the last push's since.source; not on the wire, and "
     "the pulls here come out the same). An explicit since keeps LoopBack's since.target."},
    {kA, "005-diff",
     "the confirming second attempt has no local change to diff: replicore finishes the "
     "attempt without sending an empty POST /diff [] (one round trip less)."},
    {kC1, kResolveStamp,
     "the resolution (prev := server rev) also stamps the local change with the current "
     "checkpoint (§8.3, §9.4); LoopBack keeps the change's old checkpoint."},
    {kC1, "009-diff",
     "a-1 is in the unresolved set, so push#2 re-diffs it against the server's whole log "
     "(since -1) and pushes it (bulk-update, then a confirming attempt). LoopBack diffs [] "
     "with the advanced since and silently never propagates resolveUsingSource (§8.3). "
     "Ids unresolved in either direction are compared whatever their checkpoint; a push "
     "re-sends only the push's own."},
    {kC1, "011-changes",
     "after push#2 the server holds the client's a-1 (same revision), so the pull finds no "
     "conflict; LoopBack reports the unresolved conflict again."},
    {kC1, "015-get-a-1",
     "the server's a-1 is the client's version (resolveUsingSource took effect); LoopBack's "
     "server still holds its own edit."},
    {kC2, kResolveBump,
     "after the resolution wrote the server's a-2 into the client, the client bumps its "
     "checkpoint (one client seq LoopBack does not have): otherwise the client's next edit "
     "of a-2 collapses with the copy into one change whose prev is a revision the server "
     "never had (a spurious or hidden conflict; a copy then a delete would be an invisible "
     "create+delete). No request is sent: the server took no data."},
    {kC3, "005-diff", "as a/005-diff: no empty POST /diff in the confirming attempt."},
    {kC3, kResolveStamp, "as c1: the resolution stamps the current checkpoint (§9.4)."},
    {kC3, "017-diff",
     "the confirming attempt re-diffs a-4, still in the unresolved set until that push "
     "ends, against the whole log (since -1); revisions are equal, so nothing is sent. "
     "LoopBack posts []."},
    {kD1, "005-diff", "as a/005-diff: no empty POST /diff in the confirming attempt."},
    {kE, kResolveBump,
     "as c2: the resolution deleted b-1 on the client (the server's state), so the client "
     "bumps its checkpoint after it; no request is sent."},
    {kE2, kResolveStamp, "as c1: the resolution stamps the current checkpoint (§9.4)."},
    {kE2, "009-diff",
     "a-2 is in the unresolved set: the resolved delete is re-diffed against the whole log "
     "and pushed (bulk-update delete), then confirmed. LoopBack diffs [] and the delete is "
     "never sent (the c1 pitfall, §8.3)."},
    {kE2, "010-get-a-2-exists",
     "the client's delete won on the server: a-2 no longer exists; LoopBack's server kept it."},
};

const Difference* FindDifference(const std::string& scenario, const std::string& what) {
  for (const Difference& d : kDifferences) {
    if ((scenario == d.scenario || std::strcmp(d.scenario, kAll) == 0) &&
        what == d.exchange_or_step) {
      return &d;
    }
  }
  return nullptr;
}

// ---- the vectors

std::string Label(const Json& exchange) {
  const std::string& description = exchange["description"].get_ref<const std::string&>();
  return description.substr(0, description.find(" -> "));
}

bool NotPartOfReplicate(const Json& exchange) {
  return exchange["description"].get<std::string>().rfind("NOT PART OF REPLICATE", 0) == 0;
}

// The ```json blocks of one scenario's lines in _replicate-results.json, in order.
std::vector<Json> JsonBlocks(const Json& lines) {
  std::vector<Json> blocks;
  for (const Json& line : lines) {
    const std::string& text = line.get_ref<const std::string&>();
    size_t start = text.find("```json\n");
    if (start == std::string::npos) continue;
    size_t end = text.rfind("```");
    blocks.push_back(Json::parse(text.substr(start + 8, end - start - 8)));
  }
  return blocks;
}

struct ScenarioVectors {
  std::vector<Json> exchanges;  // sorted by name
  std::vector<Json> results;    // replicate results ({"call", ...}) in order
  std::vector<Json> states;     // client states ({"localTodos", "localChanges"}) in order
};

ScenarioVectors LoadScenario(const std::string& scenario) {
  ScenarioVectors vectors;
  std::vector<std::string> names;
  std::string dir = std::string(RC_VECTORS_DIR) + "/" + kSessionDir + "/" + scenario;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    vectors.exchanges.push_back(
        testing::LoadVector(std::string(kSessionDir) + "/" + scenario + "/" + name));
  }
  Json all = testing::LoadVector(std::string(kSessionDir) + "/_replicate-results.json");
  for (Json& block : JsonBlocks(all.at(scenario))) {
    if (block.contains("call")) vectors.results.push_back(std::move(block));
    else if (block.contains("localTodos")) vectors.states.push_back(std::move(block));
  }
  return vectors;
}

// The operation a captured HTTP exchange performs (PROTOCOL.md §2.1).
std::optional<Op> OpOf(const Json& request) {
  const std::string& method = request["method"].get_ref<const std::string&>();
  std::string path = request["path"].get<std::string>();
  const std::string base = "/api/Todos/";
  if (path.rfind(base, 0) != 0) return std::nullopt;
  std::string rest = path.substr(base.size());
  if (method == "POST" && rest == "checkpoint") return Op::kCheckpoint;
  if (method == "GET" && rest == "changes") return Op::kChanges;
  if (method == "POST" && rest == "diff") return Op::kDiff;
  if (method == "POST" && rest == "create-updates") return Op::kCreateUpdates;
  if (method == "POST" && rest == "bulk-update") return Op::kBulkUpdate;
  const std::string last = "/changes/last";
  if (rest.size() > last.size() && rest.compare(rest.size() - last.size(), last.size(), last) == 0) {
    if (method == "GET") return Op::kFindLastChange;
    if (method == "PUT") return Op::kUpdateLastChange;
  }
  if (method == "GET" && rest.find('/') == std::string::npos) return Op::kFindById;
  return std::nullopt;
}

// The :id of /api/Todos/:id[/...].
std::string PathId(const Json& request) {
  std::string rest = request["path"].get<std::string>().substr(std::strlen("/api/Todos/"));
  return rest.substr(0, rest.find('/'));
}

Json EmptyDiff() { return Json{{"deltas", Json::array()}, {"conflicts", Json::array()}}; }

Json WithoutId(Json record) {
  record.erase("id");
  return record;
}

std::map<std::string, Json> ById(const Json& items, const char* key_path) {
  std::map<std::string, Json> out;
  for (const Json& item : items) {
    const Json& keyed = std::strcmp(key_path, "change") == 0 ? item["change"] : item;
    std::string id = keyed.contains("modelId") ? keyed["modelId"].get<std::string>()
                                               : keyed["id"].get<std::string>();
    EXPECT_EQ(out.count(id), 0u) << "duplicate " << id;
    out[id] = item;
  }
  return out;
}

std::set<std::string> Keys(const std::map<std::string, Json>& map) {
  std::set<std::string> keys;
  for (const auto& [key, value] : map) keys.insert(key);
  return keys;
}

// ---- the session

struct Recorded {
  Request request;
  Response response;
  // The client's current checkpoint once the response was taken in: after a replicate
  // attempt's POST /checkpoint, the client's bump of that attempt (-1 outside a replicate).
  int64_t client_checkpoint = -1;
};

// The two checkpoint sequences, mapped separately (see the top of the file).
enum class Side { kClient, kServer };
const char* SideName(Side side) { return side == Side::kClient ? "client" : "server"; }

class Session {
 public:
  static Session& Get() {
    static Session* session = new Session();
    return *session;
  }

  // Plays every scenario up to and including `scenario` that has not run yet.
  void RunThrough(const std::string& scenario) {
    for (const char* name : kScenarioOrder) {
      if (!played_.count(name)) {
        played_.insert(name);
        SCOPED_TRACE(name);
        Play(name);
      }
      if (scenario == name) return;
    }
    ADD_FAILURE() << "unknown scenario " << scenario;
  }

 private:
  Session() : client_(&client_store_, env_.Get()), server_(&server_store_, env_.Get()) {
    Json model = testing::LoadVector("loopback/_model-todo.json")["model"];
    // created defaults to Date.now() in the example's todo.js: here the injected clock.
    model["properties"]["created"]["defaultFn"] = "now";
    Status added = server_.AddModel(model);
    EXPECT_TRUE(added.ok()) << added.ToString();
    model["name"] = kClientModel;
    model["plural"] = std::string(kClientModel) + "s";
    added = client_.AddModel(model);
    EXPECT_TRUE(added.ok()) << added.ToString();
    // Both sides start at checkpoint 1.
    seq_map_[Side::kClient][1] = 1;
    seq_map_[Side::kServer][1] = 1;
  }

  void Play(const std::string& name);
  void PlayA();
  void PlayB();
  void PlayC1();
  void PlayC2();
  void PlayC3();
  void PlayD1();
  void PlayD2();
  void PlayE();
  void PlayE2();

  // ---- vectors of the current scenario
  // The captured exchanges of the step whose label contains `key` (recorder calls skipped).
  std::vector<Json> Step(const std::string& key) {
    std::vector<Json> step;
    for (const Json& exchange : vectors_.exchanges) {
      if (!NotPartOfReplicate(exchange) && Label(exchange).find(key) != std::string::npos) {
        step.push_back(exchange);
      }
    }
    EXPECT_FALSE(step.empty()) << "no exchanges for step " << key;
    return step;
  }
  const Json& Result(size_t index, const char* call_contains) {
    EXPECT_LT(index, vectors_.results.size());
    const Json& result = vectors_.results.at(index);
    EXPECT_NE(result["call"].get<std::string>().find(call_contains), std::string::npos)
        << result["call"];
    return result;
  }
  const Difference& Differs(const std::string& what) {
    const Difference* d = FindDifference(scenario_, what);
    EXPECT_NE(d, nullptr) << "undeclared difference " << scenario_ << " / " << what;
    static const Difference kNone{"", "", ""};
    if (d == nullptr) return kNone;
    used_differences_.insert(d);
    return *d;
  }

  // ---- checkpoints
  int64_t Map(Side side, int64_t lb_seq) {
    if (lb_seq == -1) return -1;
    const auto& map = seq_map_[side];
    auto it = map.find(lb_seq);
    if (it == map.end()) {
      ADD_FAILURE() << "LoopBack " << SideName(side) << " checkpoint " << lb_seq
                    << " was never paired with ours";
      return lb_seq;
    }
    return it->second;
  }
  void Pair(Side side, int64_t lb_seq, int64_t our_seq) {
    auto [it, inserted] = seq_map_[side].emplace(lb_seq, our_seq);
    EXPECT_EQ(it->second, our_seq)
        << "LoopBack " << SideName(side) << " checkpoint " << lb_seq << " paired twice";
    (void)inserted;
  }
  // The since of a replicate call: source and target are the client's and the server's
  // for a push, the other way round for a pull.
  Checkpoints MapSince(const Json& lb_since, bool push) {
    if (!lb_since.is_object()) {
      int64_t lb = lb_since.get<int64_t>();
      return Checkpoints{Map(push ? Side::kClient : Side::kServer, lb),
                         Map(push ? Side::kServer : Side::kClient, lb)};
    }
    return Checkpoints{Map(push ? Side::kClient : Side::kServer, lb_since["source"].get<int64_t>()),
                       Map(push ? Side::kServer : Side::kClient, lb_since["target"].get<int64_t>())};
  }
  // A change's checkpoint as we expect it: LoopBack's mapped (on the row's side), or a
  // resolution's stamp.
  int64_t ExpectedCheckpoint(const Json& lb_change, bool client_row) {
    int64_t lb = lb_change["checkpoint"].get<int64_t>();
    std::string id = lb_change["modelId"].get<std::string>();
    if (client_row) {
      auto it = stamped_.find(id);
      if (it != stamped_.end() && it->second.rev == lb_change.value("rev", Json()) &&
          it->second.lb_checkpoint == lb) {
        return it->second.our_checkpoint;
      }
    }
    return Map(client_row ? Side::kClient : Side::kServer, lb);
  }
  int64_t ClientCheckpoint() {
    auto current = client_.CurrentCheckpoint();
    EXPECT_TRUE(current.ok());
    return current.ok() ? *current : -1;
  }
  int64_t ServerCheckpoint() {
    auto current = server_.CurrentCheckpoint();
    EXPECT_TRUE(current.ok());
    return current.ok() ? *current : -1;
  }

  // ---- driving
  template <typename Machine>
  std::vector<Recorded> Drive(Machine* machine) {
    std::vector<Recorded> recorded;
    for (int i = 0; i < 100; ++i) {
      std::optional<Request> request = machine->NextRequest();
      if (!request) break;
      Response response = Answer(server_, kServerModel, *request);
      recorded.push_back({*request, response});
      Status status = machine->OnResponse(response);
      EXPECT_TRUE(status.ok()) << OpName(request->op) << ": " << status.ToString();
      if constexpr (std::is_same_v<Machine, Replicator>) {
        recorded.back().client_checkpoint = ClientCheckpoint();
      }
    }
    EXPECT_TRUE(machine->done());
    return recorded;
  }
  struct Run {
    std::vector<Recorded> exchanges;
    ReplicationResult result;
  };
  Run Replicate(bool push, std::optional<Checkpoints> since = std::nullopt) {
    ReplicatorOptions options;
    options.model = kClientModel;
    options.peer = "server";
    options.local_is_source = push;
    options.since = since;
    Replicator replicator(&client_, options);
    Run run;
    run.exchanges = Drive(&replicator);
    run.result = replicator.result();
    // No bump of either side after the last attempt: the end-of-replicate bump of a target
    // that applied updates is not reached here (see the top of the file).
    int64_t last_server_seq = -1;
    for (const Recorded& exchange : run.exchanges) {
      if (exchange.request.op == Op::kCheckpoint) {
        last_server_seq = exchange.response.result.tree().value("seq", int64_t{-1});
      }
    }
    EXPECT_EQ(last_server_seq, push ? run.result.checkpoints.target : run.result.checkpoints.source);
    EXPECT_EQ(ClientCheckpoint(), push ? run.result.checkpoints.source : run.result.checkpoints.target);
    // What the replicator keeps for the next replicate in each direction (§8.3).
    std::set<std::string>& unresolved = push ? unresolved_push_ : unresolved_pull_;
    unresolved.clear();
    for (const Conflict& c : run.result.conflicts) unresolved.insert(c.model_id);
    (push ? last_push_since_ : last_pull_since_) = run.result.checkpoints;
    return run;
  }
  std::vector<Recorded> Resolve(const Conflict& conflict, Resolution how) {
    ConflictResolver resolver(&client_, kClientModel, conflict, how);
    return Drive(&resolver);
  }
  // Records the resolution stamp of a resolveUsingSource (a listed difference).
  void ExpectResolutionStamp(const std::string& id, const Json& lb_source_change) {
    Differs(kResolveStamp);
    auto change = client_.store()->GetChange(kClientModel, id);
    ASSERT_TRUE(change.ok() && change->has_value());
    auto current = client_.CurrentCheckpoint();
    ASSERT_TRUE(current.ok());
    // The stamp is the current checkpoint: no data was written, so no bump after it.
    EXPECT_EQ((*change)->checkpoint, *current);
    EXPECT_GE((*change)->checkpoint,
              Map(Side::kClient, lb_source_change["checkpoint"].get<int64_t>()));
    stamped_[id] = Stamp{lb_source_change.value("rev", Json()),
                         lb_source_change["checkpoint"].get<int64_t>(), (*change)->checkpoint};
  }
  // A resolution that wrote the server's state into the client (a listed difference): the
  // written change carries the checkpoint current before it, and the client bumped once
  // after it. The server took no data and was asked for nothing but the read.
  void ExpectResolutionBump(const std::string& id, int64_t client_before, int64_t server_before,
                            const std::vector<Recorded>& exchanges) {
    Differs(kResolveBump);
    auto change = client_.store()->GetChange(kClientModel, id);
    ASSERT_TRUE(change.ok() && change->has_value());
    EXPECT_EQ((*change)->checkpoint, client_before);
    EXPECT_EQ(ClientCheckpoint(), client_before + 1);
    EXPECT_EQ(ServerCheckpoint(), server_before);
    for (const Recorded& exchange : exchanges) {
      EXPECT_STRNE(OpName(exchange.request.op), OpName(Op::kCheckpoint));
    }
  }

  // ---- comparing with the capture
  // Compares recorded[i] with step[i] until the first exchange listed as a difference;
  // returns its index (step.size() when none), having checked the sizes in that case.
  size_t Compare(const std::vector<Json>& step, const std::vector<Recorded>& recorded) {
    for (size_t i = 0; i < step.size(); ++i) {
      std::string name = step[i]["name"].get<std::string>();
      if (FindDifference(scenario_, name)) {
        Differs(name);
        return i;
      }
      if (i >= recorded.size()) {
        ADD_FAILURE() << "replicore sent nothing where LoopBack sent " << name;
        return i;
      }
      CompareExchange(step[i], recorded[i]);
    }
    EXPECT_EQ(recorded.size(), step.size()) << "replicore sent more requests than LoopBack";
    return step.size();
  }

  void CompareExchange(const Json& exchange, const Recorded& ours) {
    SCOPED_TRACE(exchange["name"].get<std::string>());
    const Json& request = exchange["request"];
    const Json& response = exchange["response"];
    std::optional<Op> op = OpOf(request);
    ASSERT_TRUE(op.has_value()) << "not a replication request: " << request["url"];
    ASSERT_STREQ(OpName(ours.request.op), OpName(*op));
    const Json& args = ours.request.args.tree();
    const Json& result = ours.response.result.tree();
    int status = response["status"].get<int>();
    if (status >= 400) {
      // GET /:id of a missing record: 404 over HTTP, null from Answer (the route maps it).
      ASSERT_EQ(*op, Op::kFindById);
      ASSERT_EQ(status, 404);
      EXPECT_TRUE(ours.response.status.ok());
      EXPECT_TRUE(result.is_null()) << result;
      EXPECT_EQ(args.value("id", ""), PathId(request));
      return;
    }
    ASSERT_TRUE(ours.response.status.ok()) << ours.response.status.ToString();
    const Json& body = response["body"];
    switch (*op) {
      case Op::kCheckpoint:
        ASSERT_TRUE(result.is_object());
        EXPECT_TRUE(result["seq"].is_number_integer());
        EXPECT_TRUE(result["time"].is_string());
        EXPECT_EQ(result["id"], body["id"]);
        EXPECT_EQ(result.size(), body.size()) << result;
        Pair(Side::kServer, body["seq"].get<int64_t>(), result["seq"].get<int64_t>());
        // LoopBack's client seq of this attempt is the same number (lockstep); ours is
        // the client's bump of the attempt.
        ASSERT_NE(ours.client_checkpoint, -1) << "a checkpoint outside a replicate";
        Pair(Side::kClient, body["seq"].get<int64_t>(), ours.client_checkpoint);
        break;
      case Op::kChanges: {
        EXPECT_EQ(args.value("since", Json()),
                  Json(Map(Side::kServer,
                           std::stoll(request["query"]["since"].get<std::string>()))));
        // LoopBack's client sends filter={}; absent means the same.
        Json lb_filter = Json::parse(request["query"]["filter"].get<std::string>());
        Json our_filter = args.value("filter", Json::object());
        EXPECT_EQ(our_filter, lb_filter);
        ExpectSameChanges(body, result, /*client_rows=*/false);
        break;
      }
      case Op::kDiff:
        ExpectDiffSince(args, request);
        ExpectSameChanges(request["body"], args.value("changes", Json()), true);
        ASSERT_TRUE(result.is_object());
        EXPECT_EQ(result.size(), body.size());
        ExpectSameChanges(body["deltas"], result["deltas"], true);
        ExpectSameChanges(body["conflicts"], result["conflicts"], false);
        break;
      case Op::kCreateUpdates:
        ExpectSameChanges(request["body"], args.value("deltas", Json()), false);
        ExpectSameUpdates(body, result, false);
        break;
      case Op::kBulkUpdate:
        ExpectSameUpdates(request["body"]["updates"], args.value("updates", Json()), true);
        EXPECT_EQ(status, 204);
        EXPECT_TRUE(response.value("bodyEmpty", false));
        EXPECT_TRUE(result.is_null());
        break;
      case Op::kFindLastChange:
        EXPECT_EQ(args.value("id", ""), PathId(request));
        ExpectSameChange(body, result, false);
        break;
      case Op::kFindById:
        EXPECT_EQ(args.value("id", ""), PathId(request));
        EXPECT_EQ(result, body);
        break;
      default:
        ADD_FAILURE() << "unexpected op " << OpName(*op);
    }
  }

  // LoopBack's diff carries no since (a listed difference); ours carries -1 for the chunk
  // of ids left unresolved (in either direction), else the last pull's since.source (a
  // listed difference: LoopBack's replicate uses the push's since.target), or with an
  // explicit since its since.target (LoopBack's rule).
  void ExpectDiffSince(const Json& args, const Json& request) {
    Differs(kEveryDiff);
    EXPECT_FALSE(request.contains("query") && request["query"].contains("since"));
    ASSERT_TRUE(args.contains("since") && args["since"].is_number_integer()) << args;
    bool all_unresolved = !args["changes"].empty();
    for (const Json& change : args["changes"]) {
      all_unresolved = all_unresolved && unresolved_before_.count(change["modelId"].get<std::string>());
    }
    int64_t since = args["since"].get<int64_t>();
    if (all_unresolved) {
      EXPECT_EQ(since, -1);
      return;
    }
    for (const Json& change : args["changes"]) {
      EXPECT_EQ(unresolved_before_.count(change["modelId"].get<std::string>()), 0u)
          << "an unresolved id in a chunk diffed with since " << since;
    }
    int64_t loopback_since = explicit_since_ ? explicit_since_->target : since_before_.target;
    if (explicit_since_) {
      EXPECT_EQ(since, loopback_since);
      return;
    }
    EXPECT_EQ(since, pull_since_before_.source);
    if (since != loopback_since) Differs(kPushDiffSince);
  }

  void ExpectSameChange(const Json& lb, const Json& ours, bool client_row) {
    if (lb.is_null()) {
      EXPECT_TRUE(ours.is_null()) << ours;
      return;
    }
    ASSERT_TRUE(ours.is_object()) << ours;
    SCOPED_TRACE(lb.dump());
    EXPECT_EQ(ours.value("id", Json()), lb["id"]);
    EXPECT_EQ(ours.value("modelName", Json()), lb["modelName"]);
    EXPECT_EQ(ours.value("modelId", Json()), lb["modelId"]);
    EXPECT_EQ(ours.value("rev", Json("absent")), lb["rev"]);
    EXPECT_EQ(ours.contains("prev"), lb.contains("prev")) << ours;
    if (lb.contains("prev")) {
      EXPECT_EQ(ours.value("prev", Json("absent")), lb["prev"]);
    }
    EXPECT_EQ(ours.value("checkpoint", Json()), Json(ExpectedCheckpoint(lb, client_row)));
  }
  void ExpectSameChanges(const Json& lb, const Json& ours, bool client_rows) {
    ASSERT_TRUE(ours.is_array()) << ours;
    auto lb_by_id = ById(lb, "");
    auto ours_by_id = ById(ours, "");
    ASSERT_EQ(Keys(ours_by_id), Keys(lb_by_id));
    for (const auto& [id, change] : lb_by_id) ExpectSameChange(change, ours_by_id[id], client_rows);
  }
  void ExpectSameUpdates(const Json& lb, const Json& ours, bool client_rows) {
    ASSERT_TRUE(ours.is_array()) << ours;
    auto lb_by_id = ById(lb, "change");
    auto ours_by_id = ById(ours, "change");
    ASSERT_EQ(Keys(ours_by_id), Keys(lb_by_id));
    for (const auto& [id, update] : lb_by_id) {
      const Json& mine = ours_by_id[id];
      EXPECT_EQ(mine.value("type", Json()), update["type"]) << id;
      ExpectSameChange(update["change"], mine.value("change", Json()), client_rows);
      EXPECT_EQ(mine.contains("data"), update.contains("data")) << id;
      if (update.contains("data")) {
        EXPECT_EQ(mine["data"], update["data"]) << id;
      }
    }
  }

  // A replicate's result against LoopBack's (conflicts, their changes and models, and
  // the checkpoints to pass next time).
  void ExpectSameResult(const Json& lb, const ReplicationResult& ours, bool push) {
    SCOPED_TRACE(lb["call"].get<std::string>());
    // The capture's client and server sequences move in lockstep (the client seqs are
    // paired on that ground, see the top of the file); ours do not.
    EXPECT_EQ(lb["newCheckpoints"]["source"], lb["newCheckpoints"]["target"]);
    Checkpoints expected = MapSince(lb["newCheckpoints"], push);
    EXPECT_EQ(ours.checkpoints.source, expected.source);
    EXPECT_EQ(ours.checkpoints.target, expected.target);
    EXPECT_EQ(lb["sinceAfter"], lb["newCheckpoints"]);
    ASSERT_EQ(ours.conflicts.size(), lb["conflicts"].size());
    for (size_t i = 0; i < ours.conflicts.size(); ++i) {
      const Json& expected = lb["conflicts"][i];
      const Conflict& conflict = ours.conflicts[i];
      EXPECT_EQ(conflict.model_id, expected["modelId"]);
      EXPECT_STREQ(ChangeTypeName(conflict.type()), expected["type"].get<std::string>().c_str());
      EXPECT_EQ(conflict.local_is_source, push);
      ExpectSameChange(expected["sourceChange"], conflict.source_change, push);
      ExpectSameChange(expected["targetChange"], conflict.target_change, !push);
      Database& source = push ? client_ : server_;
      Database& target = push ? server_ : client_;
      EXPECT_EQ(Record(source, push ? kClientModel : kServerModel, conflict.model_id),
                expected["sourceModel"]);
      EXPECT_EQ(Record(target, push ? kServerModel : kClientModel, conflict.model_id),
                expected["targetModel"]);
    }
  }

  static Json Record(Database& db, const std::string& model, const std::string& id) {
    auto found = db.FindById(model, id);
    EXPECT_TRUE(found.ok());
    return found.ok() && found->has_value() ? ***found : Json();
  }

  // The client's records and change rows against a "Client state" block.
  void ExpectClientState(const Json& state) {
    SCOPED_TRACE("client state");
    auto records = client_.Find(kClientModel, Json());
    ASSERT_TRUE(records.ok());
    auto ours = ById(testing::ToJson(*records), "");
    auto expected = ById(state["localTodos"], "");
    ASSERT_EQ(Keys(ours), Keys(expected));
    for (const auto& [id, record] : expected) EXPECT_EQ(ours[id], record) << id;
    auto changes = Changes(client_, kClientModel, -1, Json());
    ASSERT_TRUE(changes.ok());
    Json rows = Json::array();
    for (const Change& change : changes->changes) rows.push_back(change.ToJson());
    ExpectSameChanges(state["localChanges"], rows, true);
  }

  // Server-side writes "by another client" (setup exchanges), done on the server Database.
  void ApplyServerWrite(const Json& exchange) {
    SCOPED_TRACE(exchange["name"].get<std::string>());
    const Json& request = exchange["request"];
    const Json& body = exchange["response"]["body"];
    const std::string& method = request["method"].get_ref<const std::string&>();
    const std::string path = request["path"].get<std::string>();
    if (method == "POST" && path == "/api/Todos") {
      auto created = server_.Create(kServerModel, request["body"]);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      EXPECT_EQ(*created, body);
    } else if (method == "POST" && path == "/api/Todos/update") {
      Json where = Json::parse(request["query"]["where"].get<std::string>());
      auto count = server_.UpdateAll(kServerModel, where, request["body"]);
      ASSERT_TRUE(count.ok()) << count.status().ToString();
      EXPECT_EQ(Json({{"count", *count}}), body);
    } else if (method == "DELETE") {
      auto count = server_.DeleteById(kServerModel, PathId(request));
      ASSERT_TRUE(count.ok()) << count.status().ToString();
      EXPECT_EQ(Json({{"count", *count}}), body);
    } else {
      FAIL() << "unexpected setup exchange " << request["url"];
    }
  }
  void ApplyServerWrites(const std::string& key) {
    for (const Json& exchange : Step(key)) ApplyServerWrite(exchange);
  }
  // A "verify" exchange (GET /:id or /:id/exists) against the server.
  Json ServerView(const Json& exchange) {
    const Json& request = exchange["request"];
    std::string id = PathId(request);
    if (request["path"].get<std::string>().find("/exists") != std::string::npos) {
      auto exists = server_.Exists(kServerModel, id);
      EXPECT_TRUE(exists.ok());
      return Json{{"exists", exists.ok() && *exists}};
    }
    return Record(server_, kServerModel, id);
  }
  void ExpectVerified(const std::string& key) {
    for (const Json& exchange : Step(key)) {
      SCOPED_TRACE(exchange["name"].get<std::string>());
      EXPECT_EQ(ServerView(exchange), exchange["response"]["body"]);
    }
  }

  // The client's own edit that led to a captured conflict: the record becomes the
  // conflict's sourceModel (null: deleted), and its change row the sourceChange.
  void ClientEditFromConflict(const Json& conflict) {
    std::string id = conflict["modelId"].get<std::string>();
    if (conflict["sourceModel"].is_null()) {
      auto count = client_.DeleteById(kClientModel, id);
      ASSERT_TRUE(count.ok() && *count == 1);
    } else {
      auto patched = client_.PatchAttributes(kClientModel, id, WithoutId(conflict["sourceModel"]));
      ASSERT_TRUE(patched.ok()) << patched.status().ToString();
      EXPECT_EQ(*patched, conflict["sourceModel"]);
    }
    auto change = FindLastChange(client_, kClientModel, id);
    ASSERT_TRUE(change.ok());
    ExpectSameChange(conflict["sourceChange"], *change, true);
  }
  void ClientCreates(const Json& bulk_update_exchange) {
    for (const Json& update : bulk_update_exchange["request"]["body"]["updates"]) {
      auto created = client_.Create(kClientModel, update["data"]);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      EXPECT_EQ(*created, update["data"]);
    }
  }

  // Before a push: what its diffs should carry as since (see ExpectDiffSince).
  void BeforePush(std::optional<Checkpoints> since) {
    unresolved_before_ = unresolved_push_;
    unresolved_before_.insert(unresolved_pull_.begin(), unresolved_pull_.end());
    explicit_since_ = since;
    since_before_ = last_push_since_;
    pull_since_before_ = last_pull_since_;
  }
  // The since a scenario passed: "replicate(since=-1, ..." or "replicate(since={...}, ...".
  static Json CallSince(const Json& lb_result) {
    const std::string call = lb_result["call"].get<std::string>();
    size_t at = call.find("since=") + std::strlen("since=");
    if (call[at] == '{') return Json::parse(call.substr(at, call.find('}', at) - at + 1));
    return Json(std::stoll(call.substr(at)));
  }
  // The scenario passes the checkpoints of the last replicate in the same direction,
  // which is what the Replicator stored for this peer: use the stored since, and check it
  // is the same.
  void ExpectStoredSince(const Json& lb_result, bool push) {
    SCOPED_TRACE(lb_result["call"].get<std::string>());
    Checkpoints expected = MapSince(CallSince(lb_result), push);
    const Checkpoints& stored = push ? last_push_since_ : last_pull_since_;
    EXPECT_EQ(stored.source, expected.source);
    EXPECT_EQ(stored.target, expected.target);
  }
  Run Push(const Json& lb_result) {
    ExpectStoredSince(lb_result, true);
    BeforePush(std::nullopt);
    return Replicate(true);
  }
  Run Pull(const Json& lb_result) {
    ExpectStoredSince(lb_result, false);
    return Replicate(false);
  }
  // Where an extra attempt of ours (a listed difference) moved the checkpoints that the
  // next replicate starts from: LoopBack's returned seq stands for ours.
  void Remap(Side side, int64_t lb_seq, int64_t our_seq) { seq_map_[side][lb_seq] = our_seq; }

  testing::FakeEnvironment env_;
  MemoryStore client_store_;
  MemoryStore server_store_;
  Database client_;
  Database server_;

  std::set<std::string> played_;
  std::string scenario_;
  ScenarioVectors vectors_;
  std::map<Side, std::map<int64_t, int64_t>> seq_map_;  // per side: LoopBack seq -> ours
  struct Stamp {
    Json rev;
    int64_t lb_checkpoint;
    int64_t our_checkpoint;
  };
  std::map<std::string, Stamp> stamped_;  // client changes stamped by a resolution
  // What the Replicator stored after the last replicate in each direction (ours).
  std::set<std::string> unresolved_push_;
  std::set<std::string> unresolved_pull_;
  Checkpoints last_push_since_;  // {client, server}; -1 before any push
  Checkpoints last_pull_since_;  // {server, client}; -1 before any pull
  // Taken before a push, for its diffs (ExpectDiffSince).
  std::set<std::string> unresolved_before_;  // either direction
  std::optional<Checkpoints> explicit_since_;
  Checkpoints since_before_;
  Checkpoints pull_since_before_;

 public:
  std::set<const Difference*> used_differences_;
};

void Session::Play(const std::string& name) {
  scenario_ = name;
  vectors_ = LoadScenario(name);
  if (name == kA) PlayA();
  if (name == kB) PlayB();
  if (name == kC1) PlayC1();
  if (name == kC2) PlayC2();
  if (name == kC3) PlayC3();
  if (name == kD1) PlayD1();
  if (name == kD2) PlayD2();
  if (name == kE) PlayE();
  if (name == kE2) PlayE2();
}

// (a) three local creates pushed: checkpoint, diff, bulk-update(create x3), checkpoint,
// [diff []].
void Session::PlayA() {
  std::vector<Json> step = Step("LocalTodo.replicate");
  ASSERT_EQ(step.size(), 5u);
  ClientCreates(step[2]);
  const Json& lb = Result(0, "LocalTodo.replicate(since=-1");
  Run run = Push(lb);
  size_t at = Compare(step, run.exchanges);
  // 005-diff: the second attempt found no local change and sent no empty diff.
  EXPECT_EQ(at, 4u);
  EXPECT_EQ(run.exchanges.size(), 4u);
  EXPECT_EQ(run.result.attempts, 2);
  EXPECT_EQ(run.result.applied, 3u);
  ExpectSameResult(lb, run.result, true);
  ExpectClientState(vectors_.states.at(0));
}

// (b) two server creates pulled: checkpoint, changes(since -1), create-updates,
// checkpoint, changes(since 4). The a-* todos come back with equal revisions.
void Session::PlayB() {
  ApplyServerWrites("setup");
  const Json& lb = Result(0, "RemoteTodo.replicate(since=-1");
  Run run = Pull(lb);
  Compare(Step("RemoteTodo.replicate"), run.exchanges);
  EXPECT_EQ(run.result.applied, 2u);
  ExpectSameResult(lb, run.result, false);
  ExpectClientState(vectors_.states.at(0));
}

// (c1) update/update conflict found by the diff; resolveUsingSource; push; pull.
void Session::PlayC1() {
  const Json& push1 = Result(0, "LocalTodo.replicate");
  ClientEditFromConflict(push1["conflicts"][0]);
  ApplyServerWrites("setup");
  Run run = Push(push1);
  Compare(Step("push#1"), run.exchanges);
  ExpectSameResult(push1, run.result, true);
  ASSERT_EQ(run.result.conflicts.size(), 1u);

  // resolveUsingSource: GET /:id/changes/last on the server, local prev := server rev.
  Compare(Step("conflict.resolveUsingSource()"),
          Resolve(run.result.conflicts[0], Resolution::kUseSource));
  ExpectResolutionStamp("a-1", push1["conflicts"][0]["sourceChange"]);
  ExpectClientState(vectors_.states.at(0));

  // push#2: LoopBack diffs [] and stops; we push the resolved a-1 (009-diff).
  const Json& push2 = Result(1, "LocalTodo.replicate");
  std::vector<Json> step = Step("push#2");
  Run second = Push(push2);
  size_t at = Compare(step, second.exchanges);
  ASSERT_EQ(at, 1u);
  ASSERT_EQ(second.exchanges.size(), 5u);
  const char* ops[] = {"checkpoint", "diff", "bulkUpdate", "checkpoint", "diff"};
  for (size_t i = 0; i < 5; ++i) EXPECT_STREQ(OpName(second.exchanges[i].request.op), ops[i]);
  const Json& diff = second.exchanges[1].request.args.tree();
  EXPECT_EQ(diff["since"], -1);
  ASSERT_EQ(diff["changes"].size(), 1u);
  EXPECT_EQ(diff["changes"][0]["modelId"], "a-1");
  EXPECT_EQ(diff["changes"][0]["prev"], push1["conflicts"][0]["targetChange"]["rev"]);
  const Json& updates = second.exchanges[2].request.args.tree()["updates"];
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["type"], "update");
  EXPECT_EQ(updates[0]["data"], push1["conflicts"][0]["sourceModel"]);
  EXPECT_TRUE(second.exchanges[2].response.status.ok());
  EXPECT_EQ(second.exchanges[4].response.result.tree(), EmptyDiff());
  EXPECT_TRUE(second.result.conflicts.empty());
  EXPECT_EQ(second.result.applied, 1u);
  // The checkpoints are those of our second attempt (LoopBack's + one on each side).
  EXPECT_EQ(second.result.checkpoints.target,
            second.exchanges[3].response.result.tree()["seq"].get<int64_t>());
  EXPECT_EQ(second.result.checkpoints.source, second.exchanges[3].client_checkpoint);
  Remap(Side::kClient, push2["newCheckpoints"]["source"].get<int64_t>(),
        second.result.checkpoints.source);
  Remap(Side::kServer, push2["newCheckpoints"]["target"].get<int64_t>(),
        second.result.checkpoints.target);
  EXPECT_EQ(Record(server_, kServerModel, "a-1"), push1["conflicts"][0]["sourceModel"]);

  // pull: the server's a-1 now has the client's revision, so no conflict (011-changes).
  const Json& pull = Result(2, "RemoteTodo.replicate");
  Run third = Pull(pull);
  at = Compare(Step(" pull:"), third.exchanges);
  ASSERT_EQ(at, 1u);
  ASSERT_EQ(third.exchanges.size(), 2u);
  EXPECT_EQ(third.exchanges[1].request.args.tree()["since"],
            Map(Side::kServer, CallSince(pull)["source"].get<int64_t>()));
  const Json& changes = third.exchanges[1].response.result.tree();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]["modelId"], "a-1");
  EXPECT_EQ(changes[0]["rev"], push1["conflicts"][0]["sourceChange"]["rev"]);
  EXPECT_TRUE(third.result.conflicts.empty());
  EXPECT_EQ(third.result.checkpoints.source,
            third.exchanges[0].response.result.tree()["seq"].get<int64_t>());
  EXPECT_EQ(third.result.checkpoints.target, third.exchanges[0].client_checkpoint);
  Pair(Side::kServer, pull["newCheckpoints"]["source"].get<int64_t>(),
       third.result.checkpoints.source);
  Pair(Side::kClient, pull["newCheckpoints"]["target"].get<int64_t>(),
       third.result.checkpoints.target);

  // Final (015-get-a-1): both sides hold the client's a-1.
  Differs("015-get-a-1");
  EXPECT_EQ(Record(server_, kServerModel, "a-1"), Record(client_, kClientModel, "a-1"));
  EXPECT_EQ(Record(client_, kClientModel, "a-1"), push1["conflicts"][0]["sourceModel"]);
}

// (c2) update/update conflict; resolveUsingTarget (GET /:id); push and pull find nothing.
void Session::PlayC2() {
  const Json& push1 = Result(0, "LocalTodo.replicate");
  ClientEditFromConflict(push1["conflicts"][0]);
  ApplyServerWrites("setup");
  Run run = Push(push1);
  Compare(Step("push#1"), run.exchanges);
  ExpectSameResult(push1, run.result, true);
  ASSERT_EQ(run.result.conflicts.size(), 1u);

  // resolveUsingTarget: GET /:id on the server, written into the client; then the
  // client bumps its checkpoint (kResolveBump).
  int64_t client_before = ClientCheckpoint();
  int64_t server_before = ServerCheckpoint();
  std::vector<Recorded> resolution = Resolve(run.result.conflicts[0], Resolution::kUseTarget);
  Compare(Step("conflict.resolveUsingTarget()"), resolution);
  ExpectResolutionBump("a-2", client_before, server_before, resolution);
  ExpectClientState(vectors_.states.at(0));

  const Json& push2 = Result(1, "LocalTodo.replicate");
  Run second = Push(push2);
  Compare(Step("push#2"), second.exchanges);
  ExpectSameResult(push2, second.result, true);

  const Json& pull = Result(2, "RemoteTodo.replicate");
  Run third = Pull(pull);
  Compare(Step(" pull:"), third.exchanges);
  ExpectSameResult(pull, third.result, false);
  ExpectVerified("verify");
  EXPECT_EQ(Record(client_, kClientModel, "a-2"), push1["conflicts"][0]["targetModel"]);
}

// (c3) like c1, but push#2 passes the old since: the resolved change is pushed.
void Session::PlayC3() {
  std::vector<Json> initial = Step("initial push of a-4");
  ASSERT_EQ(initial.size(), 5u);
  ClientCreates(initial[2]);
  BeforePush(std::nullopt);
  Run setup = Replicate(true);
  size_t at = Compare(initial, setup.exchanges);
  EXPECT_EQ(at, 4u);  // 005-diff: no empty diff
  EXPECT_EQ(setup.exchanges.size(), 4u);

  const Json& push1 = Result(0, "LocalTodo.replicate");
  ClientEditFromConflict(push1["conflicts"][0]);
  ApplyServerWrites("setup");
  Run run = Push(push1);
  Compare(Step("push#1"), run.exchanges);
  ExpectSameResult(push1, run.result, true);
  ASSERT_EQ(run.result.conflicts.size(), 1u);

  Compare(Step("conflict.resolveUsingSource()"),
          Resolve(run.result.conflicts[0], Resolution::kUseSource));
  ExpectResolutionStamp("a-4", push1["conflicts"][0]["sourceChange"]);
  ExpectClientState(vectors_.states.at(0));

  // push#2 keeps the old since, as the scenario passes it.
  const Json& push2 = Result(1, "LocalTodo.replicate(since={\"source\":13");
  Checkpoints kept = MapSince(CallSince(push2), true);
  BeforePush(kept);
  Run second = Replicate(true, kept);
  at = Compare(Step("push#2"), second.exchanges);
  ASSERT_EQ(at, 4u);  // 017-diff
  ASSERT_EQ(second.exchanges.size(), 5u);
  const Recorded& confirm = second.exchanges[4];
  EXPECT_STREQ(OpName(confirm.request.op), "diff");
  EXPECT_EQ(confirm.request.args.tree()["since"], -1);
  ASSERT_EQ(confirm.request.args.tree()["changes"].size(), 1u);
  EXPECT_EQ(confirm.request.args.tree()["changes"][0]["modelId"], "a-4");
  EXPECT_EQ(confirm.response.result.tree(), EmptyDiff());
  ExpectSameResult(push2, second.result, true);

  const Json& pull = Result(2, "RemoteTodo.replicate");
  Run third = Pull(pull);
  Compare(Step(" pull:"), third.exchanges);
  ExpectSameResult(pull, third.result, false);
  ExpectVerified("verify");
  EXPECT_EQ(Record(client_, kClientModel, "a-4"), Record(server_, kServerModel, "a-4"));
}

// (d1) a local delete pushed as {type:"delete", change:{rev:null, prev}} without data.
void Session::PlayD1() {
  std::vector<Json> step = Step("d1: LocalTodo.replicate");
  ASSERT_GE(step.size(), 3u);
  std::string id =
      step[2]["request"]["body"]["updates"][0]["change"]["modelId"].get<std::string>();
  auto count = client_.DeleteById(kClientModel, id);
  ASSERT_TRUE(count.ok() && *count == 1);
  const Json& push = Result(0, "LocalTodo.replicate");
  Run run = Push(push);
  size_t at = Compare(step, run.exchanges);
  EXPECT_EQ(at, 4u);  // 005-diff: no empty diff
  EXPECT_EQ(run.exchanges.size(), 4u);
  ExpectSameResult(push, run.result, true);
  EXPECT_TRUE(Record(server_, kServerModel, id).is_null());

  const Json& pull = Result(1, "RemoteTodo.replicate");
  Run second = Pull(pull);
  Compare(Step("d1 pull"), second.exchanges);
  ExpectSameResult(pull, second.result, false);
  ExpectClientState(vectors_.states.at(0));
}

// (d2) a server delete pulled: GET /changes includes the delete row, create-updates
// turns it into {type:"delete"} without data.
void Session::PlayD2() {
  ApplyServerWrites("setup");
  const Json& pull = Result(0, "RemoteTodo.replicate");
  Run run = Pull(pull);
  Compare(Step("d2: RemoteTodo.replicate"), run.exchanges);
  ExpectSameResult(pull, run.result, false);
  ExpectClientState(vectors_.states.at(0));
}

// (e) client update vs server delete: a `delete` conflict; resolveUsingTarget deletes
// locally (GET /:id is a 404); push and pull then find nothing.
void Session::PlayE() {
  const Json& push1 = Result(0, "LocalTodo.replicate");
  ClientEditFromConflict(push1["conflicts"][0]);
  ApplyServerWrites("setup");
  Run run = Push(push1);
  Compare(Step("e push#1"), run.exchanges);
  ExpectSameResult(push1, run.result, true);
  ASSERT_EQ(run.result.conflicts.size(), 1u);

  // resolveUsingTarget: GET /:id is null, so b-1 is deleted on the client; then the
  // client bumps its checkpoint (kResolveBump).
  int64_t client_before = ClientCheckpoint();
  int64_t server_before = ServerCheckpoint();
  std::vector<Recorded> resolution = Resolve(run.result.conflicts[0], Resolution::kUseTarget);
  Compare(Step("conflict.resolveUsingTarget()"), resolution);
  ExpectResolutionBump("b-1", client_before, server_before, resolution);
  ExpectClientState(vectors_.states.at(0));

  const Json& push2 = Result(1, "LocalTodo.replicate");
  Run second = Push(push2);
  Compare(Step("e push#2"), second.exchanges);
  ExpectSameResult(push2, second.result, true);

  const Json& pull = Result(2, "RemoteTodo.replicate");
  Run third = Pull(pull);
  Compare(Step("e pull"), third.exchanges);
  ExpectSameResult(pull, third.result, false);
  ExpectClientState(vectors_.states.at(1));
}

// (e2) client delete vs server update: a `delete` conflict; resolveUsingSource; push.
void Session::PlayE2() {
  const Json& push1 = Result(0, "LocalTodo.replicate");
  ClientEditFromConflict(push1["conflicts"][0]);
  ApplyServerWrites("setup");
  Run run = Push(push1);
  Compare(Step("e2 push#1"), run.exchanges);
  ExpectSameResult(push1, run.result, true);
  ASSERT_EQ(run.result.conflicts.size(), 1u);

  Compare(Step("conflict.resolveUsingSource()"),
          Resolve(run.result.conflicts[0], Resolution::kUseSource));
  ExpectResolutionStamp("a-2", push1["conflicts"][0]["sourceChange"]);

  // push#2: LoopBack diffs [] (009-diff); we push the resolved delete.
  const Json& push2 = Result(1, "LocalTodo.replicate");
  Run second = Push(push2);
  size_t at = Compare(Step("e2 push#2"), second.exchanges);
  ASSERT_EQ(at, 1u);
  ASSERT_EQ(second.exchanges.size(), 5u);
  const char* ops[] = {"checkpoint", "diff", "bulkUpdate", "checkpoint", "diff"};
  for (size_t i = 0; i < 5; ++i) EXPECT_STREQ(OpName(second.exchanges[i].request.op), ops[i]);
  EXPECT_EQ(second.exchanges[1].request.args.tree()["since"], -1);
  const Json& updates = second.exchanges[2].request.args.tree()["updates"];
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["type"], "delete");
  EXPECT_FALSE(updates[0].contains("data"));
  EXPECT_TRUE(updates[0]["change"]["rev"].is_null());
  EXPECT_EQ(updates[0]["change"]["prev"], push1["conflicts"][0]["targetChange"]["rev"]);
  EXPECT_TRUE(second.exchanges[2].response.status.ok());
  EXPECT_TRUE(second.result.conflicts.empty());
  EXPECT_EQ(second.result.applied, 1u);
  // The checkpoints are those of our second attempt (LoopBack's + one on each side).
  EXPECT_EQ(second.result.checkpoints.target,
            second.exchanges[3].response.result.tree()["seq"].get<int64_t>());
  EXPECT_EQ(second.result.checkpoints.source, second.exchanges[3].client_checkpoint);
  Remap(Side::kClient, push2["newCheckpoints"]["source"].get<int64_t>(),
        second.result.checkpoints.source);
  Remap(Side::kServer, push2["newCheckpoints"]["target"].get<int64_t>(),
        second.result.checkpoints.target);

  // 010-get-a-2-exists: LoopBack's server kept a-2; the client's delete won here.
  std::vector<Json> verify = Step("verify");
  ASSERT_EQ(verify.size(), 1u);
  Differs(verify[0]["name"].get<std::string>());
  EXPECT_EQ(verify[0]["response"]["body"], (Json{{"exists", true}}));
  EXPECT_EQ(ServerView(verify[0]), (Json{{"exists", false}}));
  EXPECT_TRUE(Record(client_, kClientModel, "a-2").is_null());
}

TEST(ReplicationSession, APushLocalCreates) { Session::Get().RunThrough(kA); }
TEST(ReplicationSession, BPullServerCreates) { Session::Get().RunThrough(kB); }
TEST(ReplicationSession, C1UpdateConflictResolveUsingSource) { Session::Get().RunThrough(kC1); }
TEST(ReplicationSession, C2UpdateConflictResolveUsingTarget) { Session::Get().RunThrough(kC2); }
TEST(ReplicationSession, C3ResolveUsingSourceKeepSince) { Session::Get().RunThrough(kC3); }
TEST(ReplicationSession, D1DeleteLocalPush) { Session::Get().RunThrough(kD1); }
TEST(ReplicationSession, D2DeleteServerPull) { Session::Get().RunThrough(kD2); }
TEST(ReplicationSession, EUpdateDeleteConflict) { Session::Get().RunThrough(kE); }
TEST(ReplicationSession, E2DeleteUpdateConflictPushWins) { Session::Get().RunThrough(kE2); }

// Every listed difference names a scenario and exchange (or step) that exists, and was
// met by the replay: the table holds no stale entry.
TEST(ReplicationSession, DifferencesAreListedAndUsed) {
  Session::Get().RunThrough(kE2);
  for (const Difference& d : kDifferences) {
    SCOPED_TRACE(std::string(d.scenario) + " / " + d.exchange_or_step);
    EXPECT_GT(std::strlen(d.reason), 20u);
    EXPECT_TRUE(Session::Get().used_differences_.count(&d)) << "never met";
    if (std::strcmp(d.scenario, kAll) == 0) continue;
    ScenarioVectors vectors = LoadScenario(d.scenario);
    bool found = false;
    for (const Json& exchange : vectors.exchanges) {
      found = found || exchange["name"] == d.exchange_or_step ||
              Label(exchange).find(d.exchange_or_step) != std::string::npos;
    }
    EXPECT_TRUE(found) << "no such exchange or step";
  }
}

}  // namespace
}  // namespace replicore
