#include "replicore/scoped_store.h"

namespace replicore {

void ScopedStore::Unscope(std::string* model) const {
  if (model->size() > suffix_.size() &&
      model->compare(model->size() - suffix_.size(), suffix_.size(), suffix_) == 0) {
    model->resize(model->size() - suffix_.size());
  }
}

Result<std::optional<Record>> ScopedStore::Get(const std::string& model, const std::string& id) {
  return base_->Get(Scoped(model), id);
}

Result<std::vector<Record>> ScopedStore::Find(const std::string& model, const Filter& filter) {
  return base_->Find(Scoped(model), filter);
}

Result<size_t> ScopedStore::Count(const std::string& model, const Where& where) {
  return base_->Count(Scoped(model), where);
}

// A change row's own model_name is the core's (unscoped): only the key is scoped.
Result<std::optional<Change>> ScopedStore::GetChange(const std::string& model,
                                                     const std::string& model_id) {
  return base_->GetChange(Scoped(model), model_id);
}

Result<std::vector<Change>> ScopedStore::Changes(const ChangeQuery& query) {
  ChangeQuery scoped = query;
  scoped.model = Scoped(query.model);
  return base_->Changes(scoped);
}

Result<CommittedBatch> ScopedStore::Apply(Batch batch) {
  for (RecordWrite& record : batch.records) record.model = Scoped(record.model);
  for (ChangeWrite& change : batch.changes) change.model = Scoped(change.model);
  for (Precondition& precondition : batch.preconditions) {
    precondition.model = Scoped(precondition.model);
  }
  auto committed = base_->Apply(std::move(batch));
  const Json& details = committed.status().details();
  if (committed.status().code() == StatusCode::kPreconditionFailed && details.is_object() &&
      details.contains("model") && details["model"].is_string() && details.contains("id") &&
      details["id"].is_string()) {
    // Named as this store's caller knows the record (the scope is the base's business).
    std::string model = details["model"].get<std::string>();
    Unscope(&model);
    return RecordChanged(model, details["id"].get<std::string>());
  }
  if (committed.ok()) {
    for (RecordWrite& record : committed->batch.records) Unscope(&record.model);
    for (ChangeWrite& change : committed->batch.changes) Unscope(&change.model);
  }
  return committed;
}

}  // namespace replicore
