// Starts and stops replicore-server for the process-level tests.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const serverBinary = process.env.REPLICORE_SERVER || join(repo, 'build', 'replicore-server');
export const todoModel = JSON.parse(readFileSync(join(repo, 'web-example', 'models', 'todo.json'), 'utf8'));

// A folder with the Todo model, for --models.
export function modelsDir() {
  const dir = mkdtempSync(join(tmpdir(), 'replicore-models-'));
  writeFileSync(join(dir, 'todo.json'), JSON.stringify(todoModel));
  return dir;
}

// REPLICORE_TEST_STORE=postgres (with REPLICORE_PG_URL, tests/pg/with-postgres.sh) runs the
// same tests on servers backed by PostgreSQL: `--db :memory:` (or no --db) becomes a fresh
// schema, a file path a schema named after it, so a restart finds its data. Servers with
// --users keep SQLite (users are not stored in PostgreSQL).
let freshSchemas = 0;
export function storeArgs(args) {
  if (process.env.REPLICORE_TEST_STORE !== 'postgres') return args;
  if (args.includes('--users') || args.includes('--allow-signup')) return args;
  const url = process.env.REPLICORE_PG_URL;
  if (!url) throw new Error('REPLICORE_TEST_STORE=postgres needs REPLICORE_PG_URL (tests/pg/with-postgres.sh)');
  const out = [...args];
  const at = out.indexOf('--db');
  const db = at >= 0 ? out[at + 1] : ':memory:';
  if (/^postgres(ql)?:\/\//.test(db)) return args;  // on PostgreSQL already
  const schema = db === ':memory:' || db === undefined
    ? `rc_js_${process.pid}_${++freshSchemas}_${Date.now()}`
    : `rc_jsfile_${createHash('sha1').update(db).digest('hex').slice(0, 16)}`;
  if (at >= 0) out.splice(at, 2);
  return [...out, '--db', url, '--pg-schema', schema];
}

// Resolves {process, url, stdout} once the server printed its URL (its first stdout line);
// stdout() is everything it printed there so far.
export function startServer(args) {
  const child = spawn(serverBinary, ['--port', '0', ...storeArgs(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      const first = !stdout.includes('\n');
      stdout += chunk;
      if (!first || !stdout.includes('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ process: child, url: stdout.split('\n')[0].trim().replace(/\/$/, ''), stdout: () => stdout, stderr: () => stderr });
    });
  });
}

// Ends a server at once (kill -9) and waits for it to be gone; nothing when there is none.
export async function killServer(child) {
  if (!child) return;
  child.kill('SIGKILL');
  await stopped(child);
}

// The server's stdout lines once one matches `pattern` (its later lines: the explorer's URL).
export async function stdoutLines(server, pattern, timeoutMs = 10000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const lines = server.stdout().split('\n');
    if (lines.some((line) => pattern.test(line))) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no stdout line matches ${pattern}: ${server.stdout()}`);
}

export function stopped(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
}

export async function request(url, method, path, body) {
  const response = await fetch(`${url}/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

// LoopBack's revision of a stored record: the SHA-1 of its canonical JSON (keys sorted at
// every level, values as JSON.stringify writes them; enough for the ASCII records of tests).
function canonical(value) {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}
export const revision = (record) => createHash('sha1').update(canonical(record)).digest('hex');

// The change log of the server at `url` agrees with `records` (all its Todos): one row per
// record, and each row's rev is the record's revision.
export async function assertChangeLogAgrees(url, records) {
  const changes = (await request(url, 'GET', '/Todos/changes?since=-1')).body;
  const live = changes.filter((c) => c.rev !== null);
  const changeById = new Map(live.map((c) => [c.modelId, c]));
  assert.equal(changeById.size, live.length, 'one change row per record');
  assert.equal(live.length, records.length, 'no change row without its record');
  for (const record of records) {
    assert.ok(changeById.has(record.id), `${record.id} has no change row`);
    assert.equal(changeById.get(record.id).rev, revision(record), `${record.id}: rev disagrees with data`);
  }
}
