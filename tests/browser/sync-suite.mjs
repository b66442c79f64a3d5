// A page that syncs its IndexedDB database live with replicore-server (sync.test.mjs).
import { open, remote } from '/js/src/index.js';

const todoModel = await (await fetch('/web-example/models/todo.json')).json();
let db;
let sync;

export async function start(name, api) {
  db = await open({ name, models: [todoModel] });
  sync = db.sync(remote(api, { models: [todoModel], timeout: 3000 }), { interval: 200, retry: { min: 100, max: 400 } });
  return true;
}

export async function write(ids) {
  for (const id of ids) await db.Todo.create({ id, title: `written ${id}` });
  return true;
}

export function status() {
  return sync.status;
}

export async function titleOf(id) {
  return (await db.Todo.findById(id))?.title ?? null;
}

export async function count() {
  return db.Todo.count();
}
