// Starts and stops replicore-server for the process-level tests.
import { spawn } from 'node:child_process';
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

// Resolves {process, url, stdout} once the server printed its URL (its first stdout line);
// stdout() is everything it printed there so far.
export function startServer(args) {
  const child = spawn(serverBinary, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
