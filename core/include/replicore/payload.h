// The value a protocol message carries (protocol.h): a JSON tree, or JSON text carried as
// it is. Records cross from one store to the other, and onto the wire, as the text they are
// stored as: create-updates answers text, bulk-update reads it element by element, and
// only what must be inspected becomes a tree.
#ifndef REPLICORE_PAYLOAD_H_
#define REPLICORE_PAYLOAD_H_

#include <optional>
#include <string>
#include <string_view>

#include "replicore/json_canonical.h"

namespace replicore {

class Payload {
 public:
  Payload(Json tree = nullptr) : tree_(std::move(tree)) {}  // NOLINT: a tree is a payload
  Payload(std::nullptr_t) : tree_(nullptr) {}                // NOLINT
  // `text` must be one JSON value; text that is not reads as a discarded tree.
  static Payload FromText(std::string text);

  bool has_text() const { return text_.has_value(); }
  // The text, when the payload was made from text.
  std::string_view text() const { return *text_; }
  // The tree; text is parsed on first use.
  const Json& tree() const;
  // The tree, moved out (parsed first when the payload is text).
  Json TakeTree();
  // The text as it is, or the tree dumped.
  std::string Dump() const;

 private:
  std::optional<std::string> text_;
  mutable Json tree_;
  mutable bool parsed_ = false;
};

}  // namespace replicore

#endif  // REPLICORE_PAYLOAD_H_
