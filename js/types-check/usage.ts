// Compiled with tsc --noEmit: the README's usage must type-check against index.d.ts,
// untyped (main) and with typed models (typed); each @ts-expect-error must be an error.
import { open, destroy, remote, revision, ReplicoreError, type Conflict, type Model } from 'replicore';

interface Todo { id: string; title: string; completed: boolean; created: number }
interface Note { id: string; text: string }

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

async function typed(): Promise<void> {
  const db = await open<{ Todo: Todo; Note: Note }>({ name: 'typed', models: [todoDefinition] });
  const todo = await db.Todo.create({ title: 'typed' });
  const title: string = todo.title;
  const batch: Todo[] = await db.Todo.create([{ title: 'a' }, { title: 'b', completed: true }]);
  const found: Todo[] = await db.Todo.find({ where: { completed: false } });
  const byId: Todo | null = await db.Todo.findById(todo.id);
  const patched: Todo = await db.Todo.patchById(todo.id, { completed: true });
  const notes: Model<Note> = db.model('Note');
  const stop: () => void = db.Todo.watch({ where: { completed: false }, order: 'title ASC' },
    (todos) => console.log(todos.map((t) => t.title.toUpperCase())),
    (error) => console.log(error.code));
  stop();
  db.Todo.on('change', (e) => { if (e.type === 'save' && e.data) console.log(e.data.completed); });
  const server = remote<{ Todo: Todo; Note: Note }>('http://127.0.0.1:3000/api', { models: [todoDefinition] });
  const { conflicts } = await db.Todo.replicate(server.Todo);
  for (const conflict of conflicts) {
    const { source } = await conflict.models();
    if (source) await conflict.resolveManually({ ...source, title: `${source.title} (merged)` });
    const { local, remote: theirs } = await conflict.versions();
    if (conflict.localIsSource && local?.completed) await conflict.keepLocal();
    else if (theirs) await conflict.keepRemote();
  }
  const token = await server.login({ username: 'alice', password: 'a long password' });
  server.token = token.id;
  const pulled: Todo[] = await server.models.Todo.find();
  await db.sync(server, { models: ['Todo'] }).stop();
  console.log(title, batch.length, found.length, byId?.created, patched.completed, notes.name, pulled.length);

  // @ts-expect-error: title is a string
  await db.Todo.create({ title: 42 });
  // @ts-expect-error: completed is a boolean
  await db.Todo.patchById(todo.id, { completed: 'yes' });
  // @ts-expect-error: the listener gets Todos, not Notes
  db.Todo.watch(null, (records: Note[]) => console.log(records));
  // @ts-expect-error: no model "Nope" in the schema
  await db.Nope.find();
  // @ts-expect-error: a Note model is no replication party for Todos
  await db.Todo.replicate(db.Note);
  await db.close();
}

void main();
void typed();
