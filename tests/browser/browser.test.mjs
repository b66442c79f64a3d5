// One tab at a time in real Chromium (harness.mjs): the connectors' conformance,
// durability across reloads and closes, crashes during compaction, failed persists.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startBrowser } from './harness.mjs';

let browser;
const newPage = () => browser.newPage();

before(async () => { browser = await startBrowser(); });
after(async () => { await browser?.close(); });

const storages = ['memory', 'localstorage', 'indexeddb'];

for (const storage of storages) {
  test(`connector conformance: ${storage}`, async () => {
    const page = await newPage();
    const result = await call(page, 'conformance', storage, `conf-${storage}`);
    assert.equal(result.ok, true);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

for (const storage of ['localstorage', 'indexeddb']) {
  test(`${storage}: data survives a page reload`, async () => {
    const page = await newPage();
    await call(page, 'destroyDb', storage, `reload-${storage}`);
    const ids = await call(page, 'writeSome', storage, `reload-${storage}`, 20);
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    const read = await call(page, 'readIds', storage, `reload-${storage}`);
    assert.deepEqual(read.ids.sort(), ids.sort());
    assert.deepEqual(read.changeIds.sort(), ids.sort(), 'the change log agrees with the data');
    await page.close();
  });

  for (const durability of ['relaxed', 'strict']) {
    test(`${storage}: a resolved write survives closing the page right after (${durability})`, async () => {
      const name = `close-${storage}-${durability}`;
      let page = await newPage();
      await call(page, 'destroyDb', storage, name);
      const ids = await call(page, 'writeSome', storage, name, 5, { durability });
      await page.close({ runBeforeUnload: false });
      page = await newPage();
      const read = await call(page, 'readIds', storage, name);
      assert.deepEqual(read.ids.sort(), ids.sort());
      await page.close();
    });
  }

  test(`${storage}: a crash during compaction loses nothing`, async () => {
    const name = `compact-${storage}`;
    let page = await newPage();
    await call(page, 'destroyDb', storage, name);
    await page.close();
    const acknowledged = new Set();
    // Close the page at different moments of a write that compacts 3,000 records.
    for (const delay of [0, 2, 10, 40, 120]) {
      page = await newPage();
      const ids = await call(page, 'startCompaction', storage, name, 3, storage === 'localstorage' ? 600 : 3000);
      ids.forEach((id) => acknowledged.add(id));
      await new Promise((resolve) => setTimeout(resolve, delay));
      await page.close({ runBeforeUnload: false });
      page = await newPage();
      const read = await call(page, 'readIds', storage, name);
      const present = new Set(read.ids);
      for (const id of acknowledged) assert.ok(present.has(id), `acknowledged ${id} lost (delay ${delay})`);
      assert.deepEqual([...present].sort(), [...new Set(read.changeIds)].sort(), 'no torn state');
      await page.close();
    }
  });
}

for (const [storage, how] of [['indexeddb', 'quota'], ['indexeddb', 'abort'], ['localstorage', 'quota']]) {
  test(`${storage}: a failed persist (${how}) rejects and leaves memory equal to disk`, async () => {
    const page = await newPage();
    const result = await call(page, 'failedPersist', storage, `fail-${storage}-${how}`, how);
    const expected = how === 'quota' ? 'quota' : 'storage';
    assert.deepEqual(result.codes, [expected, expected, expected]);
    assert.deepEqual(result.memory.map((t) => [t.id, t.title]), [['kept', 'on disk']]);
    assert.equal(result.memoryChanges, 1);
    assert.deepEqual(result.disk, result.memoryAfter, 'memory equals disk');
    assert.deepEqual(result.disk.map((t) => t.id), ['after', 'kept']);
    await page.close();
  });
}

test('the package loads in the browser and in Node from the same files', async () => {
  const page = await newPage();
  const browserRev = await page.evaluate(async () => {
    const { revision } = await import('/js/src/index.js');
    return (await revision({ b: 1, a: [true, null] })).rev;
  });
  const { revision } = await import('../../js/src/index.js');
  assert.equal(browserRev, (await revision({ b: 1, a: [true, null] })).rev);
  await page.close();
});
