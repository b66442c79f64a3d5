// The whole transition table of a replicate lives here (h11's "Rule 1").
//
//   push (local = source):  [bump local] -> checkpoint -> {diff -> [createUpdates local]
//                           -> bulkUpdate*}* per chunk of local changes -> finish
//   pull (local = target):  checkpoint -> [bump local] -> {changes page -> [diff local]
//                           -> {createUpdates -> [bulkUpdate local]}*}* -> finish
//   finish: an attempt that applied something and met no conflict runs again from the new
//   checkpoints (LoopBack: at most 3 attempts); otherwise a target that applied updates
//   is bumped once more (push: one more checkpoint request); then since + unresolved ids
//   are stored.
#include "replicore/replicator.h"
#include "replicore/json_limits.h"

#include "replicore/guard.h"
#include "replicore/replication.h"
#include "json_text.h"

namespace replicore {

namespace {

// Close enough to the serialized size to cut requests at a byte budget without dumping.
size_t ApproxSize(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      size_t size = 2;
      for (auto it = value.begin(); it != value.end(); ++it) {
        size += it.key().size() + 4 + ApproxSize(it.value());
      }
      return size;
    }
    case Json::value_t::array: {
      size_t size = 2;
      for (const Json& item : value) size += ApproxSize(item) + 1;
      return size;
    }
    case Json::value_t::string:
      return value.get_ref<const std::string&>().size() + 2;
    default:
      return 8;
  }
}

// Splits a JSON array into arrays of about `max_bytes` each (at least one item each).
void ChunkByBytes(Json items, size_t max_bytes, std::deque<Json>* out) {
  Json chunk = Json::array();
  size_t bytes = 0;
  for (Json& item : items) {
    size_t size = ApproxSize(item);
    if (!chunk.empty() && bytes + size > max_bytes) {
      out->push_back(std::move(chunk));
      chunk = Json::array();
      bytes = 0;
    }
    bytes += size;
    chunk.push_back(std::move(item));
  }
  if (!chunk.empty()) out->push_back(std::move(chunk));
}

// Splits the text of a JSON array into arrays of about `max_bytes` each (at least one item
// each), copying the items' text as it is.
Status ChunkTextByBytes(std::string_view array, size_t max_bytes, std::deque<TextChunk>* out) {
  JsonTextReader reader(array);
  RC_RETURN_IF_ERROR(reader.Expect('['));
  if (reader.Consume(']')) return Status::Ok();
  TextChunk chunk{"[", 0};
  do {
    RC_ASSIGN_OR_RETURN(std::string_view item, reader.Value());
    if (chunk.items > 0 && chunk.text.size() + item.size() > max_bytes) {
      chunk.text += ']';
      out->push_back(std::move(chunk));
      chunk = TextChunk{"[", 0};
    }
    if (chunk.items > 0) chunk.text += ',';
    chunk.text += item;
    ++chunk.items;
  } while (reader.Consume(','));
  RC_RETURN_IF_ERROR(reader.Expect(']'));
  chunk.text += ']';
  out->push_back(std::move(chunk));
  return Status::Ok();
}

Status Expect(bool condition, const char* what) {
  if (condition) return Status::Ok();
  return Status::BadRequest(std::string("unexpected response: ") + what);
}

const char kMetaPrefix[] = "replicate:";

}  // namespace

Replicator::Replicator(Database* local, ReplicatorOptions options)
    : local_(local), options_(std::move(options)) {}

std::string Replicator::StateKey(bool push) const {
  return ReplicationStateKey(options_.peer, options_.model, push);
}

std::string ReplicationStateKey(const std::string& peer, const std::string& model, bool push) {
  return std::string(kMetaPrefix) + peer + ":" + model + ":" + (push ? "push" : "pull");
}

Result<size_t> PendingPush(Database& db, const std::string& peer, const std::string& model) {
  RC_ASSIGN_OR_RETURN(std::optional<Json> stored,
                      db.store()->GetMeta(ReplicationStateKey(peer, model, true)));
  int64_t since = -1;
  size_t unresolved = 0;
  if (stored.has_value() && (*stored).contains("since") && (*stored)["since"].is_object()) {
    since = (*stored)["since"].value("source", int64_t{-1});
    unresolved = (*stored).value("unresolved", Json::array()).size();
  }
  RC_ASSIGN_OR_RETURN(ChangesPage page,
                      Changes(db, model, since, Json(), std::nullopt, std::nullopt));
  return page.changes.size() + unresolved;
}

Status Replicator::Fail(Status status) {
  state_ = State::kFailed;
  pending_.reset();
  awaiting_ = false;
  error_ = status;
  return status;
}

std::optional<Request> Replicator::NextRequest() {
  if (state_ == State::kStart) {
    // The stored state may have been persisted by other code (JS): read it guarded.
    Status started = Guard("replication state", [&]() -> Status { return Start(); },
                           StatusCode::kStorage);
    if (!started.ok()) (void)Fail(started);
  }
  // Handed out once (moved: a request may carry a whole chunk of records).
  std::optional<Request> request = std::move(pending_);
  pending_.reset();
  awaiting_ = request.has_value();
  return request;
}

Status Replicator::Start() {
  if (result_.attempts == 0) {
    RC_RETURN_IF_ERROR(local_->GetModel(options_.model).status());
    RC_ASSIGN_OR_RETURN(std::optional<Json> stored,
                        local_->store()->GetMeta(StateKey(options_.local_is_source)));
    if (stored.has_value()) {
      const Json& state = *stored;
      since_.source = state["since"].value("source", int64_t{-1});
      since_.target = state["since"].value("target", int64_t{-1});
      for (const Json& id : state.value("unresolved", Json::array())) {
        unresolved_.insert(id.get<std::string>());
      }
    }
    // The target's changes that the source has not seen are those since the last
    // replicate in the OTHER direction (its since.source), not since this direction's last
    // run: LoopBack's since.target re-parents a target edit the source never received,
    // and the source's update silently overwrites it. Ours; an explicit since keeps
    // LoopBack's rule.
    // Ids left unresolved in either direction were not applied on the other side: their
    // changes are compared whatever their checkpoint. Only this direction's are re-sent.
    RC_ASSIGN_OR_RETURN(std::optional<Json> other,
                        local_->store()->GetMeta(StateKey(!options_.local_is_source)));
    diff_since_ = other.has_value() ? (*other)["since"].value("source", int64_t{-1}) : -1;
    compare_always_ = unresolved_;
    if (other.has_value()) {
      for (const Json& id : (*other).value("unresolved", Json::array())) {
        compare_always_.insert(id.get<std::string>());
      }
    }
    if (options_.since) since_ = *options_.since;
  }
  if (options_.since) diff_since_ = since_.target;
  ++result_.attempts;
  chunks_.clear();
  chunk_since_.clear();
  resent_.clear();
  update_chunks_.clear();
  next_cursor_.reset();
  unresolved_fetched_ = false;
  attempt_conflicts_.clear();
  conflict_ids_.clear();
  attempt_applied_ = 0;
  pending_ = Request{Op::kCheckpoint, Json::object()};
  state_ = State::kAwaitCheckpoint;
  return Status::Ok();
}

Status Replicator::OnResponse(Response response) {
  Status status = Guard("response", [&]() -> Status { return HandleResponse(std::move(response)); },
                        StatusCode::kBadRequest);
  if (!status.ok() && state_ != State::kFailed) return Fail(status);
  return status;
}

Status Replicator::HandleResponse(Response response) {
  if (!awaiting_) return Status::BadRequest("no request is waiting for a response");
  awaiting_ = false;
  if (!response.status.ok() && state_ != State::kAwaitBulkUpdate) return Fail(response.status);
  Status status;
  switch (state_) {
    case State::kAwaitCheckpoint: status = OnCheckpoint(response.result.tree()); break;
    case State::kAwaitChanges: status = OnChanges(response.result.TakeTree()); break;
    case State::kAwaitDiff: status = OnDiff(response.result.TakeTree()); break;
    case State::kAwaitCreateUpdates: status = OnCreateUpdates(std::move(response.result)); break;
    case State::kAwaitBulkUpdate: status = OnBulkUpdate(response); break;
    case State::kAwaitFinalCheckpoint: status = Complete(); break;
    default: status = Status::BadRequest("no request is waiting for a response");
  }
  if (!status.ok()) return Fail(status);
  return status;
}

Status Replicator::OnCheckpoint(const Json& result) {
  RC_RETURN_IF_ERROR(Expect(result.is_object() && result.contains("seq") &&
                                result["seq"].is_number(), "checkpoint without seq"));
  int64_t seq = SafeInteger(result["seq"]);
  // A local bump ends the local changes' history: an edit after it records the revision
  // before it as prev, the revision the other side is assumed to hold. So it happens only
  // where that holds. Pulling, nothing is sent: the local checkpoint stays (a bump here made
  // an unsent edit and a later one look based on a revision the server never got: a
  // conflict with itself); FinishAttempt bumps after applying. Pushing, the bump waits for
  // the server's answer (LoopBack bumps first), so a round that finds the server offline
  // leaves the history whole.
  if (!options_.local_is_source) {
    new_checkpoints_.source = seq;
    RC_ASSIGN_OR_RETURN(int64_t current, local_->CurrentCheckpoint());
    new_checkpoints_.target = current;
    // PROTOCOL.md §8.5: a LoopBack source may stamp a change below the since it handed out
    // (its write and its change row are not one transaction): read one checkpoint more;
    // what was applied already compares equal and is not sent again.
    const int64_t since = options_.reread_last_checkpoint && since_.source > 0 ? since_.source - 1 : since_.source;
    RequestChanges(since, Json());
    return Status::Ok();
  }
  new_checkpoints_.target = seq;
  RC_ASSIGN_OR_RETURN(Json bumped, local_->Checkpoint());
  new_checkpoints_.source = bumped["seq"].get<int64_t>();
  local_cursor_.reset();
  local_exhausted_ = false;
  return SendNextDiff();
}

Status Replicator::ReadLocalChanges() {
  // One page of local changes since `since`, so memory stays bounded by the page. Those
  // of ids left unresolved are diffed separately against the target's whole log (since
  // -1), whatever their checkpoint (§8.3); the ones never re-read come last.
  RC_ASSIGN_OR_RETURN(ChangesPage page, Changes(*local_, options_.model, since_.source, Json(),
                                                local_cursor_, options_.changes_page));
  Json changes = Json::array();
  Json unresolved = Json::array();
  for (const Change& change : page.changes) {
    if (!compare_always_.count(change.model_id)) {
      changes.push_back(change.ToJson());
    } else {
      resent_.insert(change.model_id);
      unresolved.push_back(change.ToJson());
    }
  }
  local_cursor_ = page.next;
  local_exhausted_ = !page.next;
  if (local_exhausted_) {
    for (const std::string& id : unresolved_) {
      if (resent_.count(id)) continue;
      RC_ASSIGN_OR_RETURN(std::optional<Change> change,
                          local_->store()->GetChange(options_.model, id));
      if (change.has_value()) unresolved.push_back(change->ToJson());
    }
  }
  ChunkByBytes(std::move(changes), options_.chunk_bytes, &chunks_);
  chunk_since_.resize(chunks_.size(), diff_since_);
  ChunkByBytes(std::move(unresolved), options_.chunk_bytes, &chunks_);
  chunk_since_.resize(chunks_.size(), std::nullopt);
  return Status::Ok();
}

Status Replicator::SendNextDiff() {
  while (chunks_.empty() && !local_exhausted_) RC_RETURN_IF_ERROR(ReadLocalChanges());
  if (chunks_.empty()) return FinishAttempt();
  Json chunk = std::move(chunks_.front());
  chunks_.pop_front();
  std::optional<int64_t> since = chunk_since_.front();
  chunk_since_.pop_front();
  Json args{{"since", since.value_or(-1)}, {"changes", std::move(chunk)}};
  if (!since) args["resent"] = true;
  pending_ = Request{Op::kDiff, std::move(args)};
  state_ = State::kAwaitDiff;
  return Status::Ok();
}

Status Replicator::OnDiff(Json result) {
  RC_RETURN_IF_ERROR(Expect(result.is_object() && result.value("deltas", Json()).is_array() &&
                                result.value("conflicts", Json()).is_array(),
                            "diff without deltas and conflicts"));
  for (const Json& target_change : result["conflicts"]) {
    std::string id = target_change.value("modelId", "");
    RC_ASSIGN_OR_RETURN(std::optional<Change> source_change,
                        local_->store()->GetChange(options_.model, id));
    AddConflict(id, source_change.has_value() ? source_change->ToJson() : Json(), target_change);
  }
  // LoopBack's diff re-parents a change it has no recent row for (prev := its rev) without
  // checking that the revisions are already equal; such a delta would only rewrite the
  // record with itself (and LoopBack's memory connector reports that as a conflict).
  Json deltas = Json::array();
  for (Json& delta : result["deltas"]) {
    bool equal = delta.is_object() && delta.contains("rev") && delta.contains("prev") &&
                 delta["rev"].is_string() && delta["rev"] == delta["prev"];
    if (!equal) deltas.push_back(std::move(delta));
  }
  if (deltas.empty()) return SendNextDiff();
  RC_ASSIGN_OR_RETURN(std::string updates, CreateUpdates(*local_, options_.model, std::move(deltas)));
  RC_RETURN_IF_ERROR(ChunkTextByBytes(updates, options_.chunk_bytes, &update_chunks_));
  return SendNextBulkUpdate();
}

Status Replicator::SendNextBulkUpdate() {
  if (update_chunks_.empty()) return SendNextDiff();
  TextChunk chunk = std::move(update_chunks_.front());
  update_chunks_.pop_front();
  attempt_applied_ += chunk.items;  // minus the conflicts a 409 reports
  pending_ = Request{Op::kBulkUpdate, Payload::FromText("{\"updates\":" + chunk.text + "}")};
  state_ = State::kAwaitBulkUpdate;
  return Status::Ok();
}

Status Replicator::OnBulkUpdate(const Response& response) {
  if (!response.status.ok()) {
    const Json& details = response.status.details();
    if (response.status.code() != StatusCode::kConflict || !details.is_object() ||
        !details.value("conflicts", Json()).is_array()) {
      return response.status;
    }
    // Everything outside details.conflicts was applied (LoopBack's contract).
    for (const Json& source_change : details["conflicts"]) {
      AddConflict(source_change.value("modelId", ""), source_change, Json());
      if (attempt_applied_ > 0) --attempt_applied_;
    }
  }
  return options_.local_is_source ? SendNextBulkUpdate() : SendNextCreateUpdates();
}

void Replicator::RequestChanges(int64_t since, const Json& filter) {
  changes_since_ = since;
  changes_filter_ = filter;
  Json args{{"since", since}};
  if (!filter.is_null()) args["filter"] = filter;
  if (options_.cursor_changes) {
    args["limit"] = options_.changes_page;
    if (next_cursor_) args["after"] = *next_cursor_;
  }
  pending_ = Request{Op::kChanges, std::move(args)};
  state_ = State::kAwaitChanges;
}

Status Replicator::OnChanges(Json result) {
  Json changes;  // LoopBack: a bare array; ours with a cursor: {changes, next}
  next_cursor_.reset();
  if (result.is_array()) {
    changes = std::move(result);
  } else {
    auto page = result.is_object() ? result.find("changes") : result.end();
    RC_RETURN_IF_ERROR(
        Expect(page != result.end() && page->is_array(), "changes is not an array"));
    changes = std::move(*page);
    auto next = result.find("next");
    if (next != result.end() && next->is_array()) next_cursor_ = *next;
  }
  // The unresolved ids' changes are compared with this side's whole log (§8.3): they are
  // all in compare_always_, so the window stays the real one (Diff tells the two apart).
  Json source_conflicts = Json::array();
  RC_ASSIGN_OR_RETURN(Json diff, Diff(*local_, options_.model, diff_since_, std::move(changes),
                                      &compare_always_, &source_conflicts));
  const Json& target_conflicts = diff["conflicts"];
  for (size_t i = 0; i < target_conflicts.size(); ++i) {
    AddConflict(target_conflicts[i].value("modelId", ""), source_conflicts[i],
                target_conflicts[i]);
  }
  ChunkByBytes(std::move(diff["deltas"]), options_.chunk_bytes, &chunks_);
  return SendNextCreateUpdates();
}

Status Replicator::SendNextCreateUpdates() {
  if (!chunks_.empty()) {
    Json chunk = std::move(chunks_.front());
    chunks_.pop_front();
    pending_ = Request{Op::kCreateUpdates, Json{{"deltas", std::move(chunk)}}};
    state_ = State::kAwaitCreateUpdates;
    return Status::Ok();
  }
  if (next_cursor_) {
    RequestChanges(changes_since_, changes_filter_);  // the next page of the same query
    return Status::Ok();
  }
  if (!unresolved_fetched_ && !unresolved_.empty()) {
    // Ids that conflicted before are re-read whatever their checkpoint (§8.3).
    unresolved_fetched_ = true;
    RC_ASSIGN_OR_RETURN(const ModelDefinition* model, local_->GetModel(options_.model));
    Json ids(unresolved_);
    Json filter{{"where", {{model->id_property().name, {{"inq", ids}}}}}};
    RequestChanges(-1, filter);
    return Status::Ok();
  }
  return FinishAttempt();
}

Status Replicator::OnCreateUpdates(Payload payload) {
  auto apply = [&]() -> Result<BulkUpdateResult> {
    // Records in their stored form are kept as the text they came in.
    if (payload.has_text()) return BulkUpdateText(*local_, options_.model, payload.text());
    Json result = payload.TakeTree();
    RC_RETURN_IF_ERROR(Expect(result.is_array(), "create-updates is not an array"));
    return BulkUpdate(*local_, options_.model, std::move(result));
  };
  RC_ASSIGN_OR_RETURN(BulkUpdateResult applied, apply());
  attempt_applied_ += applied.applied;
  for (const Json& source_change : applied.conflicts) {
    std::string id = source_change.value("modelId", "");
    RC_ASSIGN_OR_RETURN(std::optional<Change> target,
                        local_->store()->GetChange(options_.model, id));
    AddConflict(id, source_change, target.has_value() ? target->ToJson() : Json());
  }
  return SendNextCreateUpdates();
}

void Replicator::AddConflict(const std::string& model_id, Json source_change,
                             Json target_change) {
  if (!conflict_ids_.insert(model_id).second) return;
  Conflict conflict;
  conflict.model_id = model_id;
  conflict.source_change = std::move(source_change);
  conflict.target_change = std::move(target_change);
  conflict.local_is_source = options_.local_is_source;
  attempt_conflicts_.push_back(std::move(conflict));
}

Status Replicator::FinishAttempt() {
  result_.checkpoints = new_checkpoints_;
  result_.conflicts = attempt_conflicts_;
  result_.applied += attempt_applied_;
  if (attempt_conflicts_.empty() && attempt_applied_ > 0 &&
      result_.attempts < options_.max_attempts) {
    since_ = new_checkpoints_;
    state_ = State::kStart;
    return Start();
  }
  if (attempt_applied_ > 0) {
    // Ours: the target moves to a new checkpoint after it applied updates, so its next
    // local write records the replicated revision as prev instead of collapsing with it
    // into one change (which would look like a conflict, or hide one). LoopBack gets this
    // only from its re-run, which a conflict cuts short.
    if (!options_.local_is_source) {
      RC_RETURN_IF_ERROR(local_->Checkpoint().status());
    } else {
      pending_ = Request{Op::kCheckpoint, Json::object()};
      state_ = State::kAwaitFinalCheckpoint;
      return Status::Ok();
    }
  }
  return Complete();
}

Status Replicator::Complete() {
  // since advances as LoopBack's does; the unresolved set keeps conflicting ids in play.
  Json unresolved = Json::array();
  for (const Conflict& conflict : attempt_conflicts_) unresolved.push_back(conflict.model_id);
  Batch batch;
  batch.meta.push_back(
      {StateKey(options_.local_is_source), Json{{"since", {{"source", new_checkpoints_.source},
                                   {"target", new_checkpoints_.target}}},
                        {"unresolved", std::move(unresolved)}}});
  RC_RETURN_IF_ERROR(local_->Commit(std::move(batch)).status());
  state_ = State::kDone;
  return Status::Ok();
}

Result<ReplicationResult> ReplicateLocal(Database* local, Database* remote,
                                         ReplicatorOptions options, size_t max_requests) {
  options.cursor_changes = true;
  Replicator replicator(local, options);
  RC_RETURN_IF_ERROR(DriveLocal(replicator, *remote, options.model, max_requests));
  return replicator.result();
}

}  // namespace replicore
