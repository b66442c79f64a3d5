// The web example against TodoMVC's functional spec (tastejs/todomvc app-spec.md), in real
// Chromium, served by replicore-server as the main job serves it. Every test gets a fresh
// server (fresh database, new origin) and a fresh browser context, so nothing leaks between
// tests through IndexedDB or sync.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import {
  addTodo, cleanup, item, launchBrowser, openDevice, shownTitles, shownTodos, startServer, stays, syncIndicator, until,
  untilOk,
} from './app-harness.mjs';

let browser;
let server;
let device;
let page;

before(async () => { browser = await launchBrowser(); });
after(cleanup);

beforeEach(async () => {
  server = await startServer();
  device = await openDevice(server.url, { browser });
  page = device.page;
});

afterEach(async () => {
  const errors = page.errors;
  await device.close();
  await server.stop();
  assert.deepEqual(errors, [], 'the app reported no errors');
});

const visible = (selector) => page.locator(selector).isVisible();
const count = () => page.$eval('.todo-count', (el) => ({ text: el.textContent.trim().replace(/\s+/g, ' '), strong: el.querySelector('strong')?.textContent }));
const selectedFilters = () => page.$$eval('.filters a.selected', (as) => as.map((a) => a.getAttribute('href')));
const toggleAllChecked = () => page.$eval('.toggle-all', (el) => el.checked);
const toggleAll = () => page.locator('label[for="toggle-all"]').click();
const hash = () => page.evaluate(() => location.hash);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const synced = { state: 'synced', pending: '0', waitingShown: false };

// Slows the page down as a mid-range phone is (Lighthouse's mobile profile uses 4x).
async function slowCpu(rate) {
  const cdp = await device.context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
}

async function addAll(...titles) {
  for (const title of titles) await addTodo(page, title);
  await until(() => shownTitles(page), titles, 'the todos added');
}

describe('no todos', () => {
  test('.main and .footer are hidden, the new-todo input has the focus', async () => {
    assert.equal(await page.locator('.todo-list li').count(), 0);
    assert.equal(await visible('.main'), false, '.main hidden');
    assert.equal(await visible('.footer'), false, '.footer hidden');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('new-todo')), true,
      '.new-todo is focused on load');
  });
});

describe('new todo', () => {
  test('Enter adds it at the bottom of the list and clears the input', async () => {
    await addTodo(page, 'buy some cheese');
    await until(() => shownTitles(page), ['buy some cheese'], 'first todo');
    assert.equal(await page.locator('.new-todo').inputValue(), '', 'input cleared');
    await addTodo(page, 'feed the cat');
    await addTodo(page, 'book a doctors appointment');
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat', 'book a doctors appointment'],
      'appended in order');
    assert.equal(await page.locator('.new-todo').inputValue(), '', 'input cleared');
    assert.deepEqual((await shownTodos(page)).map((t) => t.completed), [false, false, false], 'new todos are active');
    assert.equal(await visible('.main'), true, '.main shown');
    assert.equal(await visible('.footer'), true, '.footer shown');
  });

  test('the title is trimmed; an empty or blank title adds nothing', async () => {
    await addTodo(page, '   buy some cheese  \t');
    await until(() => shownTitles(page), ['buy some cheese'], 'trimmed title');
    await page.locator('.new-todo').fill('');
    await page.locator('.new-todo').press('Enter');
    await page.locator('.new-todo').fill('     ');
    await page.locator('.new-todo').press('Enter');
    await addTodo(page, 'feed the cat');  // a marker: whatever the blanks did happened before it
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat'], 'no blank todo');
    // Stored trimmed too (it reaches the server with that title).
    await until(() => server.titles(), ['buy some cheese', 'feed the cat'], 'titles on the server', 15000);
  });

  test('todos typed in quick succession on a slow device keep the order they were typed in', async () => {
    await slowCpu(6);
    const titles = ['milk', 'eggs', 'bread', 'jam', 'tea', 'rice', 'oats', 'salt', 'figs', 'kale', 'plums', 'nuts'];
    await page.locator('.new-todo').focus();
    await page.keyboard.type(titles.map((title) => `${title}\n`).join(''));
    await untilOk(() => shownTitles(page), (shown) => shown.length === titles.length, 'all added', 20000);
    await until(() => shownTitles(page), titles, 'each appended at the bottom, in the order typed');
  });
});

describe('mark as complete', () => {
  test('the checkbox toggles the item\'s completed state and class', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: true }, { title: 'feed the cat', completed: false },
    ], 'first completed');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: true }, { title: 'feed the cat', completed: true },
    ], 'both completed');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: false }, { title: 'feed the cat', completed: true },
    ], 'first active again');
  });

  test('toggle-all marks all complete and clears them; its checked state follows the items', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    assert.equal(await toggleAllChecked(), false, 'toggle-all unchecked with active todos');
    await toggleAll();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: true }, { title: 'feed the cat', completed: true },
      { title: 'book a doctors appointment', completed: true },
    ], 'all completed');
    await until(toggleAllChecked, true, 'toggle-all checked when all are completed');
    await toggleAll();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: false }, { title: 'feed the cat', completed: false },
      { title: 'book a doctors appointment', completed: false },
    ], 'all active again');
    await until(toggleAllChecked, false, 'toggle-all unchecked again');

    // It follows single items: checked once every item is, unchecked when one is not.
    for (const title of ['buy some cheese', 'feed the cat', 'book a doctors appointment']) {
      await item(page, title).locator('.toggle').click();
      await until(async () => (await shownTodos(page)).find((t) => t.title === title)?.completed, true, `${title} completed`);
    }
    await until(toggleAllChecked, true, 'toggle-all checked after completing each item');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(toggleAllChecked, false, 'toggle-all unchecked after one item is active again');

    // With some active, toggle-all completes them all (not flips each).
    await toggleAll();
    await until(async () => (await shownTodos(page)).map((t) => t.completed), [true, true, true], 'toggle-all completes the rest');
    await until(toggleAllChecked, true, 'toggle-all checked');
    // Clear completed empties the list and leaves toggle-all unchecked.
    await page.locator('.clear-completed').click();
    await until(() => shownTitles(page), [], 'cleared');
    await addTodo(page, 'walk the dog');
    await until(() => shownTitles(page), ['walk the dog'], 'new todo after clearing');
    assert.equal(await toggleAllChecked(), false, 'toggle-all unchecked after clear completed');
  });
});

describe('edit', () => {
  test('double-click shows .editing with the title in the focused .edit, other controls hidden', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await item(page, 'feed the cat').locator('label').dblclick();
    const li = page.locator('.todo-list li').nth(1);
    await until(() => li.evaluate((el) => el.classList.contains('editing')), true, 'the li gets .editing');
    assert.equal(await page.locator('.todo-list li.editing').count(), 1, 'only that item is editing');
    assert.equal(await li.locator('.edit').isVisible(), true, '.edit shown');
    assert.equal(await li.locator('.edit').inputValue(), 'feed the cat', '.edit holds the title');
    assert.equal(await li.locator('.edit').evaluate((el) => el === document.activeElement), true, '.edit is focused');
    assert.equal(await li.locator('.toggle').isVisible(), false, 'the toggle is hidden while editing');
    assert.equal(await li.locator('label').isVisible(), false, 'the label is hidden while editing');
    assert.equal(await page.locator('.todo-list li').nth(0).locator('.edit').isVisible(), false,
      'other items show no .edit');
  });

  test('Enter saves the trimmed title and leaves editing', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    await item(page, 'feed the cat').locator('label').dblclick();
    const edit = page.locator('.todo-list li.editing .edit');
    await edit.fill('    buy some sausages  ');
    await edit.press('Enter');
    await until(() => shownTitles(page), ['buy some cheese', 'buy some sausages', 'book a doctors appointment'],
      'saved trimmed');
    assert.equal(await page.locator('.todo-list li.editing').count(), 0, 'no item editing');
    await until(() => server.titles(), ['book a doctors appointment', 'buy some cheese', 'buy some sausages'],
      'the edit is stored (reaches the server)', 15000);
  });

  test('blur saves', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await item(page, 'buy some cheese').locator('label').dblclick();
    await page.locator('.todo-list li.editing .edit').fill('buy some sausages');
    await page.locator('.new-todo').click();  // focus moves away
    await until(() => shownTitles(page), ['buy some sausages', 'feed the cat'], 'saved on blur');
    assert.equal(await page.locator('.todo-list li.editing').count(), 0, 'no item editing');
  });

  test('Escape cancels the edit', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await item(page, 'feed the cat').locator('label').dblclick();
    const edit = page.locator('.todo-list li.editing .edit');
    await edit.fill('foo bar');
    await edit.press('Escape');
    await until(() => page.locator('.todo-list li.editing').count(), 0, 'editing left');
    assert.deepEqual(await shownTitles(page), ['buy some cheese', 'feed the cat'], 'title unchanged');
    // Nothing of the discarded text comes back: not when editing again, not after a reload.
    await item(page, 'feed the cat').locator('label').dblclick();
    assert.equal(await page.locator('.todo-list li.editing .edit').inputValue(), 'feed the cat', 'editing again starts from the title');
    await page.locator('.todo-list li.editing .edit').press('Escape');
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat'], 'unchanged after reload');
  });

  test('an emptied title deletes the todo', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    await item(page, 'feed the cat').locator('label').dblclick();
    await page.locator('.todo-list li.editing .edit').fill('');
    await page.locator('.todo-list li.editing .edit').press('Enter');
    await until(() => shownTitles(page), ['buy some cheese', 'book a doctors appointment'], 'empty title deletes');
    await item(page, 'buy some cheese').locator('label').dblclick();
    await page.locator('.todo-list li.editing .edit').fill('    ');
    await page.locator('.todo-list li.editing .edit').press('Enter');
    await until(() => shownTitles(page), ['book a doctors appointment'], 'blank title deletes');
    await until(count, { text: '1 item left', strong: '1' }, 'counter after deleting');
    await until(() => server.titles(), ['book a doctors appointment'], 'deleted on the server too', 15000);
  });
});

describe('destroy', () => {
  test('hovering shows .destroy; clicking it removes the todo', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    const li = item(page, 'feed the cat');
    await li.hover();
    await until(() => li.locator('.destroy').evaluate((el) => getComputedStyle(el).opacity), '1', '.destroy shown on hover');
    await li.locator('.destroy').click();
    await until(() => shownTitles(page), ['buy some cheese', 'book a doctors appointment'], 'destroyed');
    await until(count, { text: '2 items left', strong: '2' }, 'counter after destroy');
    await item(page, 'buy some cheese').locator('.destroy').click();
    await item(page, 'book a doctors appointment').locator('.destroy').click();
    await until(() => shownTitles(page), [], 'all destroyed');
    await until(() => visible('.main'), false, '.main hidden again');
    await until(() => visible('.footer'), false, '.footer hidden again');
  });
});

describe('counter', () => {
  test('counts active todos, pluralised, the number in <strong>', async () => {
    await addTodo(page, 'buy some cheese');
    await until(count, { text: '1 item left', strong: '1' }, 'one');
    await addTodo(page, 'feed the cat');
    await until(count, { text: '2 items left', strong: '2' }, 'two');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(count, { text: '1 item left', strong: '1' }, 'one left of two');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(count, { text: '0 items left', strong: '0' }, 'zero');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(count, { text: '1 item left', strong: '1' }, 'one again');
  });
});

describe('clear completed', () => {
  test('hidden when none is completed; removes the completed ones', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    assert.equal(await visible('.clear-completed'), false, 'hidden with none completed');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(() => visible('.clear-completed'), true, 'shown once one is completed');
    assert.equal((await page.locator('.clear-completed').textContent()).trim(), 'Clear completed');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(() => shownTodos(page), [
      { title: 'buy some cheese', completed: true }, { title: 'feed the cat', completed: true },
      { title: 'book a doctors appointment', completed: false },
    ], 'two completed');
    await page.locator('.clear-completed').click();
    await until(() => shownTodos(page), [{ title: 'book a doctors appointment', completed: false }], 'completed removed');
    await until(() => visible('.clear-completed'), false, 'hidden again');
    await until(count, { text: '1 item left', strong: '1' }, 'counter');
    await until(() => server.titles(), ['book a doctors appointment'], 'removed on the server too', 15000);
  });
});

describe('routing', () => {
  test('#/, #/active, #/completed filter the list; .selected follows; the back button works', async () => {
    await addAll('buy some cheese', 'feed the cat', 'book a doctors appointment');
    await item(page, 'feed the cat').locator('.toggle').click();
    await until(() => shownTodos(page).then((t) => t[1]?.completed), true, 'second completed');
    assert.deepEqual(await selectedFilters(), ['#/'], 'All selected by default');

    await page.locator('.filters a[href="#/active"]').click();
    await until(() => shownTitles(page), ['buy some cheese', 'book a doctors appointment'], 'active items');
    assert.deepEqual(await selectedFilters(), ['#/active'], 'Active selected');
    assert.equal(await hash(), '#/active');
    await until(count, { text: '2 items left', strong: '2' }, 'the counter counts all active items');

    await page.locator('.filters a[href="#/completed"]').click();
    await until(() => shownTitles(page), ['feed the cat'], 'completed items');
    assert.deepEqual(await selectedFilters(), ['#/completed'], 'Completed selected');

    await page.locator('.filters a[href="#/"]').click();
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat', 'book a doctors appointment'], 'all items');
    assert.deepEqual(await selectedFilters(), ['#/'], 'All selected');

    // Back: All -> Completed -> Active -> All (the first load).
    await page.goBack();
    await until(() => shownTitles(page), ['feed the cat'], 'back to completed');
    assert.deepEqual(await selectedFilters(), ['#/completed']);
    await page.goBack();
    await until(() => shownTitles(page), ['buy some cheese', 'book a doctors appointment'], 'back to active');
    assert.deepEqual(await selectedFilters(), ['#/active']);
    await page.goBack();
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat', 'book a doctors appointment'], 'back to all');
    assert.deepEqual(await selectedFilters(), ['#/']);
  });

  test('an item changed under a filter follows the filter', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await page.locator('.filters a[href="#/active"]').click();
    await until(() => selectedFilters(), ['#/active'], 'Active selected');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(() => shownTitles(page), ['feed the cat'], 'a completed item leaves the Active view');
    await addTodo(page, 'book a doctors appointment');
    await until(() => shownTitles(page), ['feed the cat', 'book a doctors appointment'], 'a new item shows in Active');

    await page.locator('.filters a[href="#/completed"]').click();
    await until(() => shownTitles(page), ['buy some cheese'], 'completed view');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await until(() => shownTitles(page), [], 'an item made active leaves the Completed view');
    // .main and .footer stay: there are todos, only not in this view.
    assert.equal(await visible('.footer'), true, 'footer shown in an empty filtered view');
  });

  test('the filter survives a reload', async () => {
    await addAll('buy some cheese', 'feed the cat');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await page.locator('.filters a[href="#/completed"]').click();
    await until(() => shownTitles(page), ['buy some cheese'], 'completed view');
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    await until(() => shownTitles(page), ['buy some cheese'], 'still the completed view after reload');
    assert.deepEqual(await selectedFilters(), ['#/completed']);
  });
});

describe('persistence', () => {
  test('todos, their state and their order survive a reload', async () => {
    // Not alphabetical, so a list sorted by title would show.
    await addAll('walk the dog', 'buy some cheese', 'feed the cat', 'answer mail');
    await item(page, 'buy some cheese').locator('.toggle').click();
    await item(page, 'answer mail').locator('.toggle').click();
    const expected = [
      { title: 'walk the dog', completed: false }, { title: 'buy some cheese', completed: true },
      { title: 'feed the cat', completed: false }, { title: 'answer mail', completed: true },
    ];
    await until(() => shownTodos(page), expected, 'before reload');
    for (let i = 0; i < 2; i += 1) {
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
      await until(() => shownTodos(page), expected, `after reload ${i + 1}`);
      await until(count, { text: '2 items left', strong: '2' }, 'counter after reload');
      assert.equal(await visible('.clear-completed'), true, 'clear completed shown after reload');
    }
  });

  test('a change made while the previous one is still being sent is kept (slow network)', async () => {
    const titles = ['buy some cheese', 'feed the cat', 'book a doctors appointment'];
    await addAll(...titles);
    await until(() => syncIndicator(page), synced, 'synced', 15000);
    // Each upload to the server takes 0.8 s.
    let sending = 0;
    await page.route('**/api/Todos/bulk-update', async (route) => {
      sending += 1;
      await sleep(800);
      await route.continue().catch(() => { /* the page closed */ });
    });
    for (const title of titles) {
      const before = sending;
      await item(page, title).locator('.toggle').click();  // completed ...
      await untilOk(() => sending, (n) => n > before, `completing "${title}" is being sent`, 10000);
      await item(page, title).locator('.toggle').click();  // ... and, changing my mind, active again
    }
    const active = titles.map((title) => ({ title, completed: false }));
    const onServer = async () => (await server.get('/Todos')).map((t) => ({ title: t.title, completed: t.completed }))
      .sort((a, b) => titles.indexOf(a.title) - titles.indexOf(b.title));
    await until(() => syncIndicator(page), synced, 'synced again', 15000);
    await until(() => shownTodos(page), active, 'the last change shows');
    await until(onServer, active, 'the last change on the server', 15000);
    // And stays so over more than a sync round (3 s).
    await stays(async () => [await shownTodos(page), await onServer()], [active, active], 'the last change is kept', 4000);
  });

  test('what was written before a reload is there right after it (no pending write lost)', async () => {
    // Reload immediately after the last gesture: the write must already be durable.
    await addTodo(page, 'buy some cheese');
    await addTodo(page, 'feed the cat');
    await untilOk(() => shownTitles(page), (t) => t.length === 2, 'both shown');
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    await until(() => shownTitles(page), ['buy some cheese', 'feed the cat'], 'after an immediate reload');
  });
});
