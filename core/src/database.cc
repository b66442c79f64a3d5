#include "replicore/database.h"

#include <set>

#include "replicore/change_log.h"
#include "replicore/iso_date.h"
#include "replicore/json_canonical.h"

namespace replicore {

namespace {

// The patch without the id: a patch never renames a record.
Json Merge(const Json& existing, const Json& patch, const std::string& id_name) {
  Json merged = existing;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key() != id_name) merged[it.key()] = it.value();
  }
  return merged;
}

Status RequireObject(const Json& data) {
  if (!data.is_object()) return Status::Validation("Value is not an object.");
  return Status::Ok();
}

// Attempts of one read-then-write before it is reported as a conflict. An attempt fails
// only when another write to what it read committed meanwhile, so a few suffice unless
// the same records are written without pause.
constexpr int kWriteAttempts = 5;

// What a write that lost every race reports: kConflict (re-read, resolve, retry), as
// LoopBack reports a write it cannot make.
Status Exhausted(const Status& refused) {
  return Status::Conflict(
      refused.message() + " (" + std::to_string(kWriteAttempts) + " attempts)", refused.details());
}

}  // namespace

// A member pointer rather than a lambda: one instantiation per signature instead of one per
// operation, which the wasm's size budget needs.
template <typename R, typename... Args>
R Database::Retrying(R (Database::*once)(Args...), NotDeduced<Args>... args) {
  for (int n = 1;; ++n) {
    R result = (this->*once)(args...);
    if (result.status().code() != StatusCode::kPreconditionFailed) return result;
    if (n == kWriteAttempts) return Exhausted(result.status());
  }
}

Database::Database(Store* store, Environment env) : store_(store), env_(std::move(env)) {}

Status Database::AddModel(ModelDefinition model) {
  std::string name = model.name();
  if (models_.count(name)) return Status::BadRequest("model `" + name + "` is already defined");
  RC_RETURN_IF_ERROR(store_->DeclareIndexes(name, model.indexes()));
  models_[name] = std::make_unique<ModelDefinition>(std::move(model));
  return Status::Ok();
}

Status Database::AddModel(const Json& definition) {
  RC_ASSIGN_OR_RETURN(ModelDefinition model, ModelDefinition::Parse(definition));
  return AddModel(std::move(model));
}

Result<const ModelDefinition*> Database::GetModel(const std::string& name) const {
  auto it = models_.find(name);
  if (it == models_.end()) return Status::NotFound("Unknown model \"" + name + "\"");
  return static_cast<const ModelDefinition*>(it->second.get());
}

std::vector<std::string> Database::ModelNames() const {
  std::vector<std::string> names;
  for (const auto& entry : models_) names.push_back(entry.first);
  return names;
}

Result<Filter> Database::ParseFilterFor(const ModelDefinition& model, const Json& filter) const {
  if (filter.is_null()) return Filter();
  PropertyTypeLookup lookup = model.TypeLookup();
  return ParseFilter(filter, &lookup);
}

Result<std::optional<Record>> Database::FindById(const std::string& model, const std::string& id) {
  RC_RETURN_IF_ERROR(GetModel(model).status());
  return store_->Get(model, id);
}

Result<std::vector<Record>> Database::Find(const std::string& model, const Json& filter) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_ASSIGN_OR_RETURN(Filter parsed, ParseFilterFor(*def, filter));
  return store_->Find(model, parsed);
}

Result<std::optional<Record>> Database::FindOne(const std::string& model, const Json& filter) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_ASSIGN_OR_RETURN(Filter parsed, ParseFilterFor(*def, filter));
  parsed.limit = 1;
  RC_ASSIGN_OR_RETURN(std::vector<Record> found, store_->Find(model, parsed));
  if (found.empty()) return std::optional<Record>();
  return std::optional<Record>(std::move(found.front()));
}

Result<size_t> Database::Count(const std::string& model, const Json& where) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  Where parsed;
  if (!where.is_null()) {
    PropertyTypeLookup lookup = def->TypeLookup();
    RC_ASSIGN_OR_RETURN(parsed, ParseWhere(where, &lookup));
  }
  return store_->Count(model, parsed);
}

Result<bool> Database::Exists(const std::string& model, const std::string& id) {
  RC_ASSIGN_OR_RETURN(std::optional<Record> found, FindById(model, id));
  return found.has_value();
}

Status Database::AddWriteOver(const ModelDefinition& model, const std::string& id,
                              std::optional<Record> read, std::optional<Record> record,
                              int64_t checkpoint, Batch* batch) {
  // Read for every model: the precondition pins the row, or that there is none.
  RC_ASSIGN_OR_RETURN(std::optional<Change> change, store_->GetChange(model.name(), id));
  return AddCheckedWrite(model, id, StoredEntry{std::move(read), std::move(change)},
                         std::move(record), checkpoint, batch);
}

Status Database::AddCheckedWrite(const ModelDefinition& model, const std::string& id,
                                 StoredEntry read, std::optional<Record> record,
                                 int64_t checkpoint, Batch* batch) {
  batch->preconditions.push_back({model.name(), id, std::move(read)});
  // The change is stamped with `checkpoint`: a bump before it commits would leave the
  // change behind a `since` a replicator already took from that bump.
  if (model.track_changes()) batch->expected_checkpoint = checkpoint;
  return AddWrite(model, id, std::move(record), checkpoint,
                  batch->preconditions.back().expected.change, batch);
}

Status Database::AddWrite(const ModelDefinition& model, const std::string& id,
                          std::optional<Record> record, int64_t checkpoint,
                          const std::optional<Change>& stored_change, Batch* batch) {
  if (model.track_changes()) {
    std::optional<std::string> rev;
    if (record) rev = model.RevisionOf(*record);
    AddToBatch(Rectify(stored_change, model.name(), id, rev, checkpoint), model.name(), id, batch);
  }
  batch->records.push_back({model.name(), id, std::move(record)});
  return Status::Ok();
}

Result<CommittedBatch> Database::Commit(Batch batch) {
  Result<CommittedBatch> committed = store_->Apply(std::move(batch));
  if (!committed.ok() || !listener_) return committed;
  CommittedBatch summary{committed->seq, Batch(), committed->checkpoint};
  listener_(std::move(committed).value());
  return summary;
}

Result<Record> Database::WriteOne(const ModelDefinition& model, const std::string& id,
                                  std::optional<Record> read, Record record) {
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, store_->CurrentCheckpoint());
  Batch batch;
  RC_RETURN_IF_ERROR(AddWriteOver(model, id, std::move(read), record, checkpoint, &batch));
  RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  return record;
}

Json Database::PrefillNulls(const ModelDefinition& model, const Json& data) const {
  Json filled = data;
  if (!model.persist_undefined_as_null() || !filled.is_object()) return filled;
  for (const PropertyDefinition& property : model.properties()) {
    if (!property.id && !filled.contains(property.name)) filled[property.name] = nullptr;
  }
  return filled;
}

Result<Record> Database::Create(const std::string& model, const Json& data) {
  return Retrying(&Database::CreateOnce, model, data);
}

Result<Record> Database::CreateOnce(const std::string& model, const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  RC_ASSIGN_OR_RETURN(Json record, def->Normalize(data, env_));
  RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(record));
  RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, id));
  if (existing.has_value()) {
    return Status::Conflict("Duplicate entry for " + model + "." + def->id_property().name);
  }
  return WriteOne(*def, id, std::nullopt, Record::FromTree(std::move(record)));
}

Result<std::vector<Record>> Database::CreateMany(const std::string& model, const Json& array) {
  return Retrying(&Database::CreateManyOnce, model, array);
}

Result<std::vector<Record>> Database::CreateManyOnce(const std::string& model, const Json& array) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  if (!array.is_array()) return Status::BadRequest("create of many expects an array of objects");
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, store_->CurrentCheckpoint());
  const std::string& id_name = def->id_property().name;
  std::vector<Record> created;
  std::set<std::string> ids;
  Batch batch;
  for (size_t index = 0; index < array.size(); ++index) {
    auto failed = [&](const Status& status) {
      Json details = status.details().is_object() ? status.details() : Json::object();
      details["index"] = index;
      return Status(status.code(), "item " + std::to_string(index) + ": " + status.message(),
                    std::move(details));
    };
    Status is_object = RequireObject(array[index]);
    if (!is_object.ok()) return failed(is_object);
    Result<Json> record = def->Normalize(array[index], env_);
    if (!record.ok()) return failed(record.status());
    Result<std::string> id = def->IdOf(*record);
    if (!id.ok()) return failed(id.status());
    RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, *id));
    if (existing.has_value() || !ids.insert(*id).second) {
      return failed(Status::Conflict("Duplicate entry for " + model + "." + id_name));
    }
    Record stored = Record::FromTree(std::move(record).value());
    RC_RETURN_IF_ERROR(AddWriteOver(*def, *id, std::nullopt, stored, checkpoint, &batch));
    created.push_back(std::move(stored));
  }
  if (batch.empty()) return created;
  RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  return created;
}

Result<Record> Database::GetExisting(const std::string& model, const std::string& id) {
  RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, id));
  if (!existing.has_value()) {
    return Status::NotFound("Unknown \"" + model + "\" id \"" + id + "\".");
  }
  return std::move(*existing);
}

Result<Record> Database::PatchAttributes(const std::string& model, const std::string& id,
                                       const Json& data) {
  return Retrying(&Database::PatchAttributesOnce, model, id, data);
}

Result<Record> Database::PatchAttributesOnce(const std::string& model, const std::string& id,
                                             const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  RC_ASSIGN_OR_RETURN(Record existing, GetExisting(model, id));
  Json merged = Merge(*existing, data, def->id_property().name);
  RC_ASSIGN_OR_RETURN(Json record, def->Normalize(merged, env_, NormalizeOptions{false, false}));
  return WriteOne(*def, id, std::move(existing), Record::FromTree(std::move(record)));
}

Result<Record> Database::ReplaceById(const std::string& model, const std::string& id,
                                   const Json& data) {
  return Retrying(&Database::ReplaceByIdOnce, model, id, data);
}

Result<Record> Database::ReplaceByIdOnce(const std::string& model, const std::string& id,
                                         const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  RC_ASSIGN_OR_RETURN(Record existing, GetExisting(model, id));
  Json replacement = data;
  // Keep the stored id value (and its type) whatever the body says.
  replacement[def->id_property().name] = (*existing)[def->id_property().name];
  RC_ASSIGN_OR_RETURN(Json record, def->Normalize(replacement, env_));
  return WriteOne(*def, id, std::move(existing), Record::FromTree(std::move(record)));
}

Result<Record> Database::PatchOrCreate(const std::string& model, const Json& data) {
  return Retrying(&Database::PatchOrCreateOnce, model, data);
}

Result<Record> Database::PatchOrCreateOnce(const std::string& model, const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json patch = PrefillNulls(*def, data);
  const std::string& id_name = def->id_property().name;
  if (patch.contains(id_name) && !patch[id_name].is_null()) {
    RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(patch));
    RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, id));
    if (existing.has_value()) return PatchAttributesOnce(model, id, patch);
  }
  Result<Record> created = CreateOnce(model, patch);
  if (!created.ok()) return created;
  // LoopBack answers an upsert that creates with the data as sent (coerced, without the
  // defaults it stored): revisions-e2e "upsert-new", capture 022.
  Result<Json> sent = def->Normalize(patch, env_, NormalizeOptions{false, false});
  if (!sent.ok()) return created;
  (*sent)[id_name] = (**created)[id_name];
  return Record::FromTree(std::move(sent).value());
}

Result<Record> Database::ReplaceOrCreate(const std::string& model, const Json& data) {
  return Retrying(&Database::ReplaceOrCreateOnce, model, data);
}

Result<Record> Database::ReplaceOrCreateOnce(const std::string& model, const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  const std::string& id_name = def->id_property().name;
  if (data.contains(id_name) && !data[id_name].is_null()) {
    RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(data));
    RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, id));
    if (existing.has_value()) return ReplaceByIdOnce(model, id, data);
  }
  return CreateOnce(model, data);
}

Result<size_t> Database::UpdateAll(const std::string& model, const Json& where,
                                   const Json& data) {
  return Retrying(&Database::UpdateAllOnce, model, where, data);
}

// Each matching record is written on condition that it is unchanged. A record that starts
// to match meanwhile is left alone: the update then ordered before the write that made it.
Result<size_t> Database::UpdateAllOnce(const std::string& model, const Json& where,
                                       const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json filter = {{"where", where.is_null() ? Json::object() : where}};
  RC_ASSIGN_OR_RETURN(std::vector<Record> matching, Find(model, filter));
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, store_->CurrentCheckpoint());
  Batch batch;
  const std::string& id_name = def->id_property().name;
  for (const Record& existing : matching) {
    RC_ASSIGN_OR_RETURN(Json record, def->Normalize(Merge(*existing, data, id_name), env_,
                                                    NormalizeOptions{false, false}));
    RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(record));
    RC_RETURN_IF_ERROR(
        AddWriteOver(*def, id, existing, Record::FromTree(std::move(record)), checkpoint, &batch));
  }
  if (!batch.empty()) {
    RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  }
  return matching.size();
}

Result<Record> Database::UpsertWithWhere(const std::string& model, const Json& where,
                                       const Json& data) {
  return Retrying(&Database::UpsertWithWhereOnce, model, where, data);
}

Result<Record> Database::UpsertWithWhereOnce(const std::string& model, const Json& where,
                                             const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json filter = {{"where", where.is_null() ? Json::object() : where}, {"limit", 2}};
  RC_ASSIGN_OR_RETURN(std::vector<Record> matching, Find(model, filter));
  Json patch = PrefillNulls(*def, data);
  if (matching.empty()) return CreateOnce(model, patch);
  if (matching.size() > 1) {
    return Status::BadRequest(
        "There are multiple instances found. Upsert Operation will not be performed!");
  }
  RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(*matching.front()));
  return PatchAttributesOnce(model, id, patch);
}

Result<size_t> Database::DeleteById(const std::string& model, const std::string& id) {
  return Retrying(&Database::DeleteByIdOnce, model, id);
}

Result<size_t> Database::DeleteByIdOnce(const std::string& model, const std::string& id) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  RC_ASSIGN_OR_RETURN(std::optional<Record> existing, store_->Get(model, id));
  if (!existing.has_value()) return size_t{0};
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, store_->CurrentCheckpoint());
  Batch batch;
  RC_RETURN_IF_ERROR(AddWriteOver(*def, id, std::move(existing), std::nullopt, checkpoint, &batch));
  RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  return size_t{1};
}

Result<size_t> Database::DeleteAll(const std::string& model, const Json& where) {
  return Retrying(&Database::DeleteAllOnce, model, where);
}

Result<size_t> Database::DeleteAllOnce(const std::string& model, const Json& where) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, GetModel(model));
  Json filter = {{"where", where.is_null() ? Json::object() : where}};
  RC_ASSIGN_OR_RETURN(std::vector<Record> matching, Find(model, filter));
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, store_->CurrentCheckpoint());
  Batch batch;
  for (const Record& existing : matching) {
    RC_ASSIGN_OR_RETURN(std::string id, def->IdOf(*existing));
    RC_RETURN_IF_ERROR(AddWriteOver(*def, id, existing, std::nullopt, checkpoint, &batch));
  }
  if (!batch.empty()) {
    RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  }
  return matching.size();
}

namespace {
const char kCheckpointTimeKey[] = "checkpoint.time";
}  // namespace

Result<Json> Database::Checkpoint() {
  return Retrying(&Database::CheckpointOnce);
}

Result<Json> Database::CheckpointOnce() {
  RC_ASSIGN_OR_RETURN(int64_t current, store_->CurrentCheckpoint());
  RC_ASSIGN_OR_RETURN(std::optional<Json> time, store_->GetMeta(kCheckpointTimeKey));
  Batch batch;
  batch.checkpoint = current + 1;
  batch.expected_checkpoint = current;  // two bumps racing must not hand out one seq twice
  // LoopBack's singleton keeps the time it was created with; bumps do not change it.
  Json created = time.has_value() ? *time : Json(FormatIsoDate(env_.now_ms ? env_.now_ms() : 0));
  if (!time.has_value()) batch.meta.push_back({kCheckpointTimeKey, created});
  RC_RETURN_IF_ERROR(Commit(std::move(batch)).status());
  return Json{{"seq", current + 1}, {"time", created}, {"id", 1}};
}

Result<int64_t> Database::CurrentCheckpoint() { return store_->CurrentCheckpoint(); }

}  // namespace replicore
