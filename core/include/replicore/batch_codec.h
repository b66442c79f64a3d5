// Committed batches as compact JSON text: what a browser connector writes to its journal
// and pages, and reads back on open. Change ids are not stored (they follow from model and
// modelId) and rows are arrays, so a persisted record costs little more than its data.
//   {"c": 1, "r": [[model, id, data | null], ...],
//    "x": [[model, modelId, [rev | null, checkpoint] | [rev | null, checkpoint, prev] | null],
//    ...], "k": checkpoint (when bumped), "m": [[key, value], ...]}
// "c": 1 says each data is the record's canonical text (record.h), copied in and out as
// it is: encoding dumps no tree and decoding parses no record. Batches written before "c"
// existed hold dumped trees; they are read through a tree, as they always were.
#ifndef REPLICORE_BATCH_CODEC_H_
#define REPLICORE_BATCH_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "replicore/store.h"

namespace replicore {

std::string EncodeBatch(const Batch& batch);
// One batch (a page) or an array of them (a journal entry). kBadRequest naming the first
// malformed part; never a partial batch.
Result<std::vector<Batch>> DecodeBatches(std::string_view text);

}  // namespace replicore

#endif  // REPLICORE_BATCH_CODEC_H_
