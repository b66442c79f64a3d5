// Real Chromium (Debian's /usr/bin/chromium via playwright-core) with a persistent
// profile, so IndexedDB and localStorage are on disk (TOOLCHAIN.md §13). Pages come from
// a static server on 127.0.0.1 serving the repository: the package is loaded from the
// same js/src files the Node tests import.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm' };
const served = ['js/', 'tests/browser/', 'web-example/'];

let server;
let base;
let profile;
let context;

before(async () => {
  assert.ok(existsSync(join(root, 'js/dist/replicore_core.wasm')), 'build the wasm first (js/dist)');
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).slice(1);
    const file = join(root, path);
    if (!served.some((prefix) => path.startsWith(prefix)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  profile = mkdtempSync(join(tmpdir(), 'replicore-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: ['--no-sandbox'],
  });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function newPage() {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${base}/tests/browser/page.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  page.errors = errors;
  return page;
}

// Calls suite.<name>(...args) in the page.
function call(page, name, ...args) {
  return page.evaluate(([fn, params]) => window.suite[fn](...params), [name, args]);
}

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
