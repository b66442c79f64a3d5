// JSON nested past the limit (100 levels), in every place a body or a query enters, is a
// 400 that costs the server little; the server stays up, and what it accepted (up to the
// limit) stays readable by every query afterwards (no model poisoned).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

const nested = (depth, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

async function raw(url, method, path, body, type = 'application/json') {
  const response = await fetch(`${url}/api${path}`, { method, headers: { 'content-type': type }, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test('deep JSON is refused with 400 everywhere it can enter; accepted records stay readable', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const million = nested(1000000);
    const cases = [
      ['POST', '/Todos', `{"id":"deep","title":"x","meta":{"a":${million}}}`],
      ['PUT', '/Todos/deep', `{"title":"x","meta":${million}}`],
      ['POST', '/Todos/diff', `[{"modelId":"a","rev":"r","checkpoint":1,"x":${million}}]`],
      ['POST', '/Todos/create-updates', `[${million}]`],
      ['POST', '/Todos/bulk-update', `{"updates":[{"type":"create","data":{"id":"z","meta":${million}},"change":{"modelId":"z","rev":"r"}}]}`],
      ['POST', '/Todos', nested(10000, '{}')],
      ['POST', '/Todos', `{"id":"just-over","meta":${nested(100)}}`],  // the record itself is a level
    ];
    for (const [method, path, body] of cases) {
      const reply = await raw(url, method, path, body);
      assert.equal(reply.status, 400, `${method} ${path}: ${JSON.stringify(reply.body).slice(0, 200)}`);
      assert.match(reply.body.error.message, /nested deeper than 100 levels/);
    }
    const deepFilter = encodeURIComponent(JSON.stringify({ where: { and: [JSON.parse(nested(150, '{}'))] } }));
    assert.equal((await request(url, 'GET', `/Todos?filter=${deepFilter}`)).status, 400);
    // The bracket form nests 5 levels at most (qs): the rest of the key stays one literal key.
    const bracket = 'filter' + '[where]'.repeat(150) + '=1';
    assert.equal((await request(url, 'GET', `/Todos?${bracket}`)).status, 400);
    const form = await raw(url, 'POST', '/Todos', `id=f&meta${'[a]'.repeat(150)}=1`, 'application/x-www-form-urlencoded');
    assert.equal(form.status, 200);
    assert.equal((await request(url, 'GET', '/Todos/f')).status, 200);

    // At the limit: accepted, and every read of the model still works.
    const atLimit = `{"id":"at-limit","title":"deep","meta":${nested(99)}}`;  // 100 levels
    assert.equal((await raw(url, 'POST', '/Todos', atLimit)).status, 200);
    assert.equal((await request(url, 'GET', '/Todos/at-limit')).status, 200);
    const where = encodeURIComponent(JSON.stringify({ where: { title: 'deep' } }));
    const found = await request(url, 'GET', `/Todos?filter=${where}`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.map((t) => t.id), ['at-limit']);
    assert.equal((await request(url, 'GET', '/Todos')).body.length, 2);
    assert.equal((await request(url, 'GET', `/Todos/count?where=${encodeURIComponent('{"title":"deep"}')}`)).body.count, 1);
    assert.equal((await request(url, 'GET', '/Todos/changes?since=-1')).status, 200);
    assert.equal(server.exitCode, null, 'the server is still running');
  } finally {
    server.kill('SIGTERM');
    assert.equal(await stopped(server), 0);
    rmSync(models, { recursive: true, force: true });
  }
});
