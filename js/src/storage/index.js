import { ReplicoreError } from '../errors.js';
import { indexedDbConnector } from './indexeddb.js';
import { fileConnector } from './file.js';
import { localStorageConnector } from './local-storage.js';
import { memoryConnector } from './memory.js';

// The storages a database can keep its data in (js/README.md, "How data is kept").
const storages = {
  memory: memoryConnector,
  indexeddb: indexedDbConnector,
  localstorage: localStorageConnector,
  file: fileConnector,
};

export function storageFor(storage) {
  const connector = storages[String(storage).toLowerCase()];
  if (!connector) {
    throw new ReplicoreError('bad_request',
      `unknown storage "${storage}" (memory, indexeddb, localStorage or file)`);
  }
  return connector;
}
