// A page on IndexedDB syncs live with a real replicore-server (another origin: --cors),
// goes offline (Playwright's setOffline), keeps writing, is closed while offline and opened
// again in the same profile: once online the server holds every write, and an edit made on
// the server meanwhile reaches the page without a reload.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { eventually } from '../eventually.mjs';
import { after, before, test } from 'node:test';
import { call, startBrowser } from './harness.mjs';
import { modelsDir, request, startServer, stopped } from '../system/server_process.mjs';

let browser;
let server;
const models = modelsDir();

before(async () => {
  browser = await startBrowser();
  server = await startServer(['--db', ':memory:', '--models', models, '--cors', browser.base]);
});

after(async () => {
  await browser?.close();
  server?.process.kill('SIGTERM');
  if (server) await stopped(server.process);
  rmSync(models, { recursive: true, force: true });
});


const serverIds = async () => (await request(server.url, 'GET', '/Todos')).body.map((t) => t.id).sort();

async function syncingPage() {
  const page = await browser.newPage('page.html?suite=./sync-suite.mjs');
  await call(page, 'start', 'synced', `${server.url}/api`);
  return page;
}

test('offline writes survive closing the page and reach the server once online', async () => {
  let page = await syncingPage();
  await call(page, 'write', ['on1', 'on2', 'on3']);
  assert.ok(await eventually(async () => (await serverIds()).length === 3, 15000), 'pushed while online');

  await browser.context.setOffline(true);
  await call(page, 'write', ['off1', 'off2', 'off3', 'off4', 'off5']);
  assert.ok(await eventually(async () => {
    const { state, pending } = await call(page, 'status');
    return state === 'offline' && pending >= 5;
  }), `the status says offline with the writes pending: ${JSON.stringify(await call(page, 'status'))}`);
  assert.equal(await call(page, 'count'), 8, 'the page reads its offline writes');
  assert.deepEqual(await serverIds(), ['on1', 'on2', 'on3'], 'nothing reached the server');
  assert.equal((await request(server.url, 'PATCH', '/Todos/on1', { title: 'edited on the server' })).status, 200);
  await page.close({ runBeforeUnload: false });

  await browser.context.setOffline(false);
  page = await syncingPage();
  assert.ok(await eventually(async () => (await serverIds()).length === 8), `server: ${await serverIds()}`);
  assert.deepEqual(await serverIds(), ['off1', 'off2', 'off3', 'off4', 'off5', 'on1', 'on2', 'on3']);
  assert.ok(await eventually(async () => (await call(page, 'titleOf', 'on1')) === 'edited on the server'),
    'the server edit reached the page');
  assert.ok(await eventually(async () => {
    const { state, pending } = await call(page, 'status');
    return state === 'idle' && pending === 0;
  }), JSON.stringify(await call(page, 'status')));

  // And live, with the page open: a server edit arrives without a reload.
  assert.equal((await request(server.url, 'PATCH', '/Todos/off3', { title: 'live from the server' })).status, 200);
  assert.ok(await eventually(async () => (await call(page, 'titleOf', 'off3')) === 'live from the server'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('one tab syncs for all: the others show its status, and it moves on when the tab closes', async () => {
  const name = 'synced-tabs';
  const start = async () => {
    const page = await browser.newPage('page.html?suite=./sync-suite.mjs');
    await call(page, 'start', name, `${server.url}/api`);
    return page;
  };
  const a = await start();
  const b = await start();
  assert.equal(await call(a, 'isLeader'), true);
  assert.equal(await call(b, 'isLeader'), false);
  await call(b, 'write', ['tab-b-1']);  // written in B, pushed by A
  assert.ok(await eventually(async () => (await serverIds()).includes('tab-b-1')));
  assert.equal(await call(b, 'requestCount'), 0, 'the tab that does not hold the lock sends nothing');
  assert.ok(await eventually(async () => {
    const [sa, sb] = await Promise.all([call(a, 'status'), call(b, 'status')]);
    return sa.state === 'idle' && JSON.stringify(sa) === JSON.stringify(sb);
  }), 'both tabs show the same status');
  const asked = await call(b, 'syncNow');  // B asks A for a round, and waits for it
  assert.equal(asked.state, 'idle');
  assert.equal(await call(b, 'requestCount'), 0);

  await a.close({ runBeforeUnload: false });
  assert.ok(await eventually(() => call(b, 'isLeader')), 'the lock moved to B');
  await call(b, 'write', ['tab-b-2']);
  assert.ok(await eventually(async () => (await serverIds()).includes('tab-b-2')), 'B syncs now');
  assert.ok(await call(b, 'requestCount') > 0);
  await b.close();
});

test('the page reloads in the middle of a sync: the next sync finishes the job, nothing twice', async () => {
  const name = 'reloaded';
  for (const delay of [5, 40, 150]) {
    const page = await browser.newPage('page.html?suite=./sync-suite.mjs');
    const prefix = `r${delay}-`;
    await call(page, 'writeThenSync', name, `${server.url}/api`, prefix, 3000);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await page.reload();  // mid-round: requests cut, answers lost
    await page.waitForFunction(() => window.ready === true);
    await call(page, 'start', name, `${server.url}/api`);
    assert.ok(await eventually(async () => {
      const ids = await serverIds();
      return ids.filter((id) => id.startsWith(prefix)).length === 3000;
    }, 30000), `all of ${prefix} reached the server`);
    assert.ok(await eventually(async () => {
      const { state, pending } = await call(page, 'status');
      return state === 'idle' && pending === 0;
    }));
    const ids = await serverIds();
    assert.equal(new Set(ids).size, ids.length, 'no record twice');
    assert.equal(await call(page, 'count'), ids.length, 'the page holds what the server holds');
    await page.close();
  }
});
