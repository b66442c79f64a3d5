#include "replicore/batch_codec.h"

#include "replicore/json_canonical.h"

namespace replicore {
namespace {

Json OptionalString(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json EncodeChange(const Change& change) {
  Json row = Json::array({OptionalString(change.rev), change.checkpoint});
  if (change.prev_set) row.push_back(OptionalString(change.prev));
  return row;
}

bool IsStringOrNull(const Json& value) { return value.is_string() || value.is_null(); }

Result<Change> DecodeChange(const std::string& model, const std::string& model_id,
                            const Json& row) {
  if (!row.is_array() || row.size() < 2 || row.size() > 3 || !IsStringOrNull(row[0]) ||
      !row[1].is_number_integer() || (row.size() == 3 && !IsStringOrNull(row[2]))) {
    return Status::BadRequest("batch: malformed change row of " + model + " " + model_id);
  }
  Change change;
  change.id = ChangeId(model, model_id);
  if (row[0].is_string()) change.rev = row[0].get<std::string>();
  change.checkpoint = row[1].get<int64_t>();
  if (row.size() == 3) {
    change.prev_set = true;
    if (row[2].is_string()) change.prev = row[2].get<std::string>();
  }
  change.model_name = model;
  change.model_id = model_id;
  return change;
}

// [model, id, value] with string model and id.
bool IsTriple(const Json& entry) {
  return entry.is_array() && entry.size() == 3 && entry[0].is_string() && entry[1].is_string();
}

}  // namespace

Json EncodeBatch(const Batch& batch) {
  Json out = Json::object();
  Json& records = out["r"] = Json::array();
  for (const RecordWrite& write : batch.records) {
    records.push_back(Json::array({write.model, write.id, write.data ? *write.data : Json()}));
  }
  Json& changes = out["x"] = Json::array();
  for (const ChangeWrite& write : batch.changes) {
    changes.push_back(Json::array(
        {write.model, write.model_id, write.change ? EncodeChange(*write.change) : Json()}));
  }
  if (batch.checkpoint) out["k"] = *batch.checkpoint;
  if (!batch.meta.empty()) {
    Json& meta = out["m"] = Json::array();
    for (const auto& [key, value] : batch.meta) meta.push_back(Json::array({key, value}));
  }
  return out;
}

Result<Batch> DecodeBatch(Json json) {
  if (!json.is_object()) return Status::BadRequest("batch: expected an object");
  Batch batch;
  batch.hand_out = false;
  if (auto it = json.find("r"); it != json.end()) {
    if (!it->is_array()) return Status::BadRequest("batch: \"r\" must be an array");
    for (Json& entry : *it) {
      if (!IsTriple(entry) || !(entry[2].is_object() || entry[2].is_null())) {
        return Status::BadRequest("batch: malformed record entry");
      }
      std::optional<Json> data;
      if (!entry[2].is_null()) data = std::move(entry[2]);
      batch.records.push_back({entry[0].get<std::string>(), entry[1].get<std::string>(), data});
    }
  }
  if (auto it = json.find("x"); it != json.end()) {
    if (!it->is_array()) return Status::BadRequest("batch: \"x\" must be an array");
    for (const Json& entry : *it) {
      if (!IsTriple(entry)) return Status::BadRequest("batch: malformed change entry");
      const std::string model = entry[0].get<std::string>();
      const std::string model_id = entry[1].get<std::string>();
      std::optional<Change> change;
      if (!entry[2].is_null()) {
        Result<Change> decoded = DecodeChange(model, model_id, entry[2]);
        if (!decoded.ok()) return decoded.status();
        change = std::move(decoded).value();
      }
      batch.changes.push_back({model, model_id, std::move(change)});
    }
  }
  if (auto it = json.find("k"); it != json.end()) {
    if (!it->is_number_integer()) return Status::BadRequest("batch: \"k\" must be an integer");
    batch.checkpoint = it->get<int64_t>();
  }
  if (auto it = json.find("m"); it != json.end()) {
    if (!it->is_array()) return Status::BadRequest("batch: \"m\" must be an array");
    for (const Json& entry : *it) {
      if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()) {
        return Status::BadRequest("batch: malformed meta entry");
      }
      batch.meta.push_back({entry[0].get<std::string>(), entry[1]});
    }
  }
  return batch;
}

}  // namespace replicore
