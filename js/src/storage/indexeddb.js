// IndexedDB persistence (ARCHITECTURE.md §3): the core keeps everything in memory; disk
// holds `pages` (a compacted state, one JSON text per page), `journal` (one text per group
// commit, keyed by a sequence number shared by every tab) and `meta` ('state': {last,
// through, records}: the newest journal key, the key the pages include, and the records
// journaled since). Every commit is ONE readwrite transaction over all three stores, and
// IndexedDB runs such transactions one at a time across tabs. A commit computed on what a
// tab knows (append) reads 'state' in its transaction and aborts if another tab committed
// since; the tab then commits again holding a transaction in which it first reads and
// applies what the others committed (hold). A compaction writes the pages in the same
// transaction and keeps one cycle of journal behind them, so a tab that lags by less than
// a cycle still catches up entry by entry.
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

// Calls `then(value)` in the success callback of `req`, where the transaction is still
// active (an awaited promise would let it commit first).
function onSuccess(req, then) {
  req.onsuccess = () => then(req.result);
}

// A database written before meta 'state' existed: its newest journal key, nothing compacted
// that a tab could lag behind.
function stateOf(stored, keys) {
  if (stored) return stored;
  return { last: keys.length ? keys[keys.length - 1] : 0, through: 0, records: keys.length };
}

// Reads what the tabs committed after key `applied` within `tx`, then calls
// `then(news)`: {last, records, entries: [text...], reload: {pages, journal} | null}.
// `reload` is set when entries after `applied` were folded into pages and deleted: the
// reader rebuilds its state from scratch.
function readNews(tx, applied, then) {
  const meta = tx.objectStore('meta');
  const journal = tx.objectStore('journal');
  const after = IDBKeyRange.lowerBound(applied, true);
  let stored;
  onSuccess(meta.get('state'), (value) => { stored = value; });
  let keys;
  onSuccess(journal.getAllKeys(after), (value) => { keys = value; });
  onSuccess(journal.getAll(after), (entries) => {
    const state = stateOf(stored, keys);
    const news = { last: state.last, records: state.records, entries, reload: null };
    const gap = applied < state.last && (!keys.length || keys[0] !== applied + 1);
    if (!gap) {
      then(news, state, Boolean(stored));
      return;
    }
    onSuccess(tx.objectStore('pages').getAll(), (pages) => {
      onSuccess(journal.getAll(IDBKeyRange.lowerBound(state.through, true)), (all) => {
        then({ ...news, entries: [], reload: { pages, journal: all } }, state, Boolean(stored));
      });
    });
  });
}

export const indexedDbConnector = {
  name: 'indexeddb',
  shared: true,

  async open(name, { durability = 'default' } = {}) {
    if (typeof indexedDB === 'undefined') {
      throw new ReplicoreError('bad_request', 'storage "indexeddb" needs a browser with IndexedDB');
    }
    const db = await openDatabase(name);
    let closed = false;
    // Another tab upgrading or deleting the database: let it, and fail later writes.
    db.onversionchange = () => { closed = true; db.close(); };
    db.onclose = () => { closed = true; };
    const checkOpen = () => {
      if (closed) throw new ReplicoreError('closed', `IndexedDB "${databaseName(name)}" is closed`);
    };
    const transaction = (mode, options) => {
      checkOpen();
      try {
        return db.transaction(STORES, mode, options);
      } catch (error) {
        throw storageError(error);
      }
    };

    // Everything, as a reload: the pages and the journal entries after them.
    let known;  // meta 'state' as this connection last read or wrote it
    let stored;
    let opened;
    try {
      opened = await new Promise((resolve, reject) => {
        const tx = transaction('readonly');
        completion(tx).catch(reject);
        readNews(tx, -1, (news, state, isStored) => {
          known = state;
          stored = isStored;
          resolve(news);
        });
      });
      // A new database, or one from before meta 'state': write it, so that commits can
      // check it without reading the journal.
      if (!stored) await storeState(transaction('readwrite', { durability }), known);
    } catch (error) {
      db.close();
      throw storageError(error, 'opening IndexedDB');
    }
    const everything = opened.reload ?? { pages: [], journal: opened.entries };

    // Runs one readwrite transaction: `place(tx)` places its requests (and may set
    // `failure` or abort); resolves once it completed.
    const run = async (place) => {
      const tx = transaction('readwrite', { durability });
      const done = completion(tx);
      let failure;
      try {
        failure = place(tx);
      } catch (error) {
        failure = error;
      }
      // An abort that finds the transaction already aborted: its own error is the cause.
      if (failure && !abortFor(tx)) failure = undefined;
      try {
        await done;
      } catch (error) {
        throw storageError(failure ?? error);
      }
      if (failure) throw storageError(failure);
    };

    return {
      state: { pages: everything.pages, journal: everything.journal, last: opened.last },

      // Records journaled since the pages, as far as this tab knows.
      get journaled() { return known.records; },

      // News after `applied`, read in a readonly transaction.
      async read(applied) {
        const tx = transaction('readonly');
        const done = completion(tx);
        let news;
        readNews(tx, applied, (value, state) => {
          news = value;
          known = state;
        });
        try {
          await done;
        } catch (error) {
          throw storageError(error, 'reading IndexedDB');
        }
        return news;
      },

      // The fast commit: appends `plan` ({entry, records, pages?}: the journal text of
      // this commit, how many records it holds, the whole state when compacting) computed
      // on the state of key `applied`, in one round trip. If another tab committed since,
      // the transaction aborts and it resolves to {stale: true}; else to {last, wrote}.
      async append(applied, plan) {
        let stale = false;
        let next;
        try {
          await run((tx) => {
            if (known.last !== applied) {
              stale = true;
              return null;
            }
            onSuccess(tx.objectStore('meta').get('state'), (stored) => {
              if (stored?.last === applied) return;
              stale = true;
              abortFor(tx);
            });
            next = write(tx, known, plan);
            return null;
          });
        } catch (error) {
          if (stale) return { stale: true };
          throw error;
        }
        if (stale) return { stale: true };
        known = next;
        return { last: next.last, wrote: true, state: next };
      },

      // Another tab's commit notice carried the state after the entry this tab applied.
      adopt(state) {
        if (state?.last === known.last + 1) known = state;
      },

      // Opens a readwrite transaction, reads what the tabs committed after `applied` in
      // it, and keeps it open with a chain of small reads (so that no other tab commits)
      // until commit(plan) writes the plan (as for append; null: nothing) or abort().
      // Resolves to {news, commit, abort}; commit resolves to {last, wrote, state} once
      // the transaction completed.
      hold(applied) {
        return new Promise((resolve, reject) => {
          const tx = transaction('readwrite', { durability });
          const done = completion(tx);
          done.catch(reject);  // before the hold is handed out
          let finish = null;
          readNews(tx, applied, (news, state) => {
            const meta = tx.objectStore('meta');
            const spin = () => (finish ? finish() : onSuccess(meta.get('state'), spin));
            resolve({
              news,
              commit(plan) {
                let next = state;
                let failure;
                finish = () => {
                  try {
                    if (plan) next = write(tx, state, plan);
                  } catch (error) {
                    // Already aborted: the transaction's own error is the cause.
                    failure = abortFor(tx) ? error : undefined;
                  }
                };
                return done.then(() => {
                  known = next;
                  return { last: next.last, wrote: Boolean(plan), state: next };
                }, (error) => { throw storageError(failure ?? error); });
              },
              abort() {
                finish = () => abortFor(tx);
              },
            });
            spin();
          });
        });
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

// Puts `state` as meta 'state' unless a tab did meanwhile.
function storeState(tx, state) {
  const done = completion(tx);
  const meta = tx.objectStore('meta');
  onSuccess(meta.get('state'), (value) => { if (!value) meta.put(state, 'state'); });
  return done;
}

// Aborts `tx`; false if it had already finished.
function abortFor(tx) {
  try {
    tx.abort();
    return true;
  } catch {
    return false;
  }
}

// Appends `plan.entry` under the key after `state.last`; a compaction also replaces the
// pages and drops the journal entries the previous pages held (one cycle stays for tabs
// that lag). Returns the new state.
function write(tx, state, plan) {
  const key = state.last + 1;
  const journal = tx.objectStore('journal');
  journal.put(plan.entry, key);
  let next = { last: key, through: state.through, records: state.records + plan.records };
  if (plan.pages) {
    const pages = tx.objectStore('pages');
    pages.clear();
    plan.pages.forEach((page, index) => pages.put(page, index));
    if (state.through > 0) journal.delete(IDBKeyRange.upperBound(state.through));
    next = { last: key, through: key, records: 0 };
  }
  tx.objectStore('meta').put(next, 'state');
  return next;
}
