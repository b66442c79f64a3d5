// The npm package as users get it (issue 21): `npm pack` of js/ (wasm included) installed
// into an empty project, an app importing 'replicore' bundled there with a bundler from
// npm, the bundle served by the real replicore-server (--static) and run in Chromium: the
// page opens an IndexedDB database, creates a todo and replicates it to the server, and
// the server has it. Vite (no configuration: it emits the .wasm as an asset from the
// package's `new URL(..., import.meta.url)`) and esbuild (which leaves that URL alone: the
// .wasm copied next to the bundle, as js/README.md "Bundlers" says).
// Needs `(cd tests/package && npm ci)`, js/node_modules (playwright-core), js/dist built,
// REPLICORE_SERVER (default build/replicore-server) and /usr/bin/chromium (CHROMIUM_PATH).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request, startServer, stopped } from '../system/server_process.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
const { chromium } = createRequire(join(repo, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const builtWasm = readFileSync(join(repo, 'js/dist/replicore_core.wasm'));
const todoModel = readFileSync(join(repo, 'web-example/models/todo.json'), 'utf8');
const vite = join(here, 'node_modules/vite/bin/vite.js');
const esbuild = join(here, 'node_modules/esbuild/bin/esbuild');

let temp;       // everything this file writes: the tarball, the app, the bundles, a profile
let app;        // the empty project replicore is installed into
let browser;
const servers = new Set();

// Runs a command to completion (killed after `timeout` ms); resolves its stdout.
function run(command, args, { cwd, timeout = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}${signal ? `, after ${timeout} ms?` : ''}):\n${stderr}\n${stdout}`));
    });
  });
}

// Every file under dir, as paths relative to it with '/' separators.
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'));
}

before(async () => {
  for (const [bundler, file] of [['vite', vite], ['esbuild', esbuild]]) {
    assert.ok(existsSync(file), `${bundler} is missing: run (cd tests/package && npm ci)`);
  }
  temp = mkdtempSync(join(tmpdir(), 'replicore-package-'));

  // npm pack, as `npm publish` would: the tarball holds the built wasm and the sources.
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--loglevel=error',
    '--pack-destination', temp], { cwd: join(repo, 'js') }));
  const files = packed[0].files.map((file) => file.path);
  for (const wanted of ['package.json', 'index.d.ts', 'src/index.js', 'src/core.js',
    'dist/replicore_core.mjs', 'dist/replicore_core.wasm']) {
    assert.ok(files.includes(wanted), `the tarball has ${wanted}: ${files.join(', ')}`);
  }
  const wasmEntry = packed[0].files.find((file) => file.path === 'dist/replicore_core.wasm');
  assert.equal(wasmEntry.size, builtWasm.length, 'the tarball has the built wasm');
  const tarball = join(temp, packed[0].filename);

  // An empty project; the tarball has no dependencies, so the install needs no registry.
  app = join(temp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error',
    '--cache', join(temp, 'npm-cache'), tarball], { cwd: app });
  assert.ok(existsSync(join(app, 'node_modules/replicore/dist/replicore_core.wasm')), 'installed with its wasm');

  writeFileSync(join(app, 'index.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>replicore app</title></head>
<body><p id="out">loading</p><script type="module" src="./main.js"></script></body></html>
`);
  writeFileSync(join(app, 'main.js'), `import { open, remote } from 'replicore';

const todo = ${todoModel.trim()};
const out = document.getElementById('out');
// ?wasm=<url>: the app says where the .wasm is, as open()'s documented option.
const wasmAt = new URLSearchParams(location.search).get('wasm');
const wasm = wasmAt ? { locateFile: () => wasmAt } : undefined;
try {
  const db = await open({ name: 'app', models: [todo], storage: 'indexeddb', wasm });
  const created = await db.Todo.create({ title: 'created in the browser' });
  const server = remote(new URL('/api', location.href).href, { models: [todo] });
  const { conflicts } = await db.Todo.replicate(server.Todo);
  const local = await db.Todo.count();
  await db.close();
  window.__result = { ok: true, id: created.id, conflicts: conflicts.length, local };
} catch (error) {
  window.__result = { ok: false, error: String((error && error.stack) || error) };
}
out.textContent = JSON.stringify(window.__result);
`);

  const profile = join(temp, 'chromium-profile');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: ['--no-sandbox'], timeout: 30000,
  });
}, { timeout: 180000 });

after(async () => {
  await browser?.close().catch(() => {});
  for (const server of servers) {
    server.process.kill('SIGTERM');
    await stopped(server.process);
  }
  if (temp) rmSync(temp, { recursive: true, force: true });
});

// Serves `out` with replicore-server and runs its index.html in Chromium until the app
// reports: {result, wasmRequests ({path, status} of each .wasm fetched), logs, todos (the
// server's, afterwards)}.
async function runApp(out, query = '') {
  const server = await startServer(['--models', join(repo, 'web-example/models'), '--db', ':memory:',
    '--static', out, '--log-level', 'error']);
  servers.add(server);
  const page = await browser.newPage();
  const wasmRequests = [];
  const errors = [];
  const logs = [];
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.endsWith('.wasm')) wasmRequests.push({ path: pathname, status: response.status() });
  });
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => logs.push(`${message.type()}: ${message.text()}`));
  try {
    await page.goto(`${server.url}/index.html${query}`, { timeout: 15000 });
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30000 })
      .catch((error) => { throw new Error(`the page did not finish: ${error.message}\n${logs.join('\n')}`); });
    const result = await page.evaluate(() => window.__result);
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    assert.equal(await page.textContent('#out'), JSON.stringify(result), 'the page shows the result');
    const todos = await request(server.url, 'GET', '/Todos');
    assert.equal(todos.status, 200);
    return { result, wasmRequests, logs, todos: todos.body };
  } finally {
    await page.close();
    server.process.kill('SIGTERM');
    await stopped(server.process);
    servers.delete(server);
  }
}

// The app loaded, created its todo in IndexedDB and pushed it to the server.
function assertSynced({ result, logs, todos }) {
  assert.equal(result.ok, true, `the page failed: ${result.error}\n${logs.join('\n')}`);
  assert.equal(result.conflicts, 0);
  assert.equal(result.local, 1);
  assert.deepEqual(todos.map(({ id, title }) => ({ id, title })),
    [{ id: result.id, title: 'created in the browser' }], 'the server has the todo made in the browser');
}

// The built output has the .wasm as a file of its own, byte for byte the package's.
function wasmAsset(out) {
  const assets = filesUnder(out).filter((file) => file.endsWith('.wasm'));
  assert.equal(assets.length, 1, `one .wasm in the build output: ${filesUnder(out).join(', ')}`);
  assert.ok(readFileSync(join(out, assets[0])).equals(builtWasm), `${assets[0]} is the package's wasm`);
  return assets[0];
}

test('Vite, no configuration: the .wasm is emitted as an asset and found', { timeout: 120000 }, async () => {
  const out = join(temp, 'vite-out');
  await run(process.execPath, [vite, 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], { cwd: app });
  const asset = wasmAsset(out);
  assert.match(asset, /^assets\/replicore_core-[\w-]+\.wasm$/, 'Vite emitted it as an asset');
  const run1 = await runApp(out);
  assertSynced(run1);
  assert.deepEqual(run1.wasmRequests, [{ path: `/${asset}`, status: 200 }], 'the page loaded the asset');
});

// esbuild leaves `new URL(..., import.meta.url)` alone and needs the node:* imports of the
// package's Node-only code left out (js/README.md, "Bundlers").
async function esbuildApp(out) {
  mkdirSync(out);
  const meta = join(temp, `${relative(temp, out)}-meta.json`);
  await run(esbuild, ['main.js', '--bundle', '--format=esm', '--splitting', '--external:node:*',
    `--outdir=${out}`, `--metafile=${meta}`, '--log-level=error'], { cwd: app });
  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs);
  assert.ok(inputs.includes('node_modules/replicore/src/core.js'),
    `replicore came from the project's node_modules: ${inputs.join(', ')}`);
  copyFileSync(join(app, 'index.html'), join(out, 'index.html'));
}

test('esbuild, the .wasm copied next to the bundle: found', { timeout: 120000 }, async () => {
  const out = join(temp, 'esbuild-out');
  await esbuildApp(out);
  copyFileSync(join(app, 'node_modules/replicore/dist/replicore_core.wasm'), join(out, 'replicore_core.wasm'));
  const asset = wasmAsset(out);
  const run1 = await runApp(out);
  assertSynced(run1);
  assert.deepEqual(run1.wasmRequests, [{ path: `/${asset}`, status: 200 }], 'the page loaded the copy');
});

test('esbuild, the .wasm not copied: open() rejects saying where it looked', { timeout: 120000 }, async () => {
  const out = join(temp, 'esbuild-nowasm-out');
  await esbuildApp(out);
  assert.deepEqual(filesUnder(out).filter((file) => file.endsWith('.wasm')), []);
  const { result, wasmRequests, todos } = await runApp(out);
  assert.equal(result.ok, false);
  assert.match(result.error, /could not load its WebAssembly from http:\/\/127\.0\.0\.1:\d+\/replicore_core\.wasm .*"Bundlers"/);
  // (the glue asks twice: streaming, then its ArrayBuffer fallback)
  assert.ok(wasmRequests.length > 0 && wasmRequests.every((r) => r.path === '/replicore_core.wasm' && r.status === 404),
    JSON.stringify(wasmRequests));
  assert.deepEqual(todos, []);
});

test("esbuild, the .wasm elsewhere: the app's wasm.locateFile wins", { timeout: 120000 }, async () => {
  const out = join(temp, 'esbuild-elsewhere-out');
  await esbuildApp(out);
  mkdirSync(join(out, 'files'));
  copyFileSync(join(app, 'node_modules/replicore/dist/replicore_core.wasm'), join(out, 'files/core.wasm'));
  const asset = wasmAsset(out);
  const run1 = await runApp(out, `?wasm=/${asset}`);
  assertSynced(run1);
  assert.deepEqual(run1.wasmRequests, [{ path: '/files/core.wasm', status: 200 }]);
});
