// Issue 26: server-to-server replication with `replicore-server replicate` (and its
// --replicate-to / --replicate-from server options) between replicore-servers on SQLite,
// a real LoopBack 3 server and SQLite files, with each conflict policy, a kill -9 mid-run
// and a peer that is down.
//   REPLICORE_SERVER=build/replicore-server node --test tests/replicate/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from '../eventually.mjs';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { replicate, rest, runServerCommand, seed, sleep, spawnServerCommand, startLoopBack, todos } from './helpers.mjs';

const models = modelsDir();
const dir = mkdtempSync(join(tmpdir(), 'replicore-replicate-'));
const children = [];
after(async () => {
  for (const child of children) { child.kill('SIGKILL'); await stopped(child); }
  rmSync(models, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const file = (name) => join(dir, `${name}-${++files}.db`);

// A replicore-server on a fresh SQLite file: its API root.
async function server(db = file('server'), extra = []) {
  const started = await startServer(['--models', models, '--db', db, '--log-level', 'warn', ...extra]);
  children.push(started.process);
  return { api: `${started.url}/api`, process: started.process, db };
}

async function loopBack() {
  const started = await startLoopBack();
  children.push(started.process);
  return started.url;
}

const asObject = (map) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
async function assertSame(a, b) {
  assert.deepEqual(asObject(await todos(a)), asObject(await todos(b)));
}

test('two replicore-servers replicate both ways through a relay state file, and again incrementally', async () => {
  const a = await server();
  const b = await server();
  await seed(a.api, 'a', 300);
  await seed(b.api, 'b', 200);
  const state = file('state');
  const first = await replicate(models, '--from', a.api, '--to', b.api, '--both', '--state', state);
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await todos(a.api)).size, 500);
  await assertSame(a.api, b.api);
  await rest(a.api, 'PATCH', '/Todos/a-000007', { title: 'changed on a' });
  await rest(b.api, 'DELETE', '/Todos/b-000003');
  const again = await replicate(models, '--from', a.api, '--to', b.api, '--both', '--state', state);
  assert.equal(again.code, 0, again.stderr);
  await assertSame(a.api, b.api);
  assert.equal((await todos(b.api)).get('a-000007').title, 'changed on a');
  assert.equal((await todos(a.api)).has('b-000003'), false);
});

test('a replicore-server and a LoopBack 3 server replicate both ways; a SQLite file pushes to LoopBack', async () => {
  const a = await server();
  const lb = await loopBack();
  await seed(a.api, 'r', 150);
  await seed(lb, 'l', 120);
  const run = await replicate(models, '--from', a.api, '--to', lb, '--both', '--state', file('state'));
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await todos(lb)).size, 270);
  await assertSame(a.api, lb);

  // Store to URL: the Replicator runs on the SQLite file itself.
  const store = file('store');
  const fromLb = await replicate(models, '--from', lb, '--to', store);
  assert.equal(fromLb.code, 0, fromLb.stderr);
  const onStore = await server(store);
  await assertSame(onStore.api, lb);
  await rest(onStore.api, 'PATCH', '/Todos/l-000001', { title: 'from the file' });
  onStore.process.kill('SIGTERM');
  await stopped(onStore.process);
  const toLb = await replicate(models, '--from', store, '--to', lb);
  assert.equal(toLb.code, 0, toLb.stderr);
  assert.equal((await todos(lb)).get('l-000001').title, 'from the file');
});

// A conflict on `id`: both sides change it after they agreed.
async function conflict(a, b, id) {
  await rest(a, 'PATCH', `/Todos/${id}`, { title: `${id} on a` });
  await rest(b, 'PATCH', `/Todos/${id}`, { title: `${id} on b` });
}

test('conflicts: manual leaves and lists them (exit 3), source and target resolve them and both sides converge', async () => {
  const a = await server();
  const lb = await loopBack();
  const state = file('state');
  await seed(a.api, 'c', 20);
  const args = ['--from', a.api, '--to', lb, '--both', '--state', state];
  assert.equal((await replicate(models, ...args)).code, 0);

  await conflict(a.api, lb, 'c-000001');
  const manual = await replicate(models, ...args, '--conflicts', 'manual');
  assert.equal(manual.code, 3, manual.stderr);
  const listed = await runServerCommand(['conflicts', '--models', models, '--state', state]);
  assert.equal(listed.code, 3);
  assert.match(listed.stdout, /^Todo\tc-000001\tpush http:\/\/[^\t]+\/Todos\tupdate\tsource [0-9a-f]{40}\ttarget [0-9a-f]{40}$/m);
  assert.equal((await todos(lb)).get('c-000001').title, 'c-000001 on b', 'manual: nothing overwritten');

  const source = await replicate(models, ...args, '--conflicts', 'source');
  assert.equal(source.code, 0, source.stderr);
  assert.equal((await todos(lb)).get('c-000001').title, 'c-000001 on a');
  await assertSame(a.api, lb);
  const none = await runServerCommand(['conflicts', '--models', models, '--state', state]);
  assert.equal(none.code, 0, none.stdout);
  assert.equal(none.stdout, '');

  await conflict(a.api, lb, 'c-000002');
  const target = await replicate(models, ...args, '--conflicts', 'target');
  assert.equal(target.code, 0, target.stderr);
  assert.equal((await todos(a.api)).get('c-000002').title, 'c-000002 on b');
  await assertSame(a.api, lb);
});

test('a replicate killed (kill -9) mid-run converges when run again: nothing lost, nothing twice', async () => {
  const count = 20000;
  const a = await server();
  const b = await server();
  await seed(a.api, 'k', count);
  const state = file('state');
  const args = ['--from', a.api, '--to', b.api, '--state', state, '--chunk-bytes', '8192', '--page', '200'];
  const run = spawnServerCommand(['replicate', '--models', models, ...args]);
  children.push(run.child);
  // Killed once the target holds some but not all records (the relay pulled them all).
  const partial = await eventually(async () => {
    const { count: n } = await rest(b.api, 'GET', '/Todos/count');
    return n > 0 && n < count ? n : 0;
  }, 60000, 20);
  run.child.kill('SIGKILL');
  await stopped(run.child);
  assert.ok(partial > 0, `the run was not caught mid-way: ${run.stderr()}`);
  await sleep(300);  // a bulk-update the server was applying when the client died
  const { count: before } = await rest(b.api, 'GET', '/Todos/count');
  assert.ok(before < count, `killed after the end (${before})`);

  // The rerun diffs every change again, but sends only the records the target lacks.
  const rerun = await runServerCommand(['replicate', '--models', models, ...args]);
  assert.equal(rerun.code, 0, rerun.stderr);
  const pushed = rerun.stderr.match(/Todo push \S+ -> \S+: (\d+) applied/);
  assert.ok(pushed, rerun.stderr);
  assert.equal(Number(pushed[1]), count - before, 'records sent again after the kill');
  const onB = await todos(b.api);
  assert.equal(onB.size, count);
  await assertSame(a.api, b.api);
  const changes = await rest(b.api, 'GET', '/Todos/changes?since=-1');
  assert.equal(new Set(changes.map((c) => c.modelId)).size, changes.length, 'one change row per record');
  assert.equal(changes.length, count);
});

test('--live backs off while the target is down, then converges; SIGTERM ends it with 0', async () => {
  const store = file('live');
  const seeded = await server(store);
  await seed(seeded.api, 'v', 50);
  seeded.process.kill('SIGTERM');
  await stopped(seeded.process);
  // A port nobody listens on (yet): a server is started and stopped there.
  const probe = await server();
  const port = new URL(probe.api).port;
  probe.process.kill('SIGKILL');
  await stopped(probe.process);

  const live = spawnServerCommand(['replicate', '--models', models, '--from', store, '--to',
    `http://127.0.0.1:${port}/api`, '--live', '--interval', '0.2']);
  children.push(live.child);
  assert.ok(await eventually(() => /trying again in 2 s/.test(live.stderr()), 15000), live.stderr());
  assert.match(live.stderr(), /cannot reach http:\/\/127\.0\.0\.1:\d+.*trying again in 1 s/);
  const target = await server(file('target'), ['--port', port]);
  assert.ok(await eventually(async () => (await todos(target.api)).size === 50, 20000), live.stderr());
  live.child.kill('SIGTERM');
  assert.equal(await stopped(live.child), 0);
});

test('--replicate-to and --replicate-from: a running server pushes and pulls in the background', async () => {
  const hub = await server();
  const pusher = await server(file('pusher'), ['--replicate-to', hub.api, '--replicate-interval', '0.2']);
  const puller = await server(file('puller'), ['--replicate-from', hub.api, '--replicate-interval', '0.2']);
  await rest(pusher.api, 'POST', '/Todos', { id: 'bg-1', title: 'written on the pusher' });
  assert.ok(await eventually(async () => (await todos(puller.api)).has('bg-1'), 20000));
  await rest(pusher.api, 'PATCH', '/Todos/bg-1', { title: 'patched' });
  // Requests keep being served while the loop runs.
  for (let n = 0; n < 20; n++) await rest(pusher.api, 'POST', '/Todos', { id: `bg-x${n}`, title: 'x' });
  assert.ok(await eventually(async () => (await todos(puller.api)).size === 21 &&
    (await todos(puller.api)).get('bg-1').title === 'patched', 20000));
});

test('bad arguments exit 2 with a message, before anything is sent', { timeout: 60000 }, async () => {
  const db = file('self');
  const cases = [
    [['--from', db, '--to', db], /--from and --to name the same party/],
    [['--from', db, '--to', join(dir, '.', '..', dir.split('/').pop(), db.split('/').pop())], /the same party/],
    [['--from', 'http://127.0.0.1:1/api', '--to', 'http://127.0.0.1:1/api/', '--state', file('state')], /the same party/],
    [['--from', db, '--to'], /--to needs a value/],
    [['--from', db, '--to', file('other'), '--page', 'x'], /--page must be a positive number/],
    [['--from', db, '--to', file('other'), '--bogus'], /unexpected --bogus/],
    [['--from', db, '--to', file('other'), '--live', '--interval', '5x'], /--interval must be/],
    [['--from', db, '--to', file('other'), '--live', '--interval', '1e-9'], /--interval must be/],
  ];
  for (const [args, message] of cases) {
    // Spawned so that after() stops a run that took the arguments and kept going (--live).
    const run = spawnServerCommand(['replicate', '--models', models, '--quiet', ...args]);
    children.push(run.child);
    assert.equal(await stopped(run.child), 2, `${args.join(' ')}: ${run.stderr()}`);
    assert.match(run.stderr(), message);
  }
  for (const interval of ['0.2s', '1e-9']) {
    const run = spawnServerCommand(['--models', models, '--db', ':memory:', '--replicate-to',
      'http://127.0.0.1:1/api', '--replicate-interval', interval, '--port', '0', '--log-level', 'off']);
    children.push(run.child);
    assert.equal(await stopped(run.child), 2, `--replicate-interval ${interval}: ${run.stderr()}`);
    assert.match(run.stderr(), /--replicate-interval must be/);
  }
});
