// Live sync of two users through one replicore-server (--users, the Todo model with
// "ownership": "owner"): each user's records reach that user's devices only, a todo id both
// users create stays two records, and a sync refused with 401 (a logged-out or expired
// token) stops in state 'error' with code 'unauthorized', sends nothing more, and resumes
// after a new token (login() or the token setter) and now().
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { open, remote, ReplicoreError } from '../../js/src/index.js';
import { eventually } from '../eventually.mjs';
import { serverBinary, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const temp = mkdtempSync(join(tmpdir(), 'replicore-users-sync-'));
const models = join(temp, 'models');
mkdirSync(models);
writeFileSync(join(models, 'todo.json'), JSON.stringify({ ...todoModel, ownership: 'owner' }));
const PASSWORDS = { alice: 'alice-sync-pw-1', bob: 'bob-sync-pw-2' };
const children = new Set();
const closers = [];

after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  for (const child of children) {
    child.kill('SIGKILL');
    await stopped(child);
  }
  rmSync(temp, { recursive: true, force: true });
});

function addUser(db, name) {
  execFileSync(serverBinary, ['user', 'add', name, '--db', db], { input: `${PASSWORDS[name]}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function server(name, extra = []) {
  const db = join(temp, `${name}.db`);
  addUser(db, 'alice');
  addUser(db, 'bob');
  const started = await startServer(['--users', '--models', models, '--db', db, '--log-level', 'error', ...extra]);
  children.add(started.process);
  return { api: `${started.url}/api`, url: started.url };
}

// GET /api/Todos as the holder of `token`: [{id, title}] sorted by id.
async function serverTodos(api, token) {
  const response = await fetch(`${api}/Todos`, { headers: { authorization: token } });
  assert.equal(response.status, 200, `GET /Todos: ${response.status}`);
  return (await response.json()).map(({ id, title }) => ({ id, title })).sort((x, y) => x.id.localeCompare(y.id));
}

async function rawLogin(api, username) {
  const response = await fetch(`${api}/Users/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORDS[username] }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).id;
}

// A device of `user`: a memory database, its remote (logged in) and its live sync.
async function device(api, user, label) {
  const db = await open({ name: uniqueName(label), models: [todoModel], storage: 'memory' });
  const counter = { calls: 0 };
  const server_ = remote(api, { models: [todoModel], fetch: (url, init) => { counter.calls += 1; return fetch(url, init); } });
  const session = await server_.login({ username: user, password: PASSWORDS[user] });
  assert.deepEqual(Object.keys(session).sort(), ['created', 'id', 'ttl', 'userId'], `login of ${user}`);
  assert.equal(server_.token, session.id, 'the remote keeps the token');
  const sync = db.sync(server_, { interval: 150, retry: { min: 50, max: 200 } });
  const errors = [];
  sync.on('error', (error) => errors.push(error));
  const it = { db, server: server_, sync, counter, errors, session, label };
  closers.push(async () => { await sync.stop(); await db.close(); });
  return it;
}

const todos = async (d) => (await d.db.Todo.find({ order: 'id ASC' })).map(({ id, title }) => ({ id, title }));

async function converges(devices, expected, what) {
  const ok = await eventually(async () => {
    for (const d of devices) {
      if (JSON.stringify(await todos(d)) !== JSON.stringify(expected)) return false;
    }
    return true;
  }, 10000, 50);
  if (!ok) {
    for (const d of devices) assert.deepEqual(await todos(d), expected, `${what}: ${d.label}`);
  }
}

let main;   // {api}
let a1; let a2; let b1; let b2;

test('two users, two devices each: each user\'s todos reach that user\'s devices only (an id both create stays two)', async () => {
  main = await server('main');
  [a1, a2, b1, b2] = [await device(main.api, 'alice', 'a1'), await device(main.api, 'alice', 'a2'),
    await device(main.api, 'bob', 'b1'), await device(main.api, 'bob', 'b2')];
  assert.equal(a1.session.userId, a2.session.userId);
  assert.notEqual(a1.session.userId, b1.session.userId);
  await a1.db.Todo.create({ id: 'a1-todo', title: 'A: from a1' });
  await a2.db.Todo.create({ id: 'a2-todo', title: 'A: from a2' });
  await b1.db.Todo.create({ id: 'b1-todo', title: 'B: from b1' });
  await b2.db.Todo.create({ id: 'b2-todo', title: 'B: from b2' });
  await a1.db.Todo.create({ id: 'same-id', title: 'A: same id' });
  await b2.db.Todo.create({ id: 'same-id', title: 'B: same id' });
  const aTodos = [{ id: 'a1-todo', title: 'A: from a1' }, { id: 'a2-todo', title: 'A: from a2' }, { id: 'same-id', title: 'A: same id' }];
  const bTodos = [{ id: 'b1-todo', title: 'B: from b1' }, { id: 'b2-todo', title: 'B: from b2' }, { id: 'same-id', title: 'B: same id' }];
  await converges([a1, a2], aTodos, 'A\'s devices');
  await converges([b1, b2], bTodos, 'B\'s devices');
  assert.deepEqual(await serverTodos(main.api, a1.server.token), aTodos, 'the server, as A');
  assert.deepEqual(await serverTodos(main.api, b1.server.token), bTodos, 'the server, as B');

  // Edits and deletes travel the same way.
  await a2.db.Todo.patchById('a1-todo', { title: 'A: edited on a2' });
  await b1.db.Todo.deleteById('same-id');
  const aEdited = aTodos.map((t) => (t.id === 'a1-todo' ? { ...t, title: 'A: edited on a2' } : t));
  const bDeleted = bTodos.filter((t) => t.id !== 'same-id');
  await converges([a1, a2], aEdited, 'A\'s devices after the edit');
  await converges([b1, b2], bDeleted, 'B\'s devices after the delete');
  for (const d of [a1, a2, b1, b2]) {
    await d.sync.now();
    await d.sync.idle();
    assert.equal(d.sync.status.pending, 0, `${d.label} pending`);
    assert.equal(d.sync.status.error, null, `${d.label}: ${JSON.stringify(d.sync.status.error)}`);
    assert.deepEqual(d.errors.map((e) => e.code), [], `${d.label} sync errors`);
  }
  assert.deepEqual(await todos(a1), aEdited);
  assert.deepEqual(await todos(b2), bDeleted);
  assert.deepEqual(await serverTodos(main.api, a2.server.token), aEdited);
  assert.deepEqual(await serverTodos(main.api, b2.server.token), bDeleted);
});

test('a 401 surfaces as ReplicoreError unauthorized; remote(api, {token}) uses the token', async () => {
  const stranger = remote(main.api, { models: [todoModel], token: 'f'.repeat(64) });
  await assert.rejects(stranger.Todo.find(), (error) => {
    assert.ok(error instanceof ReplicoreError, String(error));
    assert.equal(error.code, 'unauthorized');
    assert.equal(error.status, 401);
    return true;
  });
  const anonymous = remote(main.api, { models: [todoModel] });
  assert.equal(anonymous.token, null);
  await assert.rejects(anonymous.Todo.count(), (error) => error.code === 'unauthorized' && error.status === 401);
  await assert.rejects(anonymous.login({ username: 'alice', password: 'not-alices-password' }),
    (error) => error instanceof ReplicoreError && error.code === 'unauthorized' && error.status === 401);
  const withToken = remote(main.api, { models: [todoModel], token: b1.server.token });
  assert.deepEqual((await withToken.Todo.find({ order: 'id ASC' })).map((t) => t.id), ['b1-todo', 'b2-todo']);
  assert.equal(await withToken.Todo.findById('a1-todo'), null, 'A\'s todo is not found with B\'s token');
});

test('a token logged out elsewhere: sync goes to error unauthorized, sends nothing, resumes after token = new and now()', async () => {
  // The token a1 uses is ended on the server (as a logout from another tab would).
  const ended = await fetch(`${main.api}/Users/logout`, { method: 'POST', headers: { authorization: a1.server.token } });
  assert.equal(ended.status, 204);
  await a1.db.Todo.create({ id: 'a1-while-out', title: 'A: while logged out' });
  assert.ok(await eventually(() => a1.sync.status.state === 'error', 5000), `a1: ${JSON.stringify(a1.sync.status)}`);
  assert.equal(a1.sync.status.error.code, 'unauthorized');
  assert.equal(a1.sync.status.error.status, 401);
  const last = a1.errors[a1.errors.length - 1];
  assert.ok(last instanceof ReplicoreError && last.code === 'unauthorized' && last.status === 401, String(last));
  const calls = a1.counter.calls;
  await a1.db.Todo.create({ id: 'a1-while-out-2', title: 'A: while logged out 2' });
  await sleep(700);  // several intervals and debounces
  assert.equal(a1.counter.calls, calls, 'no request while refused');
  assert.equal(a1.sync.status.state, 'error');
  assert.ok(a1.sync.status.pending >= 2, `pending: ${a1.sync.status.pending}`);
  assert.equal(await a2.db.Todo.findById('a1-while-out'), null, 'nothing reached A\'s other device');

  a1.server.token = await rawLogin(main.api, 'alice');
  await a1.sync.now();
  assert.equal(a1.sync.status.state, 'idle', JSON.stringify(a1.sync.status));
  assert.equal(a1.sync.status.pending, 0);
  const expected = [{ id: 'a1-todo', title: 'A: edited on a2' }, { id: 'a1-while-out', title: 'A: while logged out' },
    { id: 'a1-while-out-2', title: 'A: while logged out 2' }, { id: 'a2-todo', title: 'A: from a2' }, { id: 'same-id', title: 'A: same id' }];
  await converges([a1, a2], expected, 'A\'s devices after the new token');
  // Live again: a later write goes without now().
  await a1.db.Todo.create({ id: 'a1-live-again', title: 'A: live again' });
  assert.ok(await eventually(async () => (await a2.db.Todo.findById('a1-live-again')) !== null), 'rounds resumed after now()');
  for (const b of [b1, b2]) {
    const ids = (await todos(b)).map((t) => t.id);
    assert.deepEqual(ids, ['b1-todo', 'b2-todo'], `${b.label} never gets A's todos`);
  }
});

test('logout() through the client: the token ends on the server, sync refused, login() and now() resume it', async () => {
  const old = a2.server.token;
  await a2.server.logout();
  assert.equal(a2.server.token, null);
  const probe = await fetch(`${main.api}/Todos`, { headers: { authorization: old } });
  assert.equal(probe.status, 401, 'the logged-out token is refused by the server');
  await a2.db.Todo.create({ id: 'a2-after-logout', title: 'A: after logout' });
  assert.ok(await eventually(() => a2.sync.status.state === 'error', 5000), JSON.stringify(a2.sync.status));
  assert.equal(a2.sync.status.error.code, 'unauthorized');
  await a2.server.login({ username: 'alice', password: PASSWORDS.alice });
  await a2.sync.now();
  assert.equal(a2.sync.status.state, 'idle', JSON.stringify(a2.sync.status));
  assert.ok(await eventually(async () => (await a1.db.Todo.findById('a2-after-logout')) !== null), 'reached a1');
  for (const b of [b1, b2]) assert.equal(await b.db.Todo.findById('a2-after-logout'), null);
});

test('an expired token (--token-ttl 2): sync goes to error unauthorized, resumes after login() and now()', async () => {
  const short = await server('ttl', ['--token-ttl', '2']);
  const d = await device(short.api, 'alice', 'ttl');
  const loggedInAt = Date.now();
  assert.equal(d.session.ttl, 2);
  await d.db.Todo.create({ id: 'before-expiry', title: 'A: before expiry' });
  const reached = await eventually(async () => (await serverTodos(short.api, d.server.token)).length === 1, 1500, 25);
  assert.ok(reached, `the first todo reached the server while the token lived: ${JSON.stringify(d.sync.status)}`);
  assert.deepEqual((await serverTodos(short.api, d.server.token)).map((t) => t.id), ['before-expiry']);
  // The interval rounds go on until the token expires.
  assert.ok(await eventually(() => d.sync.status.state === 'error', 6000), JSON.stringify(d.sync.status));
  assert.ok(Date.now() - loggedInAt >= 1900, `refused ${Date.now() - loggedInAt} ms after the login, before the ttl`);
  assert.equal(d.sync.status.error.code, 'unauthorized');
  assert.equal(d.sync.status.error.status, 401);
  const calls = d.counter.calls;
  await d.db.Todo.create({ id: 'after-expiry', title: 'A: after expiry' });
  await sleep(500);
  assert.equal(d.counter.calls, calls, 'no request while refused');
  await d.server.login({ username: 'alice', password: PASSWORDS.alice });
  await d.sync.now();
  assert.equal(d.sync.status.state, 'idle', JSON.stringify(d.sync.status));
  assert.deepEqual((await serverTodos(short.api, d.server.token)).map((t) => t.id), ['after-expiry', 'before-expiry']);
  await d.sync.stop();
});
