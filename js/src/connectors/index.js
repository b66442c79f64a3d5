import { ReplicoreError } from '../errors.js';
import { indexedDbConnector } from './indexeddb.js';
import { localStorageConnector } from './local-storage.js';
import { memoryConnector } from './memory.js';

const connectors = {
  memory: memoryConnector,
  indexeddb: indexedDbConnector,
  localstorage: localStorageConnector,
};

export function connectorFor(storage) {
  const connector = connectors[String(storage).toLowerCase()];
  if (!connector) {
    throw new ReplicoreError('bad_request',
      `unknown storage "${storage}" (memory, indexeddb or localStorage)`);
  }
  return connector;
}
