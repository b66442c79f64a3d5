// Issue 25: how replicore-server serves the API explorer, on a stand-in explorer folder
// (Swagger UI itself is in tests/browser/explorer.test.mjs): --explorer-path, the redirect
// to the folder, our page in front of the vendored files, the explorer's URL on a later
// stdout line; missing files (the server starts, says so, /explorer/ answers 503 with the
// command, /openapi.json works); --no-explorer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { killServer, modelsDir, startServer, stdoutLines } from './server_process.mjs';

const temp = mkdtempSync(join(tmpdir(), 'replicore-explorer-'));
const models = modelsDir();
const servers = [];
after(async () => {
  for (const server of servers) await killServer(server.process);
  rmSync(temp, { recursive: true, force: true });
  rmSync(models, { recursive: true, force: true });
});

async function start(...args) {
  const server = await startServer(['--models', models, '--db', ':memory:', '--log-level', 'error', ...args]);
  servers.push(server);
  return server;
}

// A folder laid out as server/explorer after npm ci, with marked stand-in files.
function standIn() {
  const dir = mkdtempSync(join(temp, 'explorer-'));
  const vendored = join(dir, 'node_modules', 'swagger-ui-dist');
  mkdirSync(join(dir, 'public'), { recursive: true });
  mkdirSync(vendored, { recursive: true });
  writeFileSync(join(dir, 'public', 'index.html'), '<!doctype html><title>ours</title>');
  writeFileSync(join(dir, 'public', 'swagger-initializer.js'), '// ours');
  for (const file of ['index.html', 'swagger-initializer.js', 'swagger-ui-bundle.js', 'swagger-ui.css']) {
    writeFileSync(join(vendored, file), `/* vendored ${file} */`);
  }
  return dir;
}

test('the explorer at --explorer-path: our page first, then the vendored files', async () => {
  const server = await start('--explorer-dir', standIn(), '--explorer-path', '/docs/');
  const lines = await stdoutLines(server, /^API explorer: /);
  assert.equal(lines[0], server.url);
  assert.equal(lines[1], `API explorer: ${server.url}/docs/`);

  const redirect = await fetch(`${server.url}/docs`, { redirect: 'manual' });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get('location'), '/docs/');
  const page = await fetch(`${server.url}/docs/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(await page.text(), '<!doctype html><title>ours</title>');
  assert.equal(await (await fetch(`${server.url}/docs/swagger-initializer.js`)).text(), '// ours');
  const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
  assert.equal(await bundle.text(), '/* vendored swagger-ui-bundle.js */');
  assert.match(bundle.headers.get('content-type'), /^text\/javascript/);
  assert.equal((await fetch(`${server.url}/docs/nope.js`)).status, 404);
  assert.equal((await fetch(`${server.url}/explorer/`)).status, 404);  // moved
  assert.equal((await fetch(`${server.url}/openapi.json`)).status, 200);
});

test('without the files the server starts, says so, and /explorer/ answers 503', async () => {
  const missing = join(temp, 'not-installed');
  const server = await start('--explorer-dir', missing);
  const description = await fetch(`${server.url}/openapi.json`);
  assert.equal(description.status, 200);
  assert.equal((await description.json()).openapi, '3.0.3');
  const answer = await fetch(`${server.url}/explorer/`);
  assert.equal(answer.status, 503);
  const text = await answer.text();
  assert.match(text, /not installed/);
  assert.match(text, /npm ci --ignore-scripts/);
  assert.match(text, /\/openapi\.json/);
  assert.match(server.stderr(), /API explorer's files are not installed.*npm ci --ignore-scripts/);
  assert.deepEqual(server.stdout().split('\n').filter(Boolean), [server.url]);  // no explorer line
});

test('--no-explorer: no explorer, /openapi.json still served', async () => {
  const server = await start('--explorer-dir', standIn(), '--no-explorer');
  const answer = await fetch(`${server.url}/explorer/`);
  assert.equal(answer.status, 404);
  assert.equal((await answer.json()).error.message, 'Cannot GET /explorer/');
  assert.equal((await fetch(`${server.url}/explorer`, { redirect: 'manual' })).status, 404);
  assert.equal((await fetch(`${server.url}/openapi.json`)).status, 200);
  assert.deepEqual(server.stdout().split('\n').filter(Boolean), [server.url]);
});
