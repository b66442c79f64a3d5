#!/usr/bin/env node
// The server's half of a push: POST /<model>/bulk-update of `batch` creates at a time (fresh
// ids each request, so every request writes), one keep-alive client, `reps` requests after
// `warmup`. --canonical 1 sends each record as replicore clients do (canonical JSON, keys
// sorted); 0 as LoopBack 3 clients do (keys in the order the app wrote them). With --pid
// (the server's) it also reports the server's CPU time per request from /proc, which a busy
// machine disturbs far less than latency.
//
//   node bench/server/bulk-update.mjs --url http://127.0.0.1:PORT/api [--model Todos]
//     [--batch 1000] [--reps 50] [--warmup 5] [--canonical 1] [--pid N] [--out f.json]
import http from 'node:http';
import { writeFileSync } from 'node:fs';

import { cpuMs, parseOptions } from './options.mjs';

const { args, url } = parseOptions('bulk-update.mjs', { model: 'Todos', batch: 1000, reps: 50, warmup: 5, canonical: 1 }, ['pid']);
const path = `${url.pathname.replace(/\/$/, '')}/${args.model}/bulk-update`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const canonical = Number(args.canonical) === 1;

function post(body) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, path, agent, method: 'POST',
      headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}


function body(rep) {
  const updates = [];
  for (let i = 0; i < Number(args.batch); i++) {
    const id = `bu-${rep}-${i}`;
    const data = canonical
      ? { completed: i % 3 === 0, created: 1700000000000 + i, id, title: `todo ${i} of request ${rep}` }
      : { id, title: `todo ${i} of request ${rep}`, completed: i % 3 === 0, created: 1700000000000 + i };
    updates.push({ change: { checkpoint: 1, id: `c-${id}`, modelId: id, modelName: 'Todo', prev: null, rev: `r-${id}` },
      data, type: 'create' });
  }
  return JSON.stringify({ updates });
}

const latencies = [];
let cpuStart = 0;
const total = Number(args.warmup) + Number(args.reps);
for (let rep = 0; rep < total; rep++) {
  const text = body(rep);
  if (rep === Number(args.warmup)) cpuStart = cpuMs(args.pid);
  const r = await post(text);
  if (r.status !== 204) throw new Error(`bulk-update: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  if (rep >= Number(args.warmup)) latencies.push(r.ms);
}
const cpuPerRequest = args.pid ? (cpuMs(args.pid) - cpuStart) / latencies.length : null;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
const result = { scenario: 'bulk-update', batch: Number(args.batch), canonical, reps: latencies.length,
  p50: at(0.5), p90: at(0.9), serverCpuMs: cpuPerRequest };
console.log(`| bulk-update ${args.batch} creates, ${canonical ? 'canonical' : 'LoopBack order'} | ` +
  `${result.p50.toFixed(2)} | ${result.p90.toFixed(2)} | ${cpuPerRequest === null ? '-' : cpuPerRequest.toFixed(2)} |`);
if (args.out) writeFileSync(args.out, JSON.stringify({ options: args, results: [result] }, null, 2));
