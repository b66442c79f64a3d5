// --extern-pre-js: the 3.1.6 ES-module glue expects CommonJS on Node (TOOLCHAIN.md §5).
var require, __dirname, fetch = globalThis.fetch;
if (typeof process === 'object' && process.versions && process.versions.node) {
  const { createRequire } = await import('node:module');
  require = createRequire(import.meta.url);
  __dirname = require('node:path').dirname(require('node:url').fileURLToPath(import.meta.url));
  fetch = undefined; // the glue reads the .wasm with fs instead
}
