// Conflicts named from this database's side (Conflict.versions / keepLocal / keepRemote),
// whichever way the replicate ran: a pull's source is the server, a push's is this database.
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
  server = await startServer(['--db', ':memory:', '--models', models]);
  api = `${server.url}/api`;
});

after(async () => {
  server.process.kill('SIGKILL');
  await stopped(server.process);
  rmSync(models, { recursive: true, force: true });
});

// A todo both sides edited since they last agreed: "phone" here, "server" there.
async function conflicting(id) {
  const db = await open({ name: uniqueName('sides'), models: [todoModel], storage: 'memory' });
  const { Todo: serverTodo } = remote(api, { models: [todoModel] });
  await db.Todo.create({ id, title: 'base' });
  await db.Todo.replicate(serverTodo);
  await db.Todo.patchById(id, { title: 'phone' });
  await serverTodo.patchById(id, { title: 'server' });
  return { db, serverTodo };
}

for (const direction of ['pull', 'push']) {
  for (const keep of ['local', 'remote']) {
    test(`a ${direction} conflict: versions() names the sides, keep${keep === 'local' ? 'Local' : 'Remote'}() converges on it`, async () => {
      const id = `${direction}-${keep}`;
      const { db, serverTodo } = await conflicting(id);
      const run = () => (direction === 'pull' ? serverTodo.replicate(db.Todo) : db.Todo.replicate(serverTodo));
      const { conflicts } = await run();
      assert.deepEqual(conflicts.map((c) => c.modelId), [id]);
      assert.equal(conflicts[0].localIsSource, direction === 'push');
      const { local, remote: theirs } = await conflicts[0].versions();
      assert.equal(local.title, 'phone');
      assert.equal(theirs.title, 'server');
      await (keep === 'local' ? conflicts[0].keepLocal() : conflicts[0].keepRemote());
      assert.deepEqual((await serverTodo.replicate(db.Todo)).conflicts, []);
      assert.deepEqual((await db.Todo.replicate(serverTodo)).conflicts, []);
      const expected = keep === 'local' ? 'phone' : 'server';
      assert.equal((await db.Todo.findById(id)).title, expected);
      assert.equal((await serverTodo.findById(id)).title, expected);
      await db.close();
    });
  }
}
