// Issue 24: three replicore-server processes on one PostgreSQL database. Three replicas of
// the project's JS client and one real LoopBack 3 client push through different servers at
// the same time, a fourth JS replica pulls through one of them all the while, and three
// HTTP writers patch one shared record through all three servers. At the end every replica holds the server's data, every acknowledged write
// is on every replica, the shared record keeps each writer's last write (no lost update),
// and each change row agrees with its record.
//
//   tests/pg/with-postgres.sh env REPLICORE_SERVER=build/replicore-server \
//     node --test tests/pg/multi-server.test.mjs
// Without REPLICORE_PG_URL it fails in CI (CI=true) and is skipped elsewhere.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';

import { open, remote } from '../../js/src/index.js';
import { assertChangeLogAgrees, modelsDir, request, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from '../js/helpers.mjs';

// LoopBack 3 is installed by tests/interop's package.json (npm ci there).
const require = createRequire(new URL('../interop/package.json', import.meta.url));
const loopback = require('loopback');

const pgUrl = process.env.REPLICORE_PG_URL;
const skip = !pgUrl && process.env.CI !== 'true'
  ? 'no PostgreSQL: REPLICORE_PG_URL is unset (run under tests/pg/with-postgres.sh)' : false;

const kServers = 3;
const kRounds = 8;
const kPatches = 40;
const CREATED = 1700000000000;

const children = [];
let models;
after(async () => {
  for (const child of children) { child.kill('SIGKILL'); await stopped(child); }
  if (models) rmSync(models, { recursive: true, force: true });
});

// Runs a replication again when the server answered 409 (`conflict`): a write (a checkpoint
// bump, a bulk-update) that lost the race to other servers 5 times, which a client retries.
async function again(replicate) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await replicate();
    } catch (err) {
      const lost = err.code === 'conflict' || err.statusCode === 409;
      if (!lost || attempt === 10) throw err;
      retried += 1;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}
let retried = 0;

const call = (fn) => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

// A LoopBack 3 client app (as tests/interop/loopback-client.test.mjs builds it) on `api`.
function loopbackClient(api) {
  const app = loopback({ localRegistry: true, loadBuiltinModels: true });
  app.dataSource('db', { connector: 'memory' });
  app.dataSource('remote', { connector: 'remote', url: api });
  const properties = { ...todoModel.properties, created: { type: 'number' } };
  const Local = app.registry.createModel('LocalTodo', properties, {
    base: 'PersistedModel', strict: 'throw', trackChanges: true, changeCleanupInterval: -1 });
  app.model(Local, { dataSource: 'db' });
  const Remote = app.registry.createModel('RemoteTodo', properties, {
    base: 'PersistedModel', plural: 'Todos', strict: 'throw', trackChanges: false,
    enableRemoteReplication: true });
  app.model(Remote, { dataSource: 'remote' });
  const since = { push: -1, pull: -1 };
  const replicate = (from, to, key) => new Promise((resolve, reject) => {
    from.replicate(since[key], to, (err, conflicts, checkpoints) => {
      if (err) return reject(err);
      since[key] = checkpoints;
      resolve(conflicts);
    });
  });
  return {
    Local,
    push: () => replicate(Local, Remote, 'push'),
    pull: () => replicate(Remote, Local, 'pull'),
  };
}

// Pulls `server` into `db`. The shared record, patched through every server all along, may
// come back as a LoopBack conflict (its change row's prev is the rev at the server's last
// checkpoint, which concurrent replications keep bumping); no other record may conflict.
// `settle`: the writers are done, so the shared record is resolved with the server's
// version and pulled again until nothing conflicts; otherwise it is left for later.
async function pull(server, db, settle) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const { conflicts } = await again(() => server.replicate(db.Todo));
    for (const conflict of conflicts) assert.equal(conflict.modelId, 'shared', `pull conflict on ${conflict.modelId}`);
    if (conflicts.length === 0 || !settle) return;
    for (const conflict of conflicts) await conflict.resolveUsingSource();
  }
  assert.fail('the shared record kept conflicting after the writers stopped');
}

const project = (t) => ({ id: t.id, title: t.title });
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

test('three servers on one PostgreSQL database: concurrent replicas converge and lose nothing',
     { skip, timeout: 180000 }, async () => {
  assert.ok(pgUrl, 'REPLICORE_PG_URL is unset in CI: run under tests/pg/with-postgres.sh');
  models = modelsDir();
  const schema = `rc_multi_${process.pid}_${Date.now()}`;
  const servers = [];
  for (let i = 0; i < kServers; i++) {
    const started = await startServer(['--db', pgUrl, '--pg-schema', schema, '--models', models,
                                       '--log-level', 'warn']);
    children.push(started.process);
    servers.push(started);
  }
  const api = (i) => `${servers[i % kServers].url}/api`;

  // What each replica wrote and was acknowledged: id -> title, or null once deleted.
  const expected = new Map();

  // JS replicas, replica i through server i.
  const phones = [];
  for (let i = 0; i < kServers; i++) {
    const db = await open({ name: uniqueName(`phone${i}`), models: [todoModel], storage: 'memory' });
    phones.push({ db, server: remote(api(i), { models: [todoModel] }).Todo });
  }
  const phoneWork = phones.map(async ({ db, server }, i) => {
    for (let round = 0; round < kRounds; round++) {
      const ids = Array.from({ length: 15 }, (_, k) => `p${i}-r${round}-${k}`);
      await db.Todo.create(ids.map((id) => ({ id, title: `${id} v0` })));
      for (const id of ids) expected.set(id, `${id} v0`);
      if (round > 0) {
        const older = `p${i}-r${round - 1}-0`;
        await db.Todo.patchById(older, { title: `${older} v1` });
        expected.set(older, `${older} v1`);
        const gone = `p${i}-r${round - 1}-1`;
        await db.Todo.deleteById(gone);
        expected.set(gone, null);
      }
      const pushed = await again(() => db.Todo.replicate(server));
      assert.deepEqual(pushed.conflicts, [], `phone ${i} push conflicts`);
    }
  });

  // A replica that only pulls, through server 1, all the while the others write through
  // every server: each pull starts where the last ended, so a change committed by one
  // server behind a checkpoint another server already handed out would be missed for good.
  const observer = { db: await open({ name: uniqueName('observer'), models: [todoModel], storage: 'memory' }),
                     server: remote(api(1), { models: [todoModel] }).Todo };
  let writing = true;
  const observerWork = (async () => {
    let pulls = 0;
    while (writing) {
      await pull(observer.server, observer.db, false);
      pulls += 1;
    }
    console.log(`the observer pulled ${pulls} times while the others wrote`);
  })();

  // The LoopBack client, through the last server (pushes; it pulls at the end).
  const lb = loopbackClient(api(kServers - 1));
  const loopbackWork = (async () => {
    for (let round = 0; round < kRounds; round++) {
      for (let k = 0; k < 10; k++) {
        const id = `lb-r${round}-${k}`;
        await call((cb) => lb.Local.create({ id, title: `${id} v0`, created: CREATED }, cb));
        expected.set(id, `${id} v0`);
      }
      const conflicts = await again(() => lb.push());
      assert.deepEqual(conflicts, [], 'LoopBack push conflicts');
    }
  })();

  // Three writers patch their own property of one record, each through another server.
  assert.equal((await request(servers[0].url, 'POST', '/Todos',
                              { id: 'shared', title: 'start', created: CREATED })).status, 200);
  const last = { title: null, completed: null, meta: null };
  const patchers = [
    async () => { for (let n = 0; n < kPatches; n++) {
      if ((await request(servers[0].url, 'PATCH', '/Todos/shared', { title: `t${n}` })).status === 200) last.title = `t${n}`;
    } },
    async () => { for (let n = 0; n < kPatches; n++) {
      if ((await request(servers[1].url, 'PATCH', '/Todos/shared', { completed: n % 2 === 0 })).status === 200) last.completed = n % 2 === 0;
    } },
    async () => { for (let n = 0; n < kPatches; n++) {
      if ((await request(servers[2].url, 'PATCH', '/Todos/shared', { meta: { n } })).status === 200) last.meta = { n };
    } },
  ];

  await Promise.all([...phoneWork, loopbackWork, ...patchers.map((p) => p())]);
  writing = false;
  await observerWork;

  // Settle: every replica pulls, through its own server (the writers pulled nothing before:
  // a LoopBack replica pushes what it pulled as its own change, and a record another
  // replica edits after that pull is a conflict, which this test is not about).
  for (const { db, server } of [...phones, observer]) await pull(server, db, true);
  await again(() => lb.pull());
  console.log(`replications retried after a 409: ${retried}`);

  // The database, as each server shows it: the same everywhere.
  const views = [];
  for (const s of servers) {
    views.push((await request(s.url, 'GET', '/Todos?filter=' + encodeURIComponent('{"order":"id ASC"}'))).body);
  }
  for (let i = 1; i < kServers; i++) assert.deepEqual(views[i], views[0], `server ${i} disagrees with server 0`);
  const stored = new Map(views[0].map((t) => [t.id, t]));

  // Every acknowledged write is there (and every delete).
  for (const [id, title] of expected) {
    if (title === null) assert.ok(!stored.has(id), `${id} was deleted but is stored`);
    else assert.equal(stored.get(id)?.title, title, `${id}: acknowledged write missing`);
  }
  // No update of the shared record was lost.
  const shared = stored.get('shared');
  assert.equal(shared.title, last.title);
  assert.equal(shared.completed, last.completed);
  assert.deepEqual(shared.meta, last.meta);

  // Every replica converged on the server's data.
  const want = views[0].map(project).sort(byId);
  for (const [i, { db }] of [...phones, observer].entries()) {
    assert.deepEqual((await db.Todo.find({ order: 'id ASC' })).map(project).sort(byId), want, `phone ${i}`);
  }
  const lbTodos = await lb.Local.find({ order: 'id ASC' });
  assert.deepEqual(lbTodos.map(project).sort(byId), want, 'LoopBack client');

  // One change row per record, each agreeing with its record.
  await assertChangeLogAgrees(servers[1].url, views[0]);

  for (const { db } of [...phones, observer]) await db.close();
  for (const s of servers) {
    s.process.kill('SIGTERM');
    assert.equal(await stopped(s.process), 0);
  }
  children.length = 0;
});
