// The web example's story, end to end: one replicore-server (as the main job runs it), two
// devices (a phone and a laptop: separate Chromium profiles). A todo added on the phone shows
// on the laptop without a reload; the phone goes offline, adds two, reloads with no server at
// all (the app comes from its service worker, the todos from IndexedDB), and once the server
// is back and the phone online, everything reaches the server and the laptop. Ends with the
// phone's screenshot for the README (web-example/screenshot.png).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  addTodo, appReady, cleanup, item, openDevice, root, shownSet, shownTitles, shownTodos, startServer, stays, syncIndicator,
  until, untilOk,
} from './app-harness.mjs';

const SYNC_WAIT = 20000;  // sync polls every 3 s and retries with backoff from 1 s
const synced = { state: 'synced', pending: '0', waitingShown: false };
const html = (page, key) => page.evaluate((k) => document.documentElement.dataset[k] ?? null, key);

let server;
let phone;
let laptop;

before(async () => {
  server = await startServer();
  [phone, laptop] = await Promise.all([openDevice(server.url), openDevice(server.url)]);
  // Gone if the laptop's page ever reloads: everything it shows must come live.
  await laptop.page.evaluate(() => { window.neverReloaded = true; });
});

after(cleanup);

describe('story: phone and laptop, offline and back', () => {
  test('both start empty and synced', async () => {
    for (const device of [phone, laptop]) {
      assert.deepEqual(await shownTitles(device.page), []);
      await until(() => syncIndicator(device.page), synced, 'a fresh device is synced', SYNC_WAIT);
    }
  });

  test('a todo added on the phone reaches the server and the laptop, no reload', async () => {
    await addTodo(phone.page, 'Buy milk');
    await until(() => shownTitles(phone.page), ['Buy milk'], 'on the phone');
    await until(() => server.titles(), ['Buy milk'], 'GET /api/Todos has it', SYNC_WAIT);
    const [stored] = await server.get('/Todos');
    assert.equal(stored.completed, false, 'stored as not completed');
    assert.equal(typeof stored.id, 'string', 'with an id');
    await until(() => shownTodos(laptop.page), [{ title: 'Buy milk', completed: false }], 'on the laptop', SYNC_WAIT);
    await until(() => syncIndicator(phone.page), synced, 'the phone is synced', SYNC_WAIT);
  });

  test('offline, the phone adds two: shown at once, counted as pending, not on the server', async () => {
    await phone.context.setOffline(true);
    await until(() => phone.page.evaluate(() => navigator.onLine), false, 'the phone is offline');
    await addTodo(phone.page, 'Call mum');
    await addTodo(phone.page, 'Water the plants');
    await until(() => shownSet(phone.page), ['Buy milk', 'Call mum', 'Water the plants'], 'shown on the phone');
    await until(() => syncIndicator(phone.page), { state: 'offline', pending: '2', waitingShown: true },
      'the indicator says offline with 2 waiting', 5000);
    assert.equal((await phone.page.locator('.sync').innerText()).replace(/\s+/g, ' ').trim(), 'Offline 2 waiting',
      'what the person reads');
    // For longer than a sync interval: nothing leaks out, the laptop sees nothing new.
    await stays(async () => [await server.titles(), await shownSet(laptop.page)],
      [['Buy milk'], ['Buy milk']], 'the offline todos stay on the phone', 4000);
  });

  test('with the server gone, the phone reloads from its service worker with both todos', async () => {
    await untilOk(() => html(phone.page, 'offlineReady'), (v) => v === 'true',
      'the service worker cached the app (data-offline-ready)', SYNC_WAIT);
    await server.kill();
    let response;
    try {
      response = await phone.page.reload();
    } catch (error) {
      assert.fail(`the offline reload failed (not served by the service worker): ${error.message}`);
    }
    assert.ok(response, 'the reload got a response');
    assert.equal(response.status(), 200, 'the cached page');
    assert.equal(response.fromServiceWorker(), true, 'the page came from the service worker');
    await appReady(phone.page);
    await until(() => shownSet(phone.page), ['Buy milk', 'Call mum', 'Water the plants'], 'the todos after the offline reload');
    await until(() => syncIndicator(phone.page), { state: 'offline', pending: '2', waitingShown: true },
      'still offline with 2 waiting after the reload', 5000);
  });

  test('server back, phone online: both todos reach the server and the laptop, all synced', async () => {
    await server.restart();
    await phone.context.setOffline(false);
    await until(() => server.titles(), ['Buy milk', 'Call mum', 'Water the plants'], 'GET /api/Todos has all three', SYNC_WAIT);
    await until(() => shownSet(laptop.page), ['Buy milk', 'Call mum', 'Water the plants'],
      'the laptop shows all three', SYNC_WAIT);
    assert.equal(await laptop.page.evaluate(() => window.neverReloaded), true, 'the laptop never reloaded');
    await until(() => syncIndicator(phone.page), synced, 'the phone ends synced, nothing waiting', SYNC_WAIT);
    await until(() => syncIndicator(laptop.page), synced, 'the laptop ends synced', SYNC_WAIT);
    const stored = await server.get('/Todos');
    assert.equal(stored.length, 3, 'no duplicates on the server');
    assert.equal(new Set(stored.map((t) => t.id)).size, 3);
  });

  test('the laptop completes one: the phone shows it; screenshot of the phone', async () => {
    await item(laptop.page, 'Buy milk').locator('.toggle').click();
    const expected = [
      { title: 'Buy milk', completed: true }, { title: 'Call mum', completed: false },
      { title: 'Water the plants', completed: false },
    ];
    const byTitle = async (page) => (await shownTodos(page)).sort((a, b) => a.title.localeCompare(b.title));
    await until(() => byTitle(phone.page), expected, 'the phone shows the laptop\'s change', SYNC_WAIT);
    await until(async () => (await server.get('/Todos')).find((t) => t.title === 'Buy milk')?.completed, true,
      'stored completed', SYNC_WAIT);
    await until(() => syncIndicator(phone.page), synced, 'the phone is synced', SYNC_WAIT);
    await until(() => syncIndicator(laptop.page), synced, 'the laptop is synced', SYNC_WAIT);
    assert.equal(await phone.page.locator('.todo-count').innerText(), '2 items left');
    assert.deepEqual(phone.page.viewportSize(), { width: 900, height: 700 });
    await phone.page.mouse.move(0, 0);  // no hover effects in the picture
    await phone.page.screenshot({ path: join(root, 'web-example/screenshot.png') });
  });

  test('no errors on either device', () => {
    assert.deepEqual(phone.page.errors, [], 'phone');
    assert.deepEqual(laptop.page.errors, [], 'laptop');
  });
});
