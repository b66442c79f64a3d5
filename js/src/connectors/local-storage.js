// localStorage persistence: the IndexedDB layout in keys (ARCHITECTURE.md §3.7), for
// small data. `replicore:<db>:meta` ({generation, pages, through, first, last, records})
// says which pages generation is current, which journal keys exist (first..last) and which
// the pages include (..through); it is written last, so a crash between keys leaves keys
// that open ignores (and removes). localStorage has no transactions: tabs take the
// database's Web Lock for every commit and catch-up, which makes a commit as exclusive as
// an IndexedDB transaction. Quota errors remove what the failed write added.
import { ReplicoreError, storageError } from '../errors.js';

function keys(name) {
  const prefix = `replicore:${name}:`;
  return {
    prefix,
    meta: `${prefix}meta`,
    lock: `replicore:localstorage:${name}:write`,
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

// Runs `fn` holding the database's lock (alone where Web Locks do not exist: one tab).
function exclusive(name, fn) {
  if (typeof navigator === 'undefined' || !navigator.locks?.request) return Promise.resolve().then(fn);
  return navigator.locks.request(name, fn);
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

export const localStorageConnector = {
  name: 'localstorage',
  shared: true,

  async open(name) {
    const store = storage();
    const k = keys(name);
    const opened = await exclusive(k.lock, () => {
      const meta = readMeta(store, k);
      // Leftovers of a write interrupted before its meta landed.
      const live = new Set([k.meta]);
      for (let i = 0; i < meta.pages; i++) live.add(k.page(meta.generation, i));
      for (let seq = meta.first; seq <= meta.last; seq++) live.add(k.journal(seq));
      for (const key of keysWithPrefix(store, k.prefix)) if (!live.has(key)) store.removeItem(key);
      return readNews(store, k, name, -1).news;
    });

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

    // Writes `plan` after `meta`: the entry under the next key; a compaction also a new
    // pages generation, keeping the journal keys after the previous pages.
    const write = (meta, plan) => {
      const key = meta.last + 1;
      const next = plan.pages
        ? { generation: meta.generation + 1, pages: plan.pages.length, through: key,
          first: meta.through + 1, last: key, records: 0 }
        : { ...meta, last: key, records: meta.records + plan.records };
      const entries = [[k.journal(key), plan.entry]];
      if (plan.pages) plan.pages.forEach((page, i) => entries.push([k.page(next.generation, i), page]));
      writeAll(entries);
      try {
        store.setItem(k.meta, JSON.stringify(next));
      } catch (error) {
        for (const [written] of entries) store.removeItem(written);
        throw storageError(error);
      }
      if (plan.pages) {  // the old generation and the journal it held are garbage now
        for (let i = 0; i < meta.pages; i++) store.removeItem(k.page(meta.generation, i));
        for (let seq = meta.first; seq < next.first; seq++) store.removeItem(k.journal(seq));
      }
      return next;
    };

    return {
      state: { pages: opened.reload?.pages ?? [], journal: opened.reload?.journal ?? opened.entries, last: opened.last },

      read(applied) {
        checkOpen();
        return exclusive(k.lock, () => readNews(store, k, name, applied).news);
      },

      // See indexeddb.js: body(news) runs holding the lock, after the catch-up read.
      transact(applied, body) {
        checkOpen();
        return exclusive(k.lock, () => {
          checkOpen();
          const { news, meta } = readNews(store, k, name, applied);
          const plan = body(news);
          if (!plan) return { last: news.last, wrote: false };
          return { last: write(meta, plan).last, wrote: true };
        });
      },

      async close() { closed = true; },
    };
  },

  async destroy(name) {
    const store = storage();
    for (const key of keysWithPrefix(store, keys(name).prefix)) store.removeItem(key);
  },
};
