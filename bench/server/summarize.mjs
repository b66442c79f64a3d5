#!/usr/bin/env node
// Markdown tables from the JSON files bench/server/run.sh writes (load.mjs --out, wrk.jsonl).
//   node bench/server/summarize.mjs bench/server/results > summary.md
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] || 'bench/server/results';
const read = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : null);
const files = readdirSync(dir);
const pick = (re) => files.filter((f) => re.test(f)).sort();
const lb = read(pick(/^lb3-\d+\.json$/)[0] || 'none');
const rcSmall = read(pick(/^rc-\d+\.json$/).find((f) => f === `rc-${lb?.options.docs ?? 2000}.json`) || 'none') ||
  read(pick(/^rc-\d+\.json$/)[0] || 'none');
const rcBig = (() => {
  const all = pick(/^rc-\d+\.json$/).map(read).filter(Boolean).sort((a, b) => a.options.docs - b.options.docs);
  return all.length > 1 ? all[all.length - 1] : null;
})();
const wrk = existsSync(join(dir, 'wrk.jsonl'))
  ? readFileSync(join(dir, 'wrk.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const wrkLoad = read('rc-wrk-loadmjs.json');

const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const f3 = (x) => (x === null || x === undefined ? '-' : x < 1 ? f(x, 2) : x < 100 ? f(x, 1) : f(x, 0));
const cell = (run, s, c) => run?.results.find((r) => r.scenario === s && r.clients === c);
const heavy = (run, s) => run?.results.find((r) => r.scenario === s);
const out = [];
const p = (l = '') => out.push(l);
const hostLine = (run, name) => run && p(`- ${name}: ${run.date}, ${run.options.docs} docs, ${run.options.duration} s/phase, ` +
  `load average at start ${run.host.loadavg.join(' / ')}, ${run.elapsedS} s, docs after ${run.countAfter}`);

const DURATION = ['get-by-id', 'find', 'count', 'changes', 'diff', 'create', 'replace', 'patch', 'delete'];
const clientsOf = (run) => run?.options.clients ?? [];

p('## Runs');
hostLine(lb, 'LoopBack 3');
hostLine(rcSmall, 'replicore');
hostLine(rcBig, 'replicore');
p();

if (lb && rcSmall) {
  p(`## LoopBack 3 vs replicore, ${rcSmall.options.docs} docs (req/s of correct responses; ms)`);
  p();
  p('| scenario | clients | LB req/s | LB p50 | LB p99 | rc req/s | rc p50 | rc p99 | rc/LB req/s | errors LB/rc |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of DURATION) {
    for (const c of clientsOf(rcSmall)) {
      const a = cell(lb, s, c), b = cell(rcSmall, s, c);
      if (!a && !b) continue;
      p(`| ${s} | ${c} | ${f3(a?.rps)} | ${f3(a?.p50)} | ${f3(a?.p99)} | ${f3(b?.rps)} | ${f3(b?.p50)} | ${f3(b?.p99)} | ` +
        `${a && b && a.rps ? f(b.rps / a.rps, 0) + '×' : '-'} | ${a?.errors ?? '-'}/${b?.errors ?? '-'} |`);
    }
  }
  const la = heavy(lb, 'bulk-update'), lbu = heavy(rcSmall, 'bulk-update');
  if (la || lbu) {
    p(`| bulk-update ${lbu?.batchSize ?? ''} changes, ms per batch (median) | 1 | ${f3(la?.msPerBatch?.median)} ms | | | ${f3(lbu?.msPerBatch?.median)} ms | | | ` +
      `${la && lbu ? f(la.msPerBatch.median / lbu.msPerBatch.median, 0) + '×' : '-'} | ${la?.errors ?? '-'}/${lbu?.errors ?? '-'} |`);
    p(`| bulk-update, changes/s | 1 | ${f(la?.changesPerSec, 0)} | | | ${f(lbu?.changesPerSec, 0)} | | | | |`);
  }
  const ia = heavy(lb, 'initial-sync'), ib = heavy(rcSmall, 'initial-sync');
  if (ia || ib) {
    p(`| initial-sync ${ib?.docs ?? ''} docs, ms (median) | 1 | ${f3(ia?.ms?.median)} ms | | | ${f3(ib?.ms?.median)} ms | | | ` +
      `${ia?.ms && ib?.ms ? f(ia.ms.median / ib.ms.median, 0) + '×' : '-'} | ${ia?.errors ?? '-'}/${ib?.errors ?? '-'} |`);
  }
  p(`| seeding ${rcSmall.options.docs} docs by POST /, 16 clients, creates/s | 16 | ${f(lb.seed.rps, 0)} | | | ${f(rcSmall.seed.rps, 0)} | | | ${f(rcSmall.seed.rps / lb.seed.rps, 0)}× | |`);
  p();
}

for (const run of [rcSmall, rcBig].filter(Boolean)) {
  p(`## replicore alone, ${run.options.docs} docs`);
  p();
  p('| scenario | clients | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of run.results) {
    if (r.rps !== undefined) p(`| ${r.scenario} | ${r.clients} | ${f3(r.rps)} | ${f3(r.p50)} | ${f3(r.p90)} | ${f3(r.p99)} | ${f3(r.max)} | ${r.errors} |`);
  }
  const bu = heavy(run, 'bulk-update'), is = heavy(run, 'initial-sync');
  if (bu) p(`\nbulk-update: ${bu.batches.length} × ${bu.batchSize} changes, ${bu.applied} applied, ${f(bu.changesPerSec, 0)} changes/s, ms per batch ${bu.batches.map((b) => b.ms).join(' / ')}, errors ${bu.errors}`);
  if (is) {
    const steps = is.runs[0]?.steps.map((s) => `${s.req.split('?')[0]} ${s.ms} ms`).join(', ');
    p(`\ninitial-sync: ${is.docs} docs, ${is.completed} of ${is.runs.length} complete, ms ${is.runs.map((r) => r.ms).join(' / ')} (median ${is.ms?.median}), errors ${is.errors}; first run: ${steps}`);
  }
  p(`\nseeding: ${run.seed.docs} docs in ${run.seed.ms} ms (${f(run.seed.rps, 0)} creates/s, 16 clients)`);
  p();
}

// Targets of issue 13.
const T = [];
const verdict = (ok) => (ok === null ? '-' : ok ? 'met' : '**missed**');
for (const run of [rcSmall, rcBig].filter(Boolean)) {
  const n = run.options.docs;
  const g = cell(run, 'get-by-id', 8);
  if (g) T.push([`GET by id, 8 clients (load.mjs), ${n} docs`, '≥ 10,000 req/s', `${f(g.rps, 0)} req/s`, verdict(g.rps >= 10000)]);
  for (const s of ['get-by-id', 'find', 'count', 'changes', 'create', 'replace', 'patch', 'delete']) {
    const r = cell(run, s, 64);
    if (r) T.push([`${s}, 64 clients, p99, ${n} docs`, '< 50 ms', `${f3(r.p99)} ms`, verdict(r.p99 < 50)]);
  }
  const d = cell(run, 'diff', 1);
  if (d) T.push([`POST /diff of ${run.options.diffSize} entries, 1 client, ${n} docs (p50 / p99)`, '< 10 ms', `${f3(d.p50)} / ${f3(d.p99)} ms`, verdict(d.p50 < 10)]);
  const bu = heavy(run, 'bulk-update');
  if (bu) T.push([`bulk-update of ${bu.batchSize} changes, 1 client, ${n} docs (median batch)`, `< 20 ms, ≥ 50,000 changes/s`, `${f3(bu.msPerBatch.median)} ms, ${f(bu.changesPerSec, 0)} changes/s`, verdict(bu.msPerBatch.median < 20 && bu.changesPerSec >= 50000)]);
  const is = heavy(run, 'initial-sync');
  if (is && n >= 10000) T.push([`initial sync of ${is.docs} docs (median)`, '< 1 s', `${f(is.ms?.median, 0)} ms`, verdict(is.ms && is.ms.median < 1000)]);
}
const wg = wrk.find((w) => w.name === 'get-by-id' && w.connections === 8);
if (wg) T.push(['GET by id, 8 connections (wrk)', '≥ 10,000 req/s', `${f(wg.rps, 0)} req/s`, verdict(wg.rps >= 10000)]);
if (T.length) {
  p('## Targets (issue 13)');
  p();
  p('| target | wanted | measured | verdict |');
  p('|---|---|---:|---|');
  for (const t of T) p(`| ${t.join(' | ')} |`);
  p();
}

if (wrk.length) {
  p('## wrk cross-check (1 thread, same fresh server, right after load.mjs on it)');
  p();
  p('| request | connections | load.mjs req/s | load.mjs p99 ms | wrk req/s | wrk p50 ms | wrk p99 ms | wrk errors |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of wrk) {
    const l = cell(wrkLoad, w.name, w.connections);
    p(`| ${w.name} | ${w.connections} | ${f(l?.rps, 0)} | ${f3(l?.p99)} | ${f(w.rps, 0)} | ${f3(w.p50_ms)} | ${f3(w.p99_ms)} | ${w.errors + w.non2xx} |`);
  }
  p();
}

const syncRuns = { normal: pick(/^sync-normal-\d+\.json$/).map(read), full: pick(/^sync-full-\d+\.json$/).map(read) };
if (syncRuns.normal.length && syncRuns.full.length) {
  const med = (xs) => { const a = xs.filter((x) => x !== undefined && x !== null).sort((x, y) => x - y); return a.length ? a[Math.floor((a.length - 1) / 2)] : null; };
  const mid = (xs) => { const a = xs.filter((x) => x !== undefined && x !== null).sort((x, y) => x - y); if (!a.length) return null; const m = a.length >> 1; return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2; };
  const reps = syncRuns.normal.length;
  p(`## --sync normal vs --sync full (${reps} run${reps > 1 ? 's' : ''} of each, alternating; ${reps > 1 ? 'means' : 'values'} of the runs)`);
  p();
  p('| scenario | clients | normal req/s | normal p50 | normal p99 | full req/s | full p50 | full p99 | full/normal req/s | full − normal p50 ms |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const scen = ['create', 'replace', 'patch', 'delete'];
  const clients = syncRuns.normal[0].options.clients;
  for (const s of scen) {
    for (const c of clients) {
      const get = (mode, k) => mid(syncRuns[mode].map((run) => cell(run, s, c)?.[k]));
      const nr = get('normal', 'rps'), fr = get('full', 'rps'), np = get('normal', 'p50'), fp = get('full', 'p50');
      p(`| ${s} | ${c} | ${f3(nr)} | ${f3(np)} | ${f3(get('normal', 'p99'))} | ${f3(fr)} | ${f3(fp)} | ${f3(get('full', 'p99'))} | ${nr ? f(fr / nr, 2) : '-'} | ${np !== null && fp !== null ? f(fp - np, 2) : '-'} |`);
    }
  }
  const bu = (mode) => mid(syncRuns[mode].map((run) => heavy(run, 'bulk-update')?.msPerBatch?.median));
  const bn = bu('normal'), bf = bu('full');
  p(`| bulk-update ${heavy(syncRuns.normal[0], 'bulk-update')?.batchSize} changes, ms per batch | 1 | ${f3(bn)} ms | | | ${f3(bf)} ms | | | ${bn ? f(bn / bf, 2) : '-'} | ${bn !== null && bf !== null ? f(bf - bn, 2) : '-'} |`);
  p();
  p('Per run (req/s at 1 client: create / patch; bulk-update ms per batch): ' +
    ['normal', 'full'].map((m) => syncRuns[m].map((run, i) => `${m} ${i + 1}: ${f(cell(run, 'create', 1)?.rps, 0)} / ${f(cell(run, 'patch', 1)?.rps, 0)}; ${heavy(run, 'bulk-update')?.msPerBatch?.median}`).join('; ')).join('; '));
  p();
}
// Issue 22's server targets (run.sh phases lb22, rc22): one row per server (lb3, rc-<TAG>).
const servers22 = pick(/-find-10000\.json$/).map((f) => f.replace(/-find-10000\.json$/, ''));
if (servers22.length) {
  p('## Issue 22: server targets (find and count-where at 10,000 docs, 64 clients; bulk-update at 2,000 docs)');
  p();
  p('| server | find p50 / p99 ms | find req/s | count-where p50 / p99 ms | count-where req/s | count (no where) p50 / p99 ms | bulk-update 1,000 changes, ms per batch (median; all) | errors find/count-where/bulk | load average at start |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const name of servers22) {
    const fi = cell(read(`${name}-find-10000.json`), 'find', 64);
    const co = cell(read(`${name}-find-10000.json`), 'count', 64);
    const cwRun = read(`${name}-count-where-10000.json`);
    const cw = cwRun?.results.find((r) => r.clients === 64);
    const buRun = read(`${name}-bulk-2000.json`);
    const bu = heavy(buRun, 'bulk-update');
    p(`| ${name} | ${f3(fi?.p50)} / ${f3(fi?.p99)} | ${f3(fi?.rps)} | ${f3(cw?.p50)} / ${f3(cw?.p99)} | ${f3(cw?.rps)} | ${f3(co?.p50)} / ${f3(co?.p99)} | ` +
      `${f3(bu?.msPerBatch?.median)} (${bu?.batches.map((b) => b.ms).join(' / ') ?? '-'}) | ${fi?.errors ?? '-'}/${cw?.errors ?? '-'}/${bu?.errors ?? '-'} | ` +
      `${read(`${name}-find-10000.json`)?.host.loadavg.map((x) => x.toFixed(2)).join(' / ')} |`);
  }
  p();
}
process.stdout.write(out.join('\n') + '\n');
