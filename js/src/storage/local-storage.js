// localStorage persistence: the IndexedDB layout in keys (ARCHITECTURE.md §3.7), for
// small data. `replicore:<db>:meta` ({generation, pages, through, first, last, records})
// says which pages generation is current, which journal keys exist (first..last) and which
// the pages include (..through); it is written last, so a crash between keys leaves keys
// that open ignores (and removes). Quota errors remove what the failed write added.
// One tab at a time: Chromium gives each renderer its own cached copy of localStorage and
// propagates writes to the others asynchronously, so two tabs could not even read each
// other's commits reliably. A tab holds the database's Web Lock while it is open; a second
// tab is refused with `blocked` until the first closes or crashes.
import { ReplicoreError, storageError } from '../errors.js';

function keys(name) {
  const prefix = `replicore:${name}:`;
  return {
    prefix,
    meta: `${prefix}meta`,
    lock: `replicore:localstorage:${name}:open`,
    page: (generation, index) => `${prefix}page:${generation}:${index}`,
    journal: (seq) => `${prefix}journal:${seq}`,
  };
}

function storage() {
  if (typeof localStorage === 'undefined') {
    throw new ReplicoreError('bad_request', 'storage "localstorage" needs a browser with localStorage');
  }
  return localStorage;
}

function keysWithPrefix(store, prefix) {
  const found = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key && key.startsWith(prefix)) found.push(key);
  }
  return found;
}

// Holds the database's lock until `released` resolves; false if another tab still holds
// it after `waitMs` (a tab that is closing lets go of it a moment later). Without Web
// Locks (no browser) there is only one tab.
function holdLock(name, released, waitMs = 1500) {
  if (typeof navigator === 'undefined' || !navigator.locks?.request) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.timeout(waitMs);
    navigator.locks.request(name, { signal }, () => {
      resolve(true);
      return released;
    }).catch((error) => (signal.aborted ? resolve(false) : reject(error)));
  });
}

function readMeta(store, k) {
  const meta = JSON.parse(store.getItem(k.meta) ?? 'null');
  if (!meta) return { generation: 0, pages: 0, through: 0, first: 1, last: 0, records: 0 };
  // Written before `through` existed: the journal held exactly what followed the pages.
  return { through: meta.first - 1, records: meta.last - meta.first + 1, ...meta };
}

function readKeys(store, keyList, name) {
  const texts = keyList.map((key) => store.getItem(key));
  if (texts.includes(null)) {
    throw new ReplicoreError('storage', `localStorage of "${name}" lost keys its meta names`);
  }
  return texts;
}

function range(from, to) {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

// What was committed after key `applied` (see indexeddb.js for the shape).
function readNews(store, k, name, applied) {
  const meta = readMeta(store, k);
  const news = { last: meta.last, records: meta.records, entries: [], reload: null };
  if (applied >= meta.first - 1) {
    news.entries = readKeys(store, range(applied + 1, meta.last).map(k.journal), name);
  } else {
    news.reload = {
      pages: readKeys(store, range(0, meta.pages - 1).map((i) => k.page(meta.generation, i)), name),
      journal: readKeys(store, range(meta.through + 1, meta.last).map(k.journal), name),
    };
  }
  return { news, meta };
}

// Removes the keys of a write interrupted before its meta landed; returns everything.
function removeLeftovers(store, k, name) {
  const meta = readMeta(store, k);
  const live = new Set([k.meta]);
  for (let i = 0; i < meta.pages; i++) live.add(k.page(meta.generation, i));
  for (let seq = meta.first; seq <= meta.last; seq++) live.add(k.journal(seq));
  for (const key of keysWithPrefix(store, k.prefix)) if (!live.has(key)) store.removeItem(key);
  return readNews(store, k, name, -1).news;
}

export const localStorageConnector = {
  name: 'localstorage',
  shared: false,  // one tab at a time

  async open(name) {
    const store = storage();
    const k = keys(name);
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    if (!await holdLock(k.lock, released)) {
      throw new ReplicoreError('blocked', `localStorage database "${name}" is open in another tab ` +
        '(localStorage cannot be shared between tabs: use IndexedDB)');
    }
    let opened;
    try {
      opened = removeLeftovers(store, k, name);
    } catch (error) {
      release();
      throw error;
    }

    let closed = false;
    const checkOpen = () => {
      if (closed) throw new ReplicoreError('closed', `localStorage database "${name}" is closed`);
    };
    const writeAll = (entries) => {  // [key, value]...; on failure removes what it wrote
      const written = [];
      try {
        for (const [key, value] of entries) {
          store.setItem(key, value);
          written.push(key);
        }
      } catch (error) {
        for (const key of written) store.removeItem(key);
        throw storageError(error);
      }
    };

    // Writes `plan` after `meta`: the entry under the next key, or a compaction: a new
    // pages generation and an empty journal (no other tab can lag behind it).
    const write = (meta, plan) => {
      const key = meta.last + 1;
      const next = plan.pages
        ? { generation: meta.generation + 1, pages: plan.pages.length, through: key,
          first: key + 1, last: key, records: 0 }
        : { ...meta, last: key, records: meta.records + plan.records };
      const entries = plan.pages
        ? plan.pages.map((page, i) => [k.page(next.generation, i), page])
        : [[k.journal(key), plan.entry]];
      writeAll(entries);
      try {
        store.setItem(k.meta, JSON.stringify(next));
      } catch (error) {
        for (const [written] of entries) store.removeItem(written);
        throw storageError(error);
      }
      if (plan.pages) {  // the old generation and the journal it held are garbage now
        for (let i = 0; i < meta.pages; i++) store.removeItem(k.page(meta.generation, i));
        for (let seq = meta.first; seq <= meta.last; seq++) store.removeItem(k.journal(seq));
      }
      return next;
    };

    return {
      state: { pages: opened.reload?.pages ?? [], journal: opened.reload?.journal ?? opened.entries, last: opened.last },

      async read(applied) {
        checkOpen();
        return readNews(store, k, name, applied).news;
      },

      get journaled() { return readMeta(store, k).records; },

      // See indexeddb.js. Only this tab writes: never stale.
      async append(applied, plan) {
        checkOpen();
        const meta = readMeta(store, k);
        if (meta.last !== applied) return { stale: true };
        return { last: write(meta, plan).last, wrote: true };
      },

      // See indexeddb.js; nothing to hold: only this tab writes.
      async hold(applied) {
        checkOpen();
        const { news, meta } = readNews(store, k, name, applied);
        return {
          news,
          async commit(plan) {
            checkOpen();
            return plan ? { last: write(meta, plan).last, wrote: true } : { last: news.last, wrote: false };
          },
          abort() {},
        };
      },

      async close() {
        closed = true;
        release();
      },
    };
  },

  async destroy(name) {
    const store = storage();
    for (const key of keysWithPrefix(store, keys(name).prefix)) store.removeItem(key);
  },
};
