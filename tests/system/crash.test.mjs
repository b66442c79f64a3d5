// kill -9 while clients write: after a restart every acknowledged (2xx) write is there, and
// the change log agrees with the data (one row per record, its rev = sha1(canonical(record))).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertChangeLogAgrees, modelsDir, request, startServer, stopped } from './server_process.mjs';

test('acknowledged writes survive kill -9, and the change log agrees', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replicore-crash-'));
  const db = join(dir, 'todos.db');
  const models = modelsDir();
  const acknowledged = new Map();  // id -> title of the last 2xx write
  try {
    for (let round = 0; round < 3; round++) {
      const { process: server, url } = await startServer(['--db', db, '--models', models]);
      let stop = false;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; !stop && i < 10000; i++) {
          const id = `r${round}-w${w}-${i % 40}`;
          const title = `round ${round} writer ${w} write ${i}`;
          try {
            const { status } = await request(url, 'PUT', '/Todos', { id, title, created: 1700000000000 });
            if (status === 200) acknowledged.set(id, title);
          } catch {
            return;  // the server died under us: this write was not acknowledged
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300 + 200 * round));
      server.kill('SIGKILL');
      stop = true;
      await stopped(server);
      await Promise.all(writers);
    }
    assert.ok(acknowledged.size > 100, `only ${acknowledged.size} writes were acknowledged`);

    const { process: server, url } = await startServer(['--db', db, '--models', models]);
    try {
      const all = (await request(url, 'GET', '/Todos')).body;
      const byId = new Map(all.map((t) => [t.id, t]));
      for (const [id, title] of acknowledged) {
        // A write can be followed by a later unacknowledged one that still landed; the
        // title is then a later one of the same writer, never an older one.
        assert.ok(byId.has(id), `acknowledged ${id} is missing`);
        const got = byId.get(id).title;
        const seq = (s) => Number(s.split(' write ')[1]);
        assert.ok(seq(got) >= seq(title), `${id}: ${got} is older than acknowledged ${title}`);
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
