#include "replicore/conflict_resolver.h"

#include "replicore/guard.h"
#include "replicore/protocol.h"

namespace replicore {

ConflictResolver::ConflictResolver(Database* local, std::string model, Conflict conflict,
                                   Resolution how, Json manual_data)
    : local_(local),
      model_(std::move(model)),
      conflict_(std::move(conflict)),
      how_(how),
      manual_data_(std::move(manual_data)) {}

std::optional<Request> ConflictResolver::NextRequest() {
  if (!started_) {
    started_ = true;
    Status status = Guard("conflict", [&]() -> Status { return Begin(); });
    if (!status.ok()) {
      error_ = status;
      pending_.reset();
    }
  }
  return pending_;
}

Status ConflictResolver::OnResponse(const Response& response) {
  if (!pending_ || !continuation_) return Status::BadRequest("no request is waiting");
  pending_.reset();
  Continuation next = std::move(continuation_);
  continuation_ = nullptr;
  Status status = response.status.ok()
                      ? Guard("response", [&]() -> Status { return next(response.result.tree()); },
                              StatusCode::kBadRequest)
                      : Refusal(response.status);
  if (!status.ok()) {
    error_ = status;
    pending_.reset();
  }
  return status;
}

Status ConflictResolver::Step(bool on_local, Request request, Continuation next) {
  if (on_local) {
    Response response = Answer(*local_, model_, std::move(request));
    if (!response.status.ok()) return Refusal(response.status);
    return next(response.result.tree());
  }
  pending_ = std::move(request);
  continuation_ = std::move(next);
  return Status::Ok();
}

Status ConflictResolver::Begin() {
  const std::string& id = conflict_.model_id;
  const bool source_local = conflict_.local_is_source;
  switch (how_) {
    case Resolution::kUseSource:
      return Resolve();
    case Resolution::kUseTarget:
      return Step(!source_local, Request{Op::kFindById, Json{{"id", id}}},
                  [this](const Json& target) { return WriteSource(target, false); });
    case Resolution::kManual:
      if (manual_data_.is_null()) return WriteSource(Json(), false);
      if (!manual_data_.is_object()) return Status::Validation("manual resolution data must be an object");
      return Step(source_local, Request{Op::kFindById, Json{{"id", id}}}, [this](const Json& source) {
        // LoopBack: (source ?? target).setAttributes(data).save(); without a
        // source we start from the data alone.
        Json merged = source.is_object() ? source : Json::object();
        for (auto it = manual_data_.begin(); it != manual_data_.end(); ++it) {
          merged[it.key()] = *it;
        }
        RC_ASSIGN_OR_RETURN(const ModelDefinition* model, local_->GetModel(model_));
        merged[model->id_property().name] = conflict_.model_id;
        return WriteSource(merged, true);
      });
  }
  return Status::BadRequest("unknown resolution");
}

Status ConflictResolver::Resolve() {
  // Pulling, the source is the server: re-parenting its change (LoopBack's way) would make
  // it conflict anew with every other client that took it, so that they ping-pong forever
  // (tests/soak finding 5). The client takes the server's record instead.
  if (!conflict_.local_is_source) return CopySourceToTarget();
  return Step(false, Request{Op::kFindLastChange, Json{{"id", conflict_.model_id}}},
              [this](const Json& change) { return SetSourcePrev(change); });
}

Status ConflictResolver::SetSourcePrev(const Json& target_change) {
  const std::string& id = conflict_.model_id;
  Json prev = target_change.is_object() ? target_change.value("rev", Json()) : Json();
  // The source is re-parented onto the target revision the conflict showed, never onto
  // one written since by someone else: that write would be overwritten unseen by the
  // next replicate. Replicating again reports the conflict with it.
  if (conflict_.target_change.is_object() && conflict_.target_change.value("rev", Json()) != prev) {
    return ChangedSince();
  }
  // The target deleted the record. prev null ("based on the deletion") would also match
  // a later deletion there (ABA), so the source's state is copied to the target instead.
  if (prev.is_null()) return CopySourceToTarget();
  return Step(true, Request{Op::kUpdateLastChange, Json{{"id", id}, {"data", {{"prev", prev}}}}},
              [this](const Json&) { return Finish(); });
}

// A conditional write answers a conflict when its record moved since it was shown.
Status ConflictResolver::Refusal(const Status& status) const {
  return status.code() == StatusCode::kConflict ? ChangedSince() : status;
}

Status ConflictResolver::ChangedSince() const {
  return Status::Conflict("the " + model_ + " id \"" + conflict_.model_id +
                          "\" changed since this conflict was reported: replicate again to see it");
}

Status ConflictResolver::CopySourceToTarget() {
  return Step(conflict_.local_is_source, Request{Op::kFindById, Json{{"id", conflict_.model_id}}},
              [this](const Json& source) {
                return Write(!conflict_.local_is_source, source, [this](const Json&) { return Finish(); });
              });
}

// Every write of a resolution is a one-entry bulk-update whose prev is the revision the
// conflict showed for that side: it applies only if the record is still that revision
// (atomically), else it is refused, so a write made meanwhile (by another client, or by
// this app after the conflict was reported) is never overwritten unseen. LoopBack's
// resolutions write unconditionally.
Status ConflictResolver::Write(bool on_local, const Json& record, Continuation next) {
  (on_local ? wrote_local_ : wrote_remote_) = true;
  const Json& shown = on_local == conflict_.local_is_source ? conflict_.source_change : conflict_.target_change;
  const Json shown_rev = shown.is_object() ? shown.value("rev", Json()) : Json();
  RC_ASSIGN_OR_RETURN(const ModelDefinition* model, local_->GetModel(model_));
  Json change{{"modelId", conflict_.model_id}, {"modelName", model_}, {"prev", shown_rev},
              {"rev", record.is_null() ? Json() : Json(model->RevisionOf(record))},
              {"checkpoint", 0}};
  // "create" where the conflict showed no record: it applies only if there still is none
  // (LoopBack 3's bulkUpdate also crashes on an "update" of a record it lacks).
  const char* type = record.is_null() ? "delete" : shown_rev.is_null() ? "create" : "update";
  Json update{{"type", type}, {"change", std::move(change)}};
  if (!record.is_null()) update["data"] = record;
  return Step(on_local, Request{Op::kBulkUpdate, Json{{"updates", Json::array({std::move(update)})}}},
              std::move(next));
}

Status ConflictResolver::WriteSource(const Json& record, bool then_resolve) {
  return Write(conflict_.local_is_source, record, [this, then_resolve](const Json&) {
    return then_resolve ? Resolve() : Finish();
  });
}

Status ConflictResolver::Finish() {
  // A side that took the other's data moves to a new checkpoint, so its next edit records
  // that revision as prev. Otherwise the copy and a later delete collapse into one
  // invisible create+delete change, and the delete is never replicated.
  if (wrote_local_) {
    wrote_local_ = false;
    RC_RETURN_IF_ERROR(local_->Checkpoint().status());
  }
  if (wrote_remote_) {
    wrote_remote_ = false;
    return Step(false, Request{Op::kCheckpoint, Json::object()},
                [this](const Json&) { return Finish(); });
  }
  done_ = true;
  return Status::Ok();
}

Status ResolveLocal(Database* local, Database* remote, const std::string& model,
                    const Conflict& conflict, Resolution how, Json manual_data) {
  ConflictResolver resolver(local, model, conflict, how, std::move(manual_data));
  return DriveLocal(resolver, *remote, model, 16);
}

}  // namespace replicore
