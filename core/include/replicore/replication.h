// The replication operations of PROTOCOL.md §2.1, as one side answers them over its
// Database. The server routes call these; the Replicator calls them for its local side.
#ifndef REPLICORE_REPLICATION_H_
#define REPLICORE_REPLICATION_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "replicore/database.h"

namespace replicore {

struct ChangesPage {
  std::vector<Change> changes;
  // (checkpoint, modelId) to resume after, when a limit cut the page short (§9.1).
  std::optional<std::pair<int64_t, std::string>> next;
};

// GET /changes: changes with checkpoint >= since, ordered by (checkpoint, modelId); a change
// is kept when it is a delete or its record matches `filter` (a LoopBack filter, null: all;
// only its where is used). `unknown` changes (created and deleted between checkpoints) are
// dropped. `after`/`limit` page by cursor.
Result<ChangesPage> Changes(Database& db, const std::string& model, int64_t since,
                            const Json& filter,
                            std::optional<std::pair<int64_t, std::string>> after = std::nullopt,
                            std::optional<size_t> limit = std::nullopt);

// POST /diff: compares the source's changes (a JSON array) with this side's change log
// (rows with checkpoint >= since). Returns {"deltas": [...source changes...],
// "conflicts": [...this side's rows...]}. Records match by modelId only. Rows of the ids in
// `compare_always` are compared whatever their checkpoint (ids left unresolved). When
// `source_conflicts` is set, the source changes that conflicted are appended to it.
// `source_wins_cycles`: when a source change is based on this side's revision and this
// side's change on the source's (one content seen twice: A, B, then A again), whose is the
// newer cannot be told from revisions. A source that sends its changes for the first time
// wrote its own after seeing this side's: the source's wins. Changes sent again (the
// Replicator marks them `resent`), or a local target that holds unsent changes: this side's.
Result<Json> Diff(Database& db, const std::string& model, int64_t since, Json changes,
                  const std::set<std::string>* compare_always = nullptr,
                  Json* source_conflicts = nullptr, bool source_wins_cycles = false);

// POST /create-updates: the text of [{type, change, data?}] for the deltas (deletes first),
// each record's `data` the text it is stored as. A delta whose record is gone becomes a
// delete update (§8.10), never an error.
Result<std::string> CreateUpdates(Database& db, const std::string& model, Json deltas);

struct BulkUpdateResult {
  size_t applied = 0;
  Json conflicts = Json::array();  // the source change objects of the conflicting updates
};
// POST /bulk-update: applies the non-conflicting updates in ONE batch (an `update` is a
// replace guarded by prev) and reports the conflicting ones; any other error (a bad
// update, validation) applies nothing.
Result<BulkUpdateResult> BulkUpdate(Database& db, const std::string& model, Json updates);
// The same over the text of the updates array (what a push sends). A record already in the
// form the model stores (canonical JSON of declared properties that need no coercion) is
// stored as the text it came in, with no tree; any other is normalized as above.
Result<BulkUpdateResult> BulkUpdateText(Database& db, const std::string& model,
                                        std::string_view updates);

// GET /:id/changes/last: the change row as JSON, or null.
Result<Json> FindLastChange(Database& db, const std::string& model, const std::string& id);
// PUT /:id/changes/last: accepts only `prev` (and `rev` when it equals the record's computed
// revision), stamps the current checkpoint so the resolution replicates (§8.3, §9.4).
// kNotFound when the record has no change row.
Result<Json> UpdateLastChange(Database& db, const std::string& model, const std::string& id,
                              const Json& data);

}  // namespace replicore

#endif  // REPLICORE_REPLICATION_H_
