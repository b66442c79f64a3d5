// Shared by the Node tests of the JS package (run on the wasm build in js/dist).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const todoModel = JSON.parse(readFileSync(`${root}web-example/models/todo.json`, 'utf8'));

export function vectorsDir() {
  for (const dir of [process.env.RC_VECTORS_DIR, `${root}../shared/vectors`, '/work/shared/vectors']) {
    if (!dir) continue;
    try {
      readFileSync(`${dir}/revisions.json`);
      return dir;
    } catch { /* next */ }
  }
  throw new Error('the LoopBack vectors (../shared/vectors) are missing');
}

export function readVector(name) {
  return JSON.parse(readFileSync(`${vectorsDir()}/${name}`, 'utf8'));
}

let counter = 0;
export function uniqueName(prefix = 'db') {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
