// The replication request handlers: Answer (protocol.h) on a Database over a MemoryStore
// with the Todo model of web-example/models/todo.json, as the server's routes call it.
// Input: up to 4 requests separated by a 0xFF byte (never inside UTF-8 JSON); in each, the
// first byte picks the Op and the rest is the args object as JSON text. Each input starts
// from the same small database (created, updated and deleted records, two checkpoints), so
// a crash replays from its input alone.
// Checked after every request: no exception, no kStorage / kStepLimit / kInternal (a 500
// for what a client sent: kInternal is an exception the core's guard caught, issue 20 item
// 5), and the store stays consistent: every record sits under its own id with a change
// whose rev is the record's revision, and every change with a rev has its record.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "replicore/database.h"
#include "replicore/json_canonical.h"
#include "replicore/json_limits.h"
#include "replicore/memory_store.h"
#include "replicore/protocol.h"

using replicore::Json;

namespace {

constexpr replicore::Op kOps[] = {
    replicore::Op::kCheckpoint,     replicore::Op::kChanges,        replicore::Op::kDiff,
    replicore::Op::kCreateUpdates,  replicore::Op::kBulkUpdate,     replicore::Op::kFindById,
    replicore::Op::kFindLastChange, replicore::Op::kUpdateLastChange,
};

const Json& TodoModel() {
  static const Json model = [] {
    std::ifstream in(RC_SOURCE_DIR "/web-example/models/todo.json");
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str());  // a missing file throws: fail loudly, never fuzz nothing
  }();
  return model;
}

[[noreturn]] void Fail(const std::string& what) {
  fprintf(stderr, "%s\n", what.c_str());
  abort();
}

void CheckConsistent(replicore::Database& db) {
  const replicore::ModelDefinition& model = **db.GetModel("Todo");
  auto records = db.store()->Find("Todo", replicore::Filter{});
  if (!records.ok()) Fail("Find: " + records.status().message());
  for (const replicore::Record& record : *records) {
    auto id = model.IdOf(*record);
    if (!id.ok()) Fail("stored record without id: " + record.text());
    auto stored = db.store()->Get("Todo", *id);
    if (!stored.ok() || !stored->has_value() || **stored != record) Fail("record not under its id " + *id);
    // The stored text is the canonical JSON of its own tree (what the revision hashes).
    if (replicore::CanonicalJson(*record) != record.text()) Fail("stored text is not canonical: " + record.text());
    auto change = db.store()->GetChange("Todo", *id);
    if (!change.ok() || !change->has_value() || (*change)->rev != model.RevisionOf(record)) {
      Fail("change rev is not the revision of record " + *id);
    }
  }
  replicore::ChangeQuery query;
  query.model = "Todo";
  auto changes = db.store()->Changes(query);
  if (!changes.ok()) Fail("Changes: " + changes.status().message());
  for (const replicore::Change& change : *changes) {
    if (!change.rev) continue;
    auto stored = db.store()->Get("Todo", change.model_id);
    if (!stored.ok() || !stored->has_value()) Fail("change with a rev but no record: " + change.model_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  replicore::MemoryStore store;
  double now = 1700000000000;
  int guid = 0;
  replicore::Environment env{[&] { return now += 1; }, [&] { return "guid-" + std::to_string(++guid); }};
  replicore::Database db(&store, env);
  if (!db.AddModel(TodoModel()).ok()) Fail("the Todo model does not load");
  (void)db.Create("Todo", {{"id", "a-1"}, {"title", "buy milk"}});
  (void)db.Create("Todo", {{"id", "a-2"}, {"title", "walk"}, {"meta", {{"n", 1}}}});
  (void)db.Checkpoint();
  (void)db.PatchAttributes("Todo", "a-1", {{"completed", true}});
  (void)db.DeleteById("Todo", "a-2");
  (void)db.Create("Todo", {{"id", "a-3"}, {"title", "Ünïcode 😀"}});

  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < 4 && !input.empty(); ++n) {
    size_t end = input.find('\xff');
    std::string_view chunk = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (chunk.empty()) continue;
    replicore::Op op = kOps[static_cast<uint8_t>(chunk[0]) % std::size(kOps)];
    // Parsed as the server parses bodies; what it would refuse never reaches Answer.
    auto args = replicore::ParseJsonWithin(std::string(chunk.substr(1)));
    if (!args.ok()) continue;
    replicore::Response response = Answer(db, "Todo", replicore::Request{op, std::move(*args)});
    replicore::StatusCode code = response.status.code();
    if (code == replicore::StatusCode::kStorage || code == replicore::StatusCode::kStepLimit ||
        code == replicore::StatusCode::kInternal) {
      Fail(std::string(replicore::OpName(op)) + " answered " + response.status.message());
    }
    (void)response.result.Dump();  // what the server sends must serialise
    CheckConsistent(db);
  }
  return 0;
}
