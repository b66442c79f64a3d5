// Our JS client with a real LoopBack 3 server (npm loopback@3, installed by tests/interop's
// npm ci; memory connector, the web example's Todo model, REST at /api): push, pull, an
// update/update and an update/delete conflict, each resolution, and the remote CRUD.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { open, remote } from '../../js/src/index.js';
import { todoModel, uniqueName } from './helpers.mjs';

const interop = fileURLToPath(new URL('../interop/package.json', import.meta.url));
const loopback = createRequire(interop)('loopback');

let server;
let api;

before(async () => {
  const app = loopback();
  app.set('remoting', { json: { strict: false, limit: '100kb' }, rest: { handleErrors: true },
    errorHandler: { debug: false, log: false } });
  app.dataSource('db', { connector: 'memory' });
  const { name, properties, ...settings } = todoModel;
  // changeCleanupInterval: no timer left behind to keep the test process alive.
  const Todo = loopback.createModel(name, properties, { ...settings, changeCleanupInterval: -1 });
  app.model(Todo, { dataSource: 'db', public: true });
  app.use('/api', loopback.rest());
  await new Promise((resolve) => { server = app.listen(0, '127.0.0.1', resolve); });
  api = `http://127.0.0.1:${server.address().port}/api`;
});

after(() => new Promise((resolve) => server.close(resolve)));

const titles = async (model) => (await model.find({ order: 'id ASC' })).map((t) => `${t.id}:${t.title}`);

test('push, pull and each resolution against LoopBack 3', async () => {
  const { Todo: lb } = remote(api, { models: [todoModel] });
  const db = await open({ name: uniqueName('lb'), models: [todoModel], storage: 'memory' });

  await db.Todo.create([{ id: 'a', title: 'one' }, { id: 'b', title: 'two' }, { id: 'c', title: 'three' }]);
  const push = await db.Todo.replicate(lb);
  assert.deepEqual(push.conflicts, []);
  assert.deepEqual(await titles(lb), ['a:one', 'b:two', 'c:three']);

  await lb.create({ id: 'd', title: 'four' });
  await lb.patchById('a', { title: 'one, on LoopBack' });
  await lb.deleteById('c');
  assert.deepEqual((await lb.replicate(db.Todo)).conflicts, []);
  assert.deepEqual(await titles(db.Todo), ['a:one, on LoopBack', 'b:two', 'd:four']);

  // update/update, pushed: keep ours.
  await db.Todo.patchById('a', { title: 'phone a' });
  await lb.patchById('a', { title: 'lb a' });
  let conflicts = (await db.Todo.replicate(lb)).conflicts;
  assert.deepEqual(conflicts.map((c) => [c.modelId, c.type]), [['a', 'update']]);
  await conflicts[0].resolveUsingSource();
  assert.deepEqual((await db.Todo.replicate(lb)).conflicts, []);
  assert.equal((await lb.findById('a')).title, 'phone a');

  // update/update, pulled: keep LoopBack's (the source of a pull).
  await db.Todo.patchById('b', { title: 'phone b' });
  await lb.patchById('b', { title: 'lb b' });
  conflicts = (await lb.replicate(db.Todo)).conflicts;
  assert.deepEqual(conflicts.map((c) => c.modelId), ['b']);
  const lastChangeOfB = async () => (await fetch(`${api}/Todos/b/changes/last`)).json();
  const lbChange = await lastChangeOfB();
  await conflicts[0].resolveUsingSource();  // the phone takes LoopBack's row as it is
  assert.equal((await db.Todo.findById('b')).title, 'lb b');
  assert.deepEqual(await lastChangeOfB(), lbChange);  // LoopBack's change untouched
  assert.deepEqual((await lb.replicate(db.Todo)).conflicts, []);
  assert.deepEqual((await db.Todo.replicate(lb)).conflicts, []);
  assert.equal((await db.Todo.findById('b')).title, 'lb b');

  // update/delete: deleted on LoopBack, edited here; resolved manually with a merge.
  await lb.deleteById('d');
  await db.Todo.patchById('d', { title: 'phone d' });
  conflicts = (await db.Todo.replicate(lb)).conflicts;
  assert.deepEqual(conflicts.map((c) => c.modelId), ['d']);
  await conflicts[0].resolveManually({ id: 'd', title: 'merged d' });
  assert.deepEqual((await db.Todo.replicate(lb)).conflicts, []);
  assert.deepEqual((await lb.replicate(db.Todo)).conflicts, []);
  assert.equal((await lb.findById('d')).title, 'merged d');
  assert.deepEqual(await titles(db.Todo), await titles(lb));
  await db.close();
});

test('the remote CRUD speaks to LoopBack 3 as to replicore-server', async () => {
  const { Todo: lb } = remote(api, { models: [todoModel] });
  await lb.create({ id: 'crud1', title: 'x' });
  assert.equal((await lb.findOne({ where: { id: 'crud1' } })).title, 'x');
  assert.equal(await lb.findById('missing'), null);
  assert.equal(await lb.exists('crud1'), true);
  assert.deepEqual(await lb.updateAll({ id: 'crud1' }, { title: 'y' }), { count: 1 });
  await assert.rejects(lb.create({ id: 'crud1' }), (error) => error.code === 'conflict' && error.status === 409);
  await assert.rejects(lb.create({ id: 'bad', nope: 1 }), (error) => error.code === 'validation' && error.status === 422);
  assert.deepEqual(await lb.deleteById('crud1'), { count: 1 });
});
