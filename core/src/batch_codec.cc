#include "replicore/batch_codec.h"

#include "json_text.h"
#include "replicore/js_semantics.h"
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

Result<Json> ParseSpan(std::string_view span, const char* what) {
  // Parsed from a std::string, as everywhere in the core: one lexer instantiation in the wasm.
  Json value = Json::parse(std::string(span), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::BadRequest(std::string("batch: malformed ") + what);
  return value;
}

// The record entries [[model, id, data | null], ...] that come next. Only the data is kept
// as text: canonical, it is copied as it is; a dumped tree (an old batch) is
// re-canonicalised once.
Status DecodeRecords(JsonTextReader& reader, bool canonical, Batch* batch) {
  RC_RETURN_IF_ERROR(reader.Expect('['));
  if (reader.Consume(']')) return Status::Ok();
  do {
    RC_RETURN_IF_ERROR(reader.Expect('['));
    RC_ASSIGN_OR_RETURN(std::string model, reader.String());
    RC_RETURN_IF_ERROR(reader.Expect(','));
    RC_ASSIGN_OR_RETURN(std::string id, reader.String());
    RC_RETURN_IF_ERROR(reader.Expect(','));
    RC_ASSIGN_OR_RETURN(std::string_view text, reader.Value());
    RC_RETURN_IF_ERROR(reader.Expect(']'));
    std::optional<Record> data;
    if (text != "null") {
      if (text.front() != '{') return Status::BadRequest("batch: a record must be an object or null");
      if (canonical) {
        data = Record::FromCanonicalText(std::string(text));
      } else {
        RC_ASSIGN_OR_RETURN(Json tree, ParseSpan(text, "record"));
        data = Record::FromTree(std::move(tree));
      }
    }
    batch->records.push_back({std::move(model), std::move(id), std::move(data)});
  } while (reader.Consume(','));
  return reader.Expect(']');
}

// The change entries [[model, modelId, [rev | null, checkpoint(, prev | null)] | null], ...]
// that come next, read from the text (a page holds one per record).
Status DecodeChanges(JsonTextReader& reader, Batch* batch) {
  RC_RETURN_IF_ERROR(reader.Expect('['));
  if (reader.Consume(']')) return Status::Ok();
  do {
    ChangeWrite write;
    RC_RETURN_IF_ERROR(reader.Expect('['));
    RC_ASSIGN_OR_RETURN(write.model, reader.String());
    RC_RETURN_IF_ERROR(reader.Expect(','));
    RC_ASSIGN_OR_RETURN(write.model_id, reader.String());
    RC_RETURN_IF_ERROR(reader.Expect(','));
    if (reader.Consume('[')) {
      Change change;
      RC_ASSIGN_OR_RETURN(change.rev, reader.StringOrNull());
      RC_RETURN_IF_ERROR(reader.Expect(','));
      RC_ASSIGN_OR_RETURN(change.checkpoint, reader.Integer());
      if (reader.Consume(',')) {
        change.prev_set = true;
        RC_ASSIGN_OR_RETURN(change.prev, reader.StringOrNull());
      }
      RC_RETURN_IF_ERROR(reader.Expect(']'));
      change.id = ChangeId(write.model, write.model_id);
      change.model_name = write.model;
      change.model_id = write.model_id;
      write.change = std::move(change);
    } else {
      Result<std::string_view> null = reader.Value();
      if (!null.ok() || *null != "null") {
        return Status::BadRequest("batch: malformed change row of " + write.model + " " +
                                  write.model_id);
      }
    }
    RC_RETURN_IF_ERROR(reader.Expect(']'));
    batch->changes.push_back(std::move(write));
  } while (reader.Consume(','));
  return reader.Expect(']');
}

Status DecodeMeta(const Json& entries, Batch* batch) {
  if (!entries.is_array()) return Status::BadRequest("batch: \"m\" must be an array");
  for (const Json& entry : entries) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()) {
      return Status::BadRequest("batch: malformed meta entry");
    }
    batch->meta.push_back({entry[0].get<std::string>(), entry[1]});
  }
  return Status::Ok();
}

Result<Batch> DecodeOne(JsonTextReader& reader) {
  Batch batch;
  // "c" comes first in what EncodeBatch writes; a batch without it is of the tree era.
  bool canonical = false;
  RC_RETURN_IF_ERROR(reader.Expect('{'));
  if (reader.Consume('}')) return batch;
  do {
    RC_ASSIGN_OR_RETURN(std::string key, reader.String());
    RC_RETURN_IF_ERROR(reader.Expect(':'));
    if (key == "r") {
      RC_RETURN_IF_ERROR(DecodeRecords(reader, canonical, &batch));
      continue;
    }
    if (key == "x") {
      RC_RETURN_IF_ERROR(DecodeChanges(reader, &batch));
      continue;
    }
    RC_ASSIGN_OR_RETURN(std::string_view text, reader.Value());
    RC_ASSIGN_OR_RETURN(Json value, ParseSpan(text, key.c_str()));
    if (key == "c") {
      canonical = value == Json(1);
    } else if (key == "k") {
      if (!value.is_number_integer()) return Status::BadRequest("batch: \"k\" must be an integer");
      batch.checkpoint = value.get<int64_t>();
    } else if (key == "m") {
      RC_RETURN_IF_ERROR(DecodeMeta(value, &batch));
    }
  } while (reader.Consume(','));
  RC_RETURN_IF_ERROR(reader.Expect('}'));
  return batch;
}

}  // namespace

namespace {

// `[model, id, ` of an entry, after a comma unless it is the first.
void AppendEntryHead(size_t index, const std::string& model, const std::string& id,
                     std::string* out) {
  if (index) out->push_back(',');
  out->push_back('[');
  AppendJsonString(model, out);
  out->push_back(',');
  AppendJsonString(id, out);
  out->push_back(',');
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
    AppendEntryHead(i, write.model, write.id, &out);
    out += write.data ? write.data->text() : "null";
    out.push_back(']');
  }
  out += "],\"x\":[";
  for (size_t i = 0; i < batch.changes.size(); ++i) {
    const ChangeWrite& write = batch.changes[i];
    AppendEntryHead(i, write.model, write.model_id, &out);
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
    RC_ASSIGN_OR_RETURN(Batch batch, DecodeOne(reader));
    batches.push_back(std::move(batch));
    return Status::Ok();
  };
  if (reader.Consume('[')) {
    if (!reader.Consume(']')) {
      do {
        RC_RETURN_IF_ERROR(one());
      } while (reader.Consume(','));
      RC_RETURN_IF_ERROR(reader.Expect(']'));
    }
  } else {
    RC_RETURN_IF_ERROR(one());
  }
  if (!reader.AtEnd()) return Status::BadRequest("batch: text after the end");
  return batches;
}

}  // namespace replicore
