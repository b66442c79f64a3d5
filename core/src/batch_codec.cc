#include "replicore/batch_codec.h"

#include "json_text.h"
#include "replicore/json_canonical.h"

namespace replicore {
namespace {

void AppendOptionalString(const std::optional<std::string>& value, std::string* out) {
  if (value) {
    AppendJsonString(*value, out);
  } else {
    *out += "null";
  }
}

void AppendChange(const Change& change, std::string* out) {
  out->push_back('[');
  AppendOptionalString(change.rev, out);
  out->push_back(',');
  *out += std::to_string(change.checkpoint);
  if (change.prev_set) {
    out->push_back(',');
    AppendOptionalString(change.prev, out);
  }
  out->push_back(']');
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

Result<Json> ParseSpan(std::string_view span, const char* what) {
  // Parsed from a std::string, as everywhere in the core: one lexer instantiation in the wasm.
  Json value = Json::parse(std::string(span), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::BadRequest(std::string("batch: malformed ") + what);
  return value;
}

// Calls entry(reader) for each element of the array that comes next.
template <typename Entry>
Status ForEachElement(JsonTextReader& reader, Entry&& entry) {
  RC_RETURN_IF_ERROR(reader.Expect('['));
  if (reader.Consume(']')) return Status::Ok();
  do {
    RC_RETURN_IF_ERROR(entry());
  } while (reader.Consume(','));
  return reader.Expect(']');
}

// [model, id, value]: model and id read, the value's text returned.
Result<std::string_view> Triple(JsonTextReader& reader, std::string* model, std::string* id) {
  RC_RETURN_IF_ERROR(reader.Expect('['));
  Result<std::string> first = reader.String();
  if (!first.ok()) return first.status();
  RC_RETURN_IF_ERROR(reader.Expect(','));
  Result<std::string> second = reader.String();
  if (!second.ok()) return second.status();
  RC_RETURN_IF_ERROR(reader.Expect(','));
  Result<std::string_view> value = reader.Value();
  if (!value.ok()) return value.status();
  RC_RETURN_IF_ERROR(reader.Expect(']'));
  *model = std::move(first).value();
  *id = std::move(second).value();
  return value;
}

// A record entry's data: canonical text kept as it is, a dumped tree (an old batch)
// re-canonicalised once.
Result<std::optional<Record>> DecodeRecord(std::string_view text, bool canonical) {
  if (text == "null") return std::optional<Record>();
  if (text.empty() || text.front() != '{') {
    return Status::BadRequest("batch: a record must be an object or null");
  }
  if (canonical) return std::optional<Record>(Record::FromCanonicalText(std::string(text)));
  Result<Json> tree = ParseSpan(text, "record");
  if (!tree.ok()) return tree.status();
  return std::optional<Record>(Record::FromTree(std::move(tree).value()));
}

Result<Batch> DecodeOne(JsonTextReader& reader) {
  Batch batch;
  // Record texts are remembered and decoded after the object: "c" may come after "r".
  struct PendingRecord {
    std::string model, id;
    std::string_view text;
  };
  std::vector<PendingRecord> records;
  bool canonical = false;
  RC_RETURN_IF_ERROR(reader.Expect('{'));
  if (!reader.Consume('}')) {
    do {
      Result<std::string> key = reader.String();
      if (!key.ok()) return key.status();
      RC_RETURN_IF_ERROR(reader.Expect(':'));
      if (*key == "r") {
        RC_RETURN_IF_ERROR(ForEachElement(reader, [&]() -> Status {
          PendingRecord record;
          Result<std::string_view> text = Triple(reader, &record.model, &record.id);
          if (!text.ok()) return Status::BadRequest("batch: malformed record entry");
          record.text = *text;
          records.push_back(std::move(record));
          return Status::Ok();
        }));
      } else if (*key == "x") {
        RC_RETURN_IF_ERROR(ForEachElement(reader, [&]() -> Status {
          std::string model, model_id;
          Result<std::string_view> text = Triple(reader, &model, &model_id);
          if (!text.ok()) return Status::BadRequest("batch: malformed change entry");
          std::optional<Change> change;
          if (*text != "null") {
            Result<Json> row = ParseSpan(*text, "change row");
            if (!row.ok()) return row.status();
            Result<Change> decoded = DecodeChange(model, model_id, *row);
            if (!decoded.ok()) return decoded.status();
            change = std::move(decoded).value();
          }
          batch.changes.push_back({std::move(model), std::move(model_id), std::move(change)});
          return Status::Ok();
        }));
      } else {
        Result<std::string_view> text = reader.Value();
        if (!text.ok()) return text.status();
        Result<Json> value = ParseSpan(*text, key->c_str());
        if (!value.ok()) return value.status();
        if (*key == "c") {
          canonical = *value == Json(1);
        } else if (*key == "k") {
          if (!value->is_number_integer()) {
            return Status::BadRequest("batch: \"k\" must be an integer");
          }
          batch.checkpoint = value->get<int64_t>();
        } else if (*key == "m") {
          if (!value->is_array()) return Status::BadRequest("batch: \"m\" must be an array");
          for (const Json& entry : *value) {
            if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()) {
              return Status::BadRequest("batch: malformed meta entry");
            }
            batch.meta.push_back({entry[0].get<std::string>(), entry[1]});
          }
        }
      }
    } while (reader.Consume(','));
    RC_RETURN_IF_ERROR(reader.Expect('}'));
  }
  batch.records.reserve(records.size());
  for (PendingRecord& pending : records) {
    Result<std::optional<Record>> data = DecodeRecord(pending.text, canonical);
    if (!data.ok()) return data.status();
    batch.records.push_back({std::move(pending.model), std::move(pending.id), std::move(*data)});
  }
  return batch;
}

}  // namespace

std::string EncodeBatch(const Batch& batch) {
  size_t size = 32;
  for (const RecordWrite& write : batch.records) {
    size += write.model.size() + write.id.size() + 12 + (write.data ? write.data->text().size() : 4);
  }
  size += batch.changes.size() * 120;
  std::string out;
  out.reserve(size);
  out += "{\"c\":1,\"r\":[";
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const RecordWrite& write = batch.records[i];
    if (i) out.push_back(',');
    out.push_back('[');
    AppendJsonString(write.model, &out);
    out.push_back(',');
    AppendJsonString(write.id, &out);
    out.push_back(',');
    out += write.data ? write.data->text() : "null";
    out.push_back(']');
  }
  out += "],\"x\":[";
  for (size_t i = 0; i < batch.changes.size(); ++i) {
    const ChangeWrite& write = batch.changes[i];
    if (i) out.push_back(',');
    out.push_back('[');
    AppendJsonString(write.model, &out);
    out.push_back(',');
    AppendJsonString(write.model_id, &out);
    out.push_back(',');
    if (write.change) {
      AppendChange(*write.change, &out);
    } else {
      out += "null";
    }
    out.push_back(']');
  }
  out.push_back(']');
  if (batch.checkpoint) out += ",\"k\":" + std::to_string(*batch.checkpoint);
  if (!batch.meta.empty()) {
    Json meta = Json::array();
    for (const auto& [key, value] : batch.meta) meta.push_back(Json::array({key, value}));
    out += ",\"m\":" + meta.dump();
  }
  out.push_back('}');
  return out;
}

Result<std::vector<Batch>> DecodeBatches(std::string_view text) {
  JsonTextReader reader(text);
  std::vector<Batch> batches;
  auto one = [&]() -> Status {
    Result<Batch> batch = DecodeOne(reader);
    if (!batch.ok()) return batch.status();
    batches.push_back(std::move(batch).value());
    return Status::Ok();
  };
  JsonTextReader peek = reader;
  if (peek.Consume('[')) {
    RC_RETURN_IF_ERROR(ForEachElement(reader, one));
  } else {
    RC_RETURN_IF_ERROR(one());
  }
  if (!reader.AtEnd()) return Status::BadRequest("batch: text after the end");
  return batches;
}

}  // namespace replicore
