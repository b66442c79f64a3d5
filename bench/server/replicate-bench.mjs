// Issue 26's benchmark: `replicore-server replicate` between two replicore-servers and
// between replicore-server and LoopBack 3, side by side in one run. Each case times the
// command's wall clock (process start to exit) for the initial replication of N records
// and for an incremental one of 1,000 changed records after it.
//
//   node bench/server/replicate-bench.mjs [--docs 100000] [--lb-docs 2000] [--out DIR]
// (bench/server/replicate.sh runs it with the repository's build.) Writes DIR/replicate.json
// and DIR/replicate.md.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

import { modelsDir, startServer, stopped } from '../../tests/system/server_process.mjs';
import { replicate, rest, seed, startLoopBack } from '../../tests/replicate/helpers.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const DOCS = Number(option('--docs', 100000));
const LB_DOCS = Number(option('--lb-docs', 2000));
const CHANGED = 1000;
const OUT = option('--out', 'bench/server/results/issue26');

const models = modelsDir();
const dir = mkdtempSync(join(tmpdir(), 'replicore-replicate-bench-'));
const children = [];
let files = 0;
const file = (name) => join(dir, `${name}-${++files}.db`);
const log = (line) => process.stderr.write(`[replicate-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function server(db = file('server')) {
  const started = await startServer(['--models', models, '--db', db, '--log-level', 'error']);
  children.push(started.process);
  return { api: `${started.url}/api`, process: started.process };
}
async function stop(child) {
  child.kill('SIGTERM');
  await stopped(child);
}

// The 1,000 records `prefix-000000`..`prefix-000999` changed in one request (updateAll).
async function change(api, prefix, round) {
  const where = encodeURIComponent(JSON.stringify({ id: { lt: `${prefix}-${String(CHANGED).padStart(6, '0')}` } }));
  const { count: changed } = await rest(api, 'POST', `/Todos/update?where=${where}`, { title: `changed ${round}` });
  if (changed !== CHANGED) throw new Error(`changed ${changed} records, not ${CHANGED}`);
}

// Times one replicate command; fails loudly on a non-zero exit.
async function timed(label, ...replicateArgs) {
  const start = process.hrtime.bigint();
  const run = await replicate(models, ...replicateArgs);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.code !== 0) throw new Error(`${label}: exit ${run.code}: ${run.stderr}`);
  log(`${label}: ${ms.toFixed(0)} ms`);
  return ms;
}

async function count(api) { return (await rest(api, 'GET', '/Todos/count')).count; }

const rows = [];
// setup(docs) -> {target (API root), run(what) -> ms, changeSource()}.
async function measure(name, docs, setup) {
  log(`${name}: ${docs} records`);
  const { target, run, changeSource } = await setup(docs);
  const initialMs = await run('initial');
  const held = await count(target);
  if (held !== docs) throw new Error(`${name}: the target holds ${held}, not ${docs}`);
  await changeSource();
  const incrementalMs = await run('incremental');
  const changed = await rest(target, 'GET', `/Todos/r-${String(CHANGED - 1).padStart(6, '0')}`);
  if (changed.title !== 'changed 1') throw new Error(`${name}: the change did not arrive: ${JSON.stringify(changed)}`);
  rows.push({ name, docs, initialMs, incrementalMs, changed: CHANGED,
    recordsPerSecond: Math.round(docs / (initialMs / 1000)) });
}

// Source and target API roots, the source seeded; URL to URL through a relay state file.
async function urlToUrl(name, docs, source, target) {
  await seed(source, 'r', docs);
  const state = file('state');
  return { target,
    run: (what) => timed(`${name} ${what}`, '--from', source, '--to', target, '--state', state),
    changeSource: () => change(source, 'r', 1) };
}
async function loopBack() {
  const lb = await startLoopBack();
  children.push(lb.process);
  return lb.url;
}

try {
  // 1. Two replicore-servers, URL to URL (the relay --state file holds a full copy).
  await measure('replicore -> replicore, URL to URL (relay --state)', DOCS,
    async (docs) => urlToUrl('rc->rc', docs, (await server()).api, (await server()).api));
  // 2. A replicore-server's database file straight into another replicore-server: the
  // Replicator runs on the file (no relay). The file is seeded and changed through a
  // server on it, stopped before each replicate.
  await measure('replicore DB file -> replicore server (--from DB)', DOCS, async (docs) => {
    const db = file('source');
    const onFile = async (fn) => {
      const a = await server(db);
      await fn(a.api);
      await stop(a.process);
    };
    await onFile((api) => seed(api, 'r', docs));
    const b = await server();
    return { target: b.api,
      run: (what) => timed(`file->rc ${what}`, '--from', db, '--to', b.api),
      changeSource: () => onFile((api) => change(api, 'r', 1)) };
  });
  // 3. replicore-server to LoopBack 3 and back (LoopBack's memory connector).
  await measure('replicore -> LoopBack 3, URL to URL (relay --state)', LB_DOCS,
    async (docs) => urlToUrl('rc->lb', docs, (await server()).api, await loopBack()));
  await measure('LoopBack 3 -> replicore, URL to URL (relay --state)', LB_DOCS,
    async (docs) => urlToUrl('lb->rc', docs, await loopBack(), (await server()).api));
} finally {
  for (const child of children) { child.kill('SIGKILL'); await stopped(child); }
  rmSync(models, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

mkdirSync(OUT, { recursive: true });
const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version,
  date: new Date().toISOString() };
writeFileSync(join(OUT, 'replicate.json'), JSON.stringify({ machine, rows }, null, 2) + '\n');
const table = [
  '| case | records | initial ms | records/s | incremental 1,000 ms |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.docs} | ${r.initialMs.toFixed(0)} | ${r.recordsPerSecond} | ${r.incrementalMs.toFixed(0)} |`),
];
writeFileSync(join(OUT, 'replicate.md'), `${table.join('\n')}\n\n${machine.cpus} cores (${machine.model}), ${machine.date}\n`);
console.log(table.join('\n'));
