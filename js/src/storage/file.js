// Files in Node (storage: 'file'): the key-value layout, one file per key in a directory
// (options.directory, default ./.replicore/<name>), every file written to a temporary name,
// fsynced and renamed, so a write that resolved is on disk and a crash leaves whole files.
// One process at a time (a LOCK file holding the pid; a dead process's lock is taken over).
// Loaded on first use: browsers never import node:fs.
import { ReplicoreError } from '../errors.js';
import { keyValueConnector } from './key-value.js';

async function nodeFiles() {
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new ReplicoreError('bad_request', 'storage "file" needs Node');
  }
  return import('./file-store.js');
}

export const fileConnector = keyValueConnector({
  name: 'file',
  describe: 'file',
  blocked: (name) => `file database "${name}" is open in another process or another open() ` +
    '(its LOCK file is held)',
  async store(name, { directory } = {}) {
    const { FileStore, directoryFor } = await nodeFiles();
    return new FileStore(directoryFor(name, directory));
  },
  async lock(name, { directory } = {}) {
    const { lockDirectory, directoryFor } = await nodeFiles();
    return lockDirectory(directoryFor(name, directory));
  },
});
