// Runs inside Chromium: the package loaded from the same files Node uses (js/src), the
// wasm from js/dist. Each export is called by browser.test.mjs through page.evaluate and
// returns plain data (or throws with a message the runner shows).
import { open, destroy, ReplicoreError } from '/js/src/index.js';

const todoModel = await (await fetch('/web-example/models/todo.json')).json();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}: ${a} !== ${e}`);
}

async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (error) {
    check(error instanceof ReplicoreError, `not a ReplicoreError: ${error}`);
    equal(error.code, code, error.message);
    return error;
  }
  throw new Error(`expected a rejection with code ${code}`);
}

export function openTodos(name, storage, extra = {}) {
  return open({ name, models: [todoModel], storage, ...extra });
}

const all = (db) => db.Todo.find({ order: 'id ASC' });

// The connector conformance suite: the same checks for memory, localStorage, IndexedDB.
export async function conformance(storage, name) {
  await destroy(name, { storage });
  let db = await openTodos(name, storage);
  equal(await db.Todo.count(), 0, 'a new database is empty');

  const events = [];
  db.Todo.on('change', (e) => events.push(`${e.type}:${e.id}`));
  await db.Todo.create({ id: 'a', title: 'alpha' });
  await db.Todo.create([{ id: 'b', title: 'beta' }, { id: 'c', title: 'gamma', completed: true }]);
  await db.Todo.patchById('a', { completed: true });
  await db.Todo.replaceById('b', { title: 'beta 2' });
  await db.Todo.upsert({ id: 'd', title: 'delta' });
  await db.Todo.deleteById('c');
  // Group commit: many writes of one tick, one transaction.
  await Promise.all(Array.from({ length: 30 }, (_, i) => db.Todo.create({ id: `g${String(i).padStart(2, '0')}` })));
  equal(events.slice(0, 7), ['save:a', 'save:b', 'save:c', 'save:a', 'save:b', 'save:d', 'delete:c'], 'events');
  equal(events.length, 37, 'one event per record written');
  await rejectsWith(db.Todo.create({ id: 'a' }), 'conflict');
  await rejectsWith(db.Todo.create({ id: 'bad', nope: 1 }), 'validation');
  const before = await all(db);
  const changes = await db.Todo.changes();
  equal(before.length, 33, 'records');
  await db.close();
  await rejectsWith(db.Todo.count(), 'closed');

  db = await openTodos(name, storage);
  const persistent = storage !== 'memory';
  equal(await all(db), persistent ? before : [], 'reopened: the same records');
  equal(await db.Todo.changes(), persistent ? changes : [], 'reopened: the same change log');

  // Past the compaction threshold and beyond: pages plus journal read back alike.
  const many = Array.from({ length: 2500 }, (_, i) => ({ id: `m${String(i).padStart(4, '0')}`, title: `n${i}` }));
  await db.Todo.create(many);
  for (let i = 0; i < 20; i++) await db.Todo.patchById(`m${String(i).padStart(4, '0')}`, { completed: true });
  const afterMany = await all(db);
  await db.close();
  db = await openTodos(name, storage);
  equal((await all(db)).length, persistent ? afterMany.length : 0, 'after compaction: count');
  if (persistent) equal(await all(db), afterMany, 'after compaction: the same records');

  // local <-> local replication between two databases of this storage.
  await db.Todo.upsert({ id: 'a', title: 'alpha' });  // memory reopened empty
  const other = await openTodos(`${name}-peer`, storage);
  await db.Todo.replicate(other.Todo);
  equal(await other.Todo.count(), await db.Todo.count(), 'replicated');
  await db.Todo.patchById('a', { title: 'here' });
  await other.Todo.patchById('a', { title: 'there' });
  const { conflicts } = await db.Todo.replicate(other.Todo);
  equal(conflicts.length, 1, 'one conflict');
  await conflicts[0].resolveUsingTarget();
  await db.Todo.replicate(other.Todo);
  await other.Todo.replicate(db.Todo);
  equal((await db.Todo.findById('a')).title, 'there', 'resolved using the target');
  equal(await all(db), await all(other), 'both sides equal');
  const settled = await all(db);
  equal((await db.Todo.replicate(other.Todo)).applied, 0, 'nothing new to replicate');
  await other.close();
  await db.close();
  db = await openTodos(name, storage);
  equal(await all(db), persistent ? settled : [], 'reopened after replicating');
  await db.close();
  await destroy(name, { storage });
  await destroy(`${name}-peer`, { storage });
  return { ok: true, events: events.length };
}

// ---- persistence across pages
export async function writeSome(storage, name, count, { durability } = {}) {
  const db = await openTodos(name, storage, durability ? { durability } : {});
  const ids = [];
  for (let i = 0; i < count; i++) {
    const todo = await db.Todo.create({ title: `w${i}` });
    ids.push(todo.id);
  }
  window.__db = db;  // left open: the runner closes the page
  return ids;
}

export async function readIds(storage, name) {
  const db = await openTodos(name, storage);
  const ids = (await db.Todo.find({ fields: { id: true } })).map((t) => t.id);
  const changes = await db.Todo.changes();
  await db.close();
  return { ids, changeIds: changes.map((c) => c.modelId) };
}

export async function destroyDb(storage, name) {
  await destroy(name, { storage });
  return true;
}

// Starts a write that compacts (its promise not awaited): the runner closes the page.
export async function startCompaction(storage, name, base, count) {
  const db = await openTodos(name, storage);
  const ids = [];
  for (let i = 0; i < base; i++) ids.push((await db.Todo.create({ title: `base${i}` })).id);
  const batch = Array.from({ length: count }, (_, i) => ({ title: `big${i}` }));
  window.__compaction = db.Todo.create(batch);
  return ids;
}

// ---- failed persists
function patchOnce(proto, method, replacement) {
  const original = proto[method];
  proto[method] = function patched(...args) {
    proto[method] = original;
    return replacement.call(this, original, args);
  };
  return () => { proto[method] = original; };
}

export async function failedPersist(storage, name, how) {
  await destroy(name, { storage });
  let db = await openTodos(name, storage);
  await db.Todo.create({ id: 'kept', title: 'on disk' });
  const quota = () => new DOMException('simulated quota', 'QuotaExceededError');
  let restore;
  if (storage === 'localstorage') {
    restore = patchOnce(Storage.prototype, 'setItem', () => { throw quota(); });
  } else if (how === 'quota') {
    restore = patchOnce(IDBObjectStore.prototype, 'put', () => { throw quota(); });
  } else {  // an aborted transaction
    restore = patchOnce(IDBObjectStore.prototype, 'put', function abort(original, args) {
      const req = original.apply(this, args);
      this.transaction.abort();
      return req;
    });
  }
  // Three writes of one tick (one group) plus one queued behind it: all undone.
  const writes = [
    db.Todo.create({ id: 'lost1' }),
    db.Todo.patchById('kept', { title: 'lost edit' }),
    db.Todo.deleteById('kept'),
  ];
  const errors = await Promise.allSettled(writes);
  restore();
  const codes = errors.map((r) => (r.status === 'rejected' ? r.reason.code : 'resolved'));
  const memory = await all(db);
  const memoryChanges = await db.Todo.changes();
  // Writes after the failure work again.
  await db.Todo.create({ id: 'after', title: 'after the failure' });
  const memoryAfter = await all(db);
  await db.close();
  db = await openTodos(name, storage);
  const disk = await all(db);
  await db.close();
  await destroy(name, { storage });
  return { codes, memory, memoryChanges: memoryChanges.length, memoryAfter, disk };
}
