// replicore: an offline-first database for the browser and Node, replicating with
// LoopBack 3 compatible servers. See README.md for the API.
import { storageFor } from './storage/index.js';
import { Database, defaultStorage } from './database.js';
import { loadCore } from './core.js';
import { ReplicoreError, unwrap } from './errors.js';
import { toJsonText } from './values.js';

export { ReplicoreError } from './errors.js';
export { Database } from './database.js';
export { Model } from './model.js';
export { Conflict } from './conflict.js';
export { remote, RemoteDatabase, RemoteModel } from './remote/index.js';

// Opens (or creates) a database: {name, models, storage?, durability?}.
export function open(options) {
  return Database.open(options);
}

// Deletes a database's persisted data; close it first.
export async function destroy(name, { storage = defaultStorage(), directory } = {}) {
  if (typeof name !== 'string' || !name) {
    throw new ReplicoreError('bad_request', 'destroy(): "name" must be a non-empty string');
  }
  await storageFor(storage).destroy(name, { directory });
}

let scratchCore;

// LoopBack's revision of a value: {canonical, rev} (canonical JSON and its SHA-1), with
// JS values converted as LoopBack converts them.
export async function revision(value) {
  const text = toJsonText(value);
  const module = await loadCore();
  scratchCore ??= new module.Core();
  return unwrap(scratchCore.call('revision', '', `{"value":${text}}`));
}
