// 100,000 records through replicore-server and back, with every request and answer body
// measured: requests are cut in chunks and /changes is paged, so no body is over a few MB.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';

import { open, remote } from '../../js/src/index.js';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel, uniqueName } from './helpers.mjs';

const COUNT = 100000;
const MAX_BODY = 4 * 1024 * 1024;

test(`${COUNT} records push and pull with no body over ${MAX_BODY / 1048576} MiB`, async (t) => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const sizes = { up: 0, down: 0, requests: 0 };
    const measuring = async (input, init) => {
      sizes.requests += 1;
      sizes.up = Math.max(sizes.up, init?.body?.length ?? 0);
      const response = await fetch(input, init);
      const text = await response.text();
      sizes.down = Math.max(sizes.down, text.length);
      const empty = response.status === 204 || response.status === 304;
      return new Response(empty ? null : text, { status: response.status, headers: response.headers });
    };
    const serverTodo = remote(`${url}/api`, { models: [todoModel], fetch: measuring }).Todo;
    const phone = await open({ name: uniqueName('big'), models: [todoModel], storage: 'memory' });
    for (let start = 0; start < COUNT; start += 10000) {
      await phone.Todo.create(Array.from({ length: 10000 }, (_, i) => ({
        id: `t${String(start + i).padStart(6, '0')}`, title: `todo number ${start + i}`,
      })));
    }
    const push = await phone.Todo.replicate(serverTodo);
    assert.equal(push.applied, COUNT);
    assert.equal(await serverTodo.count(), COUNT);

    const laptop = await open({ name: uniqueName('laptop'), models: [todoModel], storage: 'memory' });
    await serverTodo.replicate(laptop.Todo);
    assert.equal(await laptop.Todo.count(), COUNT);
    assert.deepEqual(await laptop.Todo.findById('t054321'), await phone.Todo.findById('t054321'));
    t.diagnostic(`largest request ${sizes.up} B, largest answer ${sizes.down} B, ${sizes.requests} requests`);
    assert.ok(sizes.up <= MAX_BODY, `largest request body ${sizes.up} bytes`);
    assert.ok(sizes.down <= MAX_BODY, `largest answer body ${sizes.down} bytes`);
    assert.ok(sizes.requests > 10, `cut in ${sizes.requests} requests`);
    await phone.close();
    await laptop.close();
  } finally {
    server.kill('SIGTERM');
    await stopped(server);
    rmSync(models, { recursive: true, force: true });
  }
});
