// IndexedDB persistence (ARCHITECTURE.md §3): the core keeps everything in memory; disk
// holds `pages` (the compacted state, one JSON text per page) and `journal` (one text
// per group commit). Every persist is ONE readwrite transaction, and a compaction
// replaces the pages and clears the journal in that same transaction, so a crash leaves
// the old state or the new one, never a torn one.
import { ReplicoreError, storageError } from '../errors.js';

const VERSION = 1;
const STORES = ['pages', 'journal', 'meta'];

function databaseName(name) {
  return `replicore:${name}`;
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(databaseName(name), VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const store of STORES) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
      req.transaction.objectStore('meta').put({ format: 1 }, 'format');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError(req.error, 'opening IndexedDB'));
    req.onblocked = () => reject(new ReplicoreError('blocked',
      `opening IndexedDB "${databaseName(name)}" is blocked by another connection`));
  });
}

// Resolves when the transaction completes; rejects with its error when it aborts.
function completion(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    tx.onerror = (event) => event.preventDefault(); // reported once, by onabort
  });
}

export const indexedDbConnector = {
  name: 'indexeddb',

  async open(name, { durability = 'default' } = {}) {
    if (typeof indexedDB === 'undefined') {
      throw new ReplicoreError('bad_request', 'storage "indexeddb" needs a browser with IndexedDB');
    }
    const db = await openDatabase(name);
    let closed = false;
    // Another tab upgrading or deleting the database: let it, and fail later writes.
    db.onversionchange = () => { closed = true; db.close(); };
    db.onclose = () => { closed = true; };

    const tx = db.transaction(['pages', 'journal'], 'readonly');
    const [pages, journal, journalKeys] = await Promise.all([
      request(tx.objectStore('pages').getAll()),
      request(tx.objectStore('journal').getAll()),
      request(tx.objectStore('journal').getAllKeys()),
    ]);
    let lastSeq = journalKeys.length ? journalKeys[journalKeys.length - 1] : 0;

    return {
      state: { pages, journal },

      // `journal`: the texts of one group commit; or `pages`: the whole state, replacing
      // pages and journal.
      async persist({ journal: entry, pages: newPages }) {
        if (closed) throw new ReplicoreError('closed', `IndexedDB "${databaseName(name)}" is closed`);
        let write;
        try {
          write = db.transaction(newPages ? STORES : ['journal'], 'readwrite', { durability });
        } catch (error) {
          throw storageError(error);
        }
        const done = completion(write);
        try {
          if (newPages) {
            const pageStore = write.objectStore('pages');
            pageStore.clear();
            newPages.forEach((page, index) => pageStore.put(page, index));
            write.objectStore('journal').clear();
          } else {
            write.objectStore('journal').put(entry, lastSeq + 1);
          }
        } catch (error) {
          try { write.abort(); } catch { /* already finished */ }
          done.catch(() => {});
          throw storageError(error);
        }
        try {
          await done;
        } catch (error) {
          throw storageError(error);
        }
        if (!newPages) lastSeq += 1;
      },

      async close() {
        closed = true;
        db.close();
      },
    };
  },

  async destroy(name) {
    if (typeof indexedDB === 'undefined') return;
    await new Promise((resolve, reject) => {
      const req = indexedDB.deleteDatabase(databaseName(name));
      req.onsuccess = () => resolve();
      req.onerror = () => reject(storageError(req.error, 'deleting IndexedDB'));
      // "blocked" only says a connection is still closing (ours close on versionchange):
      // the deletion goes ahead once it has.
    });
  },
};
