// localStorage persistence: the IndexedDB layout in keys (ARCHITECTURE.md §3.7), for
// small data. `replicore:<db>:meta` says which pages generation and which journal range
// are current and is written last, so a crash between keys leaves keys that open ignores
// (and removes). Quota errors remove what the failed write added.
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

export const localStorageConnector = {
  name: 'localstorage',

  async open(name) {
    const store = storage();
    const k = keys(name);
    let meta = JSON.parse(store.getItem(k.meta) ?? 'null') ?? { generation: 0, pages: 0, first: 1, last: 0 };
    const pages = [];
    for (let i = 0; i < meta.pages; i++) pages.push(store.getItem(k.page(meta.generation, i)));
    const journal = [];
    for (let seq = meta.first; seq <= meta.last; seq++) journal.push(store.getItem(k.journal(seq)));
    if (pages.includes(null) || journal.includes(null)) {
      throw new ReplicoreError('storage', `localStorage of "${name}" lost keys its meta names`);
    }
    // Leftovers of a write interrupted before its meta landed.
    const live = new Set([k.meta]);
    for (let i = 0; i < meta.pages; i++) live.add(k.page(meta.generation, i));
    for (let seq = meta.first; seq <= meta.last; seq++) live.add(k.journal(seq));
    for (const key of keysWithPrefix(store, k.prefix)) if (!live.has(key)) store.removeItem(key);

    let closed = false;
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

    return {
      state: { pages, journal },

      async persist({ journal: entry, pages: newPages }) {
        if (closed) throw new ReplicoreError('closed', `localStorage database "${name}" is closed`);
        const next = newPages
          ? { generation: meta.generation + 1, pages: newPages.length, first: meta.last + 1, last: meta.last }
          : { ...meta, last: meta.last + 1 };
        const entries = newPages
          ? newPages.map((page, i) => [k.page(next.generation, i), page])
          : [[k.journal(next.last), entry]];
        writeAll(entries);
        try {
          store.setItem(k.meta, JSON.stringify(next));
        } catch (error) {
          for (const [key] of entries) store.removeItem(key);
          throw storageError(error);
        }
        if (newPages) {  // the old generation and the folded journal are garbage now
          for (let i = 0; i < meta.pages; i++) store.removeItem(k.page(meta.generation, i));
          for (let seq = meta.first; seq <= meta.last; seq++) store.removeItem(k.journal(seq));
        }
        meta = next;
      },

      async close() { closed = true; },
    };
  },

  async destroy(name) {
    const store = storage();
    for (const key of keysWithPrefix(store, keys(name).prefix)) store.removeItem(key);
  },
};
