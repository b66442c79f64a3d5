// Many clients writing and replicating at once: the result equals a serial order (every
// record ends with its own client's last write), nothing is lost, and the change log and
// checkpoints stay consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

test('parallel writers and replicators lose nothing', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const clients = 16;
    const perClient = 40;
    const work = Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const id = `c${c}-${i}`;
        assert.equal((await request(url, 'POST', '/Todos', { id, title: 'v1' })).status, 200);
        assert.equal((await request(url, 'PATCH', `/Todos/${id}`, { title: `v2-${c}` })).status, 200);
        if (i % 10 === 0) {
          // A replication round of its own: checkpoint, then a bulk-update of fresh records.
          assert.equal((await request(url, 'POST', '/Todos/checkpoint')).status, 200);
          const rid = `bulk-c${c}-${i}`;
          const data = { id: rid, title: 'bulk', completed: false, created: 1 };
          const update = { type: 'create', data,
                           change: { modelName: 'Todo', modelId: rid, rev: 'r', checkpoint: 1 } };
          assert.equal((await request(url, 'POST', '/Todos/bulk-update', { updates: [update] })).status, 204);
        }
      }
    });
    await Promise.all(work);

    const all = (await request(url, 'GET', '/Todos')).body;
    assert.equal(all.length, clients * perClient + clients * (perClient / 10));
    for (const todo of all) {
      if (todo.id.startsWith('bulk')) continue;
      const client = todo.id.split('-')[0].slice(1);
      assert.equal(todo.title, `v2-${client}`, todo.id);
    }
    const changes = (await request(url, 'GET', '/Todos/changes?since=-1')).body;
    assert.equal(new Set(changes.map((c) => c.modelId)).size, all.length);
    const count = (await request(url, 'GET', '/Todos/count')).body.count;
    assert.equal(count, all.length);
    const checkpoint = (await request(url, 'GET', '/Todos/checkpoint')).body;
    assert.equal(checkpoint, 1 + clients * (perClient / 10));
  } finally {
    server.kill('SIGTERM');
    assert.equal(await stopped(server), 0);
    rmSync(models, { recursive: true, force: true });
  }
});
