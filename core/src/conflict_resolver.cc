#include "replicore/conflict_resolver.h"

#include "guard.h"
#include "replicore/replication.h"

namespace replicore {

namespace {
Result<Json> Wrap(Result<std::optional<Json>> found) {
  if (!found.ok()) return found.status();
  return found->has_value() ? **found : Json();
}
}  // namespace

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
                      ? Guard("response", [&]() -> Status { return next(response.result); },
                              StatusCode::kBadRequest)
                      : response.status;
  if (!status.ok()) {
    error_ = status;
    pending_.reset();
  }
  return status;
}

Status ConflictResolver::Step(bool on_local, const std::function<Result<Json>()>& local,
                              Request request, Continuation next) {
  if (on_local) {
    Result<Json> result = local();
    if (!result.ok()) return result.status();
    return next(*result);
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
      return ReadTargetChangeThenResolve();
    case Resolution::kUseTarget:
      return Step(!source_local, [&] { return Wrap(local_->FindById(model_, id)); },
                  Request{Op::kFindById, Json{{"id", id}}},
                  [this](const Json& target) { return WriteSource(target, false); });
    case Resolution::kManual:
      if (manual_data_.is_null()) return WriteSource(Json(), false);
      if (!manual_data_.is_object()) return Status::Validation("manual resolution data must be an object");
      return Step(source_local, [&] { return Wrap(local_->FindById(model_, id)); },
                  Request{Op::kFindById, Json{{"id", id}}}, [this](const Json& source) {
                    // LoopBack: (source ?? target).setAttributes(data).save(); without a
                    // source we start from the data alone.
                    Json merged = source.is_object() ? source : Json::object();
                    for (auto it = manual_data_.begin(); it != manual_data_.end(); ++it) {
                      merged[it.key()] = *it;
                    }
                    auto model = local_->GetModel(model_);
                    if (!model.ok()) return model.status();
                    merged[(*model)->id_property().name] = conflict_.model_id;
                    return WriteSource(merged, true);
                  });
  }
  return Status::BadRequest("unknown resolution");
}

Status ConflictResolver::ReadTargetChangeThenResolve() {
  const std::string& id = conflict_.model_id;
  return Step(!conflict_.local_is_source, [&] { return FindLastChange(*local_, model_, id); },
              Request{Op::kFindLastChange, Json{{"id", id}}},
              [this](const Json& change) { return SetSourcePrev(change); });
}

Status ConflictResolver::SetSourcePrev(const Json& target_change) {
  const std::string& id = conflict_.model_id;
  Json prev = target_change.is_object() ? target_change.value("rev", Json()) : Json();
  // The source is re-parented onto the target revision the conflict showed, never onto
  // one written since by someone else: that write would be overwritten unseen by the
  // next replicate. Replicating again reports the conflict with it.
  // (A local target is left alone: this resolution is what writes to it.)
  if (conflict_.local_is_source && conflict_.target_change.is_object() &&
      conflict_.target_change.value("rev", Json()) != prev) {
    return Status::Conflict("the " + model_ + " id \"" + id +
                            "\" changed on the other side since this conflict was reported: "
                            "replicate again to see it");
  }
  if (prev.is_null()) {
    // The target deleted the record. prev null ("based on the deletion") would also match
    // a later deletion there (ABA), so the source's state is copied to the target instead.
    return Step(conflict_.local_is_source, [&] { return Wrap(local_->FindById(model_, id)); },
                Request{Op::kFindById, Json{{"id", id}}},
                [this](const Json& source) { return WriteTarget(source); });
  }
  Json data{{"prev", prev}};
  return Step(conflict_.local_is_source,
              [&] { return UpdateLastChange(*local_, model_, id, data); },
              Request{Op::kUpdateLastChange, Json{{"id", id}, {"data", data}}},
              [this](const Json&) { return Finish(); });
}

Status ConflictResolver::WriteTarget(const Json& record) {
  return Write(!conflict_.local_is_source, record, [this](const Json&) { return Finish(); });
}

Status ConflictResolver::Write(bool on_local, const Json& record, Continuation next) {
  const std::string& id = conflict_.model_id;
  (on_local ? wrote_local_ : wrote_remote_) = true;
  const Json& shown = conflict_.local_is_source ? conflict_.target_change : conflict_.source_change;
  if (!on_local && shown.is_object()) return WriteRemoteIfUnchanged(record, shown.value("rev", Json()), std::move(next));
  if (record.is_null()) {
    return Step(on_local,
                [&]() -> Result<Json> {
                  auto count = local_->DeleteById(model_, id);
                  if (!count.ok()) return count.status();
                  return Json{{"count", *count}};
                },
                Request{Op::kDeleteById, Json{{"id", id}}}, std::move(next));
  }
  return Step(on_local, [&] { return local_->ReplaceOrCreate(model_, record); },
              Request{Op::kReplaceOrCreate, Json{{"data", record}}}, std::move(next));
}

// The remote write of a resolution as a one-entry bulk-update whose prev is the revision
// the conflict showed: the remote applies it only if its record is still that revision
// (atomically), else answers a conflict, so a write another client made meanwhile is never
// overwritten unseen (LoopBack's resolutions write unconditionally).
Status ConflictResolver::WriteRemoteIfUnchanged(const Json& record, const Json& shown_rev,
                                                Continuation next) {
  auto model = local_->GetModel(model_);
  if (!model.ok()) return model.status();
  Json change{{"modelId", conflict_.model_id}, {"modelName", model_}, {"prev", shown_rev},
              {"rev", record.is_null() ? Json() : Json((*model)->RevisionOf(record))},
              {"checkpoint", 0}};
  // "create" where the remote showed no record: it applies only if there still is none
  // (LoopBack 3's bulkUpdate also crashes on an "update" of a record it lacks).
  const char* type = record.is_null() ? "delete" : shown_rev.is_null() ? "create" : "update";
  Json update{{"type", type}, {"change", std::move(change)}};
  if (!record.is_null()) update["data"] = record;
  return Step(false, nullptr, Request{Op::kBulkUpdate, Json{{"updates", Json::array({std::move(update)})}}},
              std::move(next));
}

Status ConflictResolver::WriteSource(const Json& record, bool then_resolve) {
  return Write(conflict_.local_is_source, record, [this, then_resolve](const Json&) {
    return then_resolve ? ReadTargetChangeThenResolve() : Finish();
  });
}

Status ConflictResolver::Finish() {
  // A side that took the other's data moves to a new checkpoint, so its next edit records
  // that revision as prev. Otherwise the copy and a later delete collapse into one
  // invisible create+delete change, and the delete is never replicated.
  if (wrote_local_) {
    wrote_local_ = false;
    auto bumped = local_->Checkpoint();
    if (!bumped.ok()) return bumped.status();
  }
  if (wrote_remote_) {
    wrote_remote_ = false;
    return Step(false, nullptr, Request{Op::kCheckpoint, Json::object()},
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
