// The answering party: maps a request onto the replication operations.
#include "replicore/protocol.h"
#include "replicore/guard.h"
#include "replicore/json_limits.h"

#include "replicore/replication.h"
#include "json_text.h"

namespace replicore {

const char* OpName(Op op) {
  switch (op) {
    case Op::kCheckpoint: return "checkpoint";
    case Op::kChanges: return "changes";
    case Op::kDiff: return "diff";
    case Op::kCreateUpdates: return "createUpdates";
    case Op::kBulkUpdate: return "bulkUpdate";
    case Op::kFindById: return "findById";
    case Op::kFindLastChange: return "findLastChange";
    case Op::kUpdateLastChange: return "updateLastChange";
  }
  return "unknown";
}

std::optional<Op> OpNamed(const std::string& name) {
  for (Op op : {Op::kCheckpoint, Op::kChanges, Op::kDiff, Op::kCreateUpdates, Op::kBulkUpdate,
                Op::kFindById, Op::kFindLastChange, Op::kUpdateLastChange}) {
    if (name == OpName(op)) return op;
  }
  return std::nullopt;
}

namespace {

Response From(Result<Json> result) {
  if (!result.ok()) return Response{result.status(), nullptr};
  return Response{Status::Ok(), std::move(result).value()};
}

int64_t SinceArg(const Json& args) {
  auto it = args.find("since");
  if (it == args.end() || !it->is_number()) return 0;  // LoopBack: Number(undefined) || 0
  return SafeInteger(*it);
}

std::string IdArg(const Json& args) {
  auto it = args.find("id");
  return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Response AnswerChanges(Database& db, const std::string& model, const Json& args) {
  std::optional<std::pair<int64_t, std::string>> after;
  if (auto it = args.find("after"); it != args.end() && it->is_array() && it->size() == 2 &&
                                     (*it)[1].is_string()) {
    after = std::make_pair(SafeInteger((*it)[0]), (*it)[1].get<std::string>());
  }
  std::optional<size_t> limit;
  if (auto it = args.find("limit"); it != args.end() && it->is_number_unsigned()) {
    limit = it->get<size_t>();
  }
  auto page = Changes(db, model, SinceArg(args), args.value("filter", Json()), after, limit);
  if (!page.ok()) return Response{page.status(), nullptr};
  Json changes = Json::array();
  for (const Change& change : page->changes) changes.push_back(change.ToJson());
  if (!limit) return Response{Status::Ok(), std::move(changes)};
  Json next = page->next ? Json::array({page->next->first, page->next->second}) : Json();
  return Response{Status::Ok(), Json{{"changes", std::move(changes)}, {"next", next}}};
}

// The array `key` of the request's args, moved out (or an empty array).
Json TakeArray(Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end()) return Json::array();
  return std::move(*it);
}

}  // namespace

static Response AnswerUnguarded(Database& db, const std::string& model, Request request);

Response Answer(Database& db, const std::string& model, Request request) {
  return GuardWith(
      [&]() -> Response {
        // Text args are this core's own (a push's chunk): read where they are used.
        if (!request.args.has_text() && !request.args.tree().is_object()) {
          return Response{Status::BadRequest("request args must be an object"), nullptr};
        }
        return AnswerUnguarded(db, model, std::move(request));
      },
      [&](const std::exception& e) {  // args are checked before use: this is a bug
        return Response{Status::Internal(std::string(OpName(request.op)) +
                                         ": unexpected exception (" + e.what() + ")"),
                        nullptr};
      });
}


// kTooLarge when args[key] is an array of more than kMaxRequestEntries entries.
static Status CheckEntries(const Json& args, const char* key, Op op) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_array() || it->size() <= kMaxRequestEntries) return Status::Ok();
  return Status::TooLarge(std::string(OpName(op)) + ": " + std::to_string(it->size()) + " " + key +
                          ", at most " + std::to_string(kMaxRequestEntries) + " a request: send them in chunks");
}

// A bulk-update's answer: 409 with the conflicting source changes, else ok and no result.
static Response BulkUpdateResponse(const Result<BulkUpdateResult>& result) {
  if (!result.ok()) return Response{result.status(), nullptr};
  if (!result->conflicts.empty()) {
    return Response{Status::Conflict("Conflict", Json{{"conflicts", result->conflicts}}), nullptr};
  }
  return Response{Status::Ok(), nullptr};
}

static Response AnswerUnguarded(Database& db, const std::string& model, Request request) {
  if (request.op == Op::kBulkUpdate && request.args.has_text()) {
    // A push's chunk, as this core wrote it: the records are read from the text.
    if (std::optional<std::string_view> updates = MemberText(request.args.text(), "updates")) {
      return BulkUpdateResponse(BulkUpdateText(db, model, *updates));
    }
  }
  Json args = request.args.TakeTree();
  if (!args.is_object()) return Response{Status::BadRequest("request args must be an object"), nullptr};
  for (auto [op, key] : {std::pair{Op::kDiff, "changes"}, std::pair{Op::kCreateUpdates, "deltas"},
                         std::pair{Op::kBulkUpdate, "updates"}}) {
    if (request.op != op) continue;
    if (Status too_many = CheckEntries(args, key, op); !too_many.ok()) return Response{too_many, nullptr};
  }
  switch (request.op) {
    case Op::kCheckpoint:
      return From(db.Checkpoint());
    case Op::kChanges:
      return AnswerChanges(db, model, args);
    case Op::kDiff: {
      // A source sending its changes for the first time wrote them after seeing ours.
      auto resent = args.find("resent");
      bool first_time = resent == args.end() || *resent != true;
      return From(Diff(db, model, SinceArg(args), TakeArray(args, "changes"), nullptr, nullptr,
                       first_time));
    }
    case Op::kCreateUpdates: {
      auto updates = CreateUpdates(db, model, TakeArray(args, "deltas"));
      if (!updates.ok()) return Response{updates.status(), nullptr};
      return Response{Status::Ok(), Payload::FromText(std::move(updates).value())};
    }
    case Op::kBulkUpdate: {
      // A missing `updates` is a bad request, not an empty bulk update.
      return BulkUpdateResponse(
          BulkUpdate(db, model, args.contains("updates") ? TakeArray(args, "updates") : Json()));
    }
    case Op::kFindById: {
      auto record = db.FindById(model, IdArg(args));
      if (!record.ok()) return Response{record.status(), nullptr};
      return Response{Status::Ok(), record->has_value() ? ***record : Json()};
    }
    case Op::kFindLastChange:
      return From(FindLastChange(db, model, IdArg(args)));
    case Op::kUpdateLastChange:
      return From(UpdateLastChange(db, model, IdArg(args), args.contains("data") ? args["data"] : Json::object()));
  }
  return Response{Status::BadRequest("unknown request"), nullptr};
}

}  // namespace replicore
