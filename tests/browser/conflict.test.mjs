// A todo edited on two devices: the laptop edits titles offline while the phone edits the
// same todos online; when the laptop comes back, the app shows each conflict with both
// versions, and the person keeps one, keeps the other, or types a merged title. The choice
// must reach both devices and the server, and the conflict panel must go away.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  addTodo, cleanup, conflictPanel, editTitle, openDevice, shownSet, startServer, stays, syncIndicator, until,
  untilOk,
} from './app-harness.mjs';

const SYNC_WAIT = 20000;
const synced = { state: 'synced', pending: '0', waitingShown: false };

// One todo per way of resolving; each edited differently on each device.
const TODOS = {
  local: { start: 'Plan the trip', laptop: 'Plan the trip to Rome', phone: 'Plan the trip to Oslo' },
  remote: { start: 'Book a hotel', laptop: 'Book a hotel near the station', phone: 'Book a hotel by the sea' },
  merged: { start: 'Pack bags', laptop: 'Pack bags and passports', phone: 'Pack bags and sunscreen' },
  typed: { start: 'Water the plants', laptop: 'Water the plants on Monday', phone: 'Water the plants on Friday' },
};
const MERGED = 'Pack bags, passports and sunscreen';
const TYPED = 'Water the plants on Monday and Friday';
const N = Object.keys(TODOS).length;

let server;
let phone;
let laptop;
let ids;        // key -> todo id
let here;       // the device that shows the conflicts
let there;      // the other one
let editedHere; // which edit ('laptop' | 'phone') was made on `here`

const titleOnServer = async (id) => (await server.get(`/Todos/${id}`)).title;
const entry = (page, id) => page.locator(`.conflicts li.conflict[data-id="${id}"]`);

before(async () => {
  server = await startServer();
  [phone, laptop] = await Promise.all([openDevice(server.url), openDevice(server.url)]);
});

after(cleanup);

describe('conflict: the same todo edited on two devices', () => {
  test('both devices have the todos', async () => {
    for (const { start } of Object.values(TODOS)) await addTodo(phone.page, start);
    const starts = Object.values(TODOS).map((t) => t.start).sort();
    await until(() => shownSet(phone.page), starts, 'on the phone');
    await until(() => shownSet(laptop.page), starts, 'on the laptop', SYNC_WAIT);
    const stored = await server.get('/Todos');
    ids = Object.fromEntries(Object.entries(TODOS).map(([key, t]) => [key, stored.find((s) => s.title === t.start)?.id]));
    assert.ok(Object.values(ids).every(Boolean), 'every todo is on the server');
    await until(() => syncIndicator(laptop.page), synced, 'the laptop is synced', SYNC_WAIT);
    await until(() => syncIndicator(phone.page), synced, 'the phone is synced', SYNC_WAIT);
  });

  test('the laptop edits offline, the phone edits the same todos online', async () => {
    await laptop.context.setOffline(true);
    for (const t of Object.values(TODOS)) await editTitle(laptop.page, t.start, t.laptop);
    await until(() => shownSet(laptop.page), Object.values(TODOS).map((t) => t.laptop).sort(), 'the laptop\'s edits');
    await until(() => syncIndicator(laptop.page), { state: 'offline', pending: String(N), waitingShown: true },
      `the laptop waits with ${N} changes`, 5000);

    for (const t of Object.values(TODOS)) await editTitle(phone.page, t.start, t.phone);
    await until(() => shownSet(phone.page), Object.values(TODOS).map((t) => t.phone).sort(), 'the phone\'s edits');
    for (const [key, t] of Object.entries(TODOS)) {
      await until(() => titleOnServer(ids[key]), t.phone, `the phone's edit of "${t.start}" on the server`, SYNC_WAIT);
    }
    await until(() => syncIndicator(phone.page), synced, 'the phone is synced', SYNC_WAIT);
    assert.deepEqual(await shownSet(laptop.page), Object.values(TODOS).map((t) => t.laptop).sort(), 'the laptop keeps its own');
  });

  test('back online, the conflicts show with both versions', async () => {
    await laptop.context.setOffline(false);
    const panels = await untilOk(
      async () => ({ phone: await conflictPanel(phone.page), laptop: await conflictPanel(laptop.page) }),
      (p) => p.phone.conflicts.length + p.laptop.conflicts.length >= N,
      `${N} conflicts shown on a device`, SYNC_WAIT);
    const where = panels.laptop.conflicts.length > 0 ? 'laptop' : 'phone';
    console.log(`# the conflicts show on the ${where}`);
    here = where === 'laptop' ? laptop : phone;
    there = where === 'laptop' ? phone : laptop;
    editedHere = where;
    const editedThere = where === 'laptop' ? 'phone' : 'laptop';

    const panel = panels[where];
    assert.equal(panel.shown, true, 'the conflicts section is visible');
    assert.equal((await here.page.locator('.conflicts').isVisible()), true, 'the conflicts section is visible');
    const byId = (list) => [...list].sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(byId(panel.conflicts), byId(Object.entries(TODOS).map(([key, t]) => (
      { id: ids[key], local: t[editedHere], remote: t[editedThere] }))),
    'one entry per todo, this device\'s version as local, the other\'s as remote');
    // Only one device: the other has nothing to resolve (its edits were never contested there).
    assert.deepEqual(panels[editedThere].conflicts, [], `no conflicts on the ${editedThere}`);
    assert.equal(await there.page.locator('.conflicts').isVisible(), false);
    // Each entry offers the three ways out.
    for (const id of Object.values(ids)) {
      for (const selector of ['.keep-local', '.keep-remote', '.merge .merge-title', '.merge .keep-merged']) {
        assert.equal(await entry(here.page, id).locator(selector).isVisible(), true, `${selector} for ${id}`);
      }
    }
    // Nothing was decided on anyone's behalf while the person looks at it.
    assert.equal(await titleOnServer(ids.local), TODOS.local.phone);
  });

  test('while the conflicts wait for the person, the device does not hammer the server', async () => {
    // Sync polls every 3 s; a round with these conflicts takes about ten requests.
    let requests = 0;
    const count = (request) => { if (new URL(request.url()).pathname.startsWith('/api/')) requests += 1; };
    here.page.on('request', count);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    here.page.off('request', count);
    assert.ok(requests <= 40, `${requests} API requests in 3 s with ${N} conflicts waiting (at most 40 expected)`);
    assert.equal((await conflictPanel(here.page)).conflicts.length, N, 'the conflicts still wait');
  });

  // After a choice: gone from the panel, and the same title on both devices and the server.
  async function settles(key, title) {
    const id = ids[key];
    await until(async () => (await conflictPanel(here.page, { details: true })).conflicts.filter((c) => c.id === id), [],
      'the entry leaves the panel', SYNC_WAIT);
    await until(() => titleOnServer(id), title, 'the choice on the server', SYNC_WAIT);
    const shown = (device) => device.page.locator(`.todo-list li[data-id="${id}"] label`).textContent();
    await until(() => shown(here), title, 'the choice on the device that chose', SYNC_WAIT);
    await until(() => shown(there), title, 'the choice on the other device', SYNC_WAIT);
  }

  test('keeping this device\'s version', async () => {
    await entry(here.page, ids.local).locator('.keep-local').click();
    await settles('local', TODOS.local[editedHere]);
  });

  test('keeping the other device\'s version', async () => {
    await entry(here.page, ids.remote).locator('.keep-remote').click();
    await settles('remote', TODOS.remote[editedHere === 'laptop' ? 'phone' : 'laptop']);
  });

  test('a merged title, filled in and submitted with Enter', async () => {
    const input = entry(here.page, ids.merged).locator('.merge-title');
    await input.fill(MERGED);
    await input.press('Enter');
    await settles('merged', MERGED);
  });

  test('a merged title typed at a person\'s pace', async () => {
    const input = entry(here.page, ids.typed).locator('.merge-title');
    await input.click();
    await input.press('ControlOrMeta+a');
    await input.press('Backspace');
    // About 100 ms a key and a pause to think midway: longer than one sync interval (3 s).
    await input.pressSequentially(TYPED.slice(0, 20), { delay: 90 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await input.pressSequentially(TYPED.slice(20), { delay: 90 });
    assert.equal(await entry(here.page, ids.typed).locator('.merge-title').inputValue(), TYPED,
      'the merged title the person typed is still in the field');
    await entry(here.page, ids.typed).locator('.keep-merged').click();
    await settles('typed', TYPED);
  });

  test('all resolved: the panel is gone for good, both devices and the server agree', async () => {
    await until(() => here.page.locator('.conflicts').isVisible(), false, 'the conflicts section hides', SYNC_WAIT);
    const expected = [TODOS.local[editedHere], TODOS.remote[editedHere === 'laptop' ? 'phone' : 'laptop'], MERGED, TYPED];
    const expectedSet = [...expected].sort();
    await until(() => syncIndicator(laptop.page), synced, 'the laptop ends synced', SYNC_WAIT);
    await until(() => syncIndicator(phone.page), synced, 'the phone ends synced', SYNC_WAIT);
    // Over more than a sync round: no conflict comes back, nothing changes anywhere.
    await stays(async () => [
      await shownSet(phone.page), await shownSet(laptop.page),
      await Promise.all(['local', 'remote', 'merged', 'typed'].map((key) => titleOnServer(ids[key]))),
      await phone.page.locator('.conflicts').isVisible(), await laptop.page.locator('.conflicts').isVisible(),
    ], [expectedSet, expectedSet, expected, false, false], 'settled', 4000);
    assert.equal((await server.get('/Todos')).length, N, 'no duplicates on the server');
  });

  test('no errors on either device', () => {
    assert.deepEqual(phone.page.errors, [], 'phone');
    assert.deepEqual(laptop.page.errors, [], 'laptop');
  });
});
