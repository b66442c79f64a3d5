#!/usr/bin/env node
// The scenario load.mjs lacks: GET /<model>/count?where=W under concurrent clients, on a
// server load.mjs has seeded. Measured as load.mjs measures its duration scenarios (keep-alive
// connection per client, warm-up, then `duration` seconds; latencies of correct responses).
//
//   node bench/server/count-where.mjs --url http://127.0.0.1:PORT/api [--model Todos]
//     [--where '{"completed":false}'] [--clients 1,8,64] [--duration 5] [--warmup 1] [--out f.json]
//
// A response is correct when it is 2xx and {"count": n} with n = the count read just before.
// Prints the same Markdown row as load.mjs; --out writes {options, host, results: [...]}.
import http from 'node:http';
import os from 'node:os';
import { writeFileSync } from 'node:fs';

import { parseOptions } from './options.mjs';

const { args, url } = parseOptions('count-where.mjs', { model: 'Todos', where: '{"completed":false}', clients: '1,8,64', duration: 5, warmup: 1 });
const where = JSON.stringify(JSON.parse(args.where));
const path = `${url.pathname.replace(/\/$/, '')}/${args.model}/count?where=${encodeURIComponent(where)}`;
const levels = String(args.clients).split(',').map(Number);

function get(agent) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, path, agent, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e), ms: 0 }));
    req.end();
  });
}

function countOf(r) {
  try {
    return r.status >= 200 && r.status < 300 ? JSON.parse(r.body).count : undefined;
  } catch {
    return undefined;
  }
}

async function phase(clients, seconds, expected, record) {
  const agents = Array.from({ length: clients }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const latencies = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(agents.map(async (agent) => {
    while (Date.now() < end) {
      const r = await get(agent);
      if (!record) continue;
      if (countOf(r) === expected) latencies.push(r.ms);
      else errors++;
    }
  }));
  agents.forEach((a) => a.destroy());
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
  return { scenario: 'count-where', clients, rps: latencies.length / seconds, p50: at(0.5), p90: at(0.9),
    p99: at(0.99), max: latencies.at(-1) ?? null, ok: latencies.length, errors };
}

const expected = countOf(await get(new http.Agent()));
if (typeof expected !== 'number') {
  console.error(`count-where.mjs: GET ${path} gave no count`);
  process.exit(1);
}
const results = [];
for (const clients of levels) {
  await phase(clients, Number(args.warmup), expected, false);
  const r = await phase(clients, Number(args.duration), expected, true);
  console.error(`count-where c=${clients}: ${r.rps.toFixed(1)} req/s, p99 ${r.p99?.toFixed(2)} ms, errors ${r.errors}`);
  results.push(r);
}
const fmt = (x, d = 2) => (x === null ? '-' : x.toFixed(d));
console.log('| scenario | clients | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |');
for (const r of results) {
  console.log(`| count-where ${where} (n=${expected}) | ${r.clients} | ${fmt(r.rps, 1)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} |`);
}
if (args.out) {
  writeFileSync(args.out, JSON.stringify({ options: { ...args, where, clients: levels }, date: new Date().toISOString(),
    host: { cpus: os.cpus().length, loadavg: os.loadavg() }, count: expected, results }, null, 2));
}
process.exit(results.some((r) => r.errors) ? 1 : 0);
