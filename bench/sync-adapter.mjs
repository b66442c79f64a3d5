// replicore's adapter for ../shared/bench/sync (W5, W6): the package as an app uses it,
// IndexedDB storage and remote() over fetch, one-shot replicate() calls (no live sync).
// The model is bench/models/todo.json, the file the server loads.
import { open, remote } from '../js/src/index.js';
import { loadCore } from '../js/src/core.js';

const TODO = await (await fetch(new URL('./models/todo.json', import.meta.url))).json();

function checked(result) {
  if (result.conflicts.length) throw new Error(`${result.conflicts.length} conflicts`);
  return result;
}

export default {
  name: 'replicore',
  version: 'replicore 0.1.0 (wasm, indexeddb, fetch remote)',
  async open({ remote: origin, name }) {
    await loadCore();
    const db = await open({ name, models: [TODO] });
    const server = remote(`${origin}/api`, { models: [TODO] });
    return {
      seed: (docs) => db.Todo.create(docs),                       // one atomic batch
      update: (docs) => Promise.all(docs.map((doc) => db.Todo.replaceOrCreate(doc))),  // one commit
      push: async () => checked(await db.Todo.replicate(server.Todo)),
      pull: async () => checked(await server.Todo.replicate(db.Todo)),
      read: async (ids) => {
        const found = await db.Todo.find({ where: { id: { inq: ids } } });
        const byId = new Map(found.map((doc) => [doc.id, doc]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      close: () => db.close(),
    };
  },
};
