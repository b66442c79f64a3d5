// Persistence in a key-value store, the IndexedDB layout in keys (ARCHITECTURE.md §3.7):
// localStorage in browsers (local-storage.js), files in Node (file.js).
// `replicore:<db>:meta` ({generation, pages, through, first, last, records}) says which
// pages generation is current, which journal keys exist (first..last) and which the pages
// include (..through); it is written last, so a crash between keys leaves keys that open
// ignores (and removes). Quota errors remove what the failed write added. One opener at a
// time: the store's lock is held while the database is open; another opener is refused
// with `blocked`.
import { ReplicoreError, storageError } from '../errors.js';

function keys(name) {
  const prefix = `replicore:${name}:`;
  return {
    prefix,
    meta: `${prefix}meta`,
    page: (generation, index) => `${prefix}page:${generation}:${index}`,
    journal: (seq) => `${prefix}journal:${seq}`,
  };
}

function keysWithPrefix(store, prefix) {
  const found = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key && key.startsWith(prefix)) found.push(key);
  }
  return found;
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
function readNews(store, k, name, applied, meta = readMeta(store, k)) {
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

// A connector over `kind`: {name, describe: how errors name it, blocked(dbName): the
// message when another opener holds it, store(dbName, options):
// a Storage-like {getItem, setItem, removeItem, key(i), length} (or a promise of one),
// lock(dbName, options): resolves to a release function, or to null when another opener
// holds the database}.
export function keyValueConnector(kind) {
  return {
    name: kind.name,
    shared: false,  // one opener at a time

    async open(name, options = {}) {
      const store = await kind.store(name, options);
      const k = keys(name);
      const release = await kind.lock(name, options);
      if (!release) {
        throw new ReplicoreError('blocked', kind.blocked(name));
      }
      return openKeyValue(store, k, name, kind, release);
    },

    async destroy(name, options = {}) {
      const store = await kind.store(name, options);
      for (const key of keysWithPrefix(store, keys(name).prefix)) store.removeItem(key);
    },
  };
}

// The connection to an opened database (see indexeddb.js for the contract).
function openKeyValue(store, k, name, kind, release) {
  let opened;
  try {
    opened = removeLeftovers(store, k, name);
  } catch (error) {
    release();
    throw storageError(error, `opening ${kind.describe}`);
  }

  // Only this opener writes (the lock), so the meta it last read or wrote is the one on
  // disk: kept here rather than read and parsed again for every commit.
  let meta = readMeta(store, k);
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new ReplicoreError('closed', `${kind.describe} database "${name}" is closed`);
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
  // pages generation and an empty journal (no other opener can lag behind it).
  const write = (plan) => {
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
    meta = next;
    return next;
  };

  return {
    state: { pages: opened.reload?.pages ?? [], journal: opened.reload?.journal ?? opened.entries, last: opened.last },

    async read(applied) {
      checkOpen();
      return readNews(store, k, name, applied, meta).news;
    },

    get journaled() { return meta.records; },

    // Only this opener writes: never stale.
    async append(applied, plan) {
      checkOpen();
      if (meta.last !== applied) return { stale: true };
      return { last: write(plan).last, wrote: true };
    },

    // Nothing to hold: only this opener writes.
    async hold(applied) {
      checkOpen();
      const { news } = readNews(store, k, name, applied, meta);
      return {
        news,
        async commit(plan) {
          checkOpen();
          return plan ? { last: write(plan).last, wrote: true } : { last: news.last, wrote: false };
        },
        abort() {},
      };
    },

    async close() {
      closed = true;
      release();
    },
  };
}
