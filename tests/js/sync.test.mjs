// Live sync (db.sync) with a real replicore-server: writes reach the server soon after,
// the server's reach the client on the interval, the status tells the truth, failures
// (server killed, 401, 500) are reported, backed off and recovered from, and conflicts
// follow the chosen policy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually.mjs';
import { after, test } from 'node:test';

import { open, remote } from '../../js/src/index.js';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const models = modelsDir();
const dataDir = mkdtempSync(join(tmpdir(), 'replicore-sync-'));
const children = new Set();

after(async () => {
  for (const child of children) { child.kill('SIGKILL'); await stopped(child); }
  rmSync(models, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function server({ db = ':memory:', port = 0 } = {}) {
  const started = await startServer(['--db', db, '--models', models, '--port', String(port)]);
  children.add(started.process);
  return { ...started, api: `${started.url}/api` };
}

async function kill(child) {
  child.kill('SIGKILL');
  await stopped(child);
  children.delete(child);
}


const phone = () => open({ name: uniqueName('phone'), models: [todoModel], storage: 'memory' });
const ids = async (model) => (await model.find({ fields: { id: true }, order: 'id ASC' })).map((t) => t.id);

test('live sync: local writes reach the server, the server\'s reach the client, the status follows', async () => {
  const { api } = await server();
  const db = await phone();
  const server_ = remote(api, { models: [todoModel] });
  await db.Todo.create(Array.from({ length: 300 }, (_, i) => ({ id: `bulk${i}`, title: 'x'.repeat(100) })));
  const states = [];
  const progress = [];
  const sync = db.sync(server_, { interval: 150 });
  sync.on('status', (s) => states.push(s.state));
  sync.on('progress', (p) => progress.push(p));
  await sync.idle();
  assert.equal(await server_.Todo.count(), 300);
  const last = progress[progress.length - 1];
  assert.equal(last.model, 'Todo');
  assert.ok(progress.length >= 3 && last.requests >= 3, 'progress after each request');
  assert.equal(progress.reduce((n, p) => Math.max(n, p.recordsSent), 0), 300);
  assert.ok(last.sent > 300 * 100, `bytes sent: ${last.sent}`);
  await db.Todo.create({ id: 'local-1', title: 'from the phone' });
  assert.ok(await eventually(async () => (await server_.Todo.findById('local-1'))?.title === 'from the phone'));
  await server_.Todo.create({ id: 'remote-1', title: 'from the server' });
  assert.ok(await eventually(async () => (await db.Todo.findById('remote-1')) !== null), 'pulled on the interval');
  await sync.idle();
  assert.equal(sync.status.pending, 0);
  assert.ok(sync.status.lastSyncedAt);
  assert.ok(states.includes('syncing') && states.includes('idle'));
  await sync.now();
  assert.deepEqual(await ids(db.Todo), await ids(server_.Todo));
  await sync.stop();
  assert.equal(sync.status.state, 'stopped');
  await db.close();
});

test('the server killed mid-sync and restarted: offline, then every write arrives', async () => {
  const port = await freePort();
  const file = join(dataDir, 'killed.db');
  let started = await server({ db: file, port });
  const db = await phone();
  const server_ = remote(started.api, { models: [todoModel], timeout: 2000 });
  const sync = db.sync(server_, { interval: 100, retry: { min: 50, max: 200 } });
  const written = [];
  for (let i = 0; i < 30; i++) {
    written.push((await db.Todo.create({ id: `w${String(i).padStart(2, '0')}`, title: `${i}` })).id);
    if (i === 10) await kill(started.process);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(await eventually(() => sync.status.state === 'offline'), `offline, not ${sync.status.state}`);
  assert.equal(sync.status.error.code, 'network');
  assert.ok(sync.status.pending > 0, 'writes wait for the server');
  started = await server({ db: file, port });
  assert.ok(await eventually(() => sync.status.state === 'idle' && sync.status.pending === 0), JSON.stringify(sync.status));
  assert.deepEqual(await ids(server_.Todo), written);
  await sync.stop();
  await db.close();
});

// A fetch that answers `status` to every request while `failing()`.
function failingFetch(status, failing, counter) {
  return (url, init) => {
    counter.calls += 1;
    if (failing()) {
      return Promise.resolve(new Response(JSON.stringify({ error: { statusCode: status, message: `HTTP ${status}` } }),
        { status, headers: { 'content-type': 'application/json' } }));
    }
    return fetch(url, init);
  };
}

test('401: state error with the reason, no retries until now()', async () => {
  const { api } = await server();
  const db = await phone();
  let refuse = true;
  const counter = { calls: 0 };
  const server_ = remote(api, { models: [todoModel], fetch: failingFetch(401, () => refuse, counter) });
  const sync = db.sync(server_, { interval: 50, retry: { min: 20, max: 40 } });
  assert.ok(await eventually(() => sync.status.state === 'error'));
  assert.equal(sync.status.error.status, 401);
  assert.equal(sync.status.error.code, 'unauthorized');
  const calls = counter.calls;
  await db.Todo.create({ id: 'while-refused' });
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(counter.calls, calls, 'no request while refused');
  refuse = false;
  await sync.now();
  assert.equal(sync.status.state, 'idle');
  assert.equal((await server_.Todo.findById('while-refused')).id, 'while-refused');
  await sync.stop();
  await db.close();
});

for (const [status, code] of [[500, 'server'], [413, 'too_large'], [409, 'conflict']]) {
  test(`${status}: reported, backed off, recovered when the server is`, async () => {
    const { api } = await server();
    const db = await phone();
    const counter = { calls: 0 };
    let failUntil = Date.now() + 600;
    const server_ = remote(api, { models: [todoModel], fetch: failingFetch(status, () => Date.now() < failUntil, counter) });
    const errors = [];
    const sync = db.sync(server_, { interval: 100, retry: { min: 50, max: 200 } });
    sync.on('error', (error) => errors.push(error.code));
    await db.Todo.create({ id: 'kept' });
    assert.ok(await eventually(() => sync.status.state === 'error'));
    assert.equal(sync.status.error.status, status);
    assert.ok(errors.includes(code), errors.join());
    assert.ok(await eventually(() => sync.status.state === 'idle' && sync.status.pending === 0), JSON.stringify(sync.status));
    assert.ok(counter.calls < 60, `backed off: ${counter.calls} requests`);
    assert.equal((await server_.Todo.findById('kept')).id, 'kept');
    failUntil = 0;
    await sync.stop();
    await db.close();
  });
}

for (const policy of ['server-wins', 'client-wins']) {
  test(`conflicts: ${policy}`, async () => {
    const { api } = await server();
    const db = await phone();
    const server_ = remote(api, { models: [todoModel] });
    await db.Todo.create({ id: 'c', title: 'base' });
    await db.Todo.replicate(server_.Todo);
    await db.Todo.patchById('c', { title: 'phone' });
    await server_.Todo.patchById('c', { title: 'server' });
    const sync = db.sync(server_, { live: false, conflicts: policy });
    await sync.now();
    await sync.now();
    const expected = policy === 'server-wins' ? 'server' : 'phone';
    assert.equal((await db.Todo.findById('c')).title, expected);
    assert.equal((await server_.Todo.findById('c')).title, expected);
    await sync.stop();
    await db.close();
  });
}

test('conflicts: manual ones are emitted as Conflict objects and resolved by the app', async () => {
  const { api } = await server();
  const db = await phone();
  const server_ = remote(api, { models: [todoModel] });
  await db.Todo.create({ id: 'm', title: 'base' });
  await db.Todo.replicate(server_.Todo);
  await db.Todo.patchById('m', { title: 'phone' });
  await server_.Todo.patchById('m', { title: 'server' });
  const sync = db.sync(server_, { live: false });
  const seen = [];
  sync.on('conflict', (conflict) => seen.push(conflict));
  await sync.now();
  assert.equal(seen.length, 1);
  const { source, target } = await seen[0].models();
  assert.deepEqual([source.title, target.title].sort(), ['phone', 'server']);
  await seen[0].resolveManually({ id: 'm', title: 'merged' });
  await sync.now();
  assert.equal((await server_.Todo.findById('m')).title, 'merged');
  assert.equal((await db.Todo.findById('m')).title, 'merged');
  await sync.stop();
  await db.close();
});

// A server that answers garbage, or does not answer, for a while.
for (const [how, state, code] of [['non-JSON', 'error', 'server'], ['silent', 'offline', 'timeout']]) {
  test(`a ${how} server: ${state} (${code}), backed off, recovered when it answers again`, async () => {
    const { api } = await server();
    const db = await phone();
    let brokenUntil = Date.now() + 700;
    let calls = 0;
    const flaky = (url, init) => {
      calls += 1;
      if (Date.now() >= brokenUntil) return fetch(url, init);
      if (how === 'non-JSON') return Promise.resolve(new Response('<html>maintenance</html>', { status: 200 }));
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    };
    const server_ = remote(api, { models: [todoModel], fetch: flaky, timeout: 100 });
    const sync = db.sync(server_, { interval: 100, retry: { min: 50, max: 200 } });
    await db.Todo.create({ id: 'waiting' });
    assert.ok(await eventually(() => sync.status.state === state), `${state}: ${JSON.stringify(sync.status)}`);
    assert.equal(sync.status.error.code, code);
    assert.ok(await eventually(() => sync.status.state === 'idle' && sync.status.pending === 0), JSON.stringify(sync.status));
    assert.ok(calls < 40, `backed off: ${calls} requests`);
    assert.equal((await server_.Todo.findById('waiting')).id, 'waiting');
    brokenUntil = 0;
    await sync.stop();
    await db.close();
  });
}
