// Users and per-user data, tested as an attacker would (issue "Users: login, tokens, and
// per-user data on every route, replication included"). With --users and a model whose JSON
// says "ownership": "owner", user A must not read, write, count, diff, replicate nor learn
// the existence of user B's records through ANY route of the model route table
// (server/src/model_routes.cc ModelRoutes(); ROUTES below mirrors it and the first test
// fails when a route is added without a probe here). Someone else's record answers exactly
// as an id nobody has. Also: 401 without a valid token (missing, garbage, expired, logged
// out), the four token forms, --shared-models read-only and closed, sign-up only with
// --allow-signup, and no password nor raw token in the SQLite files or the server's log.
//
// Servers, one after the other: S1 (--users, shared models open) on db D1; S2
// (--token-ttl 1) on its own db; S3 (--shared-models read-only --allow-signup) and S4
// (--shared-models closed) on D1 again. The tests of this file run in order and share state.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { serverBinary, startServer, stopped, todoModel } from './server_process.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- fixtures

const temp = mkdtempSync(join(tmpdir(), 'replicore-users-security-'));
const models = join(temp, 'models');
const D1 = join(temp, 'main.db');
const D2 = join(temp, 'ttl.db');

const PASSWORDS = {
  alice: 'Alice-pw-7f3a9c21',
  bob: 'Bob-pw-5e8d1b64',
  carol: 'Carol-pw-2c6f0a93',     // signs up on S3
  mallory: 'Mallory-pw-91d4e7b2', // tries to sign up on S1 (refused)
  wrong: 'Wrong-pw-3b7c5d10',     // a failed login of alice
  erin: 'Erin-pw-6a1f8e35',       // first seen in the concurrent test
  frank: 'Frank-pw-0d9b4c77',
};
const tokens = new Set();          // every raw token issued: none may be stored or logged
const logs = [];                   // {name, text: () => string}: every server's output
const children = new Set();
const snapshots = [];              // {label, bytes}: D1 and its -wal/-shm while servers run

const ROUTES_SOURCE = readFileSync(join(repo, 'server/src/model_routes.cc'), 'utf8');

after(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await stopped(child);
  }
  rmSync(temp, { recursive: true, force: true });
});

before(() => {
  mkdirSync(models);
  writeFileSync(join(models, 'todo.json'), JSON.stringify({ ...todoModel, ownership: 'owner' }));
  writeFileSync(join(models, 'note.json'), JSON.stringify({
    name: 'Note', plural: 'Notes', base: 'PersistedModel', trackChanges: true,
    properties: { id: { id: true, type: 'string', defaultFn: 'guid' }, text: 'string' },
  }));
});

function addUser(db, name, email) {
  const args = ['user', 'add', name, '--db', db, ...(email ? ['--email', email] : [])];
  const out = execFileSync(serverBinary, args, { input: `${PASSWORDS[name]}\n`, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  logs.push({ name: `user add ${name}`, text: () => out });
  return out.trim();
}

// Starts the server with `args`, collecting all it prints after its URL.
async function start(name, args) {
  const started = await startServer(args);
  const child = started.process;
  children.add(child);
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { out += chunk; });
  logs.push({ name, text: () => out });
  return { url: started.url, child, output: () => out };
}

async function stop(server) {
  server.child.kill('SIGTERM');
  const code = await stopped(server.child);
  children.delete(server.child);
  return code;
}

function snapshot(label) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    const file = D1 + suffix;
    if (existsSync(file)) snapshots.push({ label: `${label}: ${file.slice(temp.length + 1)}`, bytes: readFileSync(file) });
  }
}

// ---------------------------------------------------------------- requests

// One request to <url>/api<path>. `token` goes in the form `form`: authorization (the bare
// token), bearer, query (?access_token=), x-access-token. Resolves {status, text, body, headers}.
async function call(url, method, path, { token, form = 'authorization', query, body, headers = {} } = {}) {
  const target = new URL(`${url}/api${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    target.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const sent = { ...headers };
  if (token !== undefined) {
    if (form === 'authorization') sent.authorization = token;
    else if (form === 'bearer') sent.authorization = `Bearer ${token}`;
    else if (form === 'x-access-token') sent['x-access-token'] = token;
    else if (form === 'query') target.searchParams.set('access_token', token);
    else throw new Error(`unknown token form ${form}`);
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) sent['content-type'] = 'application/json';
  const response = await fetch(target, { method, headers: sent, body: payload });
  const text = await response.text();
  let parsed;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: response.status, text, body: parsed, headers: response.headers, request: `${method} ${target.pathname}${target.search} ${payload ?? ''}` };
}

async function login(url, credentials) {
  const response = await call(url, 'POST', '/Users/login', { body: credentials });
  assert.equal(response.status, 200, `login ${JSON.stringify(credentials.username ?? credentials.email)}: ${response.text}`);
  tokens.add(response.body.id);
  return response.body;
}

const sha1 = (text) => createHash('sha1').update(text).digest('hex');
const changeId = (modelId) => sha1(`Todo-${modelId}`);
const FAKE_REV = 'f'.repeat(40);
const FAKE_REV2 = 'e'.repeat(40);

// The answer for B's id must be the answer for an id nobody has: same status, same body once
// the ids (and LoopBack's change ids, sha1("Todo-" + id)) are swapped.
function assertSameAsMissing(forB, forNobody, bId, nobodyId, what) {
  const swapped = forB.text.split(bId).join(nobodyId).split(changeId(bId)).join(changeId(nobodyId));
  assert.equal(forB.status, forNobody.status,
    `${what}: B's id ${bId} answered ${forB.status} ${forB.text}; an id nobody has answered ${forB.status === forNobody.status ? '' : forNobody.status} ${forNobody.text}`);
  assert.equal(swapped, forNobody.text, `${what}: B's id ${bId} answered ${forB.text}; an id nobody has: ${forNobody.text}`);
}

// ---------------------------------------------------------------- the route table

// Mirrors ModelRoutes() in server/src/model_routes.cc, in its order. Each route has a probe
// of A (the attacker) against B's records, `access` as PROTOCOL.md §2.1 / §2.2 give it
// (READ, REPLICATE, WRITE: what --shared-models read-only lets through), and `sample`, a
// well-formed request on a model (for the 401 and --shared-models sweeps).
const ROUTES = [
  { methods: ['GET', 'HEAD'], path: '', access: 'read', probe: probeFind, sample: () => ({}) },
  { methods: ['POST'], path: '', access: 'write', probe: probeCreate, sample: (m) => ({ body: m.record('sample-create') }) },
  { methods: ['PUT'], path: '', access: 'write', probe: probeReplaceOrCreate('PUT', ''), sample: (m) => ({ body: m.record('sample-put') }) },
  { methods: ['PATCH'], path: '', access: 'write', probe: probePatchOrCreate, sample: (m) => ({ body: m.record('sample-patch') }) },
  { methods: ['GET', 'HEAD'], path: 'count', access: 'read', probe: probeCount, sample: () => ({}) },
  { methods: ['GET', 'HEAD'], path: 'findOne', access: 'read', probe: probeFindOne, sample: () => ({}) },
  { methods: ['GET', 'HEAD'], path: 'changes', access: 'read', probe: probeChanges, sample: () => ({ query: { since: -1 } }) },
  { methods: ['GET', 'HEAD'], path: 'checkpoint', access: 'read', probe: probeCurrentCheckpoint, sample: () => ({}) },
  { methods: ['POST'], path: 'checkpoint', access: 'replicate', probe: probeCheckpoint, sample: () => ({}) },
  { methods: ['POST'], path: 'diff', access: 'read', probe: probeDiff,
    sample: (m) => ({ body: [{ modelName: m.name, modelId: m.id, rev: FAKE_REV, checkpoint: 1 }] }) },
  { methods: ['POST'], path: 'create-updates', access: 'read', probe: probeCreateUpdates,
    sample: (m) => ({ body: [{ modelName: m.name, modelId: m.id, rev: null, prev: FAKE_REV }] }) },
  { methods: ['POST'], path: 'bulk-update', access: 'write', probe: probeBulkUpdate,
    sample: (m) => ({ body: { updates: [{ type: 'create', change: { modelName: m.name, modelId: 'sample-bulk', rev: FAKE_REV, checkpoint: 1 }, data: m.record('sample-bulk') }] } }) },
  { methods: ['POST'], path: 'replaceOrCreate', access: 'write', probe: probeReplaceOrCreate('POST', '/replaceOrCreate'), sample: (m) => ({ body: m.record('sample-roc') }) },
  { methods: ['POST'], path: 'upsertWithWhere', access: 'write', probe: probeUpsertWithWhere,
    sample: (m) => ({ query: { where: { id: m.id } }, body: m.patch }) },
  { methods: ['POST'], path: 'update', access: 'write', probe: probeUpdateAll, sample: (m) => ({ query: { where: { id: m.id } }, body: m.patch }) },
  { methods: ['HEAD'], path: ':id', access: 'read', probe: probeHeadId, sample: () => ({}) },
  { methods: ['GET'], path: ':id', access: 'read', probe: probeFindById, sample: () => ({}) },
  { methods: ['PUT'], path: ':id', access: 'write', probe: probeById('PUT', ''), sample: (m) => ({ body: m.patch }) },
  { methods: ['PATCH'], path: ':id', access: 'write', probe: probeById('PATCH', ''), sample: (m) => ({ body: m.patch }) },
  { methods: ['DELETE'], path: ':id', access: 'write', probe: probeById('DELETE', ''), sample: () => ({}) },
  { methods: ['GET', 'HEAD'], path: ':id/exists', access: 'read', probe: probeExists, sample: () => ({}) },
  { methods: ['POST'], path: ':id/replace', access: 'write', probe: probeById('POST', '/replace'), sample: (m) => ({ body: m.patch }) },
  { methods: ['GET', 'HEAD'], path: ':id/changes/last', access: 'read', probe: probeFindLastChange, sample: () => ({}) },
  { methods: ['PUT'], path: ':id/changes/last', access: 'write', probe: probeUpdateLastChange, sample: () => ({ body: { prev: null } }) },
];

const routeKey = (route) => `${route.methods.join('|')} ${route.path}`;

// The table as model_routes.cc has it: [{methods, path}] from the kRoutes initializer.
function parsedTable() {
  const start = ROUTES_SOURCE.indexOf('ModelRoutes()');
  assert.ok(start >= 0, 'ModelRoutes() is in server/src/model_routes.cc');
  const open = ROUTES_SOURCE.indexOf('kRoutes = {', start);
  const close = ROUTES_SOURCE.indexOf('\n  };', open);
  assert.ok(open > start && close > open, 'the kRoutes initializer of ModelRoutes()');
  const names = { kGet: 'GET', kHead: 'HEAD', kPost: 'POST', kPut: 'PUT', kPatch: 'PATCH', kDelete: 'DELETE' };
  const entries = [];
  for (const match of ROUTES_SOURCE.slice(open, close).matchAll(/\{\s*(k[A-Za-z]+(?:\s*\|\s*k[A-Za-z]+)*)\s*,\s*"([^"]*)"/g)) {
    entries.push({ methods: match[1].split('|').map((m) => names[m.trim()] ?? `?${m.trim()}`), path: match[2] });
  }
  return entries;
}

// The concrete path of a route on `plural` for record `id`.
const routePath = (plural, route, id) => `/${plural}${route.path ? `/${route.path.replace(':id', encodeURIComponent(id))}` : ''}`;

// ---------------------------------------------------------------- shared state (S1)

let S1;
let A;          // {token, userId}
let B;
const A_IDS = ['a-1', 'a-2'];
const B_READ = ['b_read_1_x', 'b_read_2_x'];     // B's records A never writes
const B_GONE = 'b_gone_x';                       // B created and deleted (a delete change)
const B_SWEEP = 'b_sweep_x';                     // B's record the 401 sweep aims at
const B_ONLY = [...B_READ, B_GONE, B_SWEEP];      // ids only B ever has: A never sees them
const B_WRITE = [                                // B's records, one per write probe of A
  'bw_create_x', 'bw_create_many_x', 'bw_put_root_x', 'bw_patch_root_x', 'bw_bulk_create_x',
  'bw_bulk_update_x', 'bw_bulk_delete_x', 'bw_replace_or_create_x', 'bw_upsert_where_x',
  'bw_update_all_x', 'bw_put_id_x', 'bw_patch_id_x', 'bw_delete_id_x', 'bw_post_replace_x',
  'bw_changes_last_x', 'bw_changes_last_prev_x',
];
const bRecord = (id) => ({ id, title: `B-SECRET-${id}`, completed: true, created: 5, meta: { secret: `B-SECRET-meta-${id}` } });
let bRevs = new Map();      // B's modelId -> rev (null for the deleted one)
let bRevSet = new Set();    // every rev and prev of B's changes
let bBefore;                // B's view before A's probes
const aExchanges = [];      // every request of A and its answer (leak sweep)
let nobodyCounter = 0;
const nobody = (what) => `nobody_${what}_${++nobodyCounter}_x`;

// A request as A; recorded for the leak sweep.
async function asA(method, path, options = {}) {
  const response = await call(S1.url, method, path, { token: A.token, ...options });
  aExchanges.push(response);
  return response;
}
const asB = (method, path, options = {}) => call(S1.url, method, path, { token: B.token, ...options });

async function bView() {
  const records = await asB('GET', '/Todos', { query: { filter: { order: 'id ASC' } } });
  const changes = await asB('GET', '/Todos/changes', { query: { since: -1 } });
  const count = await asB('GET', '/Todos/count');
  assert.equal(records.status, 200, records.text);
  assert.equal(changes.status, 200, changes.text);
  const last = {};
  for (const id of [...B_READ, B_GONE, B_SWEEP, ...B_WRITE]) {
    const found = await asB('GET', `/Todos/${id}/changes/last`);
    last[id] = `${found.status} ${found.text}`;
  }
  return {
    records: records.body,
    changes: [...changes.body].sort((x, y) => x.modelId.localeCompare(y.modelId)),
    count: count.body,
    last,
  };
}

// A's records as A sees them through GET /Todos.
async function aRecords() {
  const response = await asA('GET', '/Todos', { query: { filter: { order: 'id ASC' } } });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

function assertAOnly(records, what) {
  for (const record of records) {
    assert.ok(typeof record.title === 'string' && record.title.startsWith('A-'),
      `${what}: A sees a record that is not A's: ${JSON.stringify(record)}`);
    assert.ok(!JSON.stringify(record).includes('B-SECRET'), `${what}: A sees B's data: ${JSON.stringify(record)}`);
  }
}

// ---------------------------------------------------------------- probes (A against B)

// B's record `id` as B created it (checked right after each write probe of A).
async function assertBIntact(id, what) {
  const found = await asB('GET', `/Todos/${id}`);
  assert.deepEqual(found.body, bRecord(id), `${what}: B's record ${id} after A's request: ${found.status} ${found.text}`);
}

async function probeFind() {
  const all = await aRecords();
  assertAOnly(all, 'GET /Todos');
  const ids = all.map((r) => r.id);
  for (const id of B_ONLY) assert.ok(!ids.includes(id), `GET /Todos as A lists B's ${id}`);
  for (const where of [{ id: B_READ[0] }, { title: { like: 'B-SECRET%' } }, { completed: true }, { 'meta.secret': `B-SECRET-meta-${B_READ[0]}` }]) {
    const found = await asA('GET', '/Todos', { query: { filter: { where } } });
    assert.equal(found.status, 200, found.text);
    assertAOnly(found.body, `GET /Todos where ${JSON.stringify(where)}`);
    assert.ok(!found.body.some((r) => B_READ.includes(r.id)), `GET /Todos where ${JSON.stringify(where)} as A: ${found.text}`);
  }
  const byB = await asA('GET', '/Todos', { query: { filter: { where: { id: B_READ[0] } } } });
  const byNobody = await asA('GET', '/Todos', { query: { filter: { where: { id: nobody('find') } } } });
  assert.equal(byB.text, '[]');
  assert.equal(byNobody.text, '[]');
  const head = await asA('HEAD', '/Todos');
  assert.equal(head.status, 200, 'HEAD /Todos as A');
}

async function probeCreate() {
  const bId = 'bw_create_x';
  const nId = nobody('create');
  const forB = await asA('POST', '/Todos', { body: { id: bId, title: 'A-create', created: 1 } });
  const forN = await asA('POST', '/Todos', { body: { id: nId, title: 'A-create', created: 1 } });
  assert.equal(forB.status, 200, `POST /Todos with the id B holds (ids are per owner): ${forB.text}`);
  assert.deepEqual(forB.body, { id: bId, title: 'A-create', completed: false, created: 1 });
  assertSameAsMissing(forB, forN, bId, nId, 'POST /Todos');
  // Many at once, one of them B's id.
  const manyId = 'bw_create_many_x';
  const many = await asA('POST', '/Todos', { body: [{ id: nobody('many'), title: 'A-many-1', created: 1 }, { id: manyId, title: 'A-many-2', created: 1 }] });
  assert.equal(many.status, 200, `POST /Todos [..] with B's id: ${many.text}`);
  assert.equal(many.body.length, 2);
  assert.deepEqual(many.body[1], { id: manyId, title: 'A-many-2', completed: false, created: 1 });
  const mine = await asA('GET', `/Todos/${bId}`);
  assert.deepEqual(mine.body, { id: bId, title: 'A-create', completed: false, created: 1 }, 'A reads its own record under that id');
  await assertBIntact(bId, 'POST /Todos');
  await assertBIntact(manyId, 'POST /Todos [..]');
}

function probeReplaceOrCreate(method, suffix) {
  return async () => {
    const bId = method === 'PUT' ? 'bw_put_root_x' : 'bw_replace_or_create_x';
    const nId = nobody('roc');
    const forB = await asA(method, `/Todos${suffix}`, { body: { id: bId, title: 'A-roc', created: 1 } });
    const forN = await asA(method, `/Todos${suffix}`, { body: { id: nId, title: 'A-roc', created: 1 } });
    assert.equal(forB.status, 200, `${method} /Todos${suffix}: ${forB.text}`);
    assert.deepEqual(forB.body, { id: bId, title: 'A-roc', completed: false, created: 1 });
    assertSameAsMissing(forB, forN, bId, nId, `${method} /Todos${suffix}`);
    await assertBIntact(bId, `${method} /Todos${suffix}`);
  };
}

async function probePatchOrCreate() {
  const bId = 'bw_patch_root_x';
  const nId = nobody('poc');
  // A merge into B's record would answer with B's completed and meta.
  const forB = await asA('PATCH', '/Todos', { body: { id: bId, title: 'A-patch', created: 1 } });
  const forN = await asA('PATCH', '/Todos', { body: { id: nId, title: 'A-patch', created: 1 } });
  assert.equal(forB.status, 200, forB.text);
  // (Whether defaults apply on this create is not the point: B's completed and meta must not.)
  assert.equal(forB.body.title, 'A-patch', forB.text);
  assert.notEqual(forB.body.completed, true, `PATCH /Todos merged into B's record: ${forB.text}`);
  assert.equal(forB.body.meta, undefined, `PATCH /Todos merged into B's record: ${forB.text}`);
  assertSameAsMissing(forB, forN, bId, nId, 'PATCH /Todos');
  await assertBIntact(bId, 'PATCH /Todos');
}

async function probeCount() {
  const own = (await aRecords()).length;
  const all = await asA('GET', '/Todos/count');
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.body, { count: own }, 'A counts its own records only');
  for (const where of [{ id: B_READ[0] }, { title: { like: 'B-SECRET%' } }, { id: { inq: B_ONLY } }]) {
    const counted = await asA('GET', '/Todos/count', { query: { where } });
    assert.deepEqual(counted.body, { count: 0 }, `count where ${JSON.stringify(where)} as A: ${counted.text}`);
  }
  const head = await asA('HEAD', '/Todos/count', { query: { where: { id: B_READ[0] } } });
  assert.equal(head.status, 200);
}

async function probeFindOne() {
  for (const method of ['GET', 'HEAD']) {
    const nId = nobody('findOne');
    const forB = await asA(method, '/Todos/findOne', { query: { filter: { where: { id: B_READ[0] } } } });
    const forN = await asA(method, '/Todos/findOne', { query: { filter: { where: { id: nId } } } });
    assertSameAsMissing(forB, forN, B_READ[0], nId, `${method} /Todos/findOne`);
    if (method === 'GET') assert.equal(forB.status, 404, forB.text);
    const byTitle = await asA(method, '/Todos/findOne', { query: { filter: { where: { title: `B-SECRET-${B_READ[0]}` } } } });
    assert.equal(byTitle.status, 404, `${method} findOne by B's title: ${byTitle.text}`);
  }
  const first = await asA('GET', '/Todos/findOne', { query: { filter: { order: 'title DESC' } } });
  assert.equal(first.status, 200, first.text);
  assertAOnly([first.body], 'findOne without where');
}

async function probeChanges() {
  const feed = await asA('GET', '/Todos/changes', { query: { since: -1 } });
  assert.equal(feed.status, 200, feed.text);
  const ids = feed.body.map((c) => c.modelId);
  for (const id of B_ONLY) assert.ok(!ids.includes(id), `A's changes list B's ${id}: ${feed.text}`);
  for (const change of feed.body) {
    assert.ok(!bRevSet.has(change.rev) && !bRevSet.has(change.prev), `A's changes carry B's revision: ${JSON.stringify(change)}`);
  }
  const own = (await aRecords()).map((r) => r.id).sort();
  assert.deepEqual([...new Set(ids)].sort(), own, 'A\'s feed lists exactly A\'s records');
  // Paged (replicore's cursor, PROTOCOL.md §9.1): the same ids, none of B's.
  const paged = [];
  let after;
  for (let page = 0; page < 200; page += 1) {
    const response = await asA('GET', '/Todos/changes', { query: { since: -1, limit: 1, ...(after ? { after } : {}) } });
    assert.equal(response.status, 200, response.text);
    paged.push(...response.body.map((c) => c.modelId));
    after = response.headers.get('x-replicore-next');
    if (!after || response.body.length === 0) break;
  }
  assert.deepEqual([...new Set(paged)].sort(), own, 'the paged feed');
  // A filter on B's data, and a cursor naming B's id.
  const filtered = await asA('GET', '/Todos/changes', { query: { since: -1, filter: { where: { title: { like: 'B-SECRET%' } } } } });
  assert.equal(filtered.text, '[]', `changes filtered on B's titles: ${filtered.text}`);
  const cursor = await asA('GET', '/Todos/changes', { query: { since: -1, limit: 50, after: `0:${B_READ[0]}` } });
  assert.equal(cursor.status, 200, cursor.text);
  assert.ok(!cursor.body.some((c) => B_ONLY.includes(c.modelId)), cursor.text);
  const head = await asA('HEAD', '/Todos/changes', { query: { since: -1 } });
  assert.equal(head.status, 200);
}

async function probeCurrentCheckpoint() {
  for (const method of ['GET', 'HEAD']) {
    const response = await asA(method, '/Todos/checkpoint');
    assert.equal(response.status, 200, `${method} /Todos/checkpoint: ${response.text}`);
    if (method === 'GET') assert.equal(typeof response.body, 'number', response.text);
  }
}

async function probeCheckpoint() {
  const response = await asA('POST', '/Todos/checkpoint');
  assert.equal(response.status, 200, response.text);
  assert.equal(typeof response.body.seq, 'number', response.text);
}

async function probeDiff() {
  const bId = B_READ[0];
  const bRev = bRevs.get(bId);
  // (1) A's create of that id: B's revision must not come back as the target's prev.
  // (2) A's change with B's own revision: not "already equal" (no delta dropped).
  // (3) A's change based on B's revision, with since=0 (would be in B's window).
  // (4) B's deleted record.
  const cases = [
    ['create', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: FAKE_REV, checkpoint: 1 }], {}],
    ['same rev', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: bRev, checkpoint: 1 }], {}],
    ['based on B', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: FAKE_REV, prev: bRev, checkpoint: 1 }], { since: 0 }],
    ['resent', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: FAKE_REV2, prev: FAKE_REV, checkpoint: 1 }], { since: 0, resent: '1' }],
    ['B deleted', B_GONE, (id) => [{ modelName: 'Todo', modelId: id, rev: FAKE_REV, prev: null, checkpoint: 1 }], { since: 0 }],
  ];
  for (const [what, id, body, query] of cases) {
    const nId = nobody('diff');
    const forB = await asA('POST', '/Todos/diff', { query, body: body(id) });
    const forN = await asA('POST', '/Todos/diff', { query, body: body(nId) });
    assert.equal(forB.status, 200, `diff (${what}): ${forB.text}`);
    assertSameAsMissing(forB, forN, id, nId, `POST /Todos/diff (${what})`);
    assert.deepEqual(forB.body.conflicts, [], `diff (${what}) reports B's change as a conflict: ${forB.text}`);
    assert.equal(forB.body.deltas.length, 1, `diff (${what}) drops A's change: ${forB.text}`);
    if (what === 'create') assert.equal(forB.body.deltas[0].prev, null, `diff re-parents A's change on B's revision: ${forB.text}`);
  }
}

async function probeCreateUpdates() {
  const bId = B_READ[0];
  const bRev = bRevs.get(bId);
  const cases = [
    ['create', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: bRev, prev: null }]],
    ['update', bId, (id) => [{ modelName: 'Todo', modelId: id, rev: FAKE_REV, prev: bRev }]],
    ['B deleted', B_GONE, (id) => [{ modelName: 'Todo', modelId: id, rev: null, prev: FAKE_REV }]],
  ];
  for (const [what, id, body] of cases) {
    const nId = nobody('cu');
    const forB = await asA('POST', '/Todos/create-updates', { body: body(id) });
    const forN = await asA('POST', '/Todos/create-updates', { body: body(nId) });
    assert.ok(!forB.text.includes('B-SECRET'), `create-updates (${what}) hands A B's data: ${forB.text}`);
    assertSameAsMissing(forB, forN, id, nId, `POST /Todos/create-updates (${what})`);
    if (forB.status === 200) {
      assert.ok(forB.body.every((u) => u.data === undefined), `create-updates (${what}) carries data: ${forB.text}`);
    }
  }
}

async function probeBulkUpdate() {
  const update = (type, id, change, data) => ({ updates: [{ type, change: { modelName: 'Todo', modelId: id, checkpoint: 1, ...change }, ...(data ? { data: { id, created: 1, ...data } } : {}) }] });
  // create with B's own revision (a leak would skip it as "already there", or 409)
  const cases = [
    ['create', 'bw_bulk_create_x', (id) => update('create', id, { rev: bRevs.get('bw_bulk_create_x') }, { title: 'A-bulk-create' })],
    ['update based on B', 'bw_bulk_update_x', (id) => update('update', id, { rev: FAKE_REV, prev: bRevs.get('bw_bulk_update_x') }, { title: 'A-bulk-update' })],
    ['delete of B', 'bw_bulk_delete_x', (id) => update('delete', id, { rev: null, prev: bRevs.get('bw_bulk_delete_x') })],
  ];
  for (const [what, id, body] of cases) {
    const nId = nobody('bulk');
    // The same revisions for the id nobody has, so the two requests differ by the id only.
    const forB = await asA('POST', '/Todos/bulk-update', { body: body(id) });
    const forN = await asA('POST', '/Todos/bulk-update', { body: JSON.parse(JSON.stringify(body(id)).split(id).join(nId)) });
    assertSameAsMissing(forB, forN, id, nId, `POST /Todos/bulk-update (${what})`);
    await assertBIntact(id, `POST /Todos/bulk-update (${what})`);
  }
  const created = await asA('GET', '/Todos/bw_bulk_create_x');
  assert.equal(created.status, 200, `A's bulk create under B's id made A's record: ${created.text}`);
  assert.deepEqual(created.body, { id: 'bw_bulk_create_x', title: 'A-bulk-create', created: 1 });
}

async function probeUpsertWithWhere() {
  const bId = 'bw_upsert_where_x';
  const forB = await asA('POST', '/Todos/upsertWithWhere', { query: { where: { id: bId } }, body: { title: 'A-upsert', created: 1 } });
  const forN = await asA('POST', '/Todos/upsertWithWhere', { query: { where: { id: nobody('uww') } }, body: { title: 'A-upsert', created: 1 } });
  assert.equal(forB.status, forN.status, `upsertWithWhere: ${forB.text} / ${forN.text}`);
  const strip = ({ id, ...rest }) => rest;
  if (forB.status === 200) {
    assert.deepEqual(strip(forB.body), strip(forN.body), 'upsertWithWhere on B\'s id answers as on a missing one');
    assert.deepEqual(strip(forB.body), { title: 'A-upsert', completed: false, created: 1 });
  } else {
    assert.equal(forB.text, forN.text);
  }
  const byTitle = await asA('POST', '/Todos/upsertWithWhere', { query: { where: { title: `B-SECRET-${B_READ[1]}` } }, body: { title: 'A-upsert-2', created: 1 } });
  assert.ok(!byTitle.text.includes('B-SECRET'), byTitle.text);
  if (byTitle.status === 200) assert.notEqual(byTitle.body.id, B_READ[1], `upsertWithWhere matched B's record: ${byTitle.text}`);
  await assertBIntact(bId, 'POST /Todos/upsertWithWhere');
  await assertBIntact(B_READ[1], 'POST /Todos/upsertWithWhere');
}

async function probeUpdateAll() {
  for (const where of [{ id: 'bw_update_all_x' }, { id: B_READ[0] }, { title: { like: 'B-SECRET%' } }]) {
    const response = await asA('POST', '/Todos/update', { query: { where }, body: { title: 'A-hacked' } });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, { count: 0 }, `update where ${JSON.stringify(where)} as A`);
  }
  await assertBIntact('bw_update_all_x', 'POST /Todos/update');
  const own = (await aRecords()).length;
  const everything = await asA('POST', '/Todos/update', { query: { where: {} }, body: { dueAt: '2030-01-01T00:00:00.000Z' } });
  assert.deepEqual(everything.body, { count: own }, 'update without where touches A\'s records only');
}

async function probeHeadId() {
  const nId = nobody('head');
  for (const id of B_ONLY) {
    const forB = await asA('HEAD', `/Todos/${id}`);
    const forN = await asA('HEAD', `/Todos/${nId}`);
    assertSameAsMissing(forB, forN, id, nId, 'HEAD /Todos/:id');
    assert.equal(forB.status, 404, `HEAD /Todos/${id} as A`);
  }
  assert.equal((await asA('HEAD', `/Todos/${A_IDS[0]}`)).status, 200, 'HEAD of A\'s own record');
}

async function probeFindById() {
  for (const id of B_ONLY) {
    for (const query of [{}, { filter: { fields: { title: true } } }, { filter: { where: { completed: true } } }]) {
      const nId = nobody('get');
      const forB = await asA('GET', `/Todos/${id}`, { query });
      const forN = await asA('GET', `/Todos/${nId}`, { query });
      assertSameAsMissing(forB, forN, id, nId, `GET /Todos/:id ${JSON.stringify(query)}`);
      assert.equal(forB.status, 404, forB.text);
    }
  }
  assert.equal((await asA('GET', `/Todos/${A_IDS[0]}`)).status, 200, 'A reads its own record');
}

function probeById(method, suffix) {
  const ids = { 'PUT ': 'bw_put_id_x', 'PATCH ': 'bw_patch_id_x', 'DELETE ': 'bw_delete_id_x', 'POST /replace': 'bw_post_replace_x' };
  return async () => {
    const bId = ids[`${method} ${suffix}`];
    const nId = nobody('byid');
    const body = method === 'DELETE' ? undefined : { title: 'A-by-id', created: 1 };
    const forB = await asA(method, `/Todos/${bId}${suffix}`, { body });
    const forN = await asA(method, `/Todos/${nId}${suffix}`, { body });
    assertSameAsMissing(forB, forN, bId, nId, `${method} /Todos/:id${suffix}`);
    if (method === 'DELETE') assert.deepEqual(forB.body, { count: 0 }, `DELETE of B's record as A: ${forB.text}`);
    else assert.equal(forB.status, 404, `${method} /Todos/:id${suffix} on B's record as A: ${forB.text}`);
    await assertBIntact(bId, `${method} /Todos/:id${suffix}`);
    // Also B's records A only read so far, and B's deleted one.
    for (const id of [B_READ[1], B_GONE]) {
      const again = await asA(method, `/Todos/${id}${suffix}`, { body });
      const missing = await asA(method, `/Todos/${nId}${suffix}`, { body });
      assertSameAsMissing(again, missing, id, nId, `${method} /Todos/:id${suffix}`);
    }
  };
}

async function probeExists() {
  for (const method of ['GET', 'HEAD']) {
    for (const id of B_ONLY) {
      const nId = nobody('exists');
      const forB = await asA(method, `/Todos/${id}/exists`);
      const forN = await asA(method, `/Todos/${nId}/exists`);
      assertSameAsMissing(forB, forN, id, nId, `${method} /Todos/:id/exists`);
      if (method === 'GET') assert.deepEqual(forB.body, { exists: false }, `exists of B's ${id} as A`);
    }
  }
  assert.deepEqual((await asA('GET', `/Todos/${A_IDS[0]}/exists`)).body, { exists: true });
}

async function probeFindLastChange() {
  for (const method of ['GET', 'HEAD']) {
    for (const id of B_ONLY) {
      const nId = nobody('last');
      const forB = await asA(method, `/Todos/${id}/changes/last`);
      const forN = await asA(method, `/Todos/${nId}/changes/last`);
      assertSameAsMissing(forB, forN, id, nId, `${method} /Todos/:id/changes/last`);
      for (const rev of bRevSet) assert.ok(!forB.text.includes(rev), `changes/last of B's ${id} as A: ${forB.text}`);
    }
  }
  const own = await asA('GET', `/Todos/${A_IDS[0]}/changes/last`);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body?.modelId, A_IDS[0], `A's own last change: ${own.text}`);
}

async function probeUpdateLastChange() {
  const cases = [
    ['bw_changes_last_x', { prev: null }],
    ['bw_changes_last_prev_x', { prev: FAKE_REV }],
    [B_GONE, { prev: FAKE_REV }],
    [B_READ[0], { rev: bRevs.get(B_READ[0]) }],
  ];
  for (const [id, body] of cases) {
    const nId = nobody('putlast');
    const forB = await asA('PUT', `/Todos/${id}/changes/last`, { body });
    const forN = await asA('PUT', `/Todos/${nId}/changes/last`, { body });
    assertSameAsMissing(forB, forN, id, nId, `PUT /Todos/:id/changes/last ${JSON.stringify(body)}`);
    assert.ok(forB.status === 404 || (forB.status >= 400 && forB.status < 500),
      `PUT /Todos/${id}/changes/last as A must be refused as for a missing record: ${forB.status} ${forB.text}`);
    const last = await asB('GET', `/Todos/${id}/changes/last`);
    assert.equal(`${last.status} ${last.text}`, bBefore.last[id], `B's last change of ${id} after A's PUT`);
  }
}

// ---------------------------------------------------------------- tests

test('the probes mirror every route of ModelRoutes() (a new route without a security probe fails here)', () => {
  const table = parsedTable();
  assert.equal(ROUTES.length, table.length, `ROUTES has ${ROUTES.length} entries, ModelRoutes() ${table.length}`);
  assert.deepEqual(ROUTES.map(routeKey), table.map(routeKey));
});

test('setup: users from `user add`, S1 with --users; login answers {id, ttl, created, userId}', async () => {
  const alice = addUser(D1, 'alice');
  const bob = addUser(D1, 'bob', 'bob@example.com');
  addUser(D1, 'erin');
  addUser(D1, 'frank');
  assert.match(alice, /^\S+$/);
  assert.notEqual(alice, bob);
  // The password is read from stdin and must be 8 bytes at least.
  assert.throws(() => execFileSync(serverBinary, ['user', 'add', 'shorty', '--db', D1], { input: 'short\n', stdio: ['pipe', 'pipe', 'pipe'] }));
  S1 = await start('S1', ['--users', '--models', models, '--db', D1, '--log-level', 'info']);
  const a = await login(S1.url, { username: 'alice', password: PASSWORDS.alice });
  assert.deepEqual(Object.keys(a).sort(), ['created', 'id', 'ttl', 'userId']);
  assert.equal(a.userId, alice);
  assert.equal(a.ttl, 1209600, 'the default ttl: two weeks');
  assert.ok(!Number.isNaN(Date.parse(a.created)), a.created);
  const b = await login(S1.url, { email: 'bob@example.com', password: PASSWORDS.bob });
  assert.equal(b.userId, bob);
  A = { token: a.id, userId: a.userId };
  B = { token: b.id, userId: b.userId };
  assert.notEqual(A.token, B.token);
  const wrong = await call(S1.url, 'POST', '/Users/login', { body: { username: 'alice', password: PASSWORDS.wrong } });
  assert.equal(wrong.status, 401, wrong.text);
  assert.equal(wrong.body?.error?.code, 'unauthorized', wrong.text);

  for (const id of A_IDS) {
    const created = await asA('POST', '/Todos', { body: { id, title: `A-${id}`, created: 2 } });
    assert.equal(created.status, 200, created.text);
  }
  for (const id of [...B_READ, B_GONE, B_SWEEP, ...B_WRITE]) {
    const created = await asB('POST', '/Todos', { body: bRecord(id) });
    assert.equal(created.status, 200, created.text);
  }
  assert.equal((await asB('POST', '/Todos/checkpoint')).status, 200);
  assert.deepEqual((await asB('DELETE', `/Todos/${B_GONE}`)).body, { count: 1 });
  const feed = await asB('GET', '/Todos/changes', { query: { since: -1 } });
  bRevs = new Map(feed.body.map((c) => [c.modelId, c.rev]));
  bRevSet = new Set(feed.body.flatMap((c) => [c.rev, c.prev]).filter(Boolean));
  assert.equal(bRevs.size, B_READ.length + 2 + B_WRITE.length, `B's changes: ${feed.text}`);
  assert.equal(bRevs.get(B_GONE), null, 'B\'s deletion is a change with rev null');
  // Counts differ accordingly.
  assert.deepEqual((await asA('GET', '/Todos/count')).body, { count: A_IDS.length });
  assert.deepEqual((await asB('GET', '/Todos/count')).body, { count: B_READ.length + 1 + B_WRITE.length });
  bBefore = await bView();
  assert.equal(bBefore.records.length, B_READ.length + 1 + B_WRITE.length);
});

test('every route × method: 401 unauthorized without a valid token (none, garbage, every form), nothing revealed', async () => {
  const garbage = [
    ['none', {}],
    ['garbage', { token: 'not-a-token' }],
    ['garbage hex', { token: 'a'.repeat(64) }],
    ['garbage bearer', { token: 'b'.repeat(64), form: 'bearer' }],
    ['garbage query', { token: 'c'.repeat(64), form: 'query' }],
    ['garbage x-access-token', { token: 'd'.repeat(64), form: 'x-access-token' }],
    ['B\'s user id as a token', { token: B.userId }],
    ['empty bearer', { headers: { authorization: 'Bearer ' } }],
  ];
  const model = { name: 'Todo', id: B_SWEEP, patch: { title: 'x' }, record: (id) => ({ id, title: 'x' }) };
  const failures = [];
  let checked = 0;
  for (const route of ROUTES) {
    for (const method of route.methods) {
      for (const [what, auth] of garbage) {
        for (const id of [B_SWEEP, nobody('401')]) {
          const response = await call(S1.url, method, routePath('Todos', route, id), { ...route.sample({ ...model, id }), ...auth });
          checked += 1;
          const ok = response.status === 401 && (method === 'HEAD' ? response.text === '' : response.body?.error?.code === 'unauthorized' && response.body?.error?.statusCode === 401);
          if (!ok) failures.push(`${method} ${routePath('Todos', route, id)} (${what}): ${response.status} ${response.text.slice(0, 200)}`);
          if (response.text.includes('B-SECRET')) failures.push(`${method} ${routePath('Todos', route, id)} (${what}) leaks: ${response.text}`);
        }
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${checked} requests not refused with 401 unauthorized`);
  assert.deepEqual(await bView(), bBefore, 'B\'s records unchanged by the refused requests');
});

// One subtest per route of the table: A with its valid token against B's records and state.
test('every route of the table: A cannot read, write, count, diff, replicate nor detect B\'s records', async (t) => {
  for (const route of ROUTES) {
    await t.test(`${routeKey(route)}`, async () => {
      await route.probe();
    });
  }
});

test('B\'s records, changes and last changes are unchanged after every probe of A; no answer to A carried B\'s data', async () => {
  const now = await bView();
  assert.deepEqual(now.records, bBefore.records, 'B\'s records');
  assert.deepEqual(now.changes, bBefore.changes, 'B\'s change log');
  assert.deepEqual(now.count, bBefore.count, 'B\'s count');
  assert.deepEqual(now.last, bBefore.last, 'B\'s last change of each record');
  assert.ok(aExchanges.length > 100, `A's requests: ${aExchanges.length}`);
  const leaks = [];
  for (const exchange of aExchanges) {
    if (exchange.text.includes('B-SECRET')) leaks.push(`${exchange.request} -> ${exchange.text}`);
    for (const rev of bRevSet) {
      if (exchange.text.includes(rev) && !exchange.request.includes(rev)) leaks.push(`${exchange.request} -> B's rev ${rev}: ${exchange.text}`);
    }
  }
  assert.deepEqual(leaks, []);
  // A's view: its own records only, and the ids B holds that A wrote are A's records.
  const mine = await aRecords();
  assertAOnly(mine, 'A\'s records after the probes');
  for (const id of B_ONLY) assert.ok(!mine.some((r) => r.id === id), `A has ${id}`);
  const feed = await asA('GET', '/Todos/changes', { query: { since: -1 } });
  assert.deepEqual([...new Set(feed.body.map((c) => c.modelId))].sort(), mine.map((r) => r.id).sort(), 'A\'s feed: A\'s records only');
  assert.ok(!feed.body.some((c) => c.modelId === B_GONE), 'A\'s feed has no deletion of B\'s');
});

test('ids are per owner: B creating an id A holds simply creates B\'s own record (no 409, nothing of A\'s revealed)', async () => {
  const aDup = await asA('POST', '/Todos', { body: { id: 'dup-1', title: 'A-dup', completed: true, created: 3, meta: { of: 'A-meta' } } });
  assert.equal(aDup.status, 200, aDup.text);
  const aCount = (await asA('GET', '/Todos/count')).body.count;
  const bCount = (await asB('GET', '/Todos/count')).body.count;
  const bDup = await asB('POST', '/Todos', { body: { id: 'dup-1', title: 'B-dup', created: 4 } });
  const bFresh = await asB('POST', '/Todos', { body: { id: 'dup-fresh', title: 'B-dup', created: 4 } });
  assert.equal(bDup.status, 200, `B creating the id A holds: ${bDup.status} ${bDup.text}`);
  assert.deepEqual(bDup.body, { id: 'dup-1', title: 'B-dup', completed: false, created: 4 });
  assertSameAsMissing(bDup, bFresh, 'dup-1', 'dup-fresh', 'POST /Todos by B with A\'s id');
  assert.deepEqual((await asA('GET', '/Todos/dup-1')).body, aDup.body, 'A\'s record is A\'s');
  assert.deepEqual((await asB('GET', '/Todos/dup-1')).body, bDup.body, 'B\'s record is B\'s');
  assert.equal((await asA('GET', '/Todos/count')).body.count, aCount);
  assert.equal((await asB('GET', '/Todos/count')).body.count, bCount + 2);
  const aLast = await asA('GET', '/Todos/dup-1/changes/last');
  const bLast = await asB('GET', '/Todos/dup-1/changes/last');
  assert.notEqual(aLast.body.rev, bLast.body.rev, 'each owner has its own revision of dup-1');
  // B deletes its dup-1: A's stays.
  assert.deepEqual((await asB('DELETE', '/Todos/dup-1')).body, { count: 1 });
  assert.equal((await asA('GET', '/Todos/dup-1')).status, 200);
  assert.deepEqual((await asA('GET', '/Todos/dup-1/exists')).body, { exists: true });
  assert.deepEqual((await asB('GET', '/Todos/dup-1/exists')).body, { exists: false });
});

test('every token form is accepted: Authorization, Authorization: Bearer, ?access_token=, X-Access-Token', async () => {
  const aIds = (await aRecords()).map((r) => r.id);
  const bIds = bBefore.records.map((r) => r.id).concat('dup-fresh');
  for (const form of ['authorization', 'bearer', 'query', 'x-access-token']) {
    for (const [who, token, ids] of [['A', A.token, aIds], ['B', B.token, bIds]]) {
      const response = await call(S1.url, 'GET', '/Todos', { token, form });
      assert.equal(response.status, 200, `${who}'s token as ${form}: ${response.text}`);
      assert.deepEqual(response.body.map((r) => r.id).sort(), [...ids].sort(), `${who}'s token as ${form} sees ${who}'s records`);
      ids.push(`form-${form}`);
      const write = await call(S1.url, 'POST', '/Todos', { token, form, body: { id: `form-${form}`, title: `${who === 'A' ? 'A' : 'B-SECRET'}-form`, created: 1 } });
      assert.equal(write.status, 200, `${who} writes with ${form}: ${write.text}`);
    }
  }
});

test('under concurrency (two users\' first requests at once, 2 × 60 in flight) each sees only its own; a keep-alive connection keeps no token', async () => {
  const erin = await login(S1.url, { username: 'erin', password: PASSWORDS.erin });
  const frank = await login(S1.url, { username: 'frank', password: PASSWORDS.frank });
  const requests = [];
  for (let i = 0; i < 30; i += 1) {
    for (const [who, token] of [['E', erin.id], ['F', frank.id]]) {
      requests.push(call(S1.url, 'POST', '/Todos', { token, body: { id: `c-${i}`, title: `${who}-${i}` } }).then((r) => ({ who, r })));
      requests.push(call(S1.url, 'GET', '/Todos', { token }).then((r) => ({ who, r })));
    }
  }
  const answers = await Promise.all(requests);
  const bad = answers.filter(({ r }) => r.status !== 200).map(({ who, r }) => `${who}: ${r.request}: ${r.status} ${r.text}`);
  assert.deepEqual(bad, []);
  for (const { who, r } of answers) {
    const records = Array.isArray(r.body) ? r.body : [r.body];
    assert.ok(records.every((t) => t.title.startsWith(`${who}-`)), `${who}'s ${r.request} answered another user's: ${r.text}`);
  }
  for (const [who, token] of [['E', erin.id], ['F', frank.id]]) {
    const mine = await call(S1.url, 'GET', '/Todos', { token, query: { filter: { order: 'id ASC' } } });
    assert.equal(mine.body.length, 30, `${who}'s todos: ${mine.text}`);
    assert.ok(mine.body.every((t) => t.title === `${who}-${t.id.slice(2)}`), `${who}'s todos: ${mine.text}`);
  }
  // One keep-alive socket: a request with A's token, then one without any.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set();
  const get = (headers) => new Promise((resolve, reject) => {
    const request = http.get(`${S1.url}/api/Todos`, { agent, headers }, (response) => {
      sockets.add(response.socket);
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, text }));
    });
    request.on('error', reject);
  });
  assert.equal((await get({ authorization: A.token })).status, 200);
  const after = await get({});
  agent.destroy();
  assert.equal(sockets.size, 1, 'both requests on one connection');
  assert.equal(after.status, 401, `a request without a token after one with A's on the same connection: ${after.text}`);
});

test('the User model serves login, logout and sign-up only: A reads and changes nothing of B\'s user; a login failure does not tell a wrong password from an unknown name', async () => {
  const attempts = [
    ['GET', '/Users'], ['GET', `/Users/${B.userId}`], ['HEAD', `/Users/${B.userId}`], ['GET', '/Users/count'], ['GET', '/Users/findOne'],
    ['GET', `/Users/${B.userId}/exists`], ['GET', '/Users/me'], ['GET', `/Users/${B.userId}/accessTokens`],
    ['POST', `/Users/${B.userId}/accessTokens`, {}], ['PATCH', `/Users/${B.userId}`, { password: 'Taken-over-pw-1' }],
    ['PUT', `/Users/${B.userId}`, { username: 'bob', password: 'Taken-over-pw-1' }], ['POST', `/Users/${B.userId}/replace`, { password: 'Taken-over-pw-1' }],
    ['DELETE', `/Users/${B.userId}`], ['POST', '/Users/change-password', { oldPassword: PASSWORDS.alice, newPassword: 'Taken-over-pw-1' }],
    ['POST', '/Users/reset', { email: 'bob@example.com' }], ['POST', '/Users/reset-password', { newPassword: 'Taken-over-pw-1' }],
    ['PATCH', '/Users', { id: B.userId, password: 'Taken-over-pw-1' }], ['PUT', '/Users', { id: B.userId, username: 'bob', password: 'Taken-over-pw-1' }],
    ['POST', '/Users/upsertWithWhere', { password: 'Taken-over-pw-1' }], ['POST', '/Users/update', { password: 'Taken-over-pw-1' }],
  ];
  const served = [];
  for (const [method, path, body] of attempts) {
    const response = await call(S1.url, method, path, { token: A.token, body });
    if (response.status < 400 || response.text.includes('bob@example.com') || response.text.includes(B.token)) {
      served.push(`${method} ${path}: ${response.status} ${response.text.slice(0, 200)}`);
    }
  }
  assert.deepEqual(served, [], 'routes of /Users beyond login, logout and sign-up');
  const b = await login(S1.url, { username: 'bob', password: PASSWORDS.bob });
  assert.equal(b.userId, B.userId, 'B still logs in with B\'s password');
  const wrongPassword = await call(S1.url, 'POST', '/Users/login', { body: { username: 'bob', password: PASSWORDS.wrong } });
  const unknownName = await call(S1.url, 'POST', '/Users/login', { body: { username: 'nobody-by-this-name', password: PASSWORDS.wrong } });
  assert.equal(wrongPassword.status, 401);
  assert.equal(wrongPassword.text, unknownName.text, 'a wrong password and an unknown name answer alike');
  assert.equal((await login(S1.url, { username: 'bob', password: PASSWORDS.bob })).userId, B.userId);
});

test('a logged-out token is refused; logout ends only that token', async () => {
  const second = await login(S1.url, { username: 'alice', password: PASSWORDS.alice });
  assert.notEqual(second.id, A.token);
  assert.equal((await call(S1.url, 'GET', '/Todos', { token: second.id })).status, 200);
  const out = await call(S1.url, 'POST', '/Users/logout', { token: second.id });
  assert.equal(out.status, 204, out.text);
  for (const [method, path, body] of [['GET', '/Todos'], ['GET', '/Todos/count'], ['GET', '/Todos/changes?since=-1'],
    ['POST', '/Todos', { title: 'A-after-logout' }], ['POST', '/Todos/bulk-update', { updates: [] }], ['GET', `/Todos/${A_IDS[0]}`]]) {
    for (const form of ['authorization', 'bearer', 'query', 'x-access-token']) {
      const response = await call(S1.url, method, path, { token: second.id, form, body });
      assert.equal(response.status, 401, `${method} ${path} with a logged-out token (${form}): ${response.status} ${response.text}`);
      assert.equal(response.body?.error?.code, 'unauthorized', response.text);
    }
  }
  const again = await call(S1.url, 'POST', '/Users/logout', { token: second.id });
  assert.equal(again.status, 401, `logout twice: ${again.status} ${again.text}`);
  assert.equal((await call(S1.url, 'GET', '/Todos', { token: A.token })).status, 200, 'A\'s other token still works');
});

test('sign-up is refused without --allow-signup; shared models are open by default (as without users)', async () => {
  const signup = await call(S1.url, 'POST', '/Users', { body: { username: 'mallory', email: 'mallory@example.com', password: PASSWORDS.mallory } });
  assert.ok(signup.status >= 400 && signup.status < 500, `POST /Users without --allow-signup: ${signup.status} ${signup.text}`);
  const mallory = await call(S1.url, 'POST', '/Users/login', { body: { username: 'mallory', password: PASSWORDS.mallory } });
  assert.equal(mallory.status, 401, mallory.text);
  // Notes (no ownership): anyone, with or without a token, reads and writes, and all see all.
  for (const [id, auth] of [['n-1', {}], ['n-2', { token: A.token }], ['n-3', { token: B.token }]]) {
    const created = await call(S1.url, 'POST', '/Notes', { ...auth, body: { id, text: `note ${id}` } });
    assert.equal(created.status, 200, created.text);
  }
  for (const auth of [{}, { token: A.token }, { token: B.token }]) {
    const all = await call(S1.url, 'GET', '/Notes', { ...auth, query: { filter: { order: 'id ASC' } } });
    assert.deepEqual(all.body.map((n) => n.id), ['n-1', 'n-2', 'n-3']);
  }
  assert.deepEqual((await call(S1.url, 'PATCH', '/Notes/n-1', { body: { text: 'edited' } })).body, { id: 'n-1', text: 'edited' });
});

test('tokens in the query are redacted from the log; passwords and tokens are not in the log', async () => {
  // Variants of a token in the URL: plain, percent-encoded name and value, among others.
  const encoded = [...A.token].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
  for (const target of [
    `/api/Todos?access_token=${A.token}`,
    `/api/Todos?filter=%7B%7D&access_token=${A.token}&x=1`,
    `/api/Todos?access%5Ftoken=${A.token}`,
    `/api/Todos?access_token=${encoded}`,
    `/api/Todos/count?ACCESS_TOKEN=${A.token}`,
    `/api/Notes?access_token=${B.token}`,
    `/api/Nope?access_token=${B.token}`,
    `/api/Users/logout?access_token=${'9'.repeat(64)}`,
  ]) {
    await fetch(`${S1.url}${target}`);
  }
  await fetch(`${S1.url}/api/Todos`, { headers: { authorization: `Bearer ${A.token}` } });
  await fetch(`${S1.url}/api/Todos`, { headers: { 'x-access-token': B.token } });
  await sleep(300);  // the log lines of the last requests
  const output = S1.output();
  assert.ok(output.includes('/api/Todos'), `the server logs requests at --log-level info: ${output.slice(0, 500)}`);
  assertNoSecrets(output, 'S1 output');
  const decoded = output.replace(/%([0-9a-fA-F]{2})/g, (escape, hex) => {
    const code = parseInt(hex, 16);
    return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : escape;
  });
  assertNoSecrets(decoded, 'S1 output, percent-decoded');
  snapshot('S1 running');
});

test('an expired token is refused (--token-ttl 1)', async () => {
  addUser(D2, 'alice');
  const S2 = await start('S2', ['--users', '--token-ttl', '1', '--models', models, '--db', D2, '--log-level', 'info']);
  try {
    const a = await login(S2.url, { username: 'alice', password: PASSWORDS.alice });
    assert.equal(a.ttl, 1, `ttl with --token-ttl 1: ${JSON.stringify(a)}`);
    const fresh = await call(S2.url, 'POST', '/Todos', { token: a.id, body: { id: 'a-ttl', title: 'A-ttl' } });
    assert.equal(fresh.status, 200, `a fresh token works: ${fresh.text}`);
    await sleep(1600);
    for (const [method, path, body] of [['GET', '/Todos'], ['GET', '/Todos/a-ttl'], ['GET', '/Todos/changes?since=-1'], ['POST', '/Todos/checkpoint'],
      ['POST', '/Todos/diff', []], ['POST', '/Todos/bulk-update', { updates: [] }], ['PUT', '/Todos/a-ttl/changes/last', { prev: null }]]) {
      for (const form of ['authorization', 'bearer', 'query', 'x-access-token']) {
        const response = await call(S2.url, method, path, { token: a.id, form, body });
        assert.equal(response.status, 401, `${method} ${path} with a token expired 0.6 s ago (${form}): ${response.status} ${response.text}`);
        assert.equal(response.body?.error?.code, 'unauthorized', response.text);
      }
    }
    const renewed = await login(S2.url, { username: 'alice', password: PASSWORDS.alice });
    const still = await call(S2.url, 'GET', '/Todos/a-ttl', { token: renewed.id });
    assert.equal(still.status, 200, `a new login reads the record: ${still.text}`);
  } finally {
    await stop(S2);
  }
});

test('--shared-models read-only: anyone reads and POSTs /checkpoint, every write is 403 forbidden; sign-up with --allow-signup', async () => {
  assert.equal(await stop(S1), 0, 'S1 stops cleanly on SIGTERM');
  const S3 = await start('S3', ['--users', '--allow-signup', '--shared-models', 'read-only', '--models', models, '--db', D1, '--log-level', 'info']);
  S1 = S3;  // asA / asB go to the running server
  const readNotes = async () => {
    const records = await call(S3.url, 'GET', '/Notes', { query: { filter: { order: 'id ASC' } } });
    const changes = await call(S3.url, 'GET', '/Notes/changes', { query: { since: -1 } });
    return { records: records.text, changes: [...(changes.body ?? [])].sort((x, y) => x.modelId.localeCompare(y.modelId)) };
  };
  const before = await readNotes();
  assert.ok(before.records.includes('"n-2"'), before.records);
  const model = { name: 'Note', id: 'n-2', patch: { text: 'overwritten' }, record: (id) => ({ id, text: 'new' }) };
  const failures = [];
  for (const route of ROUTES) {
    for (const method of route.methods) {
      for (const [who, auth] of [['anyone', {}], ['A', { token: A.token }]]) {
        for (const id of ['n-2', 'n-new']) {
          const response = await call(S3.url, method, routePath('Notes', route, id), { ...route.sample({ ...model, id }), ...auth });
          const label = `${method} ${routePath('Notes', route, id)} as ${who}: ${response.status} ${response.text.slice(0, 160)}`;
          if (route.access === 'write') {
            const refused = response.status === 403 && (method === 'HEAD' || response.body?.error?.code === 'forbidden');
            if (!refused) failures.push(`expected 403 forbidden: ${label}`);
          } else if (response.status === 401 || response.status === 403 || response.status >= 500) {
            failures.push(`expected to be served: ${label}`);
          }
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  const checkpoint = await call(S3.url, 'POST', '/Notes/checkpoint');
  assert.equal(checkpoint.status, 200, `POST /Notes/checkpoint without a token: ${checkpoint.text}`);
  assert.deepEqual((await call(S3.url, 'GET', '/Notes/n-2')).body, { id: 'n-2', text: 'note n-2' }, 'anyone reads a note');
  assert.deepEqual(await readNotes(), before, 'the notes are unchanged');
  // Owned records survived the restart, still per user.
  assertAOnly(await aRecords(), 'A\'s records on S3');
  assert.deepEqual((await asB('GET', `/Todos/${B_READ[0]}`)).body, bRecord(B_READ[0]));
  assert.equal((await call(S3.url, 'GET', '/Todos')).status, 401);
  // Sign-up.
  const signup = await call(S3.url, 'POST', '/Users', { body: { username: 'carol', email: 'carol@example.com', password: PASSWORDS.carol } });
  assert.equal(signup.status, 200, `sign-up with --allow-signup: ${signup.text}`);
  assert.ok(!signup.text.includes(PASSWORDS.carol) && !/password/i.test(Object.keys(signup.body).join()), `the sign-up answer: ${signup.text}`);
  const carol = await login(S3.url, { username: 'carol', password: PASSWORDS.carol });
  const carolSees = await call(S3.url, 'GET', '/Todos', { token: carol.id });
  assert.equal(carolSees.text, '[]', 'a new user sees no records');
  // A sign-up naming A's user id must not become A (A's partition is keyed by that id).
  const squatter = await call(S3.url, 'POST', '/Users', { body: { id: A.userId, userId: A.userId, username: 'squatter', password: PASSWORDS.mallory } });
  if (squatter.status === 200) {
    assert.notEqual(squatter.body.id, A.userId, `sign-up took A's user id: ${squatter.text}`);
    const session = await login(S3.url, { username: 'squatter', password: PASSWORDS.mallory });
    assert.notEqual(session.userId, A.userId, `the squatter logs in as A: ${JSON.stringify(session)}`);
    const sees = await call(S3.url, 'GET', '/Todos', { token: session.id });
    assert.equal(sees.text, '[]', `the squatter sees: ${sees.text}`);
  } else {
    assert.ok(squatter.status >= 400 && squatter.status < 500, `${squatter.status} ${squatter.text}`);
  }
  const dup = await call(S3.url, 'POST', '/Users', { body: { username: 'alice', password: 'another-password-1' } });
  assert.ok(dup.status >= 400 && dup.status < 500, `signing up as an existing username: ${dup.status} ${dup.text}`);
  assert.equal((await call(S3.url, 'POST', '/Users/login', { body: { username: 'alice', password: 'another-password-1' } })).status, 401);
  snapshot('S3 running');
  assert.equal(await stop(S3), 0);
});

test('--shared-models closed: every route of a shared model is 403 forbidden, with or without a token', async () => {
  const S4 = await start('S4', ['--users', '--shared-models', 'closed', '--models', models, '--db', D1, '--log-level', 'info']);
  S1 = S4;
  const model = { name: 'Note', id: 'n-1', patch: { text: 'x' }, record: (id) => ({ id, text: 'x' }) };
  const failures = [];
  let checked = 0;
  for (const route of ROUTES) {
    for (const method of route.methods) {
      for (const [who, auth] of [['anyone', {}], ['A', { token: A.token }], ['B (bearer)', { token: B.token, form: 'bearer' }]]) {
        const response = await call(S4.url, method, routePath('Notes', route, 'n-1'), { ...route.sample(model), ...auth });
        checked += 1;
        const refused = response.status === 403 && (method === 'HEAD' || response.body?.error?.code === 'forbidden');
        if (!refused || response.text.includes('note n-')) failures.push(`${method} ${routePath('Notes', route, 'n-1')} as ${who}: ${response.status} ${response.text.slice(0, 160)}`);
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${checked} not refused`);
  const mine = await aRecords();
  assert.ok(mine.length > A_IDS.length, 'the owned model is still served with a token');
  assertAOnly(mine, 'A\'s records on S4');
  snapshot('S4 running');
  assert.equal(await stop(S4), 0);
  snapshot('after the last stop');
});

function assertNoSecrets(text, where) {
  const buffer = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const found = [];
  for (const [name, password] of Object.entries(PASSWORDS)) {
    for (const form of [Buffer.from(password, 'utf8'), Buffer.from(password, 'utf16le')]) {
      if (buffer.includes(form)) found.push(`password of ${name}`);
    }
  }
  for (const token of tokens) {
    const forms = [Buffer.from(token, 'utf8'), Buffer.from(token.toUpperCase(), 'utf8')];
    if (/^([0-9a-f]{2})+$/i.test(token)) {
      const raw = Buffer.from(token, 'hex');
      forms.push(raw, Buffer.from(raw.toString('base64'), 'utf8'), Buffer.from(raw.toString('base64url'), 'utf8'));
    }
    if (forms.some((form) => buffer.includes(form))) found.push(`token ${token.slice(0, 8)}…`);
  }
  assert.deepEqual(found, [], `${where} holds secrets`);
}

test('no password nor raw token in the SQLite files (db, -wal) nor in any server output', () => {
  assert.ok(tokens.size >= 6, `tokens issued: ${tokens.size}`);
  assert.ok(snapshots.some((s) => s.label.endsWith('main.db')), 'the db file was read');
  // The files hold the users (so the check reads the right bytes).
  const all = Buffer.concat(snapshots.map((s) => s.bytes));
  assert.ok(all.includes(Buffer.from('alice')) && all.includes(Buffer.from('carol@example.com')), 'the users are in the db files');
  for (const { label, bytes } of snapshots) assertNoSecrets(bytes, label);
  for (const file of [D1, `${D1}-wal`, D2, `${D2}-wal`]) {
    if (existsSync(file)) assertNoSecrets(readFileSync(file), file);
  }
  for (const { name, text } of logs) assertNoSecrets(text(), `output of ${name}`);
});
