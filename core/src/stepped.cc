#include "replicore/stepped.h"

#include "json_text.h"

namespace replicore {
namespace {

constexpr size_t kMaxSteps = 1000000;  // a replicate of 100,000 records takes a few hundred

Result<Json> ParseObject(const std::string& text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Status::BadRequest("expected a JSON object");
  return json;
}

Result<std::string> StringField(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_string()) {
    return Status::BadRequest(std::string("\"") + name + "\" must be a string");
  }
  return it->get<std::string>();
}

// {"ok": result} or {"error": {code, message, details}} as the Response it stands for.
Result<Response> ParseAnswer(const std::string& text) {
  // The result stays text (a create-updates answer is records): parsed where it is read.
  if (std::optional<std::string_view> ok = MemberText(text, "ok")) {
    return Response{Status::Ok(), Payload::FromText(std::string(*ok))};
  }
  RC_ASSIGN_OR_RETURN(Json answer, ParseObject(text));
  if (auto ok = answer.find("ok"); ok != answer.end()) return Response{Status::Ok(), std::move(*ok)};
  auto error = answer.find("error");
  if (error == answer.end() || !error->is_object()) {
    return Status::BadRequest("an answer is {\"ok\": ...} or {\"error\": {...}}");
  }
  std::optional<StatusCode> code = StatusCodeNamed(error->value("code", ""));
  if (!code || *code == StatusCode::kOk) return Status::BadRequest("an error answer needs a known code");
  return Response{Status(*code, error->value("message", ""), error->value("details", Json())), nullptr};
}

// One contract (protocol.h), driven from outside: `Party` is a Replicator or a
// ConflictResolver; `Finish` turns the finished party into the done result.
template <typename Party, typename Finish>
class SteppedParty : public Stepped {
 public:
  SteppedParty(std::unique_ptr<Party> party, Finish finish)
      : party_(std::move(party)), finish_(std::move(finish)) {}
  explicit SteppedParty(Status error) : error_(std::move(error)) {}

  std::string Next() override {
    if (!error_.ok()) return ErrorText(error_);
    if (awaiting_) return ErrorText(Status::BadRequest("a request is still awaiting its answer"));
    if (++steps_ > kMaxSteps) {
      error_ = Status::StepLimit("did not finish within " + std::to_string(kMaxSteps) + " requests");
      return ErrorText(error_);
    }
    std::optional<Request> request = party_->NextRequest();
    if (request) {
      awaiting_ = true;
      // The args' text as it is: a chunk of records is not parsed or dumped again.
      return std::string("{\"request\":{\"op\":\"") + OpName(request->op) + "\",\"args\":" +
             request->args.Dump() + "}}";
    }
    if (party_->failed()) return ErrorText(party_->error());
    if (!party_->done()) return ErrorText(Status::StepLimit("the party stopped without finishing"));
    return Json{{"done", finish_(*party_)}}.dump();
  }

  std::string Respond(const std::string& answer) override {
    if (!awaiting_) return ErrorText(Status::BadRequest("no request awaits an answer"));
    Result<Response> response = ParseAnswer(answer);
    if (!response.ok()) return ErrorText(response.status());
    awaiting_ = false;
    Status status = party_->OnResponse(std::move(response).value());
    return status.ok() ? "" : ErrorText(status);
  }

 private:
  std::unique_ptr<Party> party_;
  Finish finish_;
  Status error_;
  bool awaiting_ = false;
  size_t steps_ = 0;
};

template <typename Party, typename Finish>
std::unique_ptr<Stepped> Make(std::unique_ptr<Party> party, Finish finish) {
  return std::make_unique<SteppedParty<Party, Finish>>(std::move(party), std::move(finish));
}

template <typename Party, typename Finish>
std::unique_ptr<Stepped> Failed(Status error, Finish) {
  return std::make_unique<SteppedParty<Party, Finish>>(std::move(error));
}

Json ReplicateDone(const Replicator& replicator) { return ReplicationResultJson(replicator.result()); }
Json ResolveDone(const ConflictResolver&) { return nullptr; }

}  // namespace

Result<ReplicatorOptions> ParseReplicatorOptions(const Json& options) {
  ReplicatorOptions out;
  RC_ASSIGN_OR_RETURN(out.model, StringField(options, "model"));
  out.peer = options.value("peer", "local");
  out.local_is_source = options.value("push", true);
  out.cursor_changes = options.value("cursor", false);
  out.reread_last_checkpoint = options.value("loopback", false);
  if (auto it = options.find("chunkBytes"); it != options.end() && it->is_number_unsigned()) {
    out.chunk_bytes = std::max<size_t>(1024, it->get<size_t>());
  }
  if (auto it = options.find("since"); it != options.end() && it->is_number_integer()) {
    out.since = Checkpoints{it->get<int64_t>(), it->get<int64_t>()};
  } else if (it != options.end() && it->is_object()) {
    out.since = Checkpoints{it->value("source", int64_t{-1}), it->value("target", int64_t{-1})};
  }
  return out;
}

Result<ResolveArgs> ParseResolveArgs(const Json& args) {
  ResolveArgs out;
  RC_ASSIGN_OR_RETURN(out.model, StringField(args, "model"));
  RC_ASSIGN_OR_RETURN(std::string how, StringField(args, "how"));
  if (how == "source") out.how = Resolution::kUseSource;
  else if (how == "target") out.how = Resolution::kUseTarget;
  else if (how == "manual") out.how = Resolution::kManual;
  else return Status::BadRequest("\"how\" must be \"source\", \"target\" or \"manual\"");
  auto conflict = args.find("conflict");
  if (conflict == args.end() || !conflict->is_object() || !conflict->contains("modelId") ||
      !(*conflict)["modelId"].is_string()) {
    return Status::BadRequest("\"conflict\" must be a conflict with a string modelId");
  }
  out.conflict.model_id = (*conflict)["modelId"].get<std::string>();
  out.conflict.source_change = conflict->value("sourceChange", Json());
  out.conflict.target_change = conflict->value("targetChange", Json());
  out.conflict.local_is_source = conflict->value("localIsSource", true);
  out.data = args.value("data", Json());
  return out;
}

Json ReplicationResultJson(const ReplicationResult& result) {
  Json conflicts = Json::array();
  for (const Conflict& conflict : result.conflicts) conflicts.push_back(conflict.ToJson());
  return {{"checkpoints", {{"source", result.checkpoints.source}, {"target", result.checkpoints.target}}},
          {"conflicts", std::move(conflicts)},
          {"applied", result.applied}};
}

std::unique_ptr<Stepped> SteppedReplicate(Database* local, const std::string& options_text) {
  Result<Json> json = ParseObject(options_text);
  Result<ReplicatorOptions> options =
      json.ok() ? ParseReplicatorOptions(*json) : Result<ReplicatorOptions>(json.status());
  if (!options.ok()) return Failed<Replicator>(options.status(), ReplicateDone);
  return Make(std::make_unique<Replicator>(local, *options), ReplicateDone);
}

std::unique_ptr<Stepped> SteppedResolve(Database* local, const std::string& args_text) {
  Result<Json> json = ParseObject(args_text);
  Result<ResolveArgs> args = json.ok() ? ParseResolveArgs(*json) : Result<ResolveArgs>(json.status());
  if (!args.ok()) return Failed<ConflictResolver>(args.status(), ResolveDone);
  return Make(std::make_unique<ConflictResolver>(local, args->model, args->conflict, args->how,
                                                 args->data),
              ResolveDone);
}

}  // namespace replicore
