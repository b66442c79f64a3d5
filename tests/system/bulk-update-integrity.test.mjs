// bulk-update stores a record only under the id its change names: data naming another id
// is refused with 422 and nothing of the request is applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

const change = (modelId, rev, prev) => ({ modelName: 'Todo', modelId, rev, checkpoint: 1, ...(prev ? { prev } : {}) });

test('a change and its data name the same record, or the bulk-update is refused', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const good = { type: 'create', data: { id: 'ok1', title: 'fine' }, change: change('ok1', 'r1') };
    const wrongCreate = { type: 'create', data: { id: 'zz2', title: 'x' }, change: change('zz1', 'r2') };
    let reply = await request(url, 'POST', '/Todos/bulk-update', { updates: [good, wrongCreate] });
    assert.equal(reply.status, 422, JSON.stringify(reply.body));
    assert.match(reply.body.error.message, /zz1.*zz2/);
    assert.deepEqual((await request(url, 'GET', '/Todos')).body, [], 'nothing applied');

    assert.equal((await request(url, 'POST', '/Todos', { id: 'a1', title: 'original' })).status, 200);
    const last = (await request(url, 'GET', '/Todos/a1/changes/last')).body;
    const wrongUpdate = { type: 'update', data: { id: 'b9', title: 'hijack' }, change: change('a1', 'r3', last.rev) };
    reply = await request(url, 'POST', '/Todos/bulk-update', { updates: [wrongUpdate] });
    assert.equal(reply.status, 422);
    assert.equal((await request(url, 'GET', '/Todos/a1')).body.title, 'original');
    assert.equal((await request(url, 'GET', '/Todos/b9')).status, 404);

    // Data without an id takes the change's.
    reply = await request(url, 'POST', '/Todos/bulk-update', { updates: [
      { type: 'create', data: { title: 'no id' }, change: change('n1', 'r4') },
      good,
    ] });
    assert.equal(reply.status, 204, JSON.stringify(reply.body));
    assert.equal((await request(url, 'GET', '/Todos/n1')).body.title, 'no id');
    assert.equal((await request(url, 'GET', '/Todos/ok1')).body.title, 'fine');
  } finally {
    server.kill('SIGTERM');
    assert.equal(await stopped(server), 0);
    rmSync(models, { recursive: true, force: true });
  }
});
