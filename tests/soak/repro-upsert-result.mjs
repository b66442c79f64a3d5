// Finding of the soak (tests/soak/README.md, "Findings"): upsert (patchOrCreate) that
// creates a record resolves with the data as sent, not with the record stored: the
// defaults (`completed: false`) and `defaultFn` values (`created`) are in the stored record
// but missing from the answer, locally (the core) and from replicore-server (PATCH /Todos).
// create, replaceOrCreate and replaceById answer the stored record. LoopBack 3 answers
// the created instance, defaults applied.
//
//   REPLICORE_SERVER=build/replicore-server node tests/soak/repro-upsert-result.mjs
//
// Exit code 1 while the answer differs from the stored record.
import { open, remote } from '../../js/src/index.js';
import { modelsDir, startServer, todoModel } from '../system/server_process.mjs';

const { process: server, url } = await startServer(['--db', ':memory:', '--models', modelsDir()]);
const db = await open({ name: 'upsert', models: [todoModel], storage: 'memory' });
const api = remote(`${url}/api`, { models: [todoModel] });
let differs = false;
try {
  for (const [where, model] of [['local', db.Todo], ['replicore-server', api.Todo]]) {
    const answered = await model.upsert({ id: 'u1', title: 'new' });
    const stored = await model.findById('u1');
    console.log(`${where}: upsert answered`, answered, 'stored', stored);
    if (JSON.stringify(Object.keys(answered).sort()) !== JSON.stringify(Object.keys(stored).sort())) differs = true;
  }
} finally {
  await db.close();
  server.kill('SIGKILL');
}
console.log(differs ? 'DIFFERS: the answer lacks what the store added' : 'same');
process.exitCode = differs ? 1 : 0;
