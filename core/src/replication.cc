#include "replicore/replication.h"

#include <unordered_map>

#include "replicore/change_log.h"
#include "replicore/guard.h"
#include "replicore/json_canonical.h"
#include "replicore/json_limits.h"
#include "replicore/js_semantics.h"
#include "replicore/protocol.h"

#include "json_text.h"
#include "stored_form.h"

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
  // This side's change rows in one read (Store::GetChanges): one statement on PostgreSQL
  // instead of a round trip per change.
  std::vector<Change> remotes;
  std::vector<std::string> ids;
  remotes.reserve(changes.size());
  ids.reserve(changes.size());
  for (const Json& item : changes) {
    RC_ASSIGN_OR_RETURN(Change remote, Change::FromJson(item));
    ids.push_back(remote.model_id);
    remotes.push_back(std::move(remote));
  }
  RC_ASSIGN_OR_RETURN(std::vector<std::optional<Change>> locals,
                      db.store()->GetChanges(model, ids));
  for (size_t i = 0; i < remotes.size(); ++i) {
    Json& item = changes[i];
    const Change& remote = remotes[i];
    const std::optional<Change>& local = locals[i];
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

// One update of a create-updates answer, its record the text it is stored as.
static void AppendUpdate(std::string* out, const char* type, const Json& change,
                         const Record* data) {
  *out += out->size() > 1 ? ",{\"change\":" : "{\"change\":";
  *out += change.dump();
  if (data) {
    *out += ",\"data\":";
    *out += data->text();
  }
  *out += ",\"type\":\"";
  *out += type;
  *out += "\"}";
}

static Result<std::string> CreateUpdatesUnguarded(Database& db, const std::string& model, Json deltas) {
  RC_RETURN_IF_ERROR(db.GetModel(model).status());
  RC_RETURN_IF_ERROR(RequireArray(deltas));
  std::string deletes = "[";
  std::string writes = "[";
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
        AppendUpdate(&writes, ChangeTypeName(type), item, &*record);
        continue;
      }
      // Gone since the diff: send its true state (§8.10).
      item["rev"] = nullptr;
    }
    AppendUpdate(&deletes, "delete", item, nullptr);
  }
  // Deletes first, then the writes.
  if (writes.size() > 1) {
    if (deletes.size() > 1) deletes += ',';
    deletes.append(writes, 1, std::string::npos);
  }
  deletes += ']';
  return deletes;
}

// One update of a bulk-update. Read from a tree, or from text with a record that is
// already in the form the model stores kept as that text.
struct UpdateInput {
  Json change;  // the source change object
  std::string type;
  std::optional<Json> data;
  std::optional<std::string_view> data_text;  // instead of `data`: stored_form.h holds
};

// The updates of a tree; an entry without `change` is refused.
static Result<std::vector<UpdateInput>> UpdatesOfTree(Json updates) {
  RC_RETURN_IF_ERROR(RequireArray(updates));
  std::vector<UpdateInput> inputs;
  inputs.reserve(updates.size());
  for (Json& update : updates) {
    auto change = update.is_object() ? update.find("change") : update.end();
    if (change == update.end()) {
      return Status::BadRequest("an update must be an object with `type` and `change`");
    }
    UpdateInput input;
    input.change = std::move(*change);
    if (auto type = update.find("type"); type != update.end() && type->is_string()) {
      input.type = type->get<std::string>();
    }
    if (auto data = update.find("data"); data != update.end()) input.data = std::move(*data);
    inputs.push_back(std::move(input));
  }
  return inputs;
}

// The updates of text in the plain form this core writes ([{"change", "data"?, "type"}]),
// each record checked for its stored form and parsed only when it is not in it. nullopt
// for anything else, which the tree path then reads and reports as it always did.
static std::optional<std::vector<UpdateInput>> UpdatesOfText(const ModelDefinition& model,
                                                             std::string_view text) {
  JsonTextReader reader(text);
  std::vector<UpdateInput> inputs;
  if (!reader.Consume('[')) return std::nullopt;
  if (reader.Consume(']')) return reader.AtEnd() ? std::optional(std::move(inputs)) : std::nullopt;
  do {
    if (!reader.Consume('{')) return std::nullopt;
    UpdateInput input;
    bool has_change = false;
    do {
      Result<std::string> key = reader.String();
      if (!key.ok() || !reader.Expect(':').ok()) return std::nullopt;
      Result<std::string_view> value = reader.Value();
      if (!value.ok()) return std::nullopt;
      if (*key == "data" && IsStoredForm(model, *value)) {
        input.data_text = *value;
        input.data.reset();
        continue;
      }
      Result<Json> parsed = ParseJsonWithin(std::string(*value));
      if (!parsed.ok()) return std::nullopt;
      if (*key == "change") {
        input.change = std::move(parsed).value();
        has_change = true;
      } else if (*key == "type") {
        if (!parsed->is_string()) return std::nullopt;
        input.type = parsed->get<std::string>();
      } else if (*key == "data") {
        input.data = std::move(parsed).value();
        input.data_text.reset();
      }
    } while (reader.Consume(','));
    if (!reader.Consume('}') || !has_change) return std::nullopt;
    inputs.push_back(std::move(input));
  } while (reader.Consume(','));
  if (!reader.Consume(']') || !reader.AtEnd()) return std::nullopt;
  return inputs;
}

// The stored record and change row of every id the updates name, read at once. Updates
// that do not parse are skipped here: the caller reports them in order.
static Result<std::unordered_map<std::string, StoredEntry>> ReadStored(
    Database& db, const std::string& model, const std::vector<UpdateInput>& updates) {
  std::vector<std::string> ids;
  for (const UpdateInput& update : updates) {
    Result<Change> change = Change::FromJson(update.change);
    if (change.ok()) ids.push_back(change->model_id);
  }
  RC_ASSIGN_OR_RETURN(std::vector<StoredEntry> entries, db.store()->GetMany(model, ids));
  std::unordered_map<std::string, StoredEntry> by_id;
  for (size_t i = 0; i < ids.size(); ++i) by_id.emplace(ids[i], std::move(entries[i]));
  return by_id;
}

// Whether the member `name` of the object text `object` is the string `value` as written.
static bool MemberIsString(std::string_view object, const std::string& name,
                           const std::string& value) {
  std::optional<std::string_view> member = MemberText(object, name);
  return member && member->size() == value.size() + 2 && member->front() == '"' &&
         member->substr(1, value.size()) == value && IsPlainCanonicalString(value);
}

// The record an update writes under `id`: a replace of the whole record (§8.2), validated
// but without defaults, so the revision equals the source's. A record in its stored form
// that names this id as the store holds it is stored as it came.
static Result<Record> Replacement(Database& db, const ModelDefinition& m, const std::string& id,
                                  const std::optional<Record>& current, const UpdateInput& update) {
  const std::string& id_name = m.id_property().name;
  std::optional<Json> data = update.data;  // a copy: an attempt may be made again
  if (update.data_text) {
    if (MemberIsString(*update.data_text, id_name, id) &&
        (!current || MemberIsString(current->text(), id_name, id))) {
      return Record::FromCanonicalText(std::string(*update.data_text));
    }
    RC_ASSIGN_OR_RETURN(data, ParseJsonWithin(std::string(*update.data_text)));
  }
  if (!data || !data->is_object()) {
    return Status::BadRequest("update of id \"" + id + "\" has no `data` object");
  }
  Json replacement = std::move(*data);
  // The change names the record: data that names another would be stored under the
  // wrong key (listed under one id, unreachable under the other).
  if (auto named = replacement.find(id_name); named != replacement.end() && !named->is_null()) {
    const std::string data_id = named->is_string() ? named->get<std::string>() : named->dump();
    if (data_id != id) {
      return Status::Validation("update of id \"" + id + "\" carries data with id \"" + data_id + "\"",
                                Json{{"modelId", id}, {"dataId", data_id}});
    }
  }
  if (current.has_value()) {
    replacement[id_name] = (**current)[id_name];
  } else if (!replacement.contains(id_name)) {
    replacement[id_name] = id;
  }
  RC_ASSIGN_OR_RETURN(Json normalized,
                      m.Normalize(replacement, db.env(), NormalizeOptions{false, false}));
  return Record::FromTree(std::move(normalized));
}

// One attempt: every record it writes is pinned as read (a Precondition), so that a batch
// another writer (another server on the same database) committed meanwhile makes Apply
// refuse this one (kPreconditionFailed), and the caller decides again on a fresh read.
static Result<BulkUpdateResult> ApplyUpdates(Database& db, const ModelDefinition& m,
                                             const std::vector<UpdateInput>& updates) {
  const std::string& model = m.name();
  RC_ASSIGN_OR_RETURN(int64_t checkpoint, db.store()->CurrentCheckpoint());
  BulkUpdateResult result;
  Batch batch;
  // Where an id was written earlier in this batch, so two updates of one id see each other.
  std::unordered_map<std::string, size_t> written;
  RC_ASSIGN_OR_RETURN(auto stored_entries, ReadStored(db, model, updates));
  for (const UpdateInput& update : updates) {
    RC_ASSIGN_OR_RETURN(Change change, Change::FromJson(update.change));
    const std::string& type = update.type;
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
      result.conflicts.push_back(update.change);
      continue;
    }
    std::optional<Record> record;
    if (type != "delete") {
      RC_ASSIGN_OR_RETURN(record, Replacement(db, m, id, *current, update));
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
// replicates again. (In the browser one leader tab applies every batch, so there the first
// attempt holds; the loop stays so both builds behave alike.)
static Result<BulkUpdateResult> ApplyUpdatesRetrying(Database& db, const ModelDefinition& m,
                                                     const std::vector<UpdateInput>& updates) {
  constexpr int kBulkAttempts = 5;
  for (int n = 1; n < kBulkAttempts; ++n) {
    Result<BulkUpdateResult> result = ApplyUpdates(db, m, updates);
    if (result.status().code() != StatusCode::kPreconditionFailed) return result;
  }
  Result<BulkUpdateResult> last = ApplyUpdates(db, m, updates);
  if (last.status().code() != StatusCode::kPreconditionFailed) return last;
  return Status::Conflict(last.status().message(), last.status().details());
}

static Result<BulkUpdateResult> BulkUpdateUnguarded(Database& db, const std::string& model, Json updates) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* m, db.GetModel(model));
  RC_ASSIGN_OR_RETURN(std::vector<UpdateInput> inputs, UpdatesOfTree(std::move(updates)));
  return ApplyUpdatesRetrying(db, *m, inputs);
}

static Result<BulkUpdateResult> BulkUpdateTextUnguarded(Database& db, const std::string& model,
                                                        std::string_view updates) {
  RC_ASSIGN_OR_RETURN(const ModelDefinition* m, db.GetModel(model));
  // Too many entries is refused before any entry is read (as Answer does for a tree).
  auto too_many = [](size_t count) {
    return Status::TooLarge("bulkUpdate: " + std::to_string(count) + " updates, at most " +
                            std::to_string(kMaxRequestEntries) + " a request: send them in chunks");
  };
  std::optional<std::vector<UpdateInput>> inputs = UpdatesOfText(*m, updates);
  if (!inputs) {
    RC_ASSIGN_OR_RETURN(Json tree, ParseJsonWithin(std::string(updates)));
    if (tree.is_array() && tree.size() > kMaxRequestEntries) return too_many(tree.size());
    RC_ASSIGN_OR_RETURN(inputs, UpdatesOfTree(std::move(tree)));
  }
  if (inputs->size() > kMaxRequestEntries) return too_many(inputs->size());
  return ApplyUpdatesRetrying(db, *m, *inputs);
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

Result<std::string> CreateUpdates(Database& db, const std::string& model, Json deltas) {
  return Guard("create-updates", [&]() -> Result<std::string> { return CreateUpdatesUnguarded(db, model, std::move(deltas)); });
}

Result<BulkUpdateResult> BulkUpdate(Database& db, const std::string& model, Json updates) {
  return Guard("bulk-update", [&]() -> Result<BulkUpdateResult> { return BulkUpdateUnguarded(db, model, std::move(updates)); });
}

Result<BulkUpdateResult> BulkUpdateText(Database& db, const std::string& model,
                                        std::string_view updates) {
  return Guard("bulk-update", [&]() -> Result<BulkUpdateResult> {
    return BulkUpdateTextUnguarded(db, model, updates);
  });
}

Result<Json> UpdateLastChange(Database& db, const std::string& model, const std::string& id,
                              const Json& data) {
  return Guard("updateLastChange", [&]() -> Result<Json> { return UpdateLastChangeUnguarded(db, model, id, data); });
}

}  // namespace replicore
