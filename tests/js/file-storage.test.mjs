// storage: 'file' in Node: records, the change log and replication checkpoints survive a
// reopen and a killed process; one opener at a time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { destroy, open, remote } from '../../js/src/index.js';
import { modelsDir, startServer, stopped } from '../system/server_process.mjs';
import { todoModel } from './helpers.mjs';

const root = mkdtempSync(join(tmpdir(), 'replicore-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

const openAt = (directory, name = 'todos') => open({ name, models: [todoModel], storage: 'file', directory });
const all = (db) => db.Todo.find({ order: 'id ASC' });

test('records and the change log survive closing and reopening, compaction included', async () => {
  const directory = join(root, 'reopen');
  let db = await openAt(directory);
  await db.Todo.create({ id: 'a', title: 'one' });
  await db.Todo.create(Array.from({ length: 2500 }, (_, i) => ({ id: `m${String(i).padStart(4, '0')}` })));
  await db.Todo.patchById('a', { title: 'two' });
  await db.Todo.deleteById('m0001');
  const records = await all(db);
  const changes = await db.Todo.changes();
  await db.close();
  db = await openAt(directory);
  assert.deepEqual(await all(db), records);
  assert.deepEqual(await db.Todo.changes(), changes);
  await assert.rejects(openAt(directory), (error) => error.code === 'blocked');
  await db.close();
  await destroy('todos', { storage: 'file', directory });
  db = await openAt(directory);
  assert.equal(await db.Todo.count(), 0, 'destroyed');
  await db.close();
});

test('a process killed while writing loses no acknowledged write', async () => {
  const directory = join(root, 'killed');
  const entry = new URL('../../js/src/index.js', import.meta.url).href;
  const model = JSON.stringify(todoModel);
  const script = `
    const { open } = await import(${JSON.stringify(entry)});
    const db = await open({ name: 'todos', models: [${model}], storage: 'file', directory: ${JSON.stringify(directory)} });
    for (let i = 0; ; i++) {
      await db.Todo.create({ id: 'k' + String(i).padStart(5, '0') });
      process.stdout.write('k' + String(i).padStart(5, '0') + '\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged = [];
  child.stdout.on('data', (chunk) => acknowledged.push(...chunk.toString().split('\n').filter(Boolean)));
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (acknowledged.length >= 200) { clearInterval(timer); resolve(); }
    }, 10);
  });
  child.kill('SIGKILL');
  await stopped(child);
  const db = await openAt(directory);  // the dead process's LOCK is taken over
  const present = new Set((await all(db)).map((t) => t.id));
  for (const id of acknowledged) assert.ok(present.has(id), `${id} acknowledged, then lost`);
  assert.equal((await db.Todo.changes()).length, present.size, 'one change row per record');
  await db.close();
});

test('replication checkpoints survive a restart: the next replicate sends only what is new', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const directory = join(root, 'checkpoints');
    const serverTodo = remote(`${url}/api`, { models: [todoModel] }).Todo;
    let db = await openAt(directory);
    await db.Todo.create(Array.from({ length: 20 }, (_, i) => ({ id: `c${i}` })));
    assert.equal((await db.Todo.replicate(serverTodo)).applied, 20);
    await db.close();
    db = await openAt(directory);
    await db.Todo.patchById('c7', { title: 'after the restart' });
    assert.equal((await db.Todo.replicate(serverTodo)).applied, 1);
    assert.equal((await serverTodo.findById('c7')).title, 'after the restart');
    await db.close();
  } finally {
    server.kill('SIGTERM');
    await stopped(server);
    rmSync(models, { recursive: true, force: true });
  }
});
