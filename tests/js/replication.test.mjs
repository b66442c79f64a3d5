// local <-> local replication through the JS API, conflicts and each resolution.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { open } from '../../js/src/index.js';
import { todoModel, uniqueName } from './helpers.mjs';

async function pair() {
  const phone = await open({ name: uniqueName('phone'), models: [todoModel], storage: 'memory' });
  const server = await open({ name: uniqueName('server'), models: [todoModel], storage: 'memory' });
  return { phone, server };
}

async function all(db) {
  return db.Todo.find({ order: 'id ASC' });
}

// Both directions until neither reports a conflict.
async function syncBoth(a, b) {
  const push = await a.Todo.replicate(b.Todo);
  const pull = await b.Todo.replicate(a.Todo);
  return [...push.conflicts, ...pull.conflicts];
}

test('creates, updates and deletes flow both ways', async () => {
  const { phone, server } = await pair();
  await phone.Todo.create({ id: 'p1', title: 'from phone' });
  await server.Todo.create({ id: 's1', title: 'from server' });
  assert.deepEqual(await syncBoth(phone, server), []);
  assert.deepEqual(await all(phone), await all(server));
  assert.equal((await all(phone)).length, 2);

  await phone.Todo.patchById('s1', { completed: true });
  await server.Todo.deleteById('p1');
  assert.deepEqual(await syncBoth(phone, server), []);
  assert.deepEqual(await all(phone), await all(server));
  assert.deepEqual((await all(phone)).map((t) => [t.id, t.completed]), [['s1', true]]);

  const again = await phone.Todo.replicate(server.Todo);
  assert.equal(again.applied, 0, 'nothing new: nothing applied');
});

test('replicated changes fire change events on the target', async () => {
  const { phone, server } = await pair();
  const seen = [];
  server.Todo.on('change', (e) => seen.push(`${e.type}:${e.id}`));
  await phone.Todo.create({ id: 'ev', title: 'x' });
  await phone.Todo.replicate(server.Todo);
  assert.deepEqual(seen, ['save:ev']);
});

for (const [how, expected] of [
  ['resolveUsingSource', 'phone edit'],
  ['resolve', 'phone edit'],
  ['resolveUsingTarget', 'server edit'],
  ['resolveManually', 'merged'],
]) {
  test(`an update/update conflict resolved with ${how}`, async () => {
    const { phone, server } = await pair();
    await phone.Todo.create({ id: 't', title: 'first' });
    await phone.Todo.replicate(server.Todo);
    await phone.Todo.patchById('t', { title: 'phone edit' });
    await server.Todo.patchById('t', { title: 'server edit' });

    const { conflicts } = await phone.Todo.replicate(server.Todo);
    assert.equal(conflicts.length, 1);
    const [conflict] = conflicts;
    assert.equal(conflict.modelId, 't');
    assert.equal(conflict.type, 'update');
    const models = await conflict.models();
    assert.equal(models.source.title, 'phone edit');
    assert.equal(models.target.title, 'server edit');
    assert.ok(conflict.changes().source.rev && conflict.changes().target.rev);

    if (how === 'resolveManually') await conflict.resolveManually({ id: 't', title: 'merged' });
    else await conflict[how]();
    assert.deepEqual(await syncBoth(phone, server), []);
    assert.equal((await phone.Todo.findById('t')).title, expected);
    assert.deepEqual(await all(phone), await all(server));
  });
}

test('an update/delete conflict, resolved by keeping the deletion', async () => {
  const { phone, server } = await pair();
  await phone.Todo.create({ id: 'd', title: 'doomed' });
  await phone.Todo.replicate(server.Todo);
  await phone.Todo.patchById('d', { title: 'edited offline' });
  await server.Todo.deleteById('d');
  const { conflicts } = await phone.Todo.replicate(server.Todo);
  assert.equal(conflicts.length, 1);
  assert.equal(conflicts[0].type, 'delete');
  await conflicts[0].resolveUsingTarget();
  assert.deepEqual(await syncBoth(phone, server), []);
  assert.equal(await phone.Todo.findById('d'), null);
  assert.equal(await server.Todo.findById('d'), null);
});

test('replicate() refuses what it cannot pair', async () => {
  const { phone } = await pair();
  await assert.rejects(phone.Todo.replicate(phone.Todo), { code: 'bad_request' });
  await assert.rejects(phone.Todo.replicate({}), { code: 'bad_request' });
  const other = await open({ name: uniqueName(), models: [{ ...todoModel, name: 'Note' }], storage: 'memory' });
  await assert.rejects(phone.Todo.replicate(other.Note), { code: 'bad_request' });
});
