// The indexes a LoopBack model JSON declares: its top-level "indexes" object and a
// property's "index": true. The browser core keeps them as in-memory ordered indexes;
// the server creates them as SQL indexes. Both only ever speed a query up: a query on
// undeclared properties still answers, by a scan.
#ifndef REPLICORE_MODEL_INDEXES_H_
#define REPLICORE_MODEL_INDEXES_H_

#include <string>
#include <vector>

#include "replicore/status.h"

namespace replicore {

struct IndexKey {
  std::string property;  // a top-level property name
  bool descending = false;
};

struct IndexDefinition {
  std::string name;
  std::vector<IndexKey> keys;  // at least one
  bool unique = false;
};

// Parses the forms LoopBack's connectors accept, each index named by its key:
//   "indexes": {"title_idx": {"title": 1},                       // keys directly
//               "pair": {"keys": {"a": 1, "b": -1}, "options": {"unique": true}},
//               "cols": {"columns": "a, b", "kind": "unique"}}   // MySQL style
//   "properties": {"created": {"type": "number", "index": true}}  // or {"unique": true}
// A property index is named "<property>_idx". A malformed declaration is kValidation
// naming its path ("indexes.pair.keys.a: ...").
Result<std::vector<IndexDefinition>> ParseIndexes(const Json& definition);

}  // namespace replicore

#endif  // REPLICORE_MODEL_INDEXES_H_
