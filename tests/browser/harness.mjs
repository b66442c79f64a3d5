// Real Chromium (Debian's /usr/bin/chromium via playwright-core) with a persistent
// profile, so IndexedDB and localStorage are on disk (TOOLCHAIN.md §13). Pages come from
// a static server on 127.0.0.1 serving the repository: the package is loaded from the
// same js/src files the Node tests import. All pages share one browser context (one
// origin, one profile): they are the tabs of one user.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { chromium } = createRequire(join(root, 'js/package.json'))('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm' };
const served = ['js/', 'tests/browser/', 'web-example/', 'bench/'];

export async function startBrowser() {
  assert.ok(existsSync(join(root, 'js/dist/replicore_core.wasm')), 'build the wasm first (js/dist)');
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).slice(1);
    const file = join(root, path);
    if (!served.some((prefix) => path.startsWith(prefix)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'replicore-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: ['--no-sandbox'],
  });

  // A new tab with `page` (a path under tests/browser/) loaded and its `window.ready` set.
  async function newPage(page = 'page.html') {
    const tab = await context.newPage();
    const errors = [];
    tab.on('pageerror', (error) => errors.push(error));
    await tab.goto(`${base}/tests/browser/${page}`);
    await tab.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    tab.errors = errors;
    return tab;
  }

  // Kills the tab's renderer as a crash would (CDP Page.crash), not a polite close.
  async function crash(tab) {
    const cdp = await context.newCDPSession(tab);
    const crashed = new Promise((resolve) => tab.once('crash', resolve));
    cdp.send('Page.crash').catch(() => { /* the session dies with the page */ });
    await crashed;
    await tab.close().catch(() => {});
  }

  // Freezes or resumes the tab as the browser does to background tabs (CDP
  // Page.setWebLifecycleState): its tasks stop running, its renderer stays.
  async function setFrozen(tab, frozen) {
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Page.setWebLifecycleState', { state: frozen ? 'frozen' : 'active' });
    await cdp.detach();
  }

  async function close() {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }

  return { base, context, newPage, crash, setFrozen, close };
}

// Calls suite.<name>(...args) in the page.
export function call(page, name, ...args) {
  return page.evaluate(([fn, params]) => window.suite[fn](...params), [name, args]);
}
