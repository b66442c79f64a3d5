// Local writes made while a sync round is in flight, at each of its requests: none is lost
// and none conflicts with the device's own earlier write (found by the web example's tests:
// a toggle back during an upload came back from the server undone; a delete during a pull
// conflicted with itself). Real replicore-server; the device's fetch runs the second write
// just before its n-th request of the round.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';

import { open, remote } from '../../js/src/index.js';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const models = modelsDir();
let server;
let api;

before(async () => {
  server = await startServer(['--db', ':memory:', '--models', models, '--log-level', 'off']);
  api = `${server.url}/api`;
});

after(async () => {
  server.process.kill('SIGKILL');
  await stopped(server.process);
  rmSync(models, { recursive: true, force: true });
});

const SECOND_WRITES = {
  'toggled back': async (Todo, id) => Todo.patchById(id, { completed: false }),
  deleted: async (Todo, id) => Todo.deleteById(id),
  'edited again': async (Todo, id) => Todo.patchById(id, { title: 'again' }),
};

for (const [name, secondWrite] of Object.entries(SECOND_WRITES)) {
  test(`completed, then ${name} during each request of the round: both sides end on the last write`, async () => {
    for (let n = 1; n <= 12; n += 1) {
      let requests = 0;
      let beforeRequest = null;
      const fetchWithHook = async (url, init) => {
        requests += 1;
        if (beforeRequest) await beforeRequest(requests);
        return fetch(url, init);
      };
      const db = await open({ name: uniqueName('race'), models: [todoModel], storage: 'memory' });
      const { Todo: serverTodo } = remote(api, { models: [todoModel] });
      const sync = db.sync(remote(api, { models: [todoModel], fetch: fetchWithHook }),
        { models: ['Todo'], live: false, conflicts: 'manual' });
      const conflicts = [];
      sync.on('conflict', (conflict) => conflicts.push(conflict.modelId));
      const id = `${name.replace(/ /g, '-')}-${n}`;
      await db.Todo.create({ id, title: 'first', completed: false });
      await sync.now();
      await db.Todo.patchById(id, { completed: true });
      requests = 0;
      let wrote = false;
      beforeRequest = async (count) => {
        if (count !== n) return;
        beforeRequest = null;
        await secondWrite(db.Todo, id);
        wrote = true;
      };
      await sync.now();
      if (!wrote) {  // past the round's last request: every request was covered
        assert.ok(n > 5, `a round of only ${n - 1} requests`);
        await sync.stop();
        await db.close();
        break;
      }
      await sync.now();
      await sync.now();
      const expected = await db.Todo.findById(id);
      assert.deepEqual(await serverTodo.findById(id), expected, `n=${n}: the server equals the device`);
      if (name === 'deleted') assert.equal(expected, null, `n=${n}: the delete stands`);
      else assert.equal(name === 'toggled back' ? expected.completed : expected.title,
        name === 'toggled back' ? false : 'again', `n=${n}: the last write stands`);
      assert.deepEqual(conflicts, [], `n=${n}: no conflict with its own write`);
      assert.equal(sync.status.pending, 0, `n=${n}: nothing left to send`);
      await sync.stop();
      await db.close();
    }
  });
}
