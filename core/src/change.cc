#include "replicore/change.h"
#include "replicore/json_limits.h"

#include <cmath>

#include "replicore/json_canonical.h"

namespace replicore {

const char* ChangeTypeName(ChangeType type) {
  switch (type) {
    case ChangeType::kCreate: return "create";
    case ChangeType::kUpdate: return "update";
    case ChangeType::kDelete: return "delete";
    case ChangeType::kUnknown: return "unknown";
  }
  return "unknown";
}

ChangeType Change::type() const {
  // JS truthiness: an empty string is falsy, "unknown" is truthy.
  bool has_rev = rev && !rev->empty();
  bool has_prev = prev_set && prev && !prev->empty();
  if (has_rev && has_prev) return ChangeType::kUpdate;
  if (has_rev) return ChangeType::kCreate;
  if (has_prev) return ChangeType::kDelete;
  return ChangeType::kUnknown;
}

Json Change::ToJson() const {
  Json j = Json::object();
  j["id"] = id;
  j["rev"] = rev ? Json(*rev) : Json(nullptr);
  if (prev_set) j["prev"] = prev ? Json(*prev) : Json(nullptr);
  j["checkpoint"] = checkpoint;
  j["modelName"] = model_name;
  j["modelId"] = model_id;
  return j;
}

namespace {

// A string or null field; anything else is a bad request naming the field.
Status ReadNullableString(const Json& json, const char* key, std::optional<std::string>* out,
                          bool* present) {
  auto it = json.find(key);
  if (it == json.end()) {
    if (present) *present = false;
    return Status::Ok();
  }
  if (present) *present = true;
  if (it->is_null()) {
    out->reset();
  } else if (it->is_string()) {
    if (it->get_ref<const std::string&>().size() > kMaxRevBytes) {
      return Status::BadRequest(std::string("change `") + key + "` is longer than " +
                                std::to_string(kMaxRevBytes) + " bytes");
    }
    *out = it->get<std::string>();
  } else {
    return Status::BadRequest(std::string("change `") + key + "` must be a string or null");
  }
  return Status::Ok();
}

}  // namespace

Result<Change> Change::FromJson(const Json& json) {
  if (!json.is_object()) return Status::BadRequest("a change must be an object");
  Change change;
  auto id_it = json.find("modelId");
  if (id_it == json.end() || id_it->is_null()) {
    return Status::BadRequest("change `modelId` is required");
  }
  if (id_it->is_string()) {
    change.model_id = id_it->get<std::string>();
  } else if (id_it->is_number()) {
    change.model_id = JsNumberToString(id_it->get<double>());
  } else {
    return Status::BadRequest("change `modelId` must be a string or a number");
  }
  if (change.model_id.size() > kMaxIdBytes) {
    return Status::BadRequest("change `modelId` is longer than " + std::to_string(kMaxIdBytes) +
                              " bytes");
  }
  bool rev_present = false;
  RC_RETURN_IF_ERROR(ReadNullableString(json, "rev", &change.rev, &rev_present));
  RC_RETURN_IF_ERROR(ReadNullableString(json, "prev", &change.prev, &change.prev_set));
  auto name_it = json.find("modelName");
  if (name_it != json.end() && name_it->is_string()) change.model_name = name_it->get<std::string>();
  auto cid_it = json.find("id");
  if (cid_it != json.end() && cid_it->is_string()) change.id = cid_it->get<std::string>();
  auto cp_it = json.find("checkpoint");
  if (cp_it != json.end() && !cp_it->is_null()) {
    if (!cp_it->is_number()) return Status::BadRequest("change `checkpoint` must be a number");
    double cp = cp_it->get<double>();
    if (!std::isfinite(cp)) return Status::BadRequest("change `checkpoint` must be finite");
    change.checkpoint = SafeInteger(*cp_it);
  }
  return change;
}

bool Change::operator==(const Change& o) const {
  return id == o.id && rev == o.rev && prev_set == o.prev_set && (!prev_set || prev == o.prev) &&
         checkpoint == o.checkpoint && model_name == o.model_name && model_id == o.model_id;
}

}  // namespace replicore
