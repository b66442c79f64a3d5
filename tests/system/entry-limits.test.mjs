// diff, create-updates and bulk-update carry at most 50,000 entries: more is a 413 answered
// at once (it used to hold the server for seconds and grow it by hundreds of MB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

async function timed(promise) {
  const start = Date.now();
  const reply = await promise;
  return { ...reply, ms: Date.now() - start };
}

test('too many entries in one replication request: 413, fast; the limit itself passes', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const changes = (n) => Array.from({ length: n }, (_, i) => ({ modelName: 'Todo', modelId: `m${i}`, rev: `r${i}`, checkpoint: 1 }));
    for (const [path, body] of [
      ['/Todos/diff?since=0', changes(200000)],
      ['/Todos/create-updates', changes(200000)],
      ['/Todos/bulk-update', { updates: Array(1000000).fill(null) }],
    ]) {
      const reply = await timed(request(url, 'POST', path, body));
      assert.equal(reply.status, 413, `${path}: ${JSON.stringify(reply.body).slice(0, 200)}`);
      assert.match(reply.body.error.message, /at most 50000 a request/);
      assert.ok(reply.ms < 5000, `${path} answered in ${reply.ms} ms`);
    }
    const atLimit = await request(url, 'POST', '/Todos/diff?since=0', changes(50000));
    assert.equal(atLimit.status, 200);
    assert.equal(atLimit.body.deltas.length, 50000);
    assert.equal((await request(url, 'GET', '/Todos/count')).status, 200, 'still serving');
  } finally {
    server.kill('SIGTERM');
    assert.equal(await stopped(server), 0);
    rmSync(models, { recursive: true, force: true });
  }
});
