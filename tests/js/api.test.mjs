// The JS API on the memory connector: CRUD, filters, events, errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { open, ReplicoreError } from '../../js/src/index.js';
import { todoModel, uniqueName } from './helpers.mjs';

async function openTodos() {
  return open({ name: uniqueName(), models: [todoModel], storage: 'memory' });
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ReplicoreError, `not a ReplicoreError: ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('CRUD in the spirit of LoopBack', async () => {
  const db = await openTodos();
  const { Todo } = db;
  const eat = await Todo.create({ title: 'eat food' });
  assert.match(eat.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(eat.completed, false);
  assert.equal(typeof eat.created, 'number');

  await Todo.create([{ id: 'b', title: 'buy milk', completed: true }, { id: 'c', title: 'cook' }]);
  assert.equal(await Todo.count(), 3);
  assert.equal(await Todo.count({ completed: true }), 1);
  assert.equal(await Todo.exists('b'), true);
  assert.equal(await Todo.exists('nope'), false);
  assert.equal(await Todo.findById('nope'), null);
  assert.deepEqual((await Todo.findById('b')).title, 'buy milk');

  const open_ = await Todo.find({ where: { completed: false }, order: 'title ASC' });
  assert.deepEqual(open_.map((t) => t.title), ['cook', 'eat food']);
  assert.equal((await Todo.findOne({ where: { title: { like: 'bu%' } } })).id, 'b');
  assert.deepEqual(await Todo.find({ where: { id: { inq: ['b', 'c'] } }, fields: { id: true }, order: 'id DESC' }),
    [{ id: 'c' }, { id: 'b' }]);
  assert.equal((await Todo.patchById('c', { completed: true })).completed, true);
  const replaced = await Todo.replaceById('c', { title: 'cook dinner' });
  assert.equal(replaced.completed, false, 'replace re-applies defaults');
  assert.equal((await Todo.upsert({ id: 'b', title: 'buy oat milk' })).completed, true);
  assert.equal((await Todo.upsert({ id: 'd', title: 'dance' })).title, 'dance');
  assert.equal((await Todo.replaceOrCreate({ id: 'd', title: 'dance more' })).title, 'dance more');
  assert.equal((await Todo.upsertWithWhere({ title: 'dance more' }, { completed: true })).id, 'd');
  assert.deepEqual(await Todo.updateAll({ completed: true }, { completed: false }), { count: 2 });
  await db.checkpoint();  // LoopBack drops the row of a record created and deleted in one checkpoint
  assert.deepEqual(await Todo.deleteById('d'), { count: 1 });
  assert.deepEqual(await Todo.deleteById('d'), { count: 0 });
  assert.deepEqual(await Todo.deleteAll({ title: 'cook dinner' }), { count: 1 });
  assert.equal(await Todo.count(), 2);

  const changes = await Todo.changes();
  assert.equal(changes.length, 4, 'one change row per record ever written');
  assert.ok(changes.some((c) => c.modelId === 'd' && c.rev === null), 'a delete leaves a tombstone');
  await db.close();
});

test('dates, undefined and NaN are converted as LoopBack converts them', async () => {
  const db = await openTodos();
  const due = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  const todo = await db.Todo.create({ id: 'x', title: 'x', dueAt: due, meta: { n: NaN, u: undefined, l: [undefined] } });
  assert.equal(todo.dueAt, '2024-01-02T03:04:05.006Z');
  assert.deepEqual(todo.meta, { n: null, l: [null] });
  await db.close();
});

test('change events fire after the write resolved, for saves and deletes', async () => {
  const db = await openTodos();
  const events = [];
  const listener = (e) => events.push(e);
  db.Todo.on('change', listener);
  const pending = db.Todo.create({ id: 'e1', title: 'event' });
  assert.equal(events.length, 0, 'no event before the write is durable');
  await pending;
  await db.Todo.deleteById('e1');
  assert.deepEqual(events.map((e) => [e.type, e.id, e.data?.title ?? null]),
    [['save', 'e1', 'event'], ['delete', 'e1', null]]);
  db.Todo.off('change', listener);
  await db.Todo.create({ id: 'e2' });
  assert.equal(events.length, 2);
  assert.throws(() => db.Todo.on('changed', listener), { code: 'bad_request' });
  await db.close();
});

test('bad input gets a ReplicoreError with a stable code, and the core keeps working', async () => {
  const db = await openTodos();
  const { Todo } = db;
  await Todo.create({ id: 'a', title: 'a' });
  await rejectsWith(Todo.create({ id: 'v', bogus: 1 }), 'validation');
  await rejectsWith(Todo.create({ id: 'a' }), 'conflict');
  await rejectsWith(Todo.patchById('nope', { title: 'x' }), 'not_found');
  await rejectsWith(Todo.find({ where: { title: { between: 3 } } }), 'bad_filter');
  await rejectsWith(Todo.find('{not json'), 'bad_filter');
  await rejectsWith(Todo.findById({}), 'bad_request');
  await rejectsWith(Todo.create(42), 'validation');
  await rejectsWith(Todo.create({ title: 10n }), 'bad_request');
  const cyclic = { title: 'c' };
  cyclic.self = cyclic;
  await rejectsWith(Todo.create(cyclic), 'bad_request');
  await rejectsWith(Todo.create({ id: 's', title: 'a\ud800b' }), 'validation');
  await rejectsWith(Todo.create({ id: 's', meta: { '\udfff': 1 } }), 'validation');
  // Many at once: all or nothing, the failing index named.
  await assert.rejects(Todo.create([{ id: 'm1' }, { id: 'm2', bogus: true }]), (error) => {
    assert.equal(error.code, 'validation');
    assert.equal(error.details.index, 1);
    return true;
  });
  assert.equal(await Todo.count(), 1);
  assert.equal((await Todo.findById('a')).title, 'a');
  assert.throws(() => db.model('Nope'), { code: 'not_found' });
  await db.close();
  await rejectsWith(Todo.find(), 'closed');
  await rejectsWith(Todo.create({ id: 'late' }), 'closed');
});

test('open() checks its options', async () => {
  await rejectsWith(open(), 'bad_request');
  await rejectsWith(open({ name: '', models: [todoModel] }), 'bad_request');
  await rejectsWith(open({ name: 'x', models: [] }), 'bad_request');
  await rejectsWith(open({ name: 'x', models: [todoModel], storage: 'floppy' }), 'bad_request');
  await rejectsWith(open({ name: 'x', models: [todoModel], durability: 'maybe' }), 'bad_request');
  await rejectsWith(open({ name: 'x', models: [{ name: 'Bad', properties: { a: { type: 'nope' } } }] }), 'validation');
  await rejectsWith(open({ name: 'x', models: [todoModel], storage: 'indexeddb' }), 'bad_request');
});

test('writes in the same tick are group-committed and resolve in order', async () => {
  const db = await openTodos();
  const order = [];
  await Promise.all(Array.from({ length: 50 }, (_, i) =>
    db.Todo.create({ id: `g${i}` }).then(() => order.push(i))));
  assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(await db.Todo.count(), 50);
  await db.close();
});
