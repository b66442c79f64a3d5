// A page that syncs its IndexedDB database live with replicore-server (sync.test.mjs).
import { open, remote } from '/js/src/index.js';

const todoModel = await (await fetch('/web-example/models/todo.json')).json();
let db;
let sync;
let requests = 0;  // this tab's requests to the server

export async function start(name, api) {
  db = await open({ name, models: [todoModel] });
  const counting = (url, init) => { requests += 1; return fetch(url, init); };
  sync = db.sync(remote(api, { models: [todoModel], timeout: 3000, fetch: counting }),
    { interval: 200, retry: { min: 100, max: 400 } });
  return true;
}

export function requestCount() {
  return requests;
}

export function isLeader() {
  return db.tabs.isLeader;
}

export async function syncNow() {
  await sync.now();
  return sync.status;
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

// Opens without starting sync, writes `count` notes in one batch, then starts sync.
export async function writeThenSync(name, api, prefix, count) {
  db = await open({ name, models: [todoModel] });
  await db.Todo.create(Array.from({ length: count }, (_, i) => ({ id: `${prefix}${String(i).padStart(5, '0')}`, title: 'x'.repeat(80) })));
  sync = db.sync(remote(api, { models: [todoModel], timeout: 3000 }), { interval: 200, retry: { min: 100, max: 400 } });
  return true;
}
