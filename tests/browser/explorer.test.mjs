// Issue 25: the API explorer in real Chromium (Debian's, through playwright-core).
// replicore-server serves Swagger UI at /explorer/ from server/explorer (npm ci there) on
// its /openapi.json; a todo is created through the REST API, then in the explorer: expand
// GET /api/Todos, "Try it out", Execute, and its JSON is in the response. Every request the
// page makes goes to the server (no CDN). Ends with the screenshot for the README
// (server/explorer/screenshot.png).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

import { killServer, startServer, stdoutLines } from '../system/server_process.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let server;
let browser;
after(async () => {
  await browser?.close().catch(() => {});
  await killServer(server?.process);
});

test('the explorer lists GET /api/Todos and runs it against the server', async () => {
  assert.ok(existsSync(join(root, 'server/explorer/node_modules/swagger-ui-dist/swagger-ui-bundle.js')),
    'install Swagger UI first: (cd server/explorer && npm ci --ignore-scripts)');
  // The explorer's files are found from the binary (build/ -> server/explorer).
  server = await startServer(['--models', join(root, 'web-example/models'), '--db', ':memory:', '--log-level', 'error']);
  const { url } = server;
  const lines = await stdoutLines(server, /^API explorer: /);
  assert.match(lines[0], /^http:\/\/127\.0\.0\.1:\d+$/, 'the first stdout line is the bare URL');
  assert.equal(lines[1], `API explorer: ${url}/explorer/`);

  const todo = { id: 'explorer-1', title: 'Seen in the API explorer', completed: false };
  const created = await fetch(`${url}/api/Todos`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(todo),
  });
  assert.equal(created.status, 200);

  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  const elsewhere = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${url}/`)) elsewhere.push(request.url());
  });
  await page.goto(`${url}/explorer`);  // redirected to /explorer/
  assert.equal(new URL(page.url()).pathname, '/explorer/');

  const operation = page.locator('.opblock-get', {
    has: page.locator('.opblock-summary-path[data-path="/api/Todos"]'),
  });
  await operation.first().waitFor({ timeout: 30000 });
  assert.equal(await operation.count(), 1);
  await operation.locator('.opblock-summary-control').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();

  const body = operation.locator('.live-responses-table .response-col_description pre').first();
  await body.waitFor({ timeout: 15000 });
  const shown = JSON.parse(await body.innerText());
  assert.equal(shown.length, 1);
  assert.deepEqual({ id: shown[0].id, title: shown[0].title, completed: shown[0].completed }, todo);
  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  assert.equal((await status.innerText()).trim(), '200');
  const requestUrl = await operation.locator('.request-url pre').innerText();
  assert.equal(requestUrl.trim(), `${url}/api/Todos`);

  assert.deepEqual(elsewhere, [], 'the explorer loads nothing from elsewhere');
  assert.deepEqual(errors, []);

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
