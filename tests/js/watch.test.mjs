// Live queries (Model.watch) on the memory connector: the result at once and after each
// change, bursts coalesced, unchanged results not repeated, stop and close, errors, and
// writes that come by replicate and by sync. Other tabs: tests/browser/tabs.test.mjs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { open, remote } from '../../js/src/index.js';
import { eventually } from '../eventually.mjs';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const openTodos = () => open({ name: uniqueName('watch'), models: [todoModel], storage: 'memory' });
const titles = (records) => records.map((record) => record.title);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Memory storage commits in microtasks: a timer passes every re-run a write caused.
const settled = () => sleep(20);
const OPEN = { where: { completed: false }, order: 'title ASC' };

// The listener's calls, kept.
function recorder() {
  const calls = [];
  return { calls, listener: (records) => calls.push(records), last: () => calls.at(-1) };
}

async function callsReach(calls, count) {
  assert.ok(await eventually(() => calls.length >= count, 5000), `${calls.length} calls, waited for ${count}`);
}

// Counts the model's queries and how many run at once; `delayMs` makes each one slow.
function spyOnFind(model, delayMs = 0) {
  const find = model.find.bind(model);
  const spy = { queries: 0, running: 0, mostAtOnce: 0 };
  model.find = async (filter) => {
    spy.queries += 1;
    spy.running += 1;
    spy.mostAtOnce = Math.max(spy.mostAtOnce, spy.running);
    try {
      if (delayMs) await sleep(delayMs);
      return await find(filter);
    } finally {
      spy.running -= 1;
    }
  };
  return spy;
}

test('watch: the result at once, then again after each create, patch and delete', async () => {
  const db = await openTodos();
  await db.Todo.create([{ id: 'a', title: 'a' }, { id: 'b', title: 'b' }, { id: 'c', title: 'c', completed: true }]);
  const { calls, listener, last } = recorder();
  const stop = db.Todo.watch(OPEN, listener);
  assert.equal(calls.length, 0, 'the listener is called asynchronously');
  await callsReach(calls, 1);
  assert.deepEqual(titles(last()), ['a', 'b']);

  const steps = [
    [() => db.Todo.create({ id: 'd', title: 'd' }), ['a', 'b', 'd']],
    [() => db.Todo.patchById('a', { completed: true }), ['b', 'd']],
    [() => db.Todo.patchById('b', { title: 'bb' }), ['bb', 'd']],
    [() => db.Todo.deleteById('d'), ['bb']],
    [() => db.Todo.upsert({ id: 'c', completed: false }), ['bb', 'c']],
  ];
  for (const [i, [write, expected]] of steps.entries()) {
    await write();
    await callsReach(calls, i + 2);
    assert.deepEqual(titles(last()), expected, `after step ${i}`);
  }
  await settled();
  assert.equal(calls.length, steps.length + 1, 'one call per write');
  stop();
  await db.close();
});

test('watch: a burst of writes is one re-run (a batch of 100, 100 creates in one tick)', async () => {
  const db = await openTodos();
  const spy = spyOnFind(db.Todo);
  const { calls, listener, last } = recorder();
  db.Todo.watch(null, listener);
  await callsReach(calls, 1);
  assert.deepEqual(last(), []);

  await db.Todo.create(Array.from({ length: 100 }, (_, i) => ({ id: `batch${i}`, title: 't' })));
  await settled();
  assert.equal(last().length, 100);
  assert.equal(calls.length, 2, 'one call for the batch');

  await Promise.all(Array.from({ length: 100 }, (_, i) => db.Todo.create({ id: `single${i}`, title: 't' })));
  await settled();
  assert.equal(last().length, 200);
  assert.equal(calls.length, 3, 'one call for 100 creates in one tick');
  assert.equal(spy.queries, 3, 'one query per burst');
  await db.close();
});

test('watch: a write that leaves the result as it was calls nobody', async () => {
  const db = await openTodos();
  await db.Todo.create({ id: 'a', title: 'a' });
  const spy = spyOnFind(db.Todo);
  const { calls, listener } = recorder();
  db.Todo.watch(OPEN, listener);
  await callsReach(calls, 1);
  await db.Todo.create({ id: 'done', title: 'done', completed: true });
  await db.Todo.patchById('done', { title: 'still done' });
  await db.Todo.patchById('a', { title: 'a' });  // the same value: the same result
  await settled();
  assert.equal(spy.queries, 4, 'each write re-ran the query');
  assert.equal(calls.length, 1, 'but no result changed');
  await db.close();
});

test('watch: never two queries at once, and the last result is the last state', async () => {
  const db = await openTodos();
  const spy = spyOnFind(db.Todo, 10);
  const { calls, listener, last } = recorder();
  db.Todo.watch({ order: 'id ASC' }, listener);
  for (let i = 0; i < 30; i++) {
    await db.Todo.create({ id: `n${String(i).padStart(2, '0')}`, title: `${i}` });
    await sleep(1);
  }
  assert.ok(await eventually(() => last()?.length === 30, 5000), 'the listener saw the 30th write');
  await sleep(50);
  assert.equal(spy.mostAtOnce, 1, 'one query at a time');
  assert.ok(spy.queries < 30, `writes during a query share the next one (${spy.queries} queries)`);
  assert.equal(last()[29].id, 'n29');
  await db.close();
});

test('watch: stop() ends it, before or after the first result; a second stop() is harmless', async () => {
  const db = await openTodos();
  const spy = spyOnFind(db.Todo);
  const off = db.Todo.off.bind(db.Todo);
  const removed = [];
  db.Todo.off = (event, fn) => { removed.push(event); return off(event, fn); };
  const { calls, listener } = recorder();
  const stop = db.Todo.watch(null, listener);
  await callsReach(calls, 1);
  stop();
  stop();
  assert.deepEqual(removed, ['change'], 'its change listener is removed, once');
  await db.Todo.create({ id: 'x', title: 'x' });
  await settled();
  assert.equal(calls.length, 1, 'no call after stop()');
  assert.equal(spy.queries, 1, 'no query after stop()');

  const early = recorder();
  db.Todo.watch(null, early.listener)();  // stopped while its first query runs
  await settled();
  assert.equal(early.calls.length, 0);
  await db.close();
});

test('watch: db.close() ends it without errors', async () => {
  const failures = [];
  const fail = (error) => failures.push(error);
  process.on('unhandledRejection', fail);
  process.on('uncaughtException', fail);
  try {
    // Closed with a write in flight.
    const db = await openTodos();
    const errors = [];
    const { calls, listener } = recorder();
    const stop = db.Todo.watch(null, listener, (error) => errors.push(error));
    await callsReach(calls, 1);
    db.Todo.create({ id: 'late', title: 'late' });
    await db.close();
    await settled();
    stop();

    // Closed before the watch's first query reads: it meets a closed database.
    const other = await openTodos();
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const find = other.Todo.find.bind(other.Todo);
    const outcomes = [];
    other.Todo.find = async (filter) => {
      await gate;
      return find(filter).catch((error) => { outcomes.push(error.code); throw error; });
    };
    const gated = recorder();
    other.Todo.watch(null, gated.listener, (error) => errors.push(error));
    await other.close();
    release();
    await settled();
    assert.deepEqual(outcomes, ['closed'], 'the query failed with "closed"');
    assert.equal(gated.calls.length, 0);
    assert.deepEqual(errors, [], 'onError heard nothing');
  } finally {
    process.off('unhandledRejection', fail);
    process.off('uncaughtException', fail);
  }
  assert.deepEqual(failures, []);
});

test('watch: a failed query goes to onError and ends the watch', async () => {
  const db = await openTodos();
  const spy = spyOnFind(db.Todo);
  const errors = [];
  const { calls, listener } = recorder();
  db.Todo.watch({ where: { title: { regexp: 5 } } }, listener, (error) => errors.push(error));
  assert.ok(await eventually(() => errors.length === 1, 5000));
  assert.equal(errors[0].code, 'bad_filter');
  await db.Todo.create({ id: 'x', title: 'x' });
  await settled();
  assert.equal(spy.queries, 1, 'ended: no query after the failure');
  assert.equal(calls.length, 0);
  assert.deepEqual(errors.length, 1);
  assert.throws(() => db.Todo.watch(null), { code: 'bad_request' });
  assert.throws(() => db.Todo.watch(null, listener, 'log'), { code: 'bad_request' });
  await db.close();
});

test('watch: a replicate into the database re-runs it once for its 1,000 changes', async () => {
  const db = await openTodos();
  const other = await openTodos();
  await other.Todo.create(Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}`, title: `${i}` })));
  const { calls, listener, last } = recorder();
  db.Todo.watch({ where: { title: { gte: '990' } }, order: 'title ASC' }, listener);
  await callsReach(calls, 1);
  assert.deepEqual(last(), []);

  const { applied } = await other.Todo.replicate(db.Todo);
  assert.equal(applied, 1000);
  await settled();
  assert.deepEqual(titles(last()), ['990', '991', '992', '993', '994', '995', '996', '997', '998', '999']);
  assert.equal(calls.length, 2, 'one call for the whole replicate');

  await other.Todo.patchById('r995', { title: '0' });
  await other.Todo.replicate(db.Todo);
  await settled();
  assert.equal(calls.length, 3);
  assert.equal(last().length, 9);
  await Promise.all([db.close(), other.close()]);
});

test('watch: what sync pulls from replicore-server re-runs it', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const api = remote(`${url}/api`, { models: [todoModel] });
    const db = await openTodos();
    const { calls, listener, last } = recorder();
    db.Todo.watch(OPEN, listener);
    await callsReach(calls, 1);
    await api.Todo.create([{ id: 's1', title: 'from the server' }, { id: 's2', title: 'done', completed: true }]);
    const sync = db.sync(api, { live: false });
    await sync.now();
    await settled();
    assert.deepEqual(titles(last()), ['from the server']);
    assert.equal(calls.length, 2);
    await db.close();
  } finally {
    server.kill('SIGTERM');
    await stopped(server);
    rmSync(models, { recursive: true, force: true });
  }
});

test("watch: the README's live query example prints what it says", () => {
  const readme = readFileSync(fileURLToPath(new URL('../../js/README.md', import.meta.url)), 'utf8');
  const example = readme.split('### Live queries')[1].match(/```js\n([\s\S]*?)```/)[1];
  const dir = mkdtempSync(join(tmpdir(), 'replicore-watch-'));
  try {
    const file = join(dir, 'example.mjs');
    const entry = new URL('../../js/src/index.js', import.meta.url).href;
    writeFileSync(file, example.replace("from 'replicore'", `from '${entry}'`));
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60000 });
    assert.equal(output, "[]\n[ 'eat', 'walk' ]\n[ 'eat' ]\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
