#include "replicore/record.h"

#include "replicore/json_canonical.h"

namespace replicore {

Record Record::FromTree(Json tree) {
  Record record;
  record.text_ = std::make_shared<const std::string>(CanonicalJson(tree));
  record.tree_ = std::make_shared<const Json>(std::move(tree));
  return record;
}

Record Record::FromCanonicalText(std::string text) {
  Record record;
  record.text_ = std::make_shared<const std::string>(std::move(text));
  return record;
}

const Json& Record::tree() const {
  if (!tree_) {
    // Without exceptions (the wasm build): text damaged on disk reads as null, not an abort.
    Json parsed = Json::parse(*text_, nullptr, /*allow_exceptions=*/false);
    tree_ = std::make_shared<const Json>(parsed.is_discarded() ? Json() : std::move(parsed));
  }
  return *tree_;
}

Json Record::CopyTree() const {
  if (tree_) return *tree_;
  Json parsed = Json::parse(*text_, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json() : parsed;
}

Record Record::TextOnly() const {
  Record record;
  record.text_ = text_;
  return record;
}

std::string RecordsArrayText(const std::vector<Record>& records) {
  size_t size = 2 + records.size();
  for (const Record& record : records) size += record.text().size();
  std::string out;
  out.reserve(size);
  out.push_back('[');
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) out.push_back(',');
    out += records[i].text();
  }
  out.push_back(']');
  return out;
}

}  // namespace replicore
