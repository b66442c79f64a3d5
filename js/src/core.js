// Loads the wasm core once per page or process (the module is shared by every database).
import createReplicoreCore from '../dist/replicore_core.mjs';

let loading;

// `options` (locateFile, wasmBinary) are Emscripten's, used by the first call only.
export function loadCore(options = {}) {
  loading ??= createReplicoreCore(options).then((module) => {
    warmUp(module);
    return module;
  });
  return loading;
}

// Browsers compile wasm functions lazily, on their first call: one small run of the
// common paths at load time keeps that compile out of the app's first write and query.
function warmUp(module) {
  const core = new module.Core();
  try {
    core.addModel('{"name":"Warm","trackChanges":true,"properties":{"id":{"type":"string","id":true},"n":"number"}}');
    core.call('create', 'Warm', '{"data":[{"id":"a","n":1},{"id":"b","n":2}]}');
    core.call('replaceOrCreate', 'Warm', '{"data":{"id":"a","n":3}}');
    core.call('find', 'Warm', '{"filter":{"where":{"n":{"gt":0}},"order":"n DESC","limit":1}}');
    core.call('count', 'Warm', '{"where":{"n":1}}');
    core.takeBatches();
    core.load(core.exportPages(2000));
    core.confirm(core.lastSeq());
  } finally {
    core.delete();
  }
}
