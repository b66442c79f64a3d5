// Browser benchmark adapter (../shared/bench/browser): replicore's JS package with the
// IndexedDB connector, revisions and change log included. Every write resolves in the
// IndexedDB transaction's `complete` (ARCHITECTURE.md §3). REPLICORE_DURABILITY in the
// page URL's query (?durability=strict) is not available to adapters, so two adapters
// exist: this one (the platform default, relaxed) and replicore-strict-adapter.mjs.
import { open, destroy } from '../js/src/index.js';
import { loadCore } from '../js/src/core.js';

await loadCore();  // fetch and compile the wasm before any clock starts

const TODO = {
  name: 'Todo',
  plural: 'Todos',
  strict: false,
  trackChanges: true,
  properties: {
    id: { type: 'string', id: true },
    title: 'string',
    completed: 'boolean',
    created: { type: 'number', index: true },  // W4 orders by it: the query walks this index
    tags: ['string'],
  },
};

export function makeAdapter(durability) {
  return {
    name: durability === 'strict' ? 'replicore-strict' : 'replicore',
    version: `replicore 0.1.0 (indexeddb connector, durability ${durability})`,
    queryPlan: 'in memory (wasm): walk of the index on created, where tested per record, limit',
    async open(dbName) {
      const db = await open({ name: dbName, models: [TODO], storage: 'indexeddb', durability });
      const todos = db.Todo;
      return {
        bulkInsert: (docs) => todos.create(docs),
        put: (doc) => todos.replaceOrCreate(doc),
        loadAll: () => todos.find(),
        query: ({ where, orderBy, direction, limit }) =>
          todos.find({ where, order: `${orderBy} ${direction.toUpperCase()}`, limit }),
        close: () => db.close(),
      };
    },
    async destroy(dbName) {
      await destroy(dbName, { storage: 'indexeddb' });
    },
  };
}

export default makeAdapter('default');
