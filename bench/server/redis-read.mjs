#!/usr/bin/env node
// Issue 26: read latency of a Redis read replica against its SQLite primary. Starts two
// replicore-server processes, a primary on a SQLite file and a replica on the Redis of
// $REPLICORE_REDIS_URL (run it under tests/redis/with-redis.sh, or bench/server/redis-read.sh),
// seeds the primary with --docs Todos (POST, in parallel), fills the replica with one LoopBack
// replication round (changes, diff, create-updates, bulk-update), then measures, side by
// side in one run, --clients concurrent readers (one keep-alive connection each) doing:
//   get    GET /Todos/:id of a random id
//   find20 GET /Todos?filter={"where":{"id":{"inq":[20 random ids]}}}
//   count  GET /Todos/count
// against each server in turn (warm-up, then --duration seconds). A response counts when it
// is 200 and right (the id asked, 20 records, the count). Prints a Markdown table; --out DIR
// writes DIR/redis-read.json and DIR/redis-read.md.
//
//   tests/redis/with-redis.sh node bench/server/redis-read.mjs [--server build/replicore-server]
//     [--docs 10000] [--clients 64] [--duration 5] [--warmup 1] [--out DIR]
import http from 'node:http';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cpuMs } from './options.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = { server: join(here, '..', '..', 'build', 'replicore-server'), docs: 10000, clients: 64, duration: 5, warmup: 1, out: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args)) { console.error(`redis-read.mjs: unknown option --${key}`); process.exit(2); }
  args[key] = process.argv[i + 1];
}
const docs = Number(args.docs), clients = Number(args.clients);
const redis = process.env.REPLICORE_REDIS_URL;
if (!redis) { console.error('redis-read.mjs: REPLICORE_REDIS_URL is unset (run under tests/redis/with-redis.sh)'); process.exit(2); }

const agent = new http.Agent({ keepAlive: true, maxSockets: clients * 2 });

function call(base, method, path, body) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: base.hostname, port: base.port, path: base.pathname + path, method, agent,
      headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    req.on('error', (e) => resolve({ status: 0, text: String(e), ms: 0 }));
    req.end(data);
  });
}

async function json(base, method, path, body, want = 200) {
  const r = await call(base, method, path, body);
  if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.text ? JSON.parse(r.text) : undefined;
}

function start(db, models) {
  const child = spawn(args.server, ['--port', '0', '--db', db, '--models', models], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-2000); });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (c) => {
      out += c;
      if (!out.includes('\n')) return;
      child.removeAllListeners('exit');
      resolve({ child, base: new URL(out.split('\n')[0].trim().replace(/\/$/, '') + '/api') });
    });
  });
}

const ids = Array.from({ length: docs }, (_, i) => `todo-${String(i).padStart(6, '0')}`);
const pick = () => ids[Math.floor(Math.random() * ids.length)];

async function seed(primary, replica) {
  for (let next = 0; next < docs;) {  // 16 writers
    await Promise.all(Array.from({ length: 16 }, () => {
      const i = next++;
      if (i >= docs) return undefined;
      return json(primary, 'POST', '/Todos', { id: ids[i], title: `todo number ${i}`, completed: i % 3 === 0, created: i, tags: ['bench'] });
    }));
  }
  await json(replica, 'POST', '/Todos/checkpoint');
  const changes = await json(primary, 'GET', '/Todos/changes?since=-1');
  const diff = await json(replica, 'POST', '/Todos/diff?since=-1', changes);
  const updates = await json(primary, 'POST', '/Todos/create-updates', diff.deltas);
  await json(replica, 'POST', '/Todos/bulk-update', { updates }, 204);
  for (const base of [primary, replica]) {
    const { count } = await json(base, 'GET', '/Todos/count');
    if (count !== docs) throw new Error(`${base}: ${count} Todos, not ${docs}`);
  }
}

const scenarios = {
  get: () => {
    const id = pick();
    return { path: `/Todos/${id}`, ok: (body) => JSON.parse(body).id === id };
  },
  find20: () => {
    const wanted = Array.from({ length: 20 }, pick);
    const filter = encodeURIComponent(JSON.stringify({ where: { id: { inq: wanted } } }));
    const distinct = new Set(wanted).size;
    return { path: `/Todos?filter=${filter}`, ok: (body) => JSON.parse(body).length === distinct };
  },
  count: () => ({ path: '/Todos/count', ok: (body) => JSON.parse(body).count === docs }),
};

async function measure(base, scenario, seconds) {
  const latencies = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const { path, ok } = scenarios[scenario]();
      const r = await call(base, 'GET', path);
      let right = false;
      try { right = r.status === 200 && ok(r.text); } catch { right = false; }
      if (right) latencies.push(r.ms); else errors++;
    }
  }));
  latencies.sort((a, b) => a - b);
  const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  return { requests: latencies.length, errors, rps: latencies.length / seconds, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

const dir = mkdtempSync(join(os.tmpdir(), 'replicore-redis-bench-'));
const models = join(here, 'models');  // the Todo of the other server benchmarks
const servers = [];
try {
  const sqlite = await start(join(dir, 'primary.db'), models);
  servers.push(sqlite);
  const replica = await start(`${redis}?prefix=bench%3A${process.pid}%3A`, models);
  servers.push(replica);
  const seedStart = Date.now();
  await seed(sqlite.base, replica.base);
  console.error(`seeded ${docs} Todos and replicated them in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  const targets = [['SQLite primary', sqlite], ['Redis replica', replica]];
  const results = [];
  for (const scenario of Object.keys(scenarios)) {
    for (const [name, server] of targets) {
      await measure(server.base, scenario, Number(args.warmup));
      const redisPid = server === replica ? Number(process.env.REPLICORE_REDIS_PID) : 0;
      const cpu0 = cpuMs(server.child.pid), redisCpu0 = cpuMs(redisPid);
      const r = await measure(server.base, scenario, Number(args.duration));
      r.server_cpu_ms = cpuMs(server.child.pid) - cpu0;
      r.redis_cpu_ms = cpuMs(redisPid) - redisCpu0;  // 0 for the primary
      results.push({ scenario, store: name, clients, ...r });
      console.error(`${scenario} ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors`);
    }
  }
  const fixed = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const seconds = (ms) => (ms / 1000).toFixed(1);
  const table = ['| scenario | store | clients | req/s | p50 ms | p90 ms | p99 ms | errors | replicore-server CPU s | redis-server CPU s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.scenario} | ${r.store} | ${r.clients} | ${r.rps.toFixed(0)} | ${fixed(r.p50)} | ${fixed(r.p90)} | ${fixed(r.p99)} | ${r.errors} | ${seconds(r.server_cpu_ms)} | ${r.store === 'Redis replica' ? seconds(r.redis_cpu_ms) : '-'} |`)].join('\n');
  console.log(table);
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    const host = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
    writeFileSync(join(args.out, 'redis-read.json'), JSON.stringify({ options: { ...args, docs, clients }, host, results }, null, 2) + '\n');
    writeFileSync(join(args.out, 'redis-read.md'), table + '\n');
  }
} finally {
  for (const { child } of servers) child.kill('SIGTERM');
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
