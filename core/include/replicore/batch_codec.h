// Committed batches as compact JSON: what a browser connector writes to its journal and
// pages, and reads back on open. Change ids are not stored (they follow from model and
// modelId) and rows are arrays, so a persisted record costs little more than its data.
//   {"r": [[model, id, data | null], ...],
//    "x": [[model, modelId, [rev | null, checkpoint] | [rev | null, checkpoint, prev] | null],
//    ...], "k": checkpoint (when bumped), "m": [[key, value], ...]}
#ifndef REPLICORE_BATCH_CODEC_H_
#define REPLICORE_BATCH_CODEC_H_

#include "replicore/store.h"

namespace replicore {

Json EncodeBatch(const Batch& batch);
// kBadRequest naming the first malformed part; never a partial batch. Takes the JSON by
// value: record data is moved out of it, not copied.
Result<Batch> DecodeBatch(Json json);

}  // namespace replicore

#endif  // REPLICORE_BATCH_CODEC_H_
