// Slow and idle clients cannot starve the others (issue 20 item 4): with 500 idle
// connections and 10 bodies trickled a byte a second, other clients are answered at
// once, and a request that outlives --request-timeout is cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startServer, stopped, modelsDir, request } from './server_process.mjs';

function open(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closedWithin(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

test('500 idle connections and 10 trickled bodies do not delay other clients', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'replicore-slow-')), 'db.sqlite');
  const server = await startServer(['--models', modelsDir(), '--db', db, '--log-level', 'off',
    '--request-timeout', '4']);
  const sockets = [];
  const timers = [];
  try {
    assert.equal((await request(server.url, 'POST', '/Todos', { title: 'seed' })).status, 200);
    for (let i = 0; i < 500; i++) sockets.push(await open(server.url));
    const trickled = [];
    for (let i = 0; i < 10; i++) {
      const socket = await open(server.url);
      socket.on('error', () => {});
      socket.write('POST /api/Todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"title":"');
      timers.push(setInterval(() => { if (!socket.destroyed) socket.write('a'); }, 1000));
      trickled.push(socket);
    }
    const started = Date.now();
    const latencies = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      const answer = await request(server.url, 'GET', '/Todos/count');
      latencies.push(performance.now() - t0);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.count, 1);
    }
    latencies.sort((a, b) => a - b);
    const p99 = percentile(latencies, 99);
    console.log(`other clients: p50 ${percentile(latencies, 50).toFixed(2)} ms, ` +
      `p99 ${p99.toFixed(2)} ms, max ${latencies.at(-1).toFixed(2)} ms over 200 requests`);
    assert.ok(p99 < 250, `p99 ${p99} ms`);
    // The trickled requests are cut off at their 4 s deadline, though bytes keep coming.
    const left = 4000 + 2000 - (Date.now() - started);
    const cut = await Promise.all(trickled.map((s) => closedWithin(s, Math.max(left, 0) + 1000)));
    assert.deepEqual(cut, trickled.map(() => true));
    // The idle ones are closed after the 5 s keep-alive wait.
    const idleClosed = await Promise.all(sockets.slice(0, 20).map((s) => closedWithin(s, 6000)));
    assert.deepEqual(idleClosed, idleClosed.map(() => true));
    assert.equal((await request(server.url, 'GET', '/Todos/count')).status, 200);
  } finally {
    timers.forEach(clearInterval);
    sockets.forEach((s) => s.destroy());
    server.process.kill('SIGTERM');
    await stopped(server.process);
  }
});
