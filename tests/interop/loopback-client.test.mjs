// A real LoopBack 3 client (loopback 3.28 + loopback-connector-remote 3.4, as in
// loopback-example-offline-sync) replicating with replicore-server: push, pull, an
// update/update conflict resolved each way, a delete, and both sides equal at the end.
//
//   REPLICORE_SERVER=build/replicore-server node --test tests/interop/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { storeArgs } from '../system/server_process.mjs';

const require = createRequire(import.meta.url);
const loopback = require('loopback');
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const serverBinary = process.env.REPLICORE_SERVER || join(repo, 'build', 'replicore-server');
const todoModel = JSON.parse(readFileSync(join(repo, 'web-example', 'models', 'todo.json'), 'utf8'));

let server;
let dir;
let url;  // http://127.0.0.1:PORT
let LocalTodo;
let RemoteTodo;
const since = { push: -1, pull: -1 };

function startServer() {
  dir = mkdtempSync(join(tmpdir(), 'replicore-interop-'));
  writeFileSync(join(dir, 'todo.json'), JSON.stringify(todoModel));
  server = spawn(serverBinary, ['--port', '0', ...storeArgs(['--db', ':memory:', '--models', dir])],
                 { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 10 s')), 10000);
    server.once('error', reject);
    server.stdout.once('data', (chunk) => {
      clearTimeout(timer);
      resolve(chunk.toString().split('\n')[0].trim().replace(/\/$/, ''));
    });
  });
}

async function http(method, path, body) {
  const response = await fetch(`${url}/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

// LoopBack's callback API as promises; replicate resolves with [conflicts, checkpoints].
function replicate(from, to, sinceValue) {
  return new Promise((resolve, reject) => {
    from.replicate(sinceValue, to, (err, conflicts, checkpoints) =>
      err ? reject(err) : resolve([conflicts, checkpoints]));
  });
}
const call = (fn) => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

async function push() {
  const [conflicts, checkpoints] = await replicate(LocalTodo, RemoteTodo, since.push);
  since.push = checkpoints;
  return conflicts;
}
async function pull() {
  const [conflicts, checkpoints] = await replicate(RemoteTodo, LocalTodo, since.pull);
  since.pull = checkpoints;
  return conflicts;
}

async function clientTodos() {
  const todos = await LocalTodo.find({ order: 'id ASC' });
  return todos.map((t) => ({ id: t.id, title: t.title, completed: t.completed }));
}
async function serverTodos() {
  const { body } = await http('GET', '/Todos?filter=' + encodeURIComponent('{"order":"id ASC"}'));
  return body.map((t) => ({ id: t.id, title: t.title, completed: t.completed }));
}

before(async () => {
  url = await startServer();
  const app = loopback({ localRegistry: true, loadBuiltinModels: true });
  app.dataSource('db', { connector: 'memory' });
  app.dataSource('remote', { connector: 'remote', url: `${url}/api` });
  // The same model JSON as the server's; the client keeps it locally as LocalTodo and
  // reaches the server's Todos through RemoteTodo (loopback-example-offline-sync). Two
  // LoopBack limits shape the data: juggler has no defaultFn "now" for a number (it
  // stores null), and a LoopBack client applies an update with updateAll(where = the whole
  // current row), which the memory connector never matches when a property is null
  // (PROTOCOL.md §8.10; checked: count 0) and so reports a false conflict. So `created` is
  // a plain number here and every write carries one.
  const properties = { ...todoModel.properties, created: { type: 'number' } };
  LocalTodo = app.registry.createModel('LocalTodo', properties,
                                       { base: 'PersistedModel', strict: 'throw', trackChanges: true,
                                         // LoopBack's 30 s change cleanup timer would keep
                                         // the test process alive after the last test.
                                         changeCleanupInterval: -1 });
  app.model(LocalTodo, { dataSource: 'db' });
  RemoteTodo = app.registry.createModel('RemoteTodo', properties,
                                        { base: 'PersistedModel', plural: 'Todos', strict: 'throw',
                                          trackChanges: false, enableRemoteReplication: true });
  app.model(RemoteTodo, { dataSource: 'remote' });
});

after(async () => {
  if (server) {
    server.kill('SIGTERM');
    const code = await new Promise((resolve) => server.once('exit', (c, signal) => resolve(c ?? signal)));
    assert.equal(code, 0, 'replicore-server stops cleanly on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('push: local creates reach the server', async () => {
  for (const [id, title] of [['i-1', 'Buy milk'], ['i-2', 'Walk the dog'], ['i-3', 'Pay bills']]) {
    await LocalTodo.create({ id, title, created: 1700000000000 });
  }
  assert.deepEqual(await push(), []);
  assert.deepEqual((await serverTodos()).map((t) => t.id), ['i-1', 'i-2', 'i-3']);
});

test('pull: server creates reach the client', async () => {
  assert.equal((await http('POST', '/Todos', { id: 's-1', title: 'From the server', created: 1700000000001 })).status, 200);
  assert.deepEqual(await pull(), []);
  assert.equal((await LocalTodo.findById('s-1')).title, 'From the server');
  assert.deepEqual(await clientTodos(), await serverTodos());
});

test('update/update conflict, the server wins (pull conflict.resolve())', async () => {
  await (await LocalTodo.findById('i-1')).updateAttributes({ title: 'client edit' });
  assert.equal((await http('PATCH', '/Todos/i-1', { title: 'server edit' })).status, 200);
  const conflicts = await pull();
  assert.equal(conflicts.length, 1);
  assert.equal(conflicts[0].modelId, 'i-1');
  assert.equal(await call((cb) => conflicts[0].type(cb)), 'update');
  // resolve() on a pull writes the server's change row (PUT /:id/changes/last); replicore
  // stamps it with the current checkpoint, so the next pull with the advanced since sees it.
  await call((cb) => conflicts[0].resolve(cb));
  const again = await pull();
  assert.deepEqual(again, []);
  assert.equal((await LocalTodo.findById('i-1')).title, 'server edit');
  assert.deepEqual(await push(), []);
  assert.deepEqual(await clientTodos(), await serverTodos());
});

test('update/update conflict, the client wins (pull conflict.resolveUsingTarget())', async () => {
  await (await LocalTodo.findById('i-2')).updateAttributes({ title: 'client wins' });
  assert.equal((await http('PATCH', '/Todos/i-2', { completed: true })).status, 200);
  const conflicts = await pull();
  assert.equal(conflicts.length, 1);
  await call((cb) => conflicts[0].resolveUsingTarget(cb));  // the client's data to the server
  assert.deepEqual(await pull(), []);
  assert.deepEqual(await push(), []);
  const serverCopy = (await http('GET', '/Todos/i-2')).body;
  assert.equal(serverCopy.title, 'client wins');
  assert.deepEqual(await clientTodos(), await serverTodos());
});

test('a local delete reaches the server', async () => {
  await LocalTodo.deleteById('i-3');
  assert.deepEqual(await push(), []);
  assert.equal((await http('GET', '/Todos/i-3')).status, 404);
  assert.deepEqual(await pull(), []);
  assert.deepEqual(await clientTodos(), await serverTodos());
});

test('a server delete reaches the client', async () => {
  assert.equal((await http('DELETE', '/Todos/s-1')).status, 200);
  assert.deepEqual(await pull(), []);
  assert.equal(await LocalTodo.findById('s-1'), null);
  assert.deepEqual(await clientTodos(), await serverTodos());
  assert.equal((await clientTodos()).length, 2);
});
