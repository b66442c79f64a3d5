#include "replicore/memory_store.h"

#include <algorithm>

namespace replicore {

struct MemoryStore::ModelData {
  // Hashed for the per-record lookups replication makes; Find sorts by id when asked for
  // an unordered result (LoopBack's memory connector returns id order).
  std::unordered_map<std::string, Record> records;  // text only, see Record::TextOnly
  std::unordered_map<std::string, Change> changes;
  // (checkpoint, model_id) -> the row in `changes` (node addresses are stable).
  std::map<std::pair<int64_t, std::string>, const Change*> change_order;
  // The declared indexes; their entries borrow the ids of `records`, so a record leaves
  // them before it leaves `records` and enters them after.
  std::vector<OrderedIndex> indexes;
};

namespace {

void Index(std::vector<OrderedIndex>& indexes, const std::string& id, const Record& record) {
  for (OrderedIndex& index : indexes) index.Insert(id, record);
}

void Unindex(std::vector<OrderedIndex>& indexes, const std::string& id, const Record& record) {
  for (OrderedIndex& index : indexes) index.Erase(id, record);
}

}  // namespace

// What a batch overwrote, to put it back.
struct MemoryStore::Undo {
  uint64_t seq = 0;
  std::vector<RecordWrite> records;  // old values
  std::vector<ChangeWrite> changes;  // old rows
  int64_t checkpoint = 0;
  std::vector<std::pair<std::string, std::optional<Json>>> meta;
};

MemoryStore::MemoryStore() = default;
MemoryStore::~MemoryStore() = default;

MemoryStore::ModelData& MemoryStore::Model(const std::string& model) {
  auto& slot = models_[model];
  if (!slot) slot = std::make_unique<ModelData>();
  return *slot;
}

const MemoryStore::ModelData* MemoryStore::FindModel(const std::string& model) const {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : it->second.get();
}

Status MemoryStore::DeclareIndexes(const std::string& model,
                                   const std::vector<IndexDefinition>& indexes) {
  ModelData& data = Model(model);
  data.indexes.clear();
  for (const IndexDefinition& definition : indexes) {
    OrderedIndex& index = data.indexes.emplace_back(definition);
    for (const auto& [id, record] : data.records) index.Insert(id, record);
  }
  return Status::Ok();
}

Result<std::optional<Record>> MemoryStore::Get(const std::string& model, const std::string& id) {
  const ModelData* data = FindModel(model);
  if (!data) return std::optional<Record>();
  auto it = data->records.find(id);
  if (it == data->records.end()) return std::optional<Record>();
  return std::optional<Record>(it->second);
}

// Reads of the records of `data` through an index, counted in `*examined`: copies of the
// stored handles, so a tree parsed to match one stays with the copy.
RecordLookup MemoryStore::LookupIn(const ModelData& data, size_t* examined) {
  return [&data, examined](const std::string& id) -> Record {
    ++*examined;
    return data.records.find(id)->second;  // indexed ids are stored
  };
}

Result<std::vector<Record>> MemoryStore::Find(const std::string& model, const Filter& filter) {
  // Copies of the stored handles: a tree parsed to match or order one stays with the copy,
  // so the store itself keeps text only.
  std::vector<Record> matched;
  std::vector<const std::string*> ids;  // unordered results and ties go by id
  size_t examined = 0;
  if (const ModelData* data = FindModel(model)) {
    IndexPlan plan = PlanFind(data->indexes, filter);
    if (plan.kind != IndexPlan::Kind::kScan) {
      std::vector<Record> found = FindWithPlan(plan, filter, LookupIn(*data, &examined));
      examined_.store(examined, std::memory_order_relaxed);
      return found;
    }
    examined = data->records.size();
    const bool match_all = MatchesAll(filter.where);
    for (const auto& [id, record] : data->records) {
      Record copy = record;
      if (!match_all && !Matches(filter.where, *copy)) continue;
      matched.push_back(std::move(copy));
      ids.push_back(&id);
    }
  }
  examined_.store(examined, std::memory_order_relaxed);
  return OrderRecordsPage(filter, std::move(matched), ids);
}

Result<size_t> MemoryStore::Count(const std::string& model, const Where& where) {
  size_t count = 0, examined = 0;
  if (const ModelData* data = FindModel(model)) {
    IndexPlan plan = PlanCount(data->indexes, where);
    if (plan.kind != IndexPlan::Kind::kScan) {
      count = CountWithPlan(plan, where, LookupIn(*data, &examined));
    } else if (MatchesAll(where)) {
      count = data->records.size();
    } else {
      examined = data->records.size();
      for (const auto& entry : data->records) {
        Record probe = entry.second;
        count += Matches(where, *probe) ? 1 : 0;
      }
    }
  }
  examined_.store(examined, std::memory_order_relaxed);
  return count;
}

Result<std::optional<Change>> MemoryStore::GetChange(const std::string& model,
                                                     const std::string& model_id) {
  const ModelData* data = FindModel(model);
  if (!data) return std::optional<Change>();
  auto it = data->changes.find(model_id);
  if (it == data->changes.end()) return std::optional<Change>();
  return std::optional<Change>(it->second);
}

Result<std::vector<Change>> MemoryStore::Changes(const ChangeQuery& query) {
  std::vector<Change> out;
  const ModelData* data = FindModel(query.model);
  if (!data) return out;
  auto it = data->change_order.lower_bound({query.since, std::string()});
  if (query.after && *query.after >= std::make_pair(query.since, std::string())) {
    it = data->change_order.upper_bound(*query.after);
  }
  for (; it != data->change_order.end(); ++it) {
    if (query.limit && out.size() >= *query.limit) break;
    out.push_back(*it->second);
  }
  return out;
}

Result<int64_t> MemoryStore::CurrentCheckpoint() { return checkpoint_; }

Result<std::optional<Json>> MemoryStore::GetMeta(const std::string& key) {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<Json>();
  return std::optional<Json>(it->second);
}

void MemoryStore::PutChange(ModelData& data, const std::string& model_id,
                            std::optional<Change> change) {
  auto it = data.changes.find(model_id);
  if (it != data.changes.end()) {
    data.change_order.erase({it->second.checkpoint, model_id});
    if (!change) {
      data.changes.erase(it);
      return;
    }
    it->second = std::move(*change);
  } else {
    if (!change) return;
    it = data.changes.emplace(model_id, std::move(*change)).first;
  }
  data.change_order.emplace(std::make_pair(it->second.checkpoint, model_id), &it->second);
}

Status MemoryStore::CheckPreconditions(const Batch& batch) {
  for (const Precondition& precondition : batch.preconditions) {
    // Through Get and GetChange, not the maps: the wasm then keeps one lookup of each.
    RC_ASSIGN_OR_RETURN(std::optional<Record> record,
                        MemoryStore::Get(precondition.model, precondition.id));
    RC_ASSIGN_OR_RETURN(std::optional<Change> change,
                        MemoryStore::GetChange(precondition.model, precondition.id));
    if (!Holds(precondition, record ? &*record : nullptr, change ? &*change : nullptr)) {
      return RecordChanged(precondition.model, precondition.id);
    }
  }
  if (batch.expected_checkpoint && *batch.expected_checkpoint != checkpoint_) {
    return CheckpointMoved(checkpoint_);
  }
  return Status::Ok();
}

Result<CommittedBatch> MemoryStore::Apply(Batch batch) {
  // Checked before the first change; nothing after it can fail, so the batch is
  // all-or-nothing by construction.
  RC_RETURN_IF_ERROR(CheckPreconditions(batch));
  batch.preconditions.clear();
  batch.expected_checkpoint.reset();
  Undo undo;
  undo.checkpoint = checkpoint_;
  for (RecordWrite& write : batch.records) {
    ModelData& data = Model(write.model);
    auto it = data.records.find(write.id);
    std::optional<Record> old;
    if (it != data.records.end()) {
      Unindex(data.indexes, it->first, it->second);
      if (keep_undo_) old = std::move(it->second);
      if (write.data) {
        it->second = write.data->TextOnly();
        Index(data.indexes, it->first, it->second);
      } else {
        data.records.erase(it);
      }
    } else if (write.data) {
      it = data.records.emplace(write.id, write.data->TextOnly()).first;
      Index(data.indexes, it->first, it->second);
    }
    if (keep_undo_) undo.records.push_back({write.model, write.id, std::move(old)});
  }
  for (ChangeWrite& write : batch.changes) {
    ModelData& data = Model(write.model);
    if (keep_undo_) {
      auto it = data.changes.find(write.model_id);
      std::optional<Change> old;
      if (it != data.changes.end()) old = it->second;
      undo.changes.push_back({write.model, write.model_id, std::move(old)});
    }
    PutChange(data, write.model_id, write.change);
  }
  if (batch.checkpoint) checkpoint_ = *batch.checkpoint;
  for (const auto& [key, value] : batch.meta) {
    auto it = meta_.find(key);
    if (keep_undo_) {
      undo.meta.push_back({key, it == meta_.end() ? std::optional<Json>() : it->second});
    }
    if (value.is_null()) {
      if (it != meta_.end()) meta_.erase(it);
    } else {
      meta_[key] = value;
    }
  }
  CommittedBatch committed;
  committed.seq = ++seq_;
  committed.checkpoint = checkpoint_;
  if (keep_undo_) {
    undo.seq = committed.seq;
    undo_.push_back(std::move(undo));
  }
  committed.batch = std::move(batch);
  return committed;
}

void MemoryStore::set_keep_undo(bool keep) {
  keep_undo_ = keep;
  if (!keep) undo_.clear();
}

void MemoryStore::Confirm(uint64_t seq) {
  while (!undo_.empty() && undo_.front().seq <= seq) undo_.pop_front();
}

size_t MemoryStore::unconfirmed() const { return undo_.size(); }

Status MemoryStore::UndoLast() {
  if (undo_.empty()) return Status::NotFound("no unconfirmed batch to undo");
  Undo undo = std::move(undo_.back());
  undo_.pop_back();
  // Reverse order, so a batch that wrote one key twice ends with its first old value.
  for (auto it = undo.meta.rbegin(); it != undo.meta.rend(); ++it) {
    if (it->second) {
      meta_[it->first] = *it->second;
    } else {
      meta_.erase(it->first);
    }
  }
  checkpoint_ = undo.checkpoint;
  for (auto it = undo.changes.rbegin(); it != undo.changes.rend(); ++it) {
    PutChange(Model(it->model), it->model_id, std::move(it->change));
  }
  for (auto it = undo.records.rbegin(); it != undo.records.rend(); ++it) {
    ModelData& data = Model(it->model);
    auto found = data.records.find(it->id);
    if (found != data.records.end()) {
      Unindex(data.indexes, found->first, found->second);
      data.records.erase(found);
    }
    if (it->data) {
      found = data.records.emplace(it->id, std::move(*it->data)).first;
      Index(data.indexes, found->first, found->second);
    }
  }
  return Status::Ok();  // seq_ stays: commit numbers are never reused
}

std::vector<Batch> MemoryStore::Export(size_t page_records) const {
  if (page_records == 0) page_records = 1;
  std::vector<Batch> pages(1);
  pages[0].checkpoint = checkpoint_;
  for (const auto& [key, value] : meta_) pages[0].meta.push_back({key, value});
  size_t record_page = 0, change_page = 0;
  auto page = [&](size_t& index, size_t used) -> Batch& {
    if (used >= page_records) ++index;
    if (index >= pages.size()) pages.emplace_back();
    return pages[index];
  };
  for (const auto& [model, data] : models_) {
    for (const auto& [id, record] : data->records) {
      Batch& batch = page(record_page, pages[record_page].records.size());
      batch.records.push_back({model, id, record});
    }
    for (const auto& [model_id, change] : data->changes) {
      Batch& batch = page(change_page, pages[change_page].changes.size());
      batch.changes.push_back({model, model_id, change});
    }
  }
  return pages;
}

size_t MemoryStore::record_count() const {
  size_t count = 0;
  for (const auto& entry : models_) count += entry.second->records.size();
  return count;
}

}  // namespace replicore
