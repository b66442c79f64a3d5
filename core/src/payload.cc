#include "replicore/payload.h"

#include "replicore/json_limits.h"

namespace replicore {

Payload Payload::FromText(std::string text) {
  Payload payload;
  payload.text_ = std::move(text);
  return payload;
}

const Json& Payload::tree() const {
  if (text_ && !parsed_) {
    Result<Json> parsed = ParseJsonWithin(*text_);
    tree_ = parsed.ok() ? std::move(parsed).value() : Json(Json::value_t::discarded);
    parsed_ = true;
  }
  return tree_;
}

Json Payload::TakeTree() {
  tree();
  text_.reset();
  parsed_ = false;
  return std::move(tree_);
}

std::string Payload::Dump() const { return text_ ? *text_ : tree_.dump(); }

}  // namespace replicore
