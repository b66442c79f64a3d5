#include "replicore/replication.h"

#include <unordered_map>

#include "replicore/change_log.h"
#include "replicore/guard.h"
#include "replicore/json_canonical.h"

namespace replicore {

namespace {

Status RequireArray(const Json& value) {
  if (!value.is_array()) return Status::BadRequest("Value is not an array.");
  return Status::Ok();
}

// The where of a /changes filter; nullopt when it selects everything.
Result<std::optional<Where>> ChangeFilterWhere(const ModelDefinition& model, const Json& filter) {
  if (filter.is_null()) return std::optional<Where>();
  PropertyTypeLookup lookup = model.TypeLookup();
  RC_ASSIGN_OR_RETURN(Filter parsed, ParseFilter(filter, &lookup));
  if (parsed.where.kind == Where::Kind::kAnd && parsed.where.children.empty()) {
    return std::optional<Where>();
  }
  return std::optional<Where>(parsed.where);
}

std::optional<std::string> CurrentRev(const ModelDefinition& model,
                                      const std::optional<Record>& record) {
  if (!record) return std::nullopt;
  return model.RevisionOf(*record);
}

}  // namespace

static Result<ChangesPage> ChangesUnguarded(Database& db, const std::string& model, int64_t since,
                            const Json& filter, std::optional<std::pair<int64_t, std::string>> after,
                            std::optional<size_t> limit) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, db.GetModel(model));
  RC_ASSIGN_OR_RETURN(std::optional<Where> where, ChangeFilterWhere(*def, filter));
  ChangesPage page;
  ChangeQuery query{model, since, std::move(after), std::nullopt};
  // Read in slices so a filter that drops rows still fills the page.
  const size_t slice = limit ? std::max<size_t>(*limit, 64) : 0;
  if (limit) query.limit = slice;
  while (true) {
    RC_ASSIGN_OR_RETURN(std::vector<Change> rows, db.store()->Changes(query));
    for (Change& change : rows) {
      query.after = std::make_pair(change.checkpoint, change.model_id);
      ChangeType type = change.type();
      bool keep = type == ChangeType::kDelete;
      if (!keep && change.rev) {
        if (!where.has_value()) {
          keep = true;
        } else {
          RC_ASSIGN_OR_RETURN(std::optional<Record> record,
                              db.store()->Get(model, change.model_id));
          keep = record.has_value() && Matches(*where, **record);
        }
      }
      if (keep) page.changes.push_back(std::move(change));
      if (limit && page.changes.size() == *limit) {
        page.next = query.after;
        return page;
      }
    }
    if (!limit || rows.size() < slice) break;
  }
  return page;
}

static Result<Json> DiffUnguarded(Database& db, const std::string& model, int64_t since, Json changes,
                  const std::set<std::string>* compare_always, Json* source_conflicts,
                  bool source_wins_cycles) {
  RC_RETURN_IF_ERROR(db.GetModel(model).status());
  RC_RETURN_IF_ERROR(RequireArray(changes));
  Json deltas = Json::array();
  Json conflicts = Json::array();
  for (Json& item : changes) {
    RC_ASSIGN_OR_RETURN(Change remote, Change::FromJson(item));
    RC_ASSIGN_OR_RETURN(std::optional<Change> local, db.store()->GetChange(model, remote.model_id));
    // In the window: changed here since `since`, so the other direction's replicate will
    // carry it. Compared only because the id is unresolved: it may have been sent already.
    bool in_window = local.has_value() && local->checkpoint >= since;
    bool recent = in_window || (local.has_value() && compare_always &&
                                compare_always->count(remote.model_id));
    // Deltas echo the source's change as sent, with the id LoopBack's getter recomputes.
    item["id"] = ChangeId(remote.model_name, remote.model_id);
    if (recent) {
      const Change& mine = *local;
      if (remote.rev == mine.rev) continue;
      bool both_deleted = !remote.rev && !mine.rev;
      // Ours: "based on a deletion" (prev null) matches a deletion here only when this
      // side never had the record; a deletion that happened here since `since` may be a
      // later one than the source saw (delete, re-create, delete: ABA), so it conflicts.
      bool deleted_here = !mine.rev && mine.prev_set && mine.prev;
      bool source_based_on_target =
          remote.prev_set && remote.prev == mine.rev && !(deleted_here && remote.rev);
      // Ours (§8.10): the target already descends from the source's revision, and the other
      // direction will carry the target's change. Not when that change is outside the
      // window: it was sent before, and the source came back to an older content since
      // (another party wrote that value back: revisions are content hashes); skipping it
      // would leave the two sides different with nothing left to send. A conflict then.
      bool target_based_on_source =
          in_window && mine.prev_set && mine.prev == remote.rev && remote.rev;
      if (source_based_on_target && target_based_on_source && source_wins_cycles) {
        target_based_on_source = false;
      }
      if (both_deleted || target_based_on_source) continue;
      if (source_based_on_target) {
        deltas.push_back(std::move(item));
      } else {
        conflicts.push_back(mine.ToJson());
        if (source_conflicts) source_conflicts->push_back(std::move(item));
      }
      continue;
    }
    // Not touched here since `since`: re-parent on what this side holds now.
    std::optional<std::string> prev = local.has_value() ? local->rev : std::nullopt;
    if (remote.rev == prev) continue;  // already equal: nothing to send
    item["prev"] = prev ? Json(*prev) : Json(nullptr);
    deltas.push_back(std::move(item));
  }
  return Json{{"deltas", std::move(deltas)}, {"conflicts", std::move(conflicts)}};
}

static Result<Json> CreateUpdatesUnguarded(Database& db, const std::string& model, Json deltas) {
  RC_RETURN_IF_ERROR(db.GetModel(model).status());
  RC_RETURN_IF_ERROR(RequireArray(deltas));
  Json deletes = Json::array();
  Json writes = Json::array();
  for (Json& item : deltas) {
    RC_ASSIGN_OR_RETURN(Change change, Change::FromJson(item));
    ChangeType type = change.type();
    if (type == ChangeType::kUnknown) continue;  // LoopBack drops them silently
    // LoopBack's Change computes its id from modelName and modelId, whatever was sent.
    item["id"] = ChangeId(change.model_name.empty() ? model : change.model_name,
                          change.model_id);
    if (type != ChangeType::kDelete) {
      RC_ASSIGN_OR_RETURN(std::optional<Record> record, db.store()->Get(model, change.model_id));
      if (record.has_value()) {
        writes.push_back(Json{{"type", ChangeTypeName(type)},
                              {"change", std::move(item)},
                              {"data", record->CopyTree()}});
        continue;
      }
      // Gone since the diff: send its true state (§8.10).
      item["rev"] = nullptr;
    }
    deletes.push_back(Json{{"type", "delete"}, {"change", std::move(item)}});
  }
  for (Json& write : writes) deletes.push_back(std::move(write));
  return deletes;
}

// The stored record and change row of every id the updates name, read at once. Updates
// that do not parse are skipped here: the caller reports them in order.
static Result<std::unordered_map<std::string, StoredEntry>> ReadStored(Database& db,
                                                                       const std::string& model,
                                                                       const Json& updates) {
  std::vector<std::string> ids;
  for (const Json& update : updates) {
    auto change_json = update.is_object() ? update.find("change") : update.end();
    if (change_json == update.end()) continue;
    Result<Change> change = Change::FromJson(*change_json);
    if (change.ok()) ids.push_back(change->model_id);
  }
  RC_ASSIGN_OR_RETURN(std::vector<StoredEntry> entries, db.store()->GetMany(model, ids));
  std::unordered_map<std::string, StoredEntry> by_id;
  for (size_t i = 0; i < ids.size(); ++i) by_id.emplace(ids[i], std::move(entries[i]));
  return by_id;
}

// One attempt: every record it writes is pinned as read (a Precondition), so that a batch
// another server committed meanwhile makes Apply refuse this one (kPreconditionFailed).
static Result<BulkUpdateResult> BulkUpdateOnce(Database& db, const std::string& model,
                                                const Json& updates) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, db.GetModel(model));
  const ModelDefinition& m = *def;
  RC_RETURN_IF_ERROR(RequireArray(updates));
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, db.store()->CurrentCheckpoint());
  const std::string& id_name = m.id_property().name;
  BulkUpdateResult result;
  Batch batch;
  // Where an id was written earlier in this batch, so two updates of one id see each other.
  std::unordered_map<std::string, size_t> written;
  RC_ASSIGN_OR_RETURN(auto stored_entries, ReadStored(db, model, updates));
  for (const Json& update : updates) {
    auto change_json = update.is_object() ? update.find("change") : update.end();
    if (change_json == update.end()) {
      return Status::BadRequest("an update must be an object with `type` and `change`");
    }
    RC_ASSIGN_OR_RETURN(Change change, Change::FromJson(*change_json));
    auto type_json = update.find("type");
    std::string type = type_json != update.end() && type_json->is_string()
                           ? type_json->get<std::string>()
                           : std::string();
    const std::string& id = change.model_id;
    const StoredEntry& stored = stored_entries[id];
    const std::optional<Record>* current = &stored.record;
    if (auto it = written.find(id); it != written.end()) {
      current = &batch.records[it->second].data;
    }
    std::optional<std::string> current_rev = CurrentRev(m, *current);
    if (current_rev == change.rev) continue;  // already there: idempotent
    bool conflict = false;
    if (type == "create") {
      conflict = current->has_value();
    } else if (type == "update" || type == "delete") {
      std::optional<std::string> prev = change.prev_set ? change.prev : std::nullopt;
      conflict = current_rev != prev;
    } else {
      return Status::BadRequest("unknown update type \"" + type + "\" for id \"" + id + "\"");
    }
    if (conflict) {
      result.conflicts.push_back(*change_json);
      continue;
    }
    std::optional<Record> record;
    if (type != "delete") {
      auto data = update.find("data");
      if (data == update.end() || !data->is_object()) {
        return Status::BadRequest("update of id \"" + id + "\" has no `data` object");
      }
      Json replacement = *data;
      // The change names the record: data that names another would be stored under the
      // wrong key (listed under one id, unreachable under the other).
      if (auto named = replacement.find(id_name); named != replacement.end() && !named->is_null()) {
        const std::string data_id = named->is_string() ? named->get<std::string>() : named->dump();
        if (data_id != id) {
          return Status::Validation("update of id \"" + id + "\" carries data with id \"" + data_id + "\"",
                                    Json{{"modelId", id}, {"dataId", data_id}});
        }
      }
      if (current->has_value()) {
        replacement[id_name] = (***current)[id_name];
      } else if (!replacement.contains(id_name)) {
        replacement[id_name] = id;
      }
      // A replace of the whole record (§8.2), validated but without defaults, so the
      // revision equals the source's.
      RC_ASSIGN_OR_RETURN(Json normalized,
                          m.Normalize(replacement, db.env(), NormalizeOptions{false, false}));
      record = Record::FromTree(std::move(normalized));
    } else if (!current->has_value()) {
      continue;  // nothing to delete
    }
    // A repeated id is pinned again to what was read: both hold, or neither.
    RC_RETURN_IF_ERROR(db.AddCheckedWrite(m, id, stored, std::move(record), checkpoint, &batch));
    written[id] = batch.records.size() - 1;
    ++result.applied;
  }
  if (!batch.empty()) {
    RC_RETURN_IF_ERROR(db.Commit(std::move(batch)).status());
  }
  return result;
}

// Bulk-update decides on what it read: when another writer (another server on the same
// database) changed one of those records before the batch applied, it reads again and
// decides again, at most kBulkAttempts times; then the client gets a conflict (409) and
// retries the replication. Not in the browser: there one leader applies every batch of a
// database, so nothing moves between the read and the write (and the wasm is on a budget).
static Result<BulkUpdateResult> BulkUpdateUnguarded(Database& db, const std::string& model,
                                                    const Json& updates) {
#ifndef __EMSCRIPTEN__
  constexpr int kBulkAttempts = 5;
  for (int n = 1; n < kBulkAttempts; ++n) {
    Result<BulkUpdateResult> result = BulkUpdateOnce(db, model, updates);
    if (result.status().code() != StatusCode::kPreconditionFailed) return result;
  }
  Result<BulkUpdateResult> last = BulkUpdateOnce(db, model, updates);
  if (last.status().code() != StatusCode::kPreconditionFailed) return last;
  return Status::Conflict(last.status().message(), last.status().details());
#else
  return BulkUpdateOnce(db, model, updates);
#endif
}

Result<Json> FindLastChange(Database& db, const std::string& model, const std::string& id) {
  RC_RETURN_IF_ERROR(db.GetModel(model).status());
  RC_ASSIGN_OR_RETURN(std::optional<Change> change, db.store()->GetChange(model, id));
  if (!change.has_value()) return Json(nullptr);
  return change->ToJson();
}

// One attempt: a record written meanwhile (another server) makes it kPreconditionFailed
// (409), and the client resolves again over what it then reads.
static Result<Json> UpdateLastChangeUnguarded(Database& db, const std::string& model, const std::string& id,
                              const Json& data) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* def, db.GetModel(model));
  if (!data.is_object()) return Status::BadRequest("Value is not an object.");
  // The body is a change of this record: one naming another is refused, not applied here.
  if (auto model_id = data.find("modelId"); model_id != data.end() && !model_id->is_null()) {
    RC_ASSIGN_OR_RETURN(Change sent, Change::FromJson(data));
    if (sent.model_id != id) {
      return Status::Validation("the change names " + model + " id \"" + sent.model_id +
                                "\", not \"" + id + "\"");
    }
  }
  RC_ASSIGN_OR_RETURN(std::optional<Change> existing, db.store()->GetChange(model, id));
  if (!existing.has_value()) {
    return Status::NotFound("No change record found for " + model + " with id " + id);
  }
  // Pinned: a record another server writes meanwhile rewrites this row, whose rev this
  // write would otherwise put back, leaving a change that disagrees with its record.
  StoredEntry read{std::nullopt, existing};
  RC_ASSIGN_OR_RETURN(read.record, db.store()->Get(model, id));
  Change change = std::move(*existing);
  if (auto rev = data.find("rev"); rev != data.end()) {
    std::optional<std::string> computed = CurrentRev(*def, read.record);
    std::optional<std::string> sent;
    if (rev->is_string()) sent = rev->get<std::string>();
    if (!rev->is_null() && !rev->is_string()) return Status::BadRequest("`rev` must be a string");
    if (sent != computed) {
      return Status::BadRequest("`rev` does not match the revision of " + model + " id " + id);
    }
  }
  if (auto prev = data.find("prev"); prev != data.end()) {
    if (prev->is_string()) {
      if (prev->get_ref<const std::string&>().size() > kMaxRevBytes) {
        return Status::BadRequest("`prev` is longer than " + std::to_string(kMaxRevBytes) + " bytes");
      }
      change.prev = prev->get<std::string>();
    } else if (prev->is_null()) {
      change.prev.reset();
    } else {
      return Status::BadRequest("`prev` must be a string or null");
    }
    change.prev_set = true;
  }
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, db.store()->CurrentCheckpoint());
  // The resolution bump (§9.4): a peer replicating with an advanced since still sees it.
  change.checkpoint = checkpoint;
  Batch batch;
  batch.preconditions.push_back({model, id, std::move(read)});
  batch.expected_checkpoint = checkpoint;
  batch.changes.push_back({model, id, change});
  RC_RETURN_IF_ERROR(db.Commit(std::move(batch)).status());
  return change.ToJson();
}

Result<ChangesPage> Changes(Database& db, const std::string& model, int64_t since,
                            const Json& filter, std::optional<std::pair<int64_t, std::string>> after,
                            std::optional<size_t> limit) {
  return Guard("changes", [&]() -> Result<ChangesPage> { return ChangesUnguarded(db, model, since, filter, std::move(after), limit); });
}

Result<Json> Diff(Database& db, const std::string& model, int64_t since, Json changes,
                  const std::set<std::string>* compare_always, Json* source_conflicts,
                  bool source_wins_cycles) {
  return Guard("diff", [&]() -> Result<Json> {
    return DiffUnguarded(db, model, since, std::move(changes), compare_always, source_conflicts,
                         source_wins_cycles);
  });
}

Result<Json> CreateUpdates(Database& db, const std::string& model, Json deltas) {
  return Guard("create-updates", [&]() -> Result<Json> { return CreateUpdatesUnguarded(db, model, std::move(deltas)); });
}

Result<BulkUpdateResult> BulkUpdate(Database& db, const std::string& model, Json updates) {
  return Guard("bulk-update", [&]() -> Result<BulkUpdateResult> { return BulkUpdateUnguarded(db, model, std::move(updates)); });
}

Result<Json> UpdateLastChange(Database& db, const std::string& model, const std::string& id,
                              const Json& data) {
  return Guard("updateLastChange", [&]() -> Result<Json> { return UpdateLastChangeUnguarded(db, model, id, data); });
}

}  // namespace replicore
