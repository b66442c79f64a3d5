#!/usr/bin/env node
// The table of bench/server/scale-out.sh: per scenario and client count, requests per second
// and p99 (ms) of each setup, side by side (bulk-update: the median batch).
//   node bench/server/scale-out-table.mjs DIR SETUP...
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...setups] = process.argv.slice(2);
const runs = setups.map((s) => [s, existsSync(join(dir, `${s}.json`)) ? JSON.parse(readFileSync(join(dir, `${s}.json`), 'utf8')) : null]);
const number = (x, digits) => (x === null || x === undefined ? '-' : Number(x).toFixed(digits));
const rows = new Map();
for (const [, run] of runs) {
  for (const r of run?.results ?? []) rows.set(`${r.scenario}|${r.clients ?? ''}`, r);
}
const out = [`| scenario | clients | ${setups.map((s) => `${s} req/s, p99 ms`).join(' | ')} |`,
  `|---|---:|${setups.map(() => '---:').join('|')}|`];
for (const key of rows.keys()) {
  const [scenario, clients] = key.split('|');
  const cells = runs.map(([, run]) => {
    const r = run?.results.find((x) => x.scenario === scenario && String(x.clients ?? '') === clients);
    if (!r) return '-';
    const errors = r.errors ? ` (${r.errors} errors)` : '';
    if (r.rps !== undefined) return `${number(r.rps, 0)}, ${number(r.p99, 1)}${errors}`;
    // bulk-update and initial-sync: the median batch
    return `${number(r.msPerBatch?.median ?? r.totalMs, 1)} ms / batch${errors}`;
  });
  out.push(`| ${scenario} | ${clients || '-'} | ${cells.join(' | ')} |`);
}
for (const [setup, run] of runs) {
  if (run) out.push('', `- ${setup}: ${run.date ?? ''}, load average at start ${run.host?.loadavg?.join(' / ') ?? '-'}`);
}
console.log(out.join('\n'));
