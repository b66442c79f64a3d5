// Loads the wasm core once per page or process (the module is shared by every database).
import createReplicoreCore from '../dist/replicore_core.mjs';

let loading;

// `options` (locateFile, wasmBinary) are Emscripten's, used by the first call only.
export function loadCore(options = {}) {
  loading ??= createReplicoreCore(options);
  return loading;
}
