// kill -9 in the middle of large batches (create-many of 500 records, bulk-updates of 300):
// after a restart each batch is there whole or not at all, and every record's change row
// agrees with it. Runs on SQLite, and on PostgreSQL with REPLICORE_TEST_STORE=postgres.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertChangeLogAgrees, modelsDir, request, startServer, stopped } from './server_process.mjs';

const kCreate = 500;  // records per create-many
const kBulk = 300;    // updates per bulk-update

test('a server killed mid-batch leaves each batch whole or absent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replicore-crash-batch-'));
  const db = join(dir, 'todos.db');
  const models = modelsDir();
  const sent = new Set();  // batch tags sent (acknowledged or not)
  const acknowledged = new Set();
  try {
    for (let round = 0; round < 3; round++) {
      const { process: server, url } = await startServer(['--db', db, '--models', models, '--log-level', 'warn']);
      let stop = false;
      const writers = Array.from({ length: 3 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const tag = `r${round}w${w}b${i}`;
          sent.add(tag);
          try {
            let status;
            if (i % 2 === 0) {
              const records = Array.from({ length: kCreate }, (_, k) => ({
                id: `${tag}-${k}`, title: tag, created: 1700000000000 }));
              ({ status } = await request(url, 'POST', '/Todos', records));
            } else {
              // Creates through the replication path: one batch of kBulk records.
              const updates = Array.from({ length: kBulk }, (_, k) => ({
                type: 'create',
                data: { id: `${tag}-${k}`, title: tag, completed: false, created: 1700000000000 },
                change: { id: `c-${tag}-${k}`, rev: `rev-${tag}-${k}`, prev: null, checkpoint: 1,
                          modelName: 'Todo', modelId: `${tag}-${k}` },
              }));
              ({ status } = await request(url, 'POST', '/Todos/bulk-update', { updates }));
            }
            if (status >= 200 && status < 300) acknowledged.add(tag);
          } catch {
            return;  // the server died under us
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 400 + 300 * round));
      server.kill('SIGKILL');
      stop = true;
      await stopped(server);
      await Promise.all(writers);
    }
    assert.ok(acknowledged.size >= 3, `only ${acknowledged.size} batches were acknowledged`);

    const { process: server, url } = await startServer(['--db', db, '--models', models, '--log-level', 'warn']);
    try {
      const all = (await request(url, 'GET', '/Todos')).body;
      const perTag = new Map();
      for (const todo of all) perTag.set(todo.title, (perTag.get(todo.title) ?? 0) + 1);
      for (const tag of sent) {
        const n = perTag.get(tag) ?? 0;
        const whole = tag.match(/b(\d+)$/)[1] % 2 === 0 ? kCreate : kBulk;
        assert.ok(n === 0 || n === whole, `batch ${tag}: ${n} of ${whole} records (a partial batch)`);
        if (acknowledged.has(tag)) assert.equal(n, whole, `acknowledged batch ${tag} is missing`);
      }
      await assertChangeLogAgrees(url, all);
    } finally {
      server.kill('SIGTERM');
      assert.equal(await stopped(server), 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(models, { recursive: true, force: true });
  }
});
