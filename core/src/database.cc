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

}  // namespace

Database::Database(Store* store, Environment env) : store_(store), env_(std::move(env)) {}

Status Database::AddModel(ModelDefinition model) {
  std::string name = model.name();
  if (models_.count(name)) return Status::BadRequest("model `" + name + "` is already defined");
  RC_RETURN_IF_ERROR(store_->DeclareIndexes(name, model.indexes()));
  models_[name] = std::make_unique<ModelDefinition>(std::move(model));
  return Status::Ok();
}

Status Database::AddModel(const Json& definition) {
  Result<ModelDefinition> model = ModelDefinition::Parse(definition);
  if (!model.ok()) return model.status();
  return AddModel(std::move(model).value());
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
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  return store_->Get(model, id);
}

Result<std::vector<Record>> Database::Find(const std::string& model, const Json& filter) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  Result<Filter> parsed = ParseFilterFor(**def, filter);
  if (!parsed.ok()) return parsed.status();
  return store_->Find(model, *parsed);
}

Result<std::optional<Record>> Database::FindOne(const std::string& model, const Json& filter) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  Result<Filter> parsed = ParseFilterFor(**def, filter);
  if (!parsed.ok()) return parsed.status();
  parsed->limit = 1;
  auto found = store_->Find(model, *parsed);
  if (!found.ok()) return found.status();
  if (found->empty()) return std::optional<Record>();
  return std::optional<Record>(std::move(found->front()));
}

Result<size_t> Database::Count(const std::string& model, const Json& where) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  Where parsed;
  if (!where.is_null()) {
    PropertyTypeLookup lookup = (*def)->TypeLookup();
    Result<Where> w = ParseWhere(where, &lookup);
    if (!w.ok()) return w.status();
    parsed = std::move(w).value();
  }
  return store_->Count(model, parsed);
}

Result<bool> Database::Exists(const std::string& model, const std::string& id) {
  auto found = FindById(model, id);
  if (!found.ok()) return found.status();
  return found->has_value();
}

Status Database::AddWrite(const ModelDefinition& model, const std::string& id,
                          std::optional<Record> record, int64_t checkpoint, Batch* batch) {
  std::optional<Change> stored_change;
  if (model.track_changes()) {
    auto change = store_->GetChange(model.name(), id);
    if (!change.ok()) return change.status();
    stored_change = std::move(change).value();
  }
  return AddWrite(model, id, std::move(record), checkpoint, stored_change, batch);
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
                                  Record record) {
  auto checkpoint = store_->CurrentCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  Batch batch;
  RC_RETURN_IF_ERROR(AddWrite(model, id, record, *checkpoint, &batch));
  auto committed = Commit(std::move(batch));
  if (!committed.ok()) return committed.status();
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
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  Result<Json> record = (*def)->Normalize(data, env_);
  if (!record.ok()) return record.status();
  Result<std::string> id = (*def)->IdOf(*record);
  if (!id.ok()) return id.status();
  auto existing = store_->Get(model, *id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status::Conflict("Duplicate entry for " + model + "." + (*def)->id_property().name);
  }
  return WriteOne(**def, *id, Record::FromTree(std::move(record).value()));
}

Result<std::vector<Record>> Database::CreateMany(const std::string& model, const Json& array) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  if (!array.is_array()) return Status::BadRequest("create of many expects an array of objects");
  auto checkpoint = store_->CurrentCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  const std::string& id_name = (*def)->id_property().name;
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
    Result<Json> record = (*def)->Normalize(array[index], env_);
    if (!record.ok()) return failed(record.status());
    Result<std::string> id = (*def)->IdOf(*record);
    if (!id.ok()) return failed(id.status());
    auto existing = store_->Get(model, *id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value() || !ids.insert(*id).second) {
      return failed(Status::Conflict("Duplicate entry for " + model + "." + id_name));
    }
    Record stored = Record::FromTree(std::move(record).value());
    RC_RETURN_IF_ERROR(AddWrite(**def, *id, stored, *checkpoint, &batch));
    created.push_back(std::move(stored));
  }
  if (batch.empty()) return created;
  auto committed = Commit(std::move(batch));
  if (!committed.ok()) return committed.status();
  return created;
}

Result<Record> Database::GetExisting(const std::string& model, const std::string& id) {
  auto existing = store_->Get(model, id);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) {
    return Status::NotFound("Unknown \"" + model + "\" id \"" + id + "\".");
  }
  return std::move(**existing);
}

Result<Record> Database::PatchAttributes(const std::string& model, const std::string& id,
                                       const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  auto existing = GetExisting(model, id);
  if (!existing.ok()) return existing.status();
  Json merged = Merge(**existing, data, (*def)->id_property().name);
  Result<Json> record = (*def)->Normalize(merged, env_, NormalizeOptions{false, false});
  if (!record.ok()) return record.status();
  return WriteOne(**def, id, Record::FromTree(std::move(record).value()));
}

Result<Record> Database::ReplaceById(const std::string& model, const std::string& id,
                                   const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  auto existing = GetExisting(model, id);
  if (!existing.ok()) return existing.status();
  Json replacement = data;
  // Keep the stored id value (and its type) whatever the body says.
  replacement[(*def)->id_property().name] = (**existing)[(*def)->id_property().name];
  Result<Json> record = (*def)->Normalize(replacement, env_);
  if (!record.ok()) return record.status();
  return WriteOne(**def, id, Record::FromTree(std::move(record).value()));
}

Result<Record> Database::PatchOrCreate(const std::string& model, const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json patch = PrefillNulls(**def, data);
  const std::string& id_name = (*def)->id_property().name;
  if (patch.contains(id_name) && !patch[id_name].is_null()) {
    Result<std::string> id = (*def)->IdOf(patch);
    if (!id.ok()) return id.status();
    auto existing = store_->Get(model, *id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return PatchAttributes(model, *id, patch);
  }
  Result<Record> created = Create(model, patch);
  if (!created.ok()) return created;
  // LoopBack answers an upsert that creates with the data as sent (coerced, without the
  // defaults it stored): revisions-e2e "upsert-new", capture 022.
  Result<Json> sent = (*def)->Normalize(patch, env_, NormalizeOptions{false, false});
  if (!sent.ok()) return created;
  (*sent)[id_name] = (**created)[id_name];
  return Record::FromTree(std::move(sent).value());
}

Result<Record> Database::ReplaceOrCreate(const std::string& model, const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  const std::string& id_name = (*def)->id_property().name;
  if (data.contains(id_name) && !data[id_name].is_null()) {
    Result<std::string> id = (*def)->IdOf(data);
    if (!id.ok()) return id.status();
    auto existing = store_->Get(model, *id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return ReplaceById(model, *id, data);
  }
  return Create(model, data);
}

Result<size_t> Database::UpdateAll(const std::string& model, const Json& where,
                                   const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json filter = {{"where", where.is_null() ? Json::object() : where}};
  auto matching = Find(model, filter);
  if (!matching.ok()) return matching.status();
  auto checkpoint = store_->CurrentCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  Batch batch;
  const std::string& id_name = (*def)->id_property().name;
  for (const Record& existing : *matching) {
    Result<Json> record =
        (*def)->Normalize(Merge(*existing, data, id_name), env_, NormalizeOptions{false, false});
    if (!record.ok()) return record.status();
    Result<std::string> id = (*def)->IdOf(*record);
    if (!id.ok()) return id.status();
    RC_RETURN_IF_ERROR(
        AddWrite(**def, *id, Record::FromTree(std::move(record).value()), *checkpoint, &batch));
  }
  if (!batch.empty()) {
    auto committed = Commit(std::move(batch));
    if (!committed.ok()) return committed.status();
  }
  return matching->size();
}

Result<Record> Database::UpsertWithWhere(const std::string& model, const Json& where,
                                       const Json& data) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  RC_RETURN_IF_ERROR(RequireObject(data));
  Json filter = {{"where", where.is_null() ? Json::object() : where}, {"limit", 2}};
  auto matching = Find(model, filter);
  if (!matching.ok()) return matching.status();
  Json patch = PrefillNulls(**def, data);
  if (matching->empty()) return Create(model, patch);
  if (matching->size() > 1) {
    return Status::BadRequest(
        "There are multiple instances found. Upsert Operation will not be performed!");
  }
  Result<std::string> id = (*def)->IdOf(*matching->front());
  if (!id.ok()) return id.status();
  return PatchAttributes(model, *id, patch);
}

Result<size_t> Database::DeleteById(const std::string& model, const std::string& id) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  auto existing = store_->Get(model, id);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return size_t{0};
  auto checkpoint = store_->CurrentCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  Batch batch;
  RC_RETURN_IF_ERROR(AddWrite(**def, id, std::nullopt, *checkpoint, &batch));
  auto committed = Commit(std::move(batch));
  if (!committed.ok()) return committed.status();
  return size_t{1};
}

Result<size_t> Database::DeleteAll(const std::string& model, const Json& where) {
  auto def = GetModel(model);
  if (!def.ok()) return def.status();
  Json filter = {{"where", where.is_null() ? Json::object() : where}};
  auto matching = Find(model, filter);
  if (!matching.ok()) return matching.status();
  auto checkpoint = store_->CurrentCheckpoint();
  if (!checkpoint.ok()) return checkpoint.status();
  Batch batch;
  for (const Record& existing : *matching) {
    Result<std::string> id = (*def)->IdOf(*existing);
    if (!id.ok()) return id.status();
    RC_RETURN_IF_ERROR(AddWrite(**def, *id, std::nullopt, *checkpoint, &batch));
  }
  if (!batch.empty()) {
    auto committed = Commit(std::move(batch));
    if (!committed.ok()) return committed.status();
  }
  return matching->size();
}

namespace {
const char kCheckpointTimeKey[] = "checkpoint.time";
}  // namespace

Result<Json> Database::Checkpoint() {
  auto current = store_->CurrentCheckpoint();
  if (!current.ok()) return current.status();
  auto time = store_->GetMeta(kCheckpointTimeKey);
  if (!time.ok()) return time.status();
  Batch batch;
  batch.checkpoint = *current + 1;
  // LoopBack's singleton keeps the time it was created with; bumps do not change it.
  Json created = time->has_value() ? **time : Json(FormatIsoDate(env_.now_ms ? env_.now_ms() : 0));
  if (!time->has_value()) batch.meta.push_back({kCheckpointTimeKey, created});
  auto committed = Commit(std::move(batch));
  if (!committed.ok()) return committed.status();
  return Json{{"seq", *current + 1}, {"time", created}, {"id", 1}};
}

Result<int64_t> Database::CurrentCheckpoint() { return store_->CurrentCheckpoint(); }

}  // namespace replicore
