#!/usr/bin/env node
// The server's half of a pull: POST /<model>/create-updates of `batch` deltas at a time,
// on a fresh server seeded with `docs` records (issue 22: records go out as the text they
// are stored as). One client, keep-alive, `reps` requests after `warmup`; prints the
// median and p90 in ms and the answer's bytes. A response is correct when it is 200 and
// a JSON array of `batch` updates, each with `data`. With --pid (the server's), it also
// reports the server's CPU time per request (from /proc), which a busy machine disturbs
// far less than latency.
//
//   node bench/server/create-updates.mjs --url http://127.0.0.1:PORT/api [--model Todos]
//     [--docs 10000] [--batch 1000] [--reps 200] [--warmup 20] [--pid N] [--out f.json]
import http from 'node:http';
import { writeFileSync } from 'node:fs';

import { cpuMs, parseOptions } from './options.mjs';

const { args, url } = parseOptions('create-updates.mjs', { model: 'Todos', docs: 10000, batch: 1000, reps: 200, warmup: 20 }, ['pid']);
const base = `${url.pathname.replace(/\/$/, '')}/${args.model}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const start = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, path, agent, method,
      headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const docs = Number(args.docs);
const batch = Number(args.batch);
for (let i = 0; i < docs; i += 1000) {
  const records = [];
  for (let j = i; j < Math.min(docs, i + 1000); j++) {
    records.push({ id: `cu-${String(j).padStart(6, '0')}`, title: `todo number ${j} with some text`,
      completed: j % 3 === 0, created: 1700000000000 + j });
  }
  const r = await call('POST', base, records);
  if (r.status !== 200) throw new Error(`seeding: HTTP ${r.status} ${r.text.slice(0, 200)}`);
}
const changes = JSON.parse((await call('GET', `${base}/changes?since=-1`)).text);
if (changes.length < batch) throw new Error(`only ${changes.length} changes`);
const deltas = changes.slice(0, batch);

const latencies = [];
let bytes = 0;
let cpuStart = 0;
for (let i = 0; i < Number(args.warmup) + Number(args.reps); i++) {
  const r = await call('POST', `${base}/create-updates`, deltas);
  const updates = r.status === 200 ? JSON.parse(r.text) : null;
  if (!Array.isArray(updates) || updates.length !== batch || !updates.every((u) => u.data)) {
    throw new Error(`create-updates: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
  bytes = r.text.length;
  if (i + 1 === Number(args.warmup)) cpuStart = cpuMs(args.pid);
  if (i >= Number(args.warmup)) latencies.push(r.ms);
}
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
const cpuPerRequest = args.pid ? (cpuMs(args.pid) - cpuStart) / latencies.length : null;
const result = { scenario: 'create-updates', docs, batch, reps: latencies.length, p50: at(0.5), p90: at(0.9),
  serverCpuMs: cpuPerRequest, bytes };
console.log(`| create-updates ${batch} of ${docs} | ${result.p50.toFixed(2)} | ${result.p90.toFixed(2)} | ` +
  `${cpuPerRequest === null ? '-' : cpuPerRequest.toFixed(2)} | ${bytes} |`);
if (args.out) writeFileSync(args.out, JSON.stringify({ options: args, results: [result] }, null, 2));
