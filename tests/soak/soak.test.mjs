// The convergence soak (tests/soak/README.md), short: 6 wasm clients, 35 s of random
// writes, offline periods, injected network faults, client restarts and server kill -9s
// through a real replicore-server, then convergence and the oracle. Fixed seed; replay a
// failure with the command it prints (node tests/soak/soak.mjs --seed ...).
//   REPLICORE_SERVER=build/replicore-server node --test tests/soak/
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runSoak } from './soak.mjs';

const seed = Number(process.env.RC_SEED ?? 20);

// 6 clients: with fewer, pull resolutions ping-ponged too rarely to show (finding 5).
test(`soak: seed ${seed}, 6 clients, 35 s: replicas equal the server, no acknowledged write lost`, {
  timeout: 240000,
}, async () => {
  const lines = [];
  const { ok, stats, findings } = await runSoak({ seed, seconds: 35, clients: 6, log: (line) => lines.push(line) });
  const summary = `${JSON.stringify(stats)}\n${lines.join('\n')}`;
  assert.ok(stats.acknowledgedWrites > 300, `only ${stats.acknowledgedWrites} acknowledged writes\n${summary}`);
  assert.ok(stats.conflictsResolved > 20, `only ${stats.conflictsResolved} conflicts resolved\n${summary}`);
  assert.ok(stats.serverKills >= 3, `only ${stats.serverKills} server kills\n${summary}`);
  assert.ok(Object.values(stats.faults).every((n) => n > 0), `a fault kind never happened: ${JSON.stringify(stats.faults)}`);
  assert.ok(ok, `${findings.length} finding(s); replay: node tests/soak/soak.mjs --seed ${seed} --seconds 35 --clients 6\n` +
    findings.map((f) => JSON.stringify(f).slice(0, 1500)).join('\n') + `\n${summary}`);
});
