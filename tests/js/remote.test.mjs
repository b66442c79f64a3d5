// The remote over fetch against a real replicore-server on an ephemeral port (the wasm
// client in Node): remote CRUD and its errors, push, pull, conflicts and each resolution,
// resuming after a server restart, and a network that fails at each step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { open, remote, ReplicoreError } from '../../js/src/index.js';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const models = modelsDir();
const dataDir = mkdtempSync(join(tmpdir(), 'replicore-remote-'));
const servers = [];

async function server(db = ':memory:') {
  const started = await startServer(['--db', db, '--models', models]);
  servers.push(started.process);
  return { ...started, api: `${started.url}/api` };
}

async function stop(child) {
  child.kill('SIGKILL');
  await stopped(child);
}

after(async () => {
  for (const child of servers) await stop(child);
  rmSync(models, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const local = () => open({ name: uniqueName('phone'), models: [todoModel], storage: 'memory' });
const titles = async (model) => (await model.find({ order: 'id ASC' })).map((t) => `${t.id}:${t.title}`);

async function rejectsWith(promise, code, status) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ReplicoreError, String(error));
    assert.equal(error.code, code, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  });
}

let api;
before(async () => { ({ api } = await server()); });

test('remote CRUD speaks LoopBack 3 REST, with its errors as ReplicoreErrors', async () => {
  const { Todo } = remote(api, { models: [todoModel] });
  const made = await Todo.create({ id: 'r1', title: 'one' });
  assert.equal(made.title, 'one');
  await Todo.create([{ id: 'r2', title: 'two' }, { id: 'r3', title: 'three', completed: true }]);
  assert.equal(await Todo.count({ completed: false }), 2);
  assert.deepEqual((await Todo.find({ where: { completed: true } })).map((t) => t.id), ['r3']);
  assert.equal((await Todo.findOne({ where: { title: 'two' } })).id, 'r2');
  assert.equal(await Todo.findById('nope'), null);
  assert.equal(await Todo.exists('r1'), true);
  assert.equal((await Todo.patchById('r1', { completed: true })).completed, true);
  assert.equal((await Todo.replaceById('r2', { title: 'two again' })).title, 'two again');
  assert.equal((await Todo.upsert({ id: 'r4', title: 'four' })).title, 'four');
  assert.equal((await Todo.replaceOrCreate({ id: 'r4', title: 'four again' })).title, 'four again');
  assert.deepEqual(await Todo.updateAll({ completed: true }, { title: 'done' }), { count: 2 });
  assert.equal((await Todo.upsertWithWhere({ id: 'r5' }, { id: 'r5', title: 'five' })).title, 'five');
  assert.deepEqual(await Todo.deleteById('r5'), { count: 1 });
  assert.deepEqual(await Todo.deleteAll({ title: 'done' }), { count: 2 });
  // Deleted records keep a change row, r5 too (created and deleted in one checkpoint).
  assert.deepEqual((await Todo.changes()).map((c) => c.modelId).sort(), ['r1', 'r2', 'r3', 'r4', 'r5']);

  await rejectsWith(Todo.create({ id: 'r2' }), 'conflict', 409);
  await rejectsWith(Todo.create({ id: 'bad', nope: 1 }), 'validation', 422);
  await rejectsWith(Todo.patchById('missing', { title: 'x' }), 'not_found', 404);
  await rejectsWith(Todo.find({ where: { title: { regexp: 7 } } }), 'bad_request', 400);
  const unreachable = remote('http://127.0.0.1:9/api', { models: [todoModel] });
  await rejectsWith(unreachable.Todo.count(), 'network');
  const silent = remote(api, { models: [todoModel], timeout: 50, fetch: (url, { signal }) => new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  }) });
  await rejectsWith(silent.Todo.count(), 'timeout');
  const notJson = remote(api, { models: [todoModel], fetch: async () => new Response('<html>oops</html>', { status: 200 }) });
  await rejectsWith(notJson.Todo.count(), 'server', 200);
  const broken = remote(api, { models: [todoModel], fetch: async () => new Response('{"error":{"statusCode":500,"message":"Internal Server Error"}}', { status: 500 }) });
  await rejectsWith(broken.Todo.count(), 'server', 500);
  const headers = [];
  const withToken = remote(api, { models: [todoModel], headers: async () => ({ authorization: 'token-1' }),
    fetch: (url, init) => { headers.push(init.headers.authorization); return fetch(url, init); } });
  await withToken.Todo.count();
  assert.deepEqual(headers, ['token-1']);
});

test('push and pull carry creates, updates and deletes both ways', async () => {
  const { api: url } = await server();
  const { Todo: serverTodo } = remote(url, { models: [todoModel] });
  const phone = await local();
  await phone.Todo.create([{ id: 'p1', title: 'phone one' }, { id: 'p2', title: 'phone two' }]);
  const push = await phone.Todo.replicate(serverTodo);
  assert.equal(push.applied, 2);
  assert.deepEqual(push.conflicts, []);
  assert.deepEqual(await titles(serverTodo), ['p1:phone one', 'p2:phone two']);

  await serverTodo.create({ id: 's1', title: 'server one' });
  await serverTodo.patchById('p1', { title: 'edited on the server' });
  await serverTodo.deleteById('p2');
  const events = [];
  phone.Todo.on('change', (e) => events.push(`${e.type}:${e.id}`));
  const pull = await serverTodo.replicate(phone.Todo);
  assert.deepEqual(pull.conflicts, []);
  assert.deepEqual(await titles(phone.Todo), ['p1:edited on the server', 's1:server one']);
  assert.deepEqual(events.sort(), ['delete:p2', 'save:p1', 'save:s1']);
  assert.equal((await phone.Todo.replicate(serverTodo)).applied, 0, 'nothing new to push');
  assert.equal((await serverTodo.replicate(phone.Todo)).applied, 0, 'nothing new to pull');
  await phone.close();
});

test('records cross the wire as the text the stores hold, both ways', async () => {
  // canonical-json escapes U+2028 and U+FEFF; JSON.stringify writes them as they are. So
  // an escaped form on the wire is the stored text, not a re-serialisation.
  const title = 'line\u2028two\ufeff';
  const bodies = [];
  const { Todo: serverTodo } = remote(api, { models: [todoModel], fetch: async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.clone().text();
    bodies.push({ url: String(url), sent: init.body ?? '', received: text });
    return response;
  } });
  const phone = await local();
  await phone.Todo.create({ id: 'wire-1', title });
  assert.equal((await phone.Todo.replicate(serverTodo)).applied, 1);
  const pushed = bodies.find((b) => b.url.includes('/bulk-update'));
  assert.ok(pushed.sent.includes('"title":"line\\u2028two\\ufeff"'), pushed.sent);
  assert.equal((await serverTodo.findById('wire-1')).title, title);

  await remote(api, { models: [todoModel] }).Todo.create({ id: 'wire-2', title });
  const other = await local();
  bodies.length = 0;
  await serverTodo.replicate(other.Todo);
  const pulled = bodies.find((b) => b.url.includes('/create-updates'));
  assert.ok(pulled.received.includes('"title":"line\\u2028two\\ufeff"'), pulled.received);
  assert.equal((await other.Todo.findById('wire-2')).title, title);
  await phone.close();
  await other.close();
});

test('conflicts both ways, each resolution reaches the other side', async () => {
  const { api: url } = await server();
  const { Todo: serverTodo } = remote(url, { models: [todoModel] });
  const phone = await local();
  await phone.Todo.create([{ id: 'a', title: 'base' }, { id: 'b', title: 'base' }, { id: 'c', title: 'base' }]);
  await phone.Todo.replicate(serverTodo);
  for (const id of ['a', 'b', 'c']) {
    await phone.Todo.patchById(id, { title: `phone ${id}` });
    await serverTodo.patchById(id, { title: `server ${id}` });
  }
  const { conflicts } = await phone.Todo.replicate(serverTodo);
  assert.deepEqual(conflicts.map((c) => c.modelId).sort(), ['a', 'b', 'c']);
  const byId = Object.fromEntries(conflicts.map((c) => [c.modelId, c]));
  assert.equal((await byId.a.models()).target.title, 'server a');
  await byId.a.resolveUsingSource();
  await byId.b.resolveUsingTarget();
  await byId.c.resolveManually({ id: 'c', title: 'merged c' });
  assert.deepEqual((await phone.Todo.replicate(serverTodo)).conflicts, []);
  assert.deepEqual((await serverTodo.replicate(phone.Todo)).conflicts, []);
  const expected = ['a:phone a', 'b:server b', 'c:merged c'];
  assert.deepEqual(await titles(serverTodo), expected);
  assert.deepEqual(await titles(phone.Todo), expected);

  // A pull conflict (update against delete), resolved on the pulling side.
  await serverTodo.deleteById('a');
  await phone.Todo.patchById('a', { title: 'kept on the phone' });
  const pulled = await serverTodo.replicate(phone.Todo);
  assert.deepEqual(pulled.conflicts.map((c) => c.modelId), ['a']);
  await pulled.conflicts[0].resolveUsingTarget();
  assert.deepEqual((await phone.Todo.replicate(serverTodo)).conflicts, []);
  assert.equal((await serverTodo.findById('a')).title, 'kept on the phone');
  await phone.close();
});

test('after a server restart, replication resumes where it stopped', async () => {
  const file = join(dataDir, 'resume.db');
  let started = await server(file);
  const phone = await local();
  await phone.Todo.create(Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, title: `${i}` })));
  assert.equal((await phone.Todo.replicate(remote(started.api, { models: [todoModel] }).Todo)).applied, 50);
  await stop(started.process);
  started = await server(file);
  const { Todo: serverTodo } = remote(started.api, { models: [todoModel] });
  await phone.Todo.patchById('t3', { title: 'after the restart' });
  assert.equal((await phone.Todo.replicate(serverTodo)).applied, 1, 'only the new change');
  assert.equal((await serverTodo.findById('t3')).title, 'after the restart');
  assert.equal(await serverTodo.count(), 50);
  await phone.close();
});

// The request never leaves, or it reaches the server and its answer is lost.
for (const how of ['before sending', 'after the server answered']) {
  test(`the network failing ${how}, at each request of a replicate: the next one converges`, async () => {
    const { api: url } = await server();
    const phone = await local();
    const { Todo: serverTodo } = remote(url, { models: [todoModel] });
    let id = 0;
    for (let failAt = 1; failAt <= 12; failAt++) {
      // One new record each side, one edit on each side of shared records.
      await phone.Todo.create({ id: `p${++id}`, title: `phone ${id}` });
      await serverTodo.create({ id: `s${id}`, title: `server ${id}` });
      let calls = 0;
      const flaky = remote(url, { models: [todoModel], fetch: (input, init) => {
        calls += 1;
        if (calls !== failAt) return fetch(input, init);
        if (how === 'before sending') return Promise.reject(new TypeError('fetch failed'));
        return fetch(input, init).then((response) => response.text()).then(() => { throw new TypeError('connection reset'); });
      } });
      for (const direction of ['push', 'pull']) {
        const run = direction === 'push' ? phone.Todo.replicate(flaky.Todo) : flaky.Todo.replicate(phone.Todo);
        await run.catch((error) => assert.equal(error.code, 'network'));
      }
      await phone.Todo.replicate(serverTodo);
      await serverTodo.replicate(phone.Todo);
      assert.deepEqual(await titles(phone.Todo), await titles(serverTodo), `converged after a failure at request ${failAt}`);
      assert.equal(await phone.Todo.count(), 2 * id);
    }
    await phone.close();
  });
}
