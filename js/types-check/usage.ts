// Compiled with tsc --noEmit: the README's usage must type-check against index.d.ts.
import { open, destroy, remote, revision, ReplicoreError, type Conflict } from 'replicore';

interface Todo { id: string; title: string; completed: boolean; created: number }

const todoDefinition = {
  name: 'Todo',
  properties: { id: { type: 'string', id: true, defaultFn: 'guid' as const }, title: 'string' },
};

async function main(): Promise<void> {
  const db = await open({ name: 'todos', models: [todoDefinition], storage: 'indexeddb', durability: 'strict' });
  const Todo = db.model<Todo>('Todo');
  const todo: Todo = await Todo.create({ title: 'eat food' });
  const many: Todo[] = await Todo.create([{ title: 'a' }, { title: 'b' }]);
  const open_: Todo[] = await Todo.find({ where: { completed: false }, order: 'title ASC', limit: 10 });
  const count: number = await Todo.count({ completed: true });
  Todo.on('change', (e) => { if (e.type === 'save' && e.data) console.log(e.data.title); });
  db.tabs.on('state', ({ topic, value }) => console.log(topic, value));
  if (db.tabs.isLeader) db.tabs.publish('sync', { status: 'synced' });
  await db.tabs.whenLeader();
  const other = await open({ name: 'other', models: [todoDefinition], storage: 'memory' });
  const { conflicts } = await Todo.replicate(other.model<Todo>('Todo'));
  for (const conflict of conflicts as Conflict<Todo>[]) {
    const { source } = await conflict.models();
    if (source) await conflict.resolveManually({ ...source, title: 'merged' });
    else await conflict.resolveUsingTarget();
  }
  const server = remote('http://127.0.0.1:3000/api', { models: [todoDefinition], headers: () => ({ authorization: 'token' }), timeout: 5000 });
  const serverTodo = server.model<Todo>('Todo');
  await Todo.replicate(serverTodo);
  const pulled = await serverTodo.replicate(Todo);
  for (const conflict of pulled.conflicts) await conflict.resolveUsingTarget();
  const remoteOpen: Todo[] = await serverTodo.find({ where: { completed: false } });
  const sync = db.sync(server, { models: ['Todo'], interval: 2000, conflicts: 'server-wins' });
  sync.on('status', (s) => console.log(s.state, s.pending, s.error?.code));
  sync.on('progress', (p) => console.log(p.recordsSent));
  await sync.now();
  await sync.idle();
  await sync.stop();
  console.log(remoteOpen.length);
  try {
    await Todo.patchById(todo.id, { completed: true });
  } catch (error) {
    if (error instanceof ReplicoreError && error.code === 'quota') console.log('disk full');
    if (error instanceof ReplicoreError && error.code === 'network') console.log('offline', error.status);
  }
  const { rev } = await revision({ a: 1 });
  console.log(many.length, open_.length, count, rev);
  await db.close();
  await destroy('todos', { storage: 'indexeddb' });
}

void main();
