// Issue 25: the API explorer in real Chromium (Debian's, through playwright-core).
// replicore-server serves Swagger UI at /explorer/ from server/explorer (npm ci there) on
// its /openapi.json; a todo is created through the REST API, then in the explorer: expand
// GET /api/Todos, "Try it out", Execute, and its JSON is in the response. Every request the
// page makes goes to the server (no CDN). Takes the screenshot for the README
// (server/explorer/screenshot.png). With users, a login's token typed into Authorize
// (the bearer scheme of an owned model) lets GET /api/Notes answer that user's note.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

import { killServer, startServer, stdoutLines } from '../system/server_process.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const temp = mkdtempSync(join(tmpdir(), 'replicore-explorer-browser-'));
const servers = [];
let browser;
after(async () => {
  await browser?.close().catch(() => {});
  for (const server of servers) await killServer(server.process);
  rmSync(temp, { recursive: true, force: true });
});

async function start(args) {
  // The explorer's files are found from the binary (build/ -> server/explorer).
  const server = await startServer([...args, '--db', ':memory:', '--log-level', 'error']);
  servers.push(server);
  return server;
}

// A page on the server's explorer, its uncaught errors and the requests to elsewhere kept.
async function openExplorer(url) {
  browser ??= await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.errors = [];
  page.elsewhere = [];
  page.on('pageerror', (error) => page.errors.push(error));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${url}/`)) page.elsewhere.push(request.url());
  });
  await page.goto(`${url}/explorer`);  // redirected to /explorer/
  assert.equal(new URL(page.url()).pathname, '/explorer/');
  return page;
}

// Expands GET `path`, tries it out and executes it; resolves the operation's block and the
// response body's element.
async function execute(page, path) {
  const operation = page.locator('.opblock-get', {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await operation.first().waitFor({ timeout: 30000 });
  assert.equal(await operation.count(), 1);
  await operation.locator('.opblock-summary-control').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const body = operation.locator('.live-responses-table .response-col_description pre').first();
  await body.waitFor({ timeout: 15000 });
  return { operation, body };
}

async function post(url, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = token;
  const response = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal(response.status, 200, `POST ${path}`);
  return response.json();
}

test('the explorer lists GET /api/Todos and runs it against the server', async () => {
  assert.ok(existsSync(join(root, 'server/explorer/node_modules/swagger-ui-dist/swagger-ui-bundle.js')),
    'install Swagger UI first: (cd server/explorer && npm ci --ignore-scripts)');
  const server = await start(['--models', join(root, 'web-example/models')]);
  const { url } = server;
  const lines = await stdoutLines(server, /^API explorer: /);
  assert.match(lines[0], /^http:\/\/127\.0\.0\.1:\d+$/, 'the first stdout line is the bare URL');
  assert.equal(lines[1], `API explorer: ${url}/explorer/`);

  const todo = { id: 'explorer-1', title: 'Seen in the API explorer', completed: false };
  await post(url, '/api/Todos', todo);

  const page = await openExplorer(url);
  const { operation, body } = await execute(page, '/api/Todos');
  const shown = JSON.parse(await body.innerText());
  assert.equal(shown.length, 1);
  assert.deepEqual({ id: shown[0].id, title: shown[0].title, completed: shown[0].completed }, todo);
  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  assert.equal((await status.innerText()).trim(), '200');
  const requestUrl = await operation.locator('.request-url pre').innerText();
  assert.equal(requestUrl.trim(), `${url}/api/Todos`);

  assert.deepEqual(page.elsewhere, [], 'the explorer loads nothing from elsewhere');
  assert.deepEqual(page.errors, []);

  // The picture for the README: the top of the explorer down to the executed answer.
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await body.boundingBox();
  await page.screenshot({
    path: join(root, 'server/explorer/screenshot.png'),
    fullPage: true,
    clip: { x: 0, y: 0, width: 1100, height: Math.ceil(box.y + box.height + 24) },
  });
});

test('with users: Authorize with a login\'s token, then GET /api/Notes answers that user\'s note', async () => {
  const models = mkdtempSync(join(temp, 'models-'));
  writeFileSync(join(models, 'note.json'), JSON.stringify({
    name: 'Note', plural: 'Notes', ownership: 'owner',
    properties: { id: { type: 'string', id: true }, text: 'string' },
  }));
  const { url } = await start(['--models', models, '--users', '--allow-signup']);
  const credentials = { username: 'explorer', password: 'explorer-browser-pw' };
  await post(url, '/api/Users', credentials);
  const token = (await post(url, '/api/Users/login', credentials)).id;
  await post(url, '/api/Notes', { id: 'note-1', text: 'only mine' }, token);

  const page = await openExplorer(url);
  await page.locator('.btn.authorize').first().click();
  const bearer = page.locator('.auth-container', { has: page.locator('#auth-bearer-value') });
  await bearer.locator('#auth-bearer-value').fill(token);
  await bearer.locator('button.authorize').click();
  await page.locator('.auth-container button.btn-done').first().click();

  const { operation, body } = await execute(page, '/api/Notes');
  assert.deepEqual(JSON.parse(await body.innerText()), [{ id: 'note-1', text: 'only mine' }]);
  const curl = await operation.locator('.curl-command').innerText();
  assert.match(curl, new RegExp(`Authorization: Bearer ${token}`));
  assert.deepEqual(page.errors, []);
});
