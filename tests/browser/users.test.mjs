// Two users in real Chromium (two browser contexts: two people, two profiles) against one
// replicore-server with --users and the Todo model owned by its users. In each context a
// page opens an IndexedDB database, logs in as its user, creates todos (one id both users
// create) and syncs; each page ends with only its user's todos, a todo A writes elsewhere
// (through the REST API) reaches A's page only, and GET /api/Todos with each user's token
// shows only that user's. The package is served by the server itself (--static), the page
// (an import map and a module, as web-example/index.html does) is handed to the browser
// at the server's origin by Playwright.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

import { killServer, serverBinary, startServer, todoModel } from '../system/server_process.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const temp = mkdtempSync(join(tmpdir(), 'replicore-users-browser-'));
const PASSWORDS = { alice: 'alice-browser-pw-1', bob: 'bob-browser-pw-2' };
let child;
let browser;

after(async () => {
  await browser?.close().catch(() => {});
  await killServer(child);
  rmSync(temp, { recursive: true, force: true });
});

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>replicore users</title>
<script type="importmap">{ "imports": { "replicore": "/replicore/src/index.js" } }</script>
<script type="module">
  import * as replicore from 'replicore';
  window.replicore = replicore;
  window.ready = true;
</script>`;

// In the page: opens the IndexedDB database, logs in, writes `todos`, starts live sync and
// waits (bounded) for a round that sent them. Resolves {session, databases, status}.
async function begin(page, { username, password, todos, model }) {
  return page.evaluate(async ({ username, password, todos, model }) => {
    const { open, remote } = window.replicore;
    const db = await open({ name: 'todos', models: [model] });
    const server = remote(`${location.origin}/api`, { models: [model] });
    const session = await server.login({ username, password });
    for (const todo of todos) await db.Todo.create(todo);
    const sync = db.sync(server, { interval: 200 });
    window.app = { db, server, sync };
    await sync.now();
    // Bounded: a sync that cannot settle (a conflict it should never have) shows its status.
    await Promise.race([sync.idle(), new Promise((resolve) => setTimeout(resolve, 8000))]);
    const databases = (await indexedDB.databases()).map((d) => d.name);
    return { session, databases, status: sync.status };
  }, { username, password, todos, model });
}

const pageTodos = (page) => page.evaluate(async () => (await window.app.db.Todo.find({ order: 'id ASC' }))
  .map(({ id, title }) => ({ id, title })));

async function serverTodos(url, token) {
  const response = await fetch(`${url}/api/Todos`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()).map(({ id, title }) => ({ id, title })).sort((x, y) => x.id.localeCompare(y.id));
}

async function until(get, expected, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let value;
  for (;;) {
    value = await get();
    if (JSON.stringify(value) === JSON.stringify(expected)) return;
    if (Date.now() > end) assert.deepEqual(value, expected, `${what} (after ${timeout} ms)`);
    await sleep(100);
  }
}

test('two users in two browser contexts: each page syncs and ends with its user\'s todos only', { timeout: 80000 }, async () => {
  assert.ok(existsSync(join(root, 'js/dist/replicore_core.wasm')), 'js/dist holds the wasm');
  const models = join(temp, 'models');
  mkdirSync(models);
  writeFileSync(join(models, 'todo.json'), JSON.stringify({ ...todoModel, ownership: 'owner' }));
  const db = join(temp, 'users.db');
  for (const name of ['alice', 'bob']) {
    execFileSync(serverBinary, ['user', 'add', name, '--db', db], { input: `${PASSWORDS[name]}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  const started = await startServer(['--users', '--models', models, '--db', db, '--log-level', 'error',
    '--static', `/replicore/src=${join(root, 'js/src')}`, '--static', `/replicore/dist=${join(root, 'js/dist')}`]);
  child = started.process;
  const { url } = started;

  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const pages = {};
  for (const user of ['alice', 'bob']) {
    const context = await browser.newContext();
    await context.route(`${url}/t/users.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(error.message));
    await page.goto(`${url}/t/users.html`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
    pages[user] = page;
  }

  const letter = { alice: 'A', bob: 'B' };
  const written = {
    alice: [{ id: 'a-1', title: 'A: one' }, { id: 'a-2', title: 'A: two' }, { id: 'same-id', title: 'A: same id' }],
    bob: [{ id: 'b-1', title: 'B: one' }, { id: 'same-id', title: 'B: same id' }],
  };
  const sessions = {};
  for (const user of ['alice', 'bob']) {
    const began = await begin(pages[user], { username: user, password: PASSWORDS[user], todos: written[user], model: todoModel });
    assert.deepEqual(Object.keys(began.session).sort(), ['created', 'id', 'ttl', 'userId']);
    assert.ok(began.databases.some((name) => name.includes('todos')), `the page's IndexedDB databases: ${began.databases}`);
    assert.equal(began.status.state, 'idle', `${user}'s first sync: ${JSON.stringify(began.status)}`);
    assert.equal(began.status.pending, 0, `${user}'s first sync: ${JSON.stringify(began.status)}`);
    sessions[user] = began.session;
  }
  assert.notEqual(sessions.alice.userId, sessions.bob.userId);

  // A todo A writes on another device (the REST API with A's token) reaches A's page only.
  const elsewhere = await fetch(`${url}/api/Todos`, {
    method: 'POST', headers: { authorization: sessions.alice.id, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'a-elsewhere', title: 'A: from elsewhere' }),
  });
  assert.equal(elsewhere.status, 200);
  // And B's page has a round after both pages' todos were on the server.
  await pages.bob.evaluate(() => window.app.sync.now());

  const expected = {
    alice: [...written.alice, { id: 'a-elsewhere', title: 'A: from elsewhere' }].sort((x, y) => x.id.localeCompare(y.id)),
    bob: [...written.bob].sort((x, y) => x.id.localeCompare(y.id)),
  };
  for (const user of ['alice', 'bob']) {
    await until(() => pageTodos(pages[user]), expected[user], `${user}'s page`);
    await pages[user].evaluate(() => window.app.sync.now());
    assert.deepEqual(await pageTodos(pages[user]), expected[user], `${user}'s page after another round`);
    for (const todo of await pageTodos(pages[user])) assert.ok(todo.title.startsWith(`${letter[user]}:`), JSON.stringify(todo));
    const status = await pages[user].evaluate(() => window.app.sync.status);
    assert.equal(status.state, 'idle', JSON.stringify(status));
    assert.equal(status.pending, 0);
    assert.deepEqual(await serverTodos(url, sessions[user].id), expected[user], `GET /api/Todos with ${user}'s token`);
  }
  const anonymous = await fetch(`${url}/api/Todos`);
  assert.equal(anonymous.status, 401, 'GET /api/Todos without a token');
  for (const user of ['alice', 'bob']) {
    await pages[user].evaluate(() => window.app.db.close());
    assert.deepEqual(pages[user].errors, [], `${user}'s page errors`);
  }
});
