// --pre-js: on Node, find the .wasm next to the .mjs (TOOLCHAIN.md §5).
if (typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string' && !Module['locateFile']) {
  Module['locateFile'] = function (path, dir) { return dir + path; };
}
