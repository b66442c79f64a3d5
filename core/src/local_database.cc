#include "replicore/local_database.h"

#include <functional>
#include <map>

#include "replicore/batch_codec.h"
#include "replicore/conflict_resolver.h"
#include "replicore/guard.h"
#include "replicore/json_canonical.h"
#include "replicore/replicator.h"
#include "replicore/stepped.h"

namespace replicore {
namespace {

// The value's text wrapped rather than the value put in a new object, which would copy it.
std::string OkText(const std::string& text) { return "{\"ok\":" + text + "}"; }
std::string OkText(const Json& value) { return OkText(value.dump()); }

// No exception leaves a call: JS would see a bare number or an opaque wasm exception.
template <typename Fn>
std::string Guarded(const std::string& what, Fn&& body) {
  return GuardWith(body, [&](const std::exception& e) {
    return ErrorText(Status::Internal(what + ": unexpected exception (" + e.what() + ")"));
  });
}

std::string ResultText(Result<std::string> result) {
  return result.ok() ? OkText(*result) : ErrorText(result.status());
}

Result<Json> ParseArgs(const std::string& text) {
  if (text.empty()) return Json::object();
  Json args = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (args.is_discarded()) return Status::BadRequest("arguments are not valid JSON");
  if (!args.is_object()) return Status::BadRequest("arguments must be a JSON object");
  return args;
}

// A string argument, kBadRequest naming it when missing or of another type.
Result<std::string> StringArg(const Json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) {
    return Status::BadRequest(std::string("\"") + name + "\" must be a string");
  }
  return it->get<std::string>();
}

// args[name], or null; a reference, so a batch of records is not copied.
const Json& Arg(const Json& args, const char* name) {
  static const Json kNull;
  auto it = args.find(name);
  return it == args.end() ? kNull : *it;
}

// Runs `body` with args.id, or fails naming it.
template <typename Body>
Result<std::string> WithId(const Json& args, Body&& body) {
  RC_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
  return body(id);
}

// The JSON text of a result: records as the text they are, other values dumped.
template <typename T>
Result<std::string> AsText(Result<T> result) {
  RC_ASSIGN_OR_RETURN(T value, std::move(result));
  return Json(std::move(value)).dump();
}

Result<std::string> AsText(Result<Record> result) {
  RC_ASSIGN_OR_RETURN(Record record, std::move(result));
  return record.text();
}

Result<std::string> AsText(Result<std::vector<Record>> result) {
  RC_ASSIGN_OR_RETURN(std::vector<Record> records, std::move(result));
  return RecordsArrayText(records);
}

Result<std::string> AsText(Result<std::optional<Record>> result) {
  RC_ASSIGN_OR_RETURN(std::optional<Record> record, std::move(result));
  return record.has_value() ? record->text() : std::string("null");
}

using Operation = std::function<Result<std::string>(Database&, const std::string&, const Json&)>;

// The operations of the JS API, LoopBack's names, args as named in each entry.
const std::map<std::string, Operation>& Operations() {
  static const auto* operations = new std::map<std::string, Operation>{
      {"find", [](Database& db, const std::string& m,
                  const Json& a) { return AsText(db.Find(m, Arg(a, "filter"))); }},
      {"findOne", [](Database& db, const std::string& m,
                     const Json& a) { return AsText(db.FindOne(m, Arg(a, "filter"))); }},
      {"findById",
       [](Database& db, const std::string& m, const Json& a) {
         return WithId(a, [&](const std::string& id) -> Result<std::string> {
           return AsText(db.FindById(m, id));
         });
       }},
      {"count", [](Database& db, const std::string& m,
                   const Json& a) { return AsText(db.Count(m, Arg(a, "where"))); }},
      {"exists",
       [](Database& db, const std::string& m, const Json& a) {
         return WithId(
             a, [&](const std::string& id) -> Result<std::string> { return AsText(db.Exists(m, id)); });
       }},
      {"create",
       [](Database& db, const std::string& m, const Json& a) {
         const Json& data = Arg(a, "data");
         return data.is_array() ? AsText(db.CreateMany(m, data)) : AsText(db.Create(m, data));
       }},
      {"patchAttributes",
       [](Database& db, const std::string& m, const Json& a) {
         return WithId(a, [&](const std::string& id) -> Result<std::string> {
           return AsText(db.PatchAttributes(m, id, Arg(a, "data")));
         });
       }},
      {"replaceById",
       [](Database& db, const std::string& m, const Json& a) {
         return WithId(a, [&](const std::string& id) -> Result<std::string> {
           return AsText(db.ReplaceById(m, id, Arg(a, "data")));
         });
       }},
      {"patchOrCreate", [](Database& db, const std::string& m,
                           const Json& a) { return AsText(db.PatchOrCreate(m, Arg(a, "data"))); }},
      {"replaceOrCreate", [](Database& db, const std::string& m,
                             const Json& a) { return AsText(db.ReplaceOrCreate(m, Arg(a, "data"))); }},
      {"updateAll",
       [](Database& db, const std::string& m, const Json& a) {
         return AsText(db.UpdateAll(m, Arg(a, "where"), Arg(a, "data")));
       }},
      {"upsertWithWhere",
       [](Database& db, const std::string& m, const Json& a) {
         return AsText(db.UpsertWithWhere(m, Arg(a, "where"), Arg(a, "data")));
       }},
      {"deleteById",
       [](Database& db, const std::string& m, const Json& a) {
         return WithId(a, [&](const std::string& id) -> Result<std::string> {
           return AsText(db.DeleteById(m, id));
         });
       }},
      {"deleteAll", [](Database& db, const std::string& m,
                       const Json& a) { return AsText(db.DeleteAll(m, Arg(a, "where"))); }},
      {"pendingPush",
       [](Database& db, const std::string& m, const Json& a) -> Result<std::string> {
         RC_ASSIGN_OR_RETURN(std::string peer, StringArg(a, "peer"));
         return AsText(PendingPush(db, peer, m));
       }},
      {"currentCheckpoint", [](Database& db, const std::string&,
                               const Json&) { return AsText(db.CurrentCheckpoint()); }},
  };
  return *operations;
}

}  // namespace

LocalDatabase::LocalDatabase(Environment env) : db_(&store_, std::move(env)) {
  store_.set_keep_undo(true);
  db_.set_commit_listener([this](CommittedBatch committed) {
    last_seq_ = committed.seq;
    pending_.push_back(std::move(committed));
  });
}

std::string LocalDatabase::AddModel(const std::string& definition) {
  return Guarded("addModel", [&]() -> std::string {
    Json parsed = Json::parse(definition, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return ErrorText(Status::BadRequest("model: not valid JSON"));
    Status added = db_.AddModel(parsed);
    if (!added.ok()) return ErrorText(added);
    return OkText(Json(parsed.value("name", "")));
  });
}

std::string LocalDatabase::Call(const std::string& op, const std::string& model,
                                const std::string& args_text) {
  return Guarded(op, [&]() -> std::string {
    Result<Json> args = ParseArgs(args_text);
    if (!args.ok()) return ErrorText(args.status());
    if (op == "revision") {  // LoopBack's Change.revisionForInst of any value
      const Json value = Arg(*args, "value");
      if (std::optional<std::string> bad = FindMalformedString(value)) {
        return ErrorText(Status::Validation("\"" + *bad + "\" is not valid UTF-8"));
      }
      return OkText(Json{{"canonical", CanonicalJson(value)}, {"rev", Revision(value)}});
    }
    if (auto it = Operations().find(op); it != Operations().end()) {
      auto known = db_.GetModel(model);
      if (!known.ok()) return ErrorText(known.status());
      return ResultText(it->second(db_, model, *args));
    }
    // The replication requests a peer may send, answered as a server would.
    if (std::optional<Op> answer_op = OpNamed(op)) {
      Response response = Answer(db_, model, Request{*answer_op, std::move(args).value()});
      if (!response.status.ok()) return ErrorText(response.status);
      return OkText(response.result.Dump());
    }
    return ErrorText(Status::BadRequest("unknown operation \"" + op + "\""));
  });
}

std::string LocalDatabase::TakeBatches() {
  if (pending_.empty()) return "";
  std::string batches = "[";
  for (const CommittedBatch& committed : pending_) {
    if (batches.size() > 1) batches.push_back(',');
    batches += EncodeBatch(committed.batch);
  }
  batches.push_back(']');
  pending_.clear();
  return batches;
}

size_t LocalDatabase::pending_records() const {
  size_t count = 0;
  for (const CommittedBatch& committed : pending_) count += committed.batch.records.size();
  return count;
}

void LocalDatabase::Confirm(double seq) { store_.Confirm(static_cast<uint64_t>(seq)); }

int LocalDatabase::Rollback() {
  pending_.clear();  // what was not taken is undone below as well
  int undone = 0;
  while (store_.unconfirmed() > 0 && store_.UndoLast().ok()) ++undone;
  return undone;
}

std::string LocalDatabase::Load(const std::string& text) {
  return Guarded("load", [&]() -> std::string {
    // A page is one batch; a journal entry is the array of one group commit's batches.
    // Records stay the text they are: none is parsed to open (record.h).
    Result<std::vector<Batch>> batches = DecodeBatches(text);
    if (!batches.ok()) return ErrorText(Status::Storage(batches.status().message()));
    // Loaded state is already on disk: nothing to undo.
    store_.set_keep_undo(false);
    for (Batch& batch : *batches) {
      Result<CommittedBatch> applied = store_.Apply(std::move(batch));
      if (!applied.ok()) {
        store_.set_keep_undo(true);
        return ErrorText(applied.status());
      }
    }
    store_.set_keep_undo(true);
    return "";
  });
}

std::string LocalDatabase::ExportPages(int page_records) const {
  std::string out;
  for (const Batch& page : store_.Export(page_records > 0 ? page_records : 1)) {
    if (!out.empty()) out += '\n';
    out += EncodeBatch(page);
  }
  return out;
}

std::string LocalDatabase::Replicate(LocalDatabase& target, const std::string& options_text) {
  return Guarded("replicate", [&]() -> std::string {
    Result<Json> args = ParseArgs(options_text);
    if (!args.ok()) return ErrorText(args.status());
    Result<ReplicatorOptions> options = ParseReplicatorOptions(*args);
    if (!options.ok()) return ErrorText(options.status());
    Result<ReplicationResult> result = ReplicateLocal(&db_, &target.db_, *options);
    if (!result.ok()) return ErrorText(result.status());
    return OkText(ReplicationResultJson(*result));
  });
}

std::string LocalDatabase::Resolve(LocalDatabase& target, const std::string& args_text) {
  return Guarded("resolve", [&]() -> std::string {
    Result<Json> json = ParseArgs(args_text);
    if (!json.ok()) return ErrorText(json.status());
    Result<ResolveArgs> args = ParseResolveArgs(*json);
    if (!args.ok()) return ErrorText(args.status());
    Status resolved = ResolveLocal(&db_, &target.db_, args->model, args->conflict, args->how, args->data);
    if (!resolved.ok()) return ErrorText(resolved);
    return OkText(Json());
  });
}

Stepped* LocalDatabase::StartReplicate(const std::string& options) {
  return SteppedReplicate(&db_, options).release();
}

Stepped* LocalDatabase::StartResolve(const std::string& args) {
  return SteppedResolve(&db_, args).release();
}

}  // namespace replicore
