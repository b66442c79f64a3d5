// Shared by the web-example tests (todomvc, story, conflict): replicore-server serving the
// app exactly as the main job does (`bash .ci/run serve`), real Chromium (Debian's, through
// playwright-core), one persistent profile per device, and bounded polling.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const serverBinary = (() => {
  const path = process.env.REPLICORE_SERVER || 'build/replicore-server';
  return isAbsolute(path) ? path : join(root, path);
})();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Temp dirs to remove at the end (cleanup()).
const temps = [];
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `replicore-${prefix}-`));
  temps.push(dir);
  return dir;
}

// ---------------------------------------------------------------- the server

function spawnServer(dbPath, port) {
  const child = spawn(serverBinary, [
    '--models', 'web-example/models', '--db', dbPath, '--port', String(port), '--log-level', 'error',
    '--static', 'web-example', '--static', '/replicore/src=js/src', '--static', '/replicore/dist=js/dist',
  ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start: ${stderr}`)); }, 15000);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited (${code ?? signal}): ${stderr}`)); });
    child.stdout.once('data', (chunk) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout.resume();
      resolve({ child, url: chunk.toString().split('\n')[0].trim().replace(/\/$/, '') });
    });
  });
}

const servers = new Set();

// replicore-server on a fresh database (or `dbPath`), serving web-example as the main job
// does. `kill()` is kill -9; `restart()` brings it back on the same port and database.
export async function startServer({ dbPath } = {}) {
  assert.ok(existsSync(serverBinary), `no replicore-server at ${serverBinary} (REPLICORE_SERVER)`);
  assert.ok(existsSync(join(root, 'js/dist/replicore_core.wasm')), 'build the wasm first (js/dist)');
  const db = dbPath ?? join(tempDir('app'), 'app.db');
  const server = { db, child: null, url: null, port: null };
  Object.assign(server, await spawnServer(db, 0));
  server.port = Number(new URL(server.url).port);
  servers.add(server);

  server.kill = async () => {
    const { child } = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  server.stop = async () => {
    await server.kill();
    servers.delete(server);
  };
  server.restart = async () => {
    await server.kill();
    // The port may still be held for a moment (connections being torn down): retry.
    let lastError;
    for (const end = Date.now() + 15000; Date.now() < end;) {
      try {
        const { child, url } = await spawnServer(db, server.port);
        server.child = child;
        assert.equal(url, server.url, 'the restarted server listens on the same URL');
        return;
      } catch (error) {
        lastError = error;
        await sleep(200);
      }
    }
    throw lastError;
  };
  // GET /api<path> as JSON.
  server.get = async (path) => {
    const response = await fetch(`${server.url}/api${path}`);
    assert.equal(response.status, 200, `GET /api${path}: ${response.status}`);
    return response.json();
  };
  // The titles on the server, sorted (the server's order is not the app's).
  server.titles = async () => (await server.get('/Todos')).map((t) => t.title).sort();
  return server;
}

// ---------------------------------------------------------------- the browser

const devices = new Set();
const browsers = new Set();

// One Chromium for many short-lived devices (openDevice(url, {browser})).
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  browsers.add(browser);
  return browser;
}

// A device with one page on the app at `url`, started (data-ready): by default its own
// Chromium with its own persistent profile (IndexedDB, service worker, cache on disk);
// with `browser`, a new context of it (its own in-memory profile). `page.errors` collects
// the page's uncaught errors and console errors (but not failed resource loads, which
// offline is all about). `close()` ends it.
export async function openDevice(url, { viewport = { width: 900, height: 700 }, browser } = {}) {
  let context;
  if (browser) {
    context = await browser.newContext({ viewport });
  } else {
    context = await chromium.launchPersistentContext(tempDir('profile'), {
      executablePath, headless: true, args: ['--no-sandbox'], viewport,
    });
  }
  const device = { context };
  device.close = async () => {
    devices.delete(device);
    await context.close().catch(() => {});
  };
  devices.add(device);
  const page = context.pages()[0] ?? await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) page.errors.push(`console.error: ${message.text()}`);
  });
  device.page = page;
  await page.goto(url);
  await appReady(page);
  return device;
}

// Waits for the app to have started (<html data-ready="true">).
export async function appReady(page, timeout = 20000) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout });
}

// Closes every browser and server and removes the temp dirs.
export async function cleanup() {
  for (const device of devices) await device.context.close().catch(() => {});
  devices.clear();
  for (const browser of browsers) await browser.close().catch(() => {});
  browsers.clear();
  for (const server of servers) await server.kill().catch(() => {});
  servers.clear();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- polling

// Polls `get()` until its value deep-equals `expected` (bounded); fails with the last value.
export function until(get, expected, what, timeout = 10000, every = 50) {
  return untilOk(get, (value) => isDeepEqual(value, expected), what, timeout, every,
    (value) => assert.deepEqual(value, expected, `${what} (still not so after ${timeout} ms)`));
}

// Polls `get()` until `ok(value)` (bounded); resolves to the value, fails with the last one.
export async function untilOk(get, ok, what, timeout = 10000, every = 50,
  fail = (value) => assert.fail(`${what} (still not so after ${timeout} ms; last: ${JSON.stringify(value)})`)) {
  const end = Date.now() + timeout;
  let value;
  for (;;) {
    try {
      value = await get();
    } catch (error) {
      value = `threw: ${error.message}`;
    }
    if (ok(value)) return value;
    if (Date.now() >= end) fail(value);
    await sleep(every);
  }
}

// Checks that `get()` keeps deep-equalling `expected` for `duration` ms (something that must
// not happen, e.g. a todo reaching a server it has no way to reach).
export async function stays(get, expected, what, duration, every = 100) {
  const end = Date.now() + duration;
  do {
    assert.deepEqual(await get(), expected, what);
    await sleep(every);
  } while (Date.now() < end);
}

function isDeepEqual(a, b) {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- reading the app

// The todos the list shows, in order: [{title, completed}], `completed` from both the li's
// class and its checkbox (they must agree).
export function shownTodos(page) {
  return page.$$eval('.todo-list li', (lis) => lis.map((li) => {
    const completed = li.classList.contains('completed');
    const checked = li.querySelector('.toggle')?.checked;
    return { title: li.querySelector('label')?.textContent, completed: completed === checked ? completed : `class ${completed}, checkbox ${checked}` };
  }));
}

// Just the titles shown, in order.
export async function shownTitles(page) {
  return (await shownTodos(page)).map((t) => t.title);
}

// The titles shown, sorted (for tests about sync, not about the list's order).
export async function shownSet(page) {
  return (await shownTitles(page)).sort();
}

// The sync indicator: {state, pending, waitingShown}.
export function syncIndicator(page) {
  return page.$eval('.sync', (el) => ({
    state: el.dataset.state,
    pending: el.querySelector('.sync-pending')?.textContent,
    waitingShown: !el.querySelector('.sync-waiting')?.hidden,
  }));
}

// The conflicts panel: {shown, conflicts: [{id, local, remote}]} (with `details`: `{id,
// local, remote, merge (the .merge-title value), disabled (its buttons), error (the shown
// error text)}`).
export function conflictPanel(page, { details = false } = {}) {
  return page.$eval('.conflicts', (section, withDetails) => ({
    shown: !section.hidden && getComputedStyle(section).display !== 'none',
    conflicts: [...section.querySelectorAll('li.conflict')].map((li) => {
      const entry = {
        id: li.dataset.id,
        local: li.querySelector('.conflict-local')?.textContent,
        remote: li.querySelector('.conflict-remote')?.textContent,
      };
      if (!withDetails) return entry;
      const error = li.querySelector('.conflict-error');
      return { ...entry, merge: li.querySelector('.merge-title')?.value,
        disabled: [...li.querySelectorAll('button')].every((b) => b.disabled),
        error: error && !error.hidden ? error.textContent : null };
    }),
  }), details);
}

// Adds a todo as a person does: types it into .new-todo and presses Enter.
export async function addTodo(page, title) {
  await page.locator('.new-todo').fill(title);
  await page.locator('.new-todo').press('Enter');
}

// The <li> showing `title`.
export function item(page, title) {
  return page.locator('.todo-list li').filter({ has: page.locator('label', { hasText: new RegExp(`^${escape(title)}$`) }) });
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Changes a todo's title as a person does: double-click, select all, type, Enter.
export async function editTitle(page, title, newTitle) {
  await item(page, title).locator('label').dblclick();
  const edit = page.locator('.todo-list li.editing .edit');
  await edit.fill(newTitle);
  await edit.press('Enter');
}
