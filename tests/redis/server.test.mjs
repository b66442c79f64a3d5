// replicore-server on a Redis read replica (--db redis://...): a LoopBack replication push
// from a SQLite-backed primary (changes, diff, create-updates, bulk-update over HTTP, as
// LoopBack's replicate() runs them) fills it; it then serves GET /:id, find by a list of ids
// and count, and refuses any other filter with the stable 400. A replica started with
// --replicate-from keeps itself current. Needs $REPLICORE_REDIS_URL
// (tests/redis/with-redis.sh): without it this fails in CI and skips elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from '../system/server_process.mjs';

const redisUrl = process.env.REPLICORE_REDIS_URL;
const skip = !redisUrl && process.env.CI !== 'true'
  ? 'no Redis: REPLICORE_REDIS_URL is unset (tests/redis/with-redis.sh)' : false;
let stores = 0;
const replicaDb = () => `${redisUrl}?prefix=rcnode%3A${process.pid}%3A${++stores}%3A`;

// One LoopBack replication round from `source` to `target` (both server URLs): what
// loopback's PersistedModel.replicate does, minus its retries.
async function replicate(source, target, since = -1) {
  const checkpoint = await request(target, 'POST', '/Todos/checkpoint');
  assert.equal(checkpoint.status, 200);
  const changes = await request(source, 'GET', `/Todos/changes?since=${since}`);
  assert.equal(changes.status, 200);
  const diff = await request(target, 'POST', `/Todos/diff?since=${since}`, changes.body);
  assert.equal(diff.status, 200, JSON.stringify(diff.body));
  assert.deepEqual(diff.body.conflicts, []);
  const updates = await request(source, 'POST', '/Todos/create-updates', diff.body.deltas);
  assert.equal(updates.status, 200, JSON.stringify(updates.body));
  const applied = await request(target, 'POST', '/Todos/bulk-update', { updates: updates.body });
  assert.equal(applied.status, 204, JSON.stringify(applied.body));
  return changes.body.length;
}

const stop = async (server) => {
  if (!server) return;
  server.kill('SIGTERM');
  assert.equal(await stopped(server), 0);
};

test('a Redis replica takes a LoopBack push and serves ids, id lists and counts', { skip }, async () => {
  assert.ok(redisUrl, 'REPLICORE_REDIS_URL is unset in CI: run under tests/redis/with-redis.sh');
  const models = modelsDir();
  let primary, replica;
  try {
    primary = await startServer(['--db', ':memory:', '--models', models]);
    replica = await startServer(['--db', replicaDb(), '--models', models]);
    for (let i = 0; i < 30; i++) {
      const todo = { id: `t${String(i).padStart(2, '0')}`, title: `todo \u00e9 ${i}`, completed: i % 3 === 0 };
      assert.equal((await request(primary.url, 'POST', '/Todos', todo)).status, 200);
    }
    assert.equal((await request(primary.url, 'PATCH', '/Todos/t05', { title: 'edited' })).status, 200);
    assert.equal((await request(primary.url, 'DELETE', '/Todos/t07')).status, 200);
    await replicate(primary.url, replica.url);

    const one = await request(replica.url, 'GET', '/Todos/t05');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, (await request(primary.url, 'GET', '/Todos/t05')).body);
    assert.equal(one.body.title, 'edited');
    assert.equal((await request(replica.url, 'GET', '/Todos/t07')).status, 404);

    const ids = ['t12', 't01', 't07', 't29', 'nope'];
    const filter = encodeURIComponent(JSON.stringify({ where: { id: { inq: ids } } }));
    const found = await request(replica.url, 'GET', `/Todos?filter=${filter}`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.map((t) => t.id), ['t01', 't12', 't29']);
    assert.deepEqual(found.body, (await request(primary.url, 'GET', `/Todos?filter=${filter}`)).body);

    const count = await request(replica.url, 'GET', '/Todos/count');
    assert.deepEqual(count.body, { count: 29 });
    const where = encodeURIComponent(JSON.stringify({ id: { inq: ids } }));
    assert.deepEqual((await request(replica.url, 'GET', `/Todos/count?where=${where}`)).body, { count: 3 });
    const all = await request(replica.url, 'GET', '/Todos');
    assert.deepEqual(all.body, (await request(primary.url, 'GET', '/Todos')).body);

    // Any other filter: 400 with the stable code and a message naming what is served.
    const byTitle = encodeURIComponent(JSON.stringify({ where: { title: 'edited' } }));
    const refused = await request(replica.url, 'GET', `/Todos?filter=${byTitle}`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'bad_filter');
    assert.equal(refused.body.error.message,
      'The Redis store cannot serve where {"title": ...}: it serves find and count with no where, ' +
      'where {"id": X} or {"id": {"inq": [...]}}, ordered by id only (limit, skip and fields as ' +
      'usual); ask the primary for other filters');
    const countWhere = encodeURIComponent(JSON.stringify({ completed: true }));
    const refusedCount = await request(replica.url, 'GET', `/Todos/count?where=${countWhere}`);
    assert.equal(refusedCount.status, 400);
    assert.equal(refusedCount.body.error.code, 'bad_filter');

    // A second round carries only what changed, and the live rows of the change logs then
    // agree (t07, created and deleted before the first round, never reached the replica).
    const { body: since } = await request(primary.url, 'GET', '/Todos/checkpoint');
    assert.equal((await request(primary.url, 'POST', '/Todos/checkpoint')).status, 200);
    assert.equal((await request(primary.url, 'PATCH', '/Todos/t13', { completed: true })).status, 200);
    assert.equal(await replicate(primary.url, replica.url, since + 1), 1);
    assert.equal((await request(replica.url, 'GET', '/Todos/t13')).body.completed, true);
    const revs = async (url) => Object.fromEntries((await request(url, 'GET', '/Todos/changes?since=-1'))
      .body.filter((c) => c.rev !== null).map((c) => [c.modelId, c.rev]));
    assert.deepEqual(await revs(replica.url), await revs(primary.url));
  } finally {
    await stop(primary?.process);
    await stop(replica?.process);
    rmSync(models, { recursive: true, force: true });
  }
});

test('a restarted replica server finds its Redis data', { skip }, async () => {
  assert.ok(redisUrl, 'REPLICORE_REDIS_URL is unset in CI: run under tests/redis/with-redis.sh');
  const models = modelsDir();
  const db = replicaDb();
  let server;
  try {
    server = await startServer(['--db', db, '--models', models]);
    assert.equal((await request(server.url, 'POST', '/Todos', { id: 'kept', title: 'x' })).status, 200);
    await stop(server.process);
    server = await startServer(['--db', db, '--models', models]);
    assert.equal((await request(server.url, 'GET', '/Todos/kept')).body.title, 'x');
    assert.equal((await request(server.url, 'GET', '/Todos/changes?since=-1')).body.length, 1);
  } finally {
    await stop(server?.process);
    rmSync(models, { recursive: true, force: true });
  }
});

// What server/README.md promises: a replica started with --replicate-from keeps pulling from
// the primary, so a write there (create, update, delete) reaches the replica's readers
// within a few intervals, with no push from anyone.
test('a Redis replica with --replicate-from stays current with its primary', { skip }, async () => {
  assert.ok(redisUrl, 'REPLICORE_REDIS_URL is unset in CI: run under tests/redis/with-redis.sh');
  const models = modelsDir();
  let primary, replica;
  const eventually = async (what, check) => {
    for (let i = 0; i < 100; i++) {  // 10 s at most
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`the replica did not catch up: ${what}`);
  };
  try {
    primary = await startServer(['--db', ':memory:', '--models', models]);
    assert.equal((await request(primary.url, 'POST', '/Todos', { id: 'a', title: 'first' })).status, 200);
    replica = await startServer(['--db', replicaDb(), '--models', models,
      '--replicate-from', `${primary.url}/api`, '--replicate-interval', '0.2']);
    await eventually('the first pull', async () =>
      (await request(replica.url, 'GET', '/Todos/a')).body?.title === 'first');
    assert.equal((await request(primary.url, 'PATCH', '/Todos/a', { title: 'second' })).status, 200);
    assert.equal((await request(primary.url, 'POST', '/Todos', { id: 'b', title: 'new' })).status, 200);
    await eventually('an update and a create', async () =>
      (await request(replica.url, 'GET', '/Todos/a')).body?.title === 'second' &&
      (await request(replica.url, 'GET', '/Todos/b')).status === 200);
    assert.equal((await request(primary.url, 'DELETE', '/Todos/a')).status, 200);
    await eventually('a delete', async () =>
      (await request(replica.url, 'GET', '/Todos/a')).status === 404);
    assert.deepEqual((await request(replica.url, 'GET', '/Todos/count')).body, { count: 1 });
  } finally {
    await stop(primary?.process);
    await stop(replica?.process);
    rmSync(models, { recursive: true, force: true });
  }
});
