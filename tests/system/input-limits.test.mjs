// Limits and integrity checks where input enters the server (issue 20 items 1-3, 5): each
// refused with a clear 4xx at once, each boundary value still accepted, and no slow read
// holding the lock that writers need.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

let server;
let url;
let models;
before(async () => {
  models = modelsDir();
  ({ process: server, url } = await startServer(['--db', ':memory:', '--models', models, '--log-level', 'off']));
});
after(async () => {
  server.kill('SIGTERM');
  assert.equal(await stopped(server), 0);
  rmSync(models, { recursive: true, force: true });
});

async function raw(method, path, body, type = 'application/json') {
  const started = performance.now();
  const response = await fetch(`${url}/api${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': type }, body,
    signal: AbortSignal.timeout(10000),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}
const find = (where) => request(url, 'GET', `/Todos?filter=${encodeURIComponent(JSON.stringify({ where }))}`);

test('numbers out of double range are a 400, not a 500', async () => {
  for (const text of ['{"title":"x","created":1e400}', '{"n":-1e999999}', '[1e309]']) {
    const reply = await raw('POST', '/Todos', text);
    assert.equal(reply.status, 400, text);
    assert.match(reply.body.error.message, /number overflow/);
  }
});

test('a string holding NUL is found by equality, and does not match its prefix', async () => {
  assert.equal((await request(url, 'POST', '/Todos', { id: 'nul', title: 'a\u0000b' })).status, 200);
  assert.deepEqual((await find({ title: 'a\u0000b' })).body.map((t) => t.id), ['nul']);
  assert.deepEqual((await find({ title: 'a' })).body, []);
  assert.deepEqual((await find({ title: { inq: ['a\u0000b', 'zz'] } })).body.map((t) => t.id), ['nul']);
  assert.deepEqual((await find({ title: { like: 'a%b' } })).body.map((t) => t.id), ['nul']);
});

test('error messages that echo a path are valid UTF-8', async () => {
  const response = await fetch(`${url}/api/Todos/Nothing%FF%FE`);
  assert.equal(response.status, 404);
  const bytes = Buffer.from(await response.arrayBuffer());
  // A fatal decoder throws on the raw bytes the server used to echo.
  const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  assert.match(body.error.message, /Nothing\ufffd\ufffd/);
});

test('ids: up to 1024 bytes work on every route; longer ones are refused', async () => {
  const id = 'é/%?#'.repeat(170).padEnd(1024 - 1, 'x').slice(0, 1023);
  const longest = Buffer.byteLength(id) <= 1024 ? id : id.slice(0, 500);
  assert.ok(Buffer.byteLength(longest) <= 1024);
  const path = `/Todos/${encodeURIComponent(longest)}`;
  assert.equal((await request(url, 'POST', '/Todos', { id: longest, title: 't' })).status, 200);
  assert.equal((await request(url, 'GET', path)).body.id, longest);
  assert.equal((await request(url, 'PATCH', path, { title: 'u' })).body.title, 'u');
  assert.equal((await request(url, 'GET', `${path}/exists`)).body.exists, true);
  assert.equal((await request(url, 'GET', `${path}/changes/last`)).body.modelId, longest);
  assert.equal((await request(url, 'DELETE', path)).body.count, 1);
  for (const size of [1025, 9000, 100000]) {
    const reply = await request(url, 'POST', '/Todos', { id: 'i'.repeat(size), title: 't' });
    assert.equal(reply.status, 422, `id of ${size} bytes`);
    assert.match(reply.body.error.message, /longer than 1024 bytes/);
  }
  for (const route of ['count', 'findOne', 'changes', 'checkpoint']) {
    const reply = await request(url, 'POST', '/Todos', { id: route, title: 't' });
    assert.equal(reply.status, 422, `id ${route}`);
    assert.match(reply.body.error.message, /is the name of a route/);
  }
  const change = { modelName: 'Todo', modelId: 'i'.repeat(1025), rev: 'r', checkpoint: 1 };
  assert.equal((await request(url, 'POST', '/Todos/diff?since=0', [change])).status, 400);
  assert.equal((await request(url, 'POST', '/Todos/create-updates', [change])).status, 400);
});

test('PUT /:id/changes/last: the body names the same record, and its sizes are bounded', async () => {
  const created = await request(url, 'POST', '/Todos', { id: 'last', title: 't' });
  assert.equal(created.status, 200);
  const current = (await request(url, 'GET', '/Todos/last/changes/last')).body;
  const other = await request(url, 'PUT', '/Todos/last/changes/last', { ...current, modelId: 'elsewhere' });
  assert.equal(other.status, 422);
  assert.match(other.body.error.message, /names Todo id "elsewhere"/);
  const huge = await raw('PUT', '/Todos/last/changes/last', JSON.stringify({ modelId: 'last', prev: 'p'.repeat(10 << 20) }));
  assert.equal(huge.status, 400);
  assert.match(huge.body.error.message, /`prev` is longer than 256 bytes/);
  const ok = await request(url, 'PUT', '/Todos/last/changes/last', { modelId: 'last', prev: 'p'.repeat(256) });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.prev, 'p'.repeat(256));
  const bigRev = { modelName: 'Todo', modelId: 'last', rev: 'r'.repeat(257), checkpoint: 1 };
  assert.equal((await request(url, 'POST', '/Todos/diff?since=0', [bigRev])).status, 400);
});

test('catastrophic regexp and like patterns answer at once and do not hold up writers', async () => {
  assert.equal((await request(url, 'POST', '/Todos', { id: 'slow', title: 'b'.repeat(5000) + 'y' })).status, 200);
  assert.equal((await request(url, 'POST', '/Todos', { id: 'long', title: 'b'.repeat(2 << 20) })).status, 200);
  const hostile = [
    { title: { like: `${'_'.repeat(900)}%z` } },
    { title: { ilike: `%${'b'.repeat(899)}_z` } },
    { title: { regexp: '^(b+)+x$' } },
    { title: { regexp: '/^(b|bb|bbb)*c$/i' } },
    { title: { like: '%b%b%b%b%b%b%b%b%z' } },
    { title: { ilike: `%${'b%'.repeat(500)}z` } },
  ];
  const reads = hostile.map((where) => find(where));
  const write = request(url, 'POST', '/Todos', { title: 'during' });
  const [written, ...answers] = await Promise.all([write, ...reads]);
  assert.equal(written.status, 200);
  for (const answer of answers) {
    assert.equal(answer.status, 200);
    assert.ok(!answer.body.some((t) => t.id === 'slow' || t.id === 'long'));
  }
  const started = performance.now();
  await Promise.all(hostile.map((where) => find(where)));
  assert.ok(performance.now() - started < 1500, 'six hostile patterns on 2 MiB of text within 1.5 s');
  assert.deepEqual((await find({ title: { like: 'b_b%y' } })).body.map((t) => t.id), ['slow']);
  assert.deepEqual((await find({ title: { ilike: 'B%Y' } })).body.map((t) => t.id), ['slow']);
  const backref = await find({ title: { regexp: '(b)\\1' } });
  assert.equal(backref.status, 400);
  const long = await find({ title: { regexp: 'a'.repeat(4097) } });
  assert.equal(long.status, 400);
  assert.match(long.body.error.message, /longer than 4096 bytes/);
  assert.equal((await find({ title: { regexp: 'a'.repeat(4096) } })).status, 200);
});

test('every error carries a stable code, a bounded message, and an oversized declared body is refused unread', async () => {
  const bad = await raw('POST', '/Todos/bulk-update', '{"updates":1.5}');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'bad_request');
  assert.equal((await find({ title: { zz: 1 } })).body.error.code, 'bad_filter');
  const keys = Object.fromEntries(Array.from({ length: 200000 }, (_, i) => [`k${i}`, 1]));
  const unknown = await raw('POST', '/Todos', JSON.stringify(keys));
  assert.equal(unknown.status, 422);
  assert.equal(unknown.body.error.code, 'validation');
  assert.ok(unknown.text.length < 20000, `${unknown.text.length} bytes`);
  assert.ok(unknown.ms < 3000, `${unknown.ms} ms`);
  const { hostname, port } = new URL(url);
  const { connect } = await import('node:net');
  const reply = await new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write('POST /api/Todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 10737418240\r\n\r\n{"title":"');
    });
    let text = '';
    socket.on('data', (chunk) => { text += chunk; if (text.includes('}}')) { socket.destroy(); resolve(text); } });
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(text); }, 3000);
  });
  assert.match(reply, /^HTTP\/1\.1 413/);
  assert.match(reply, /"code":"too_large"/);
});

test('a form body over 8 KiB is 413 with a message saying what to do', async () => {
  const reply = await raw('POST', '/Todos', `title=${'a'.repeat(9000)}`, 'application/x-www-form-urlencoded');
  assert.equal(reply.status, 413);
  assert.match(reply.body.error.message, /form body may hold at most 8192 bytes: send JSON/);
  const small = await raw('POST', '/Todos', 'title=form', 'application/x-www-form-urlencoded');
  assert.equal(small.status, 200);
});

test('a POST with neither Content-Length nor Transfer-Encoding has no body: answered at once', async () => {
  const { connect } = await import('node:net');
  const { hostname, port } = new URL(url);
  const started = performance.now();
  const answer = await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setTimeout(4000, () => { socket.destroy(); reject(new Error(`no answer in 4 s: ${text}`)); });
    socket.on('data', (chunk) => { text += chunk; if (text.includes('\r\n\r\n') && /"seq"/.test(text)) { socket.destroy(); resolve(text); } });
    socket.on('error', reject);
    socket.write('POST /api/Todos/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});
