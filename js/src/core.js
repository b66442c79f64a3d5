// Loads the wasm core once per page or process (the module is shared by every database).
import createReplicoreCore from '../dist/replicore_core.mjs';

let loading;

// `options` (locateFile, wasmBinary) are Emscripten's, used by the first call only.
export function loadCore(options = {}) {
  loading ??= instantiate(options).then((module) => {
    warmUp(module);
    return module;
  }, (error) => {
    loading = undefined;  // a load that failed (offline on a first visit) may be retried
    throw error;
  });
  return loading;
}

const inNode = typeof process === 'object' && typeof process.versions === 'object'
  && typeof process.versions.node === 'string';

// Node reads dist/replicore_core.wasm from disk next to the glue (its pre-js); browsers
// fetch it from wasmUrl(); the user's own locateFile, wasmBinary or instantiateWasm wins.
function instantiate(options) {
  if (inNode || options.locateFile || options.wasmBinary || options.instantiateWasm) {
    return createReplicoreCore(options);
  }
  let url;
  const locateFile = (path, scriptDirectory) => {
    if (!path.endsWith('.wasm')) return scriptDirectory + path;
    url = wasmUrl(scriptDirectory);
    return url;
  };
  return createReplicoreCore({ ...options, locateFile }).catch((error) => {
    throw new Error(`replicore: could not load its WebAssembly from ${url} (${error && error.message}); `
      + 'serve node_modules/replicore/dist/replicore_core.wasm there (as application/wasm), or pass '
      + "open({ wasm: { locateFile: () => '<its URL>' } }): js/README.md, \"Bundlers\"", { cause: error });
  });
}

// Where browsers find the .wasm (js/README.md, "Bundlers"). The first URL is written as
// `new URL('<literal>', import.meta.url)` on purpose: Vite, webpack 5 and Parcel recognise
// exactly this form, emit the file as an asset and rewrite the URL to it. A bundler that
// leaves it alone (esbuild) leaves it equal to the same literal resolved against the
// script's URL read through a variable (which no bundler takes for an asset): then the
// .wasm is where the glue looks by default, next to the script holding it (serve it beside
// the bundle). Unbundled, both are the package's own dist/replicore_core.wasm.
function wasmUrl(scriptDirectory) {
  let asset;
  let plain;
  try {
    asset = new URL('../dist/replicore_core.wasm', import.meta.url).href;
  } catch { /* no base to resolve against (a blob: script) */ }
  try {
    const script = import.meta.url;
    plain = new URL('../dist/replicore_core.wasm', script).href;
  } catch { /* same */ }
  return asset !== undefined && asset !== plain ? asset : `${scriptDirectory}replicore_core.wasm`;
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
