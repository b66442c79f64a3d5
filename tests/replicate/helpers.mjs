// What the server-to-server replication tests share (issue 26): the `replicate` and
// `conflicts` commands as processes, a real LoopBack 3 server, and REST reads and writes
// on an API root (http://host:port/api).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serverBinary, stopped } from '../system/server_process.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Starts `replicore-server ...args`; resolves {child, output()} at once.
export function spawnServerCommand(args) {
  const child = spawn(serverBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err = (err + chunk).slice(-20000); });
  return { child, stdout: () => out, stderr: () => err };
}

// Runs `replicore-server ...args` to its end: {code, stdout, stderr}.
export async function runServerCommand(args) {
  const run = spawnServerCommand(args);
  const code = await stopped(run.child);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

// `replicore-server replicate --models DIR ...args`, to its end.
export const replicate = (models, ...args) => runServerCommand(['replicate', '--models', models, '--quiet', ...args]);

// The LoopBack 3 reference server (memory connector, model Todo): {process, url} with url
// its API root. Its packages come from tests/interop (npm ci there).
export function startLoopBack() {
  const candidates = [join(repo, '..', 'shared', 'bench', 'server', 'loopback-server', 'server.js'),
    '/work/shared/bench/server/loopback-server/server.js'];
  const script = candidates.find((file) => existsSync(file));
  if (!script) throw new Error(`no LoopBack 3 server script in ${candidates.join(' or ')}`);
  const child = spawn(process.execPath, [script, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_PATH: join(repo, 'tests', 'interop', 'node_modules') },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`LoopBack did not start: ${stderr}`)), 30000);
    child.once('exit', (code) => reject(new Error(`LoopBack exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!stdout.includes('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ process: child, url: stdout.split('\n')[0].trim().replace(/\/$/, '') });
    });
  });
}

// One REST call on the API root `api`: the parsed body; throws on an HTTP error.
export async function rest(api, method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${api}${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// Every Todo of `api`, by id, as {title, completed} (what the tests compare).
export async function todos(api) {
  const list = await rest(api, 'GET', '/Todos');
  return new Map(list.map((todo) => [todo.id, { title: todo.title, completed: todo.completed ?? false }]));
}

// `count` Todos "<prefix>-<n>" created on `api` in requests of 5,000.
export async function seed(api, prefix, count, created = 1700000000000) {
  for (let start = 0; start < count; start += 5000) {
    const batch = [];
    for (let n = start; n < Math.min(count, start + 5000); n++) {
      batch.push({ id: `${prefix}-${String(n).padStart(6, '0')}`, title: `${prefix} ${n}`, created: created + n });
    }
    await rest(api, 'POST', '/Todos', batch);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
