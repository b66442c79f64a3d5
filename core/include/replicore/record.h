// A stored record as text: the canonical JSON that LoopBack's revision hashes (sorted keys,
// canonical-json's escaping, JS number layout). Stores keep the text, pages and the wire
// carry it, and the JSON tree is built only when a value must be inspected (a where clause,
// an order key, a patch), then kept by that handle. Copies share the text.
#ifndef REPLICORE_RECORD_H_
#define REPLICORE_RECORD_H_

#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "replicore/status.h"

namespace replicore {

class Record {
 public:
  // A normalised record: its canonical text is written once, the tree kept.
  static Record FromTree(Json tree);
  // Canonical text this core wrote (a store's column, a persisted page): taken on trust,
  // nothing is parsed until a value is needed. Text from elsewhere goes through FromTree.
  static Record FromCanonicalText(std::string text);

  const std::string& text() const { return *text_; }
  // The tree, parsed on first use (valid JSON by construction; kept by this handle).
  const Json& tree() const;
  const Json& operator*() const { return tree(); }
  const Json* operator->() const { return &tree(); }
  // A tree of its own, to move into a message: the kept tree copied, or a fresh parse.
  Json CopyTree() const;
  // This record without its parsed tree: what a store keeps, so memory holds text only.
  Record TextOnly() const;
  bool has_tree() const { return tree_ != nullptr; }

  // Same content (canonical text is unique per value).
  friend bool operator==(const Record& a, const Record& b) { return a.text() == b.text(); }
  friend bool operator!=(const Record& a, const Record& b) { return !(a == b); }
  // Same value as a tree (tests and checks; parses the record).
  friend bool operator==(const Record& a, const Json& b) { return a.tree() == b; }
  friend bool operator!=(const Record& a, const Json& b) { return !(a == b); }

 private:
  Record() = default;
  std::shared_ptr<const std::string> text_;
  mutable std::shared_ptr<const Json> tree_;
};

// Writes the text (test failure messages). Inline: unused, it links nothing into the wasm.
inline std::ostream& operator<<(std::ostream& out, const Record& record) {
  return out << record.text();
}

// "[text,text,...]": records as one JSON array text, nothing parsed or dumped.
std::string RecordsArrayText(const std::vector<Record>& records);

}  // namespace replicore

#endif  // REPLICORE_RECORD_H_
