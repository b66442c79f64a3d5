// Several tabs on one database, in real Chromium: one browser context (one origin, one
// profile), several pages, each with its own copy of the package and its own core.
// Interleaved writes of two tabs, tabs closed and crashed (CDP Page.crash) in the middle
// of writes and of compactions, the lock that one tab holds, the shared channel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startBrowser } from './harness.mjs';

let browser;

before(async () => { browser = await startBrowser(); });
after(async () => { await browser?.close(); });

async function tabOn(storage, name, { acks } = {}) {
  const tab = await browser.newPage('page.html?suite=./tabs-suite.mjs');
  if (acks) await tab.exposeFunction('ack', (id) => { acks.add(id); });
  await call(tab, 'openDb', storage, name);
  return tab;
}

async function destroyed(storage, name) {
  const tab = await browser.newPage('page.html');
  await call(tab, 'destroyDb', storage, name);
  await tab.close();
}

// Both tabs agree (polling while the last notices arrive), and agree with `expected`.
async function converged(tabs, expectedCount) {
  const counts = await Promise.all(tabs.map((tab) => call(tab, 'waitForCount', expectedCount)));
  const snapshots = await Promise.all(tabs.map((tab) => call(tab, 'snapshot')));
  for (const [i, shot] of snapshots.entries()) {
    assert.equal(counts[i], expectedCount, `tab ${i} sees ${counts[i]} notes`);
    assert.deepEqual(shot, snapshots[0], `tab ${i} reads what tab 0 reads`);
  }
  return snapshots[0];
}

{
  const [storage, count] = ['indexeddb', 2500];
  test(`${storage}: two tabs interleave ${count * 2} writes; every acknowledged write is there`, async () => {
    const name = `interleave-${storage}`;
    await destroyed(storage, name);
    const a = await tabOn(storage, name);
    const b = await tabOn(storage, name);
    const [ra, rb] = await Promise.all([
      call(a, 'runOps', 1234, 'A', count),
      call(b, 'runOps', 5678, 'B', count),
    ]);
    assert.deepEqual(ra.unexpected, [], 'tab A: no write failed');
    assert.deepEqual(rb.unexpected, [], 'tab B: no write failed');

    // The contested creates: each id won by exactly one tab.
    const winners = new Map();
    for (const [tab, ids] of [['A', ra.contested], ['B', rb.contested]]) {
      for (const id of ids) {
        assert.ok(!winners.has(id), `${id} created by both tabs`);
        winners.set(id, tab);
      }
    }
    const sharedIds = new Set([...Object.keys(ra.shared), ...Object.keys(rb.shared)]);
    const expectedCount = Object.keys(ra.live).length + Object.keys(rb.live).length +
      sharedIds.size + winners.size;
    const fresh = await tabOn(storage, name);
    const shot = await converged([a, b, fresh], expectedCount);

    const byId = new Map(shot.notes.map((note) => [note.id, note]));
    for (const [id, v] of [...Object.entries(ra.live), ...Object.entries(rb.live)]) {
      assert.equal(byId.get(id)?.v, v, `${id}: the last acknowledged value`);
    }
    for (const id of sharedIds) {  // a write on stale state would have dropped a field
      assert.equal(byId.get(id).a ?? null, ra.shared[id] ?? null, `${id}.a is tab A's last`);
      assert.equal(byId.get(id).b ?? null, rb.shared[id] ?? null, `${id}.b is tab B's last`);
    }
    for (const [id, tab] of winners) assert.equal(byId.get(id)?.tab, tab, `${id} is its winner's`);

    // One change row per record.
    const written = new Set(shot.changeIds);
    assert.equal(written.size, shot.changeIds.length, 'one change row per record');
    for (const id of byId.keys()) assert.ok(written.has(id), `${id} has a change row`);

    // Each tab heard the other's writes as change events.
    const heardByA = new Set(await call(a, 'heard'));
    for (const id of Object.keys(rb.live)) assert.ok(heardByA.has(id), `tab A heard of ${id}`);
    for (const tab of [a, b, fresh]) assert.deepEqual(tab.errors, []);
    await Promise.all([a.close(), b.close(), fresh.close()]);
  });
}

{
  const storage = 'indexeddb';
  for (const how of ['closed', 'crashed']) {
    test(`${storage}: a tab ${how} while writing and compacting loses nothing`, async () => {
      const name = `${how}-${storage}`;
      await destroyed(storage, name);
      const acks = new Set();
      const survivor = await tabOn(storage, name, { acks });
      await call(survivor, 'startWriting', 'S');
      const big = 2500;
      for (const [round, delay] of [0, 3, 15, 60].entries()) {
        const victim = await tabOn(storage, name, { acks });
        await call(victim, 'startWriting', `V${round}-`);
        await call(victim, 'startBigWrite', `big${round}-`, big);
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (how === 'crashed') await browser.crash(victim);
        else await victim.close({ runBeforeUnload: false });
      }
      assert.equal(await call(survivor, 'stopWriting'), null, 'the surviving tab kept writing');
      await new Promise((resolve) => setTimeout(resolve, 100));  // its last acks
      const fresh = await tabOn(storage, name);
      const shot = await call(fresh, 'snapshot');
      const present = new Set(shot.notes.map((note) => note.id));
      const missing = [...acks].filter((id) => !present.has(id));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged notes lost`);
      assert.ok([...acks].some((id) => id.startsWith('S')), 'the survivor acknowledged writes');
      assert.deepEqual(shot.changeIds, [...present].sort(), 'the change log matches the notes');
      const survivorShot = await call(survivor, 'snapshot');
      assert.deepEqual(survivorShot.notes.length, shot.notes.length, 'the survivor sees them all');
      await Promise.all([survivor.close(), fresh.close()]);
    });
  }
}

for (const how of ['closed', 'crashed']) {
  test(`localstorage: a second tab is refused until the first is ${how}, then has every write`, async () => {
    const name = `single-${how}`;
    await destroyed('localstorage', name);
    const acks = new Set();
    const first = await tabOn('localstorage', name, { acks });
    await call(first, 'startWriting', 'F');
    await call(first, 'startBigWrite', 'big', 600);
    const second = await browser.newPage('page.html?suite=./tabs-suite.mjs');
    const refused = await second.evaluate(async (db) => {
      try {
        await window.suite.openDb('localstorage', db);
        return 'opened';
      } catch (error) {
        return `${error.code}: ${error.message}`;
      }
    }, name);
    assert.match(refused, /^blocked: .*open in another tab/);
    if (how === 'crashed') await browser.crash(first);
    else await first.close({ runBeforeUnload: false });
    await call(second, 'openDb', 'localstorage', name);
    const shot = await call(second, 'snapshot');
    const present = new Set(shot.notes.map((note) => note.id));
    assert.ok(acks.size > 0, 'the first tab acknowledged writes');
    for (const id of acks) assert.ok(present.has(id), `acknowledged ${id} lost`);
    assert.deepEqual(shot.changeIds, [...present].sort(), 'the change log matches the notes');
    await second.close();
  });
}

test('indexeddb: a tab frozen in the middle of writes blocks no other tab', async () => {
  const name = 'frozen';
  await destroyed('indexeddb', name);
  const acks = new Set();
  const frozen = await tabOn('indexeddb', name, { acks });
  const other = await tabOn('indexeddb', name, { acks });
  for (const [round, delay] of [0, 1, 3, 10].entries()) {
    await call(frozen, 'startWriting', `F${round}-`);
    await call(frozen, 'startBigWrite', `big${round}-`, 2500);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await browser.setFrozen(frozen, true);
    const ms = await call(other, 'timedWrites', `O${round}-`, 20);
    assert.ok(ms < 5000, `20 writes took ${ms} ms beside a frozen tab`);
    await browser.setFrozen(frozen, false);
    assert.equal(await call(frozen, 'stopWriting'), null);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fresh = await tabOn('indexeddb', name);
  const shot = await call(fresh, 'snapshot');
  const present = new Set(shot.notes.map((note) => note.id));
  for (const id of acks) assert.ok(present.has(id), `acknowledged ${id} lost`);
  for (let round = 0; round < 4; round++) assert.ok(present.has(`O${round}-19`));
  assert.equal(await call(frozen, 'waitForCount', shot.notes.length), shot.notes.length, 'the thawed tab caught up');
  await Promise.all([frozen.close(), other.close(), fresh.close()]);
});

test('indexeddb: checkpoints taken in two tabs at once stay one sequence', async () => {
  const name = 'checkpoints';
  await destroyed('indexeddb', name);
  const a = await tabOn('indexeddb', name);
  const b = await tabOn('indexeddb', name);
  const rounds = await Promise.all([1, 2, 3].map(async () => {
    const [fromA, fromB] = await Promise.all([call(a, 'checkpoints', 5), call(b, 'checkpoints', 5)]);
    return [...fromA, ...fromB];
  }));
  const seqs = rounds.flat();
  assert.equal(new Set(seqs).size, seqs.length, `no seq given twice: ${seqs}`);
  await Promise.all([a.close(), b.close()]);
});

test('indexeddb: a local replicate runs while another tab writes to its source', async () => {
  const name = 'replicate-source';
  await destroyed('indexeddb', name);
  await destroyed('indexeddb', `${name}-peer`);
  const acks = new Set();
  const replicating = await tabOn('indexeddb', name);
  const writer = await tabOn('indexeddb', name, { acks });
  await call(writer, 'startWriting', 'w', 300);
  const during = await call(replicating, 'replicateInto', 'indexeddb', `${name}-peer`, 20);
  assert.equal(during.conflicts, 0);
  assert.equal(await call(writer, 'stopWriting'), null);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const after = await call(replicating, 'replicateInto', 'indexeddb', `${name}-peer`, 1);
  assert.deepEqual(after.target, after.source, 'the peer holds everything the source has');
  for (const id of acks) assert.ok(after.source.some((note) => note.id === id), `${id} lost`);
  await Promise.all([replicating.close(), writer.close()]);
});

test("indexeddb: a live query in one tab hears another tab's writes, and only those that change it", async () => {
  const name = 'watch';
  await destroyed('indexeddb', name);
  const a = await tabOn('indexeddb', name);
  const b = await tabOn('indexeddb', name);
  await call(a, 'startWatch', { where: { tab: { neq: 'big' } }, order: 'id ASC' });
  await call(b, 'timedWrites', 'B', 3);
  const heard = await call(a, 'watchedUntil', 3);
  assert.deepEqual(heard[0], [], 'the first result: no notes yet');
  assert.deepEqual(heard.at(-1), ['B0', 'B1', 'B2'], 'the other tab\'s writes');
  for (const [i, result] of heard.entries()) {
    if (i) assert.notDeepEqual(result, heard[i - 1], 'no result heard twice in a row');
    assert.deepEqual(result, ['B0', 'B1', 'B2'].slice(0, result.length), `result ${i}`);
  }

  await call(b, 'startBigWrite', 'big', 500);  // notes outside the filter
  assert.equal(await call(a, 'waitForCount', 503), 503);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((await call(a, 'stopWatch')).length, heard.length, 'nothing heard for notes it does not show');
  await call(b, 'timedWrites', 'C', 1);  // after stop()
  assert.equal(await call(a, 'waitForCount', 504), 504);
  assert.equal((await call(a, 'watchedUntil', 4, 300)).length, heard.length, 'nothing heard after stop()');
  for (const tab of [a, b]) assert.deepEqual(tab.errors, []);
  await Promise.all([a.close(), b.close()]);
});

// Polls `leaders()` (bounded) until it returns `expected`.
async function leadersBecome(tabs, expected) {
  let seen;
  for (let i = 0; i < 100; i++) {
    seen = await Promise.all(tabs.map((tab) => call(tab, 'isLeader')));
    if (JSON.stringify(seen) === JSON.stringify(expected)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return seen;
}

test('the database lock: one tab holds it, and it moves on close and on crash', async () => {
  const name = 'lock';
  await destroyed('indexeddb', name);
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await tabOn('indexeddb', name));
  assert.deepEqual(await leadersBecome(tabs, [true, false, false]), [true, false, false]);
  assert.equal(await call(tabs[2], 'heldLocks', `replicore:indexeddb:${name}:leader`), 1);

  await tabs[0].close({ runBeforeUnload: false });
  assert.deepEqual(await leadersBecome(tabs.slice(1), [true, false]), [true, false], 'passed on close');
  await browser.crash(tabs[1]);
  assert.deepEqual(await leadersBecome(tabs.slice(2), [true]), [true], 'passed on crash');
  assert.equal(await call(tabs[2], 'heldLocks', `replicore:indexeddb:${name}:leader`), 1);

  const late = await tabOn('indexeddb', name);
  assert.equal(await call(late, 'isLeader'), false, 'a newcomer waits its turn');
  await call(tabs[2], 'closeDb');  // closing the database (not the tab) hands it on too
  assert.deepEqual(await leadersBecome([late], [true]), [true]);
  await Promise.all([tabs[2].close(), late.close()]);
});

test('the channel: state published by one tab reaches every tab, newcomers included', async () => {
  const name = 'channel';
  await destroyed('indexeddb', name);
  const a = await tabOn('indexeddb', name);
  const b = await tabOn('indexeddb', name);
  await call(a, 'publish', 'sync', { status: 'syncing', waiting: 3 });
  assert.deepEqual(await call(b, 'stateOf', 'sync'), { status: 'syncing', waiting: 3 });
  const late = await tabOn('indexeddb', name);
  assert.deepEqual(await call(late, 'stateOf', 'sync'), { status: 'syncing', waiting: 3 });
  const other = await tabOn('indexeddb', `${name}-other`);
  assert.equal(await call(other, 'stateOf', 'sync', 300), null, 'another database hears nothing');
  await Promise.all([a.close(), b.close(), late.close(), other.close()]);
});

test('a worker and a page share a database both ways', async () => {
  const name = 'worker';
  await destroyed('indexeddb', name);
  const page = await tabOn('indexeddb', name);
  const result = await call(page, 'withWorker', name, 200);
  assert.deepEqual(result, { pageSaw: 200, workerSaw: 400, heardFromWorker: 200 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
