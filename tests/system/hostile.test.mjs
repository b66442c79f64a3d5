// Issue 20, item 7: hostile input over HTTP. Every route × every class of bad input
// (tests/system/hostile-inputs.mjs), well over 10,000 requests a run, seeded (HOSTILE_SEED
// replays a run). Asserts: no 5xx; the process never exits; no request takes 2 s (nor
// blocks other clients for 2 s); every 4xx body is LoopBack's {"error": {statusCode, code,
// message}} in valid UTF-8; RSS back near its start; afterwards every listed record is
// readable through GET /:id and /changes holds one consistent change per record.
//
// Phases: (A) the catalogue plus seeded mutations, shuffled, over 4 keep-alive connections;
// (B) heavy requests (catastrophic regexps and like patterns, 1,000,000-deep and > 32 MB
// bodies, huge entry counts) one at a time, each with a concurrent read and write probe;
// (C) slow clients: 70 connections trickling a body and 300 idle ones, while probes run.
// A request that times out is followed by a liveness check; a server that does not
// answer it is reported as stalled and restarted (kill -9, same database) so that one run
// lists every failure; an exit is reported and restarted the same way. Each failure is
// grouped with a reproducer, and the run prints request counts per class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelsDir, startServer, stopped } from './server_process.mjs';
import { catalogue, heavy, heavySetup, mutate, prng, seedIds } from './hostile-inputs.mjs';

const SEED = Number(process.env.HOSTILE_SEED ?? 20261206) >>> 0;
const MUTATIONS = 600;        // seeded mutations on top of the catalogue (deterministic count)
const CONNECTIONS = 4;        // phase A keep-alive connections
const LIMIT_MS = 2000;        // no request may take longer
const VERIFY_MS = 15000;      // the final checks' requests (not hostile, may read big records)
// RSS may end at most this much above its start (measured after the 40 seed records, when
// the pool's threads and SQLite's connections exist). What a healthy server may keep:
// SQLite's page cache (2 MiB per connection), the WAL index, the thread stacks the run
// touched, and glibc's per-thread malloc arenas holding some freed memory from the largest
// parses of the run (bodies of 5-10 MB; the 33 MiB and 1,000,000-entry ones are refused
// before they are parsed). A few tens of MB each, so 150 MB is a generous bound. Observed
// on a 2-core machine (Dec 2026, server as of a31d6e4 + work in progress, three runs):
// 11 MB at start, 117-171 after phase A, 182-243 after B, 240-342 at the end (peak
// 450-468): over the bound, i.e. memory that the requests' limits do not yet keep small
// (issue 20: "a request over a limit costs the server little memory").
const RSS_SLACK_MB = 150;

const failures = new Map();   // group key -> {count, example}
const counts = new Map();     // class -> requests sent
const mutations = new Map();  // mutation kind -> requests
const classMs = new Map();    // class -> summed request time (ms)
let sent = 0;
let slowest = [];             // the 10 slowest requests {ms, what}
let server;                   // {process, url, port, pid, startRss, dead, errors}
let restarts = 0;
const inflight = new Set();
let gate = null;              // a promise while the server restarts
const tripped = new Set();    // (cls|route) groups that stalled the server: not sent again
let skipped = 0;

// Failures are grouped so that one defect is one entry: body-shape findings by the
// server's message (digits and quoted parts blanked), 5xx by input class, the rest by
// class and route; each group keeps its first reproducer and the routes and classes it saw.
function groupKey(kind, request, detail, by) {
  if (by) return `${kind} | ${by}`;
  if (/^4xx|not valid UTF-8|2xx body/.test(kind)) {
    return `${kind} | ${detail.replace(/"[^"]*"/g, '"…"').replace(/\\"[^"]*\\"/g, '…').replace(/[0-9]+/g, 'N').replace(/(parse error at line N, column N:|id ).*/, '$1 …').slice(0, 90)}`;
  }
  if (kind === '5xx') return `${kind} | ${request?.cls}`;
  if (!request && kind.startsWith('final: a listed record')) return `${kind} | ${detail.replace(/.* -> /, '-> ')}`;
  if (!request) return `${kind} | ${detail}`;
  return `${kind} | ${request.cls} | ${request.method} ${request.route}`;
}

function fail(kind, request, detail, extra = '', by = undefined) {
  const key = groupKey(kind, request, detail, by);
  const group = failures.get(key) ?? { count: 0, example: request ? reproducer(request) + extra : extra, routes: new Set(), classes: new Set(), details: new Set() };
  group.count++;
  if (request) {
    group.routes.add(`${request.method} ${request.route}`);
    group.classes.add(request.cls);
  }
  if (group.details.size < 6) group.details.add(String(detail).slice(0, 80));
  failures.set(key, group);
}

function printable(text, n) {
  const shown = JSON.stringify(text.length > n ? text.slice(0, n) : text);
  return text.length > n ? `${shown}... (${text.length} chars)` : shown;
}

function bodyLength(body) {
  if (body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  return body.fill;
}

function reproducer(request) {
  const parts = [`curl -sS -X ${request.method} "$URL"${printable(request.path, 240)}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) parts.push(`-H ${printable(`${name}: ${value}`, 80)}`);
  if (request.body !== undefined) {
    const text = typeof request.body === 'string' ? request.body : Buffer.isBuffer(request.body) ? request.body.toString('latin1') : `${request.body.prefix}x...`;
    parts.push(`--data-binary ${printable(text, 160)} [${bodyLength(request.body)} bytes]`);
  }
  if (request.recipe) parts.push(`(${request.recipe})`);
  if (request.mutation) parts.push(`(mutation: ${request.mutation})`);
  return parts.join(' ');
}

const bufferCache = new Map();
function filledBuffer({ fill, prefix, suffix = '' }) {
  const key = `${fill}|${prefix}|${suffix}`;
  if (!bufferCache.has(key)) {
    const buffer = Buffer.alloc(fill, 'x');
    buffer.write(prefix, 0, 'latin1');
    buffer.write(suffix, fill - suffix.length, 'latin1');
    bufferCache.set(key, buffer);
  }
  return bufferCache.get(key);
}

// One request with node:http (raw path bytes, exact headers, streamed bodies). Resolves
// {status, body: Buffer, ms} or {error, ms}; never rejects.
function send(base, request, { agent, timeout = LIMIT_MS } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: performance.now() - started });
    };
    const headers = { ...request.headers };
    let payload;
    const body = request.body;
    if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
      payload = body;
    } else if (body !== undefined) {
      payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      headers['content-length'] = String(payload.length);
    }
    let req;
    let previous;
    try {
      req = http.request({
        host: base.host, port: base.port, method: request.method, path: request.path, headers, agent,
        signal: AbortSignal.timeout(timeout), insecureHTTPParser: true,
      });
    } catch (error) {
      return done({ error: `client refused to send: ${error.code ?? error.message}`, local: true });
    }
    // The previous request on this keep-alive connection: a parse error in this answer
    // usually means that one was answered with stray bytes (e.g. a body on a HEAD answer).
    req.on('socket', (socket) => {
      previous = socket.hostileLast;
      socket.hostileLast = request;
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error) => done({ status: res.statusCode, error: error.name === 'AbortError' ? 'timeout' : error.code ?? error.message }));
    });
    req.on('error', (error) => done({
      error: error.name === 'AbortError' ? 'timeout' : error.code ?? error.message,
      previous: previous && String(error.code).startsWith('HPE_') ? `${previous.method} ${previous.path.slice(0, 70)}` : undefined,
    }));
    if (payload === undefined) return req.end();
    if (Buffer.isBuffer(payload)) return req.end(payload);
    const buffer = filledBuffer(payload);
    if (payload.lie) {
      req.write(buffer);  // far less than the content-length announced; then wait for an answer
      return;
    }
    if (!payload.chunked) req.setHeader('content-length', String(buffer.length));
    const step = 1 << 20;
    let offset = 0;
    const pump = () => {
      while (offset < buffer.length) {
        const chunk = buffer.subarray(offset, offset + step);
        offset += step;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      req.end();
    };
    req.on('error', () => { offset = buffer.length; });
    pump();
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function check(request, reply) {
  const ms = reply.ms;
  if (slowest.length < 10 || ms > slowest[slowest.length - 1].ms) {
    slowest.push({ ms, what: `${request.cls} ${request.method} ${request.path.slice(0, 100)}${request.recipe ? ` (${request.recipe})` : ''}` });
    slowest.sort((a, b) => b.ms - a.ms);
    slowest = slowest.slice(0, 10);
  }
  if (reply.error === 'timeout') {
    fail('no answer within 2 s', request, 'timeout');
    return 'timeout';
  }
  if (reply.local) return 'ok';  // node itself would not send it (not the server's doing)
  if (reply.status === undefined) {
    fail('connection closed without an answer', request, reply.previous ? `${reply.error} (previous answer on this connection: ${reply.previous})` : reply.error);
    return 'error';
  }
  if (ms > LIMIT_MS) fail('answer took over 2 s', request, `${reply.status} in ${Math.round(ms)} ms`);
  if (reply.status >= 500) {
    fail('5xx', request, String(reply.status), ` -> ${reply.body.toString('latin1').slice(0, 120)}`);
    return 'ok';
  }
  if (request.method === 'HEAD' || reply.status === 204) return 'ok';
  let text;
  try {
    text = utf8.decode(reply.body);
  } catch {
    const shown = reply.body.toString('latin1');
    fail('response body is not valid UTF-8', request, shown.replace(/.*"message":"/, '').slice(0, 70), ` -> ${JSON.stringify(shown.slice(0, 160))}`, String(reply.status));
    return 'ok';
  }
  if (request.expect && reply.status !== request.expect) {
    fail(`expected ${request.expect}`, request, String(reply.status), ` -> ${text.slice(0, 160)}`);
  }
  if (reply.status >= 400 && reply.body.length > 16 * 1024) {
    fail('4xx body over 16 KB (the error echoes the input)', request, `${reply.status}, ${reply.body.length} bytes`, ` -> ${text.slice(0, 160)}`);
  }
  if (reply.status >= 400) {
    let error;
    try {
      error = JSON.parse(text).error;
    } catch {
      fail('4xx body is not JSON', request, String(reply.status), ` -> ${JSON.stringify(text.slice(0, 120))}`);
      return 'ok';
    }
    const problems = [];
    if (!error || typeof error !== 'object') problems.push('no error object');
    else {
      if (error.statusCode !== reply.status) problems.push('statusCode');
      if (typeof error.code !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(error.code)) problems.push('code');
      if (typeof error.message !== 'string' || error.message === '') problems.push('message');
    }
    if (problems.length) {
      fail(`4xx error body lacks ${problems.join(', ')}`, request, `${reply.status} ${String(error?.message).slice(0, 80)}`,
        ` -> ${text.slice(0, 160)}`, `${reply.status} ${error?.name}`);
    }
  } else if (reply.status >= 200 && reply.status < 300 && reply.body.length) {
    try {
      JSON.parse(text);
    } catch {
      fail('2xx body is not JSON', request, String(reply.status), ` -> ${JSON.stringify(text.slice(0, 120))}`);
    }
  }
  return 'ok';
}

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+) kB`))?.[1] ?? NaN) / 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

let dbFile;
let models;
async function launch() {
  let started;
  for (let attempt = 0; ; attempt++) {
    try {
      started = await startServer(['--models', models, '--db', dbFile]);
      break;
    } catch (error) {  // the binary may be briefly missing while it is rebuilt
      if (attempt >= 30 || !/ENOENT|ETXTBSY/.test(String(error.code ?? error.message))) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const base = new URL(started.url);
  const handle = { process: started.process, url: started.url, host: base.hostname, port: Number(base.port),
    pid: started.process.pid, dead: false, errors: [], agent: new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }),
    probeAgent: new http.Agent({ keepAlive: true, maxSockets: 2 }) };
  // Error lines (not the access log) for the report.
  started.process.stderr.on('data', (chunk) => {
    for (const line of chunk.toString('latin1').split('\n')) {
      if (line && !/ (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S* \d{3} \d+B /.test(line) && handle.errors.length < 50) handle.errors.push(line.slice(0, 300));
    }
  });
  started.process.once('exit', (code, signal) => {
    handle.dead = true;
    if (handle.killedByUs) return;
    const what = [...inflight].map((r) => reproducer(r)).join('\n        in flight: ');
    fail('server process exited', null, `${code ?? signal}`, `exit ${code ?? signal}; in flight: ${what}; log: ${handle.errors.slice(-3).join(' / ')}`);
  });
  return handle;
}

async function restart(reason) {
  if (gate) return gate;
  gate = (async () => {
    restarts++;
    if (!server.dead) {
      server.killedByUs = true;
      server.process.kill('SIGKILL');
      await stopped(server.process);
    }
    server.agent.destroy();
    server.probeAgent.destroy();
    const old = server;
    server = await launch();
    server.startRss = old.startRss;
    server.restartedFor = reason;
  })();
  await gate;
  gate = null;
}

async function ready() {
  while (gate) await gate;
  if (server.dead) await restart('exit');
}

// After a timeout: does the server still answer a read and a write? If not, it is stalled:
// report it, and restart it (kill -9; the database keeps every acknowledged write).
let liveness = null;
async function checkAlive(request) {
  if (liveness) return liveness;
  liveness = (async () => {
    await ready();
    const read = await send(server, { method: 'GET', path: '/api/Todos/count', headers: {} }, { agent: false, timeout: 1000 });
    const write = await send(server, { method: 'POST', path: '/api/Todos/checkpoint', headers: {} }, { agent: false, timeout: 1000 });
    if (read.status === 200 && write.status === 200) return;
    fail('server stalled (a read or a write got no answer in 1 s after this request)', request,
      `read ${read.status ?? read.error}, write ${write.status ?? write.error}`);
    tripped.add(`${request.cls}|${request.route}`);
    await restart('stall');
  })();
  await liveness;
  liveness = null;
}

async function hostile(request, options = {}) {
  if (tripped.has(`${request.cls}|${request.route}`)) {
    skipped++;
    fail('not sent: the same class and route stalled the server before', request, 'skipped');
    return 'skipped';
  }
  await ready();
  counts.set(request.cls, (counts.get(request.cls) ?? 0) + 1);
  if (request.mutation) mutations.set(request.mutation, (mutations.get(request.mutation) ?? 0) + 1);
  sent++;
  inflight.add(request);
  const reply = await send(server, request, { agent: options.agent ?? server.agent });
  inflight.delete(request);
  classMs.set(request.cls, (classMs.get(request.cls) ?? 0) + reply.ms);
  const outcome = check(request, reply);
  if (outcome !== 'ok' && !server.dead) await checkAlive(request);
  return outcome;
}

async function verify(method, path, body) {
  await ready();
  const request = { method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
  const reply = await send(server, request, { agent: server.probeAgent, timeout: VERIFY_MS });
  // latin1 keeps every byte of an id (the server may store invalid UTF-8), so the URL can
  // name the exact bytes again.
  return { ...reply, text: reply.body?.toString('latin1'), json: (() => { try { return JSON.parse(escapesAsBytes(reply.body.toString('latin1'))); } catch { return undefined; } })() };
}
// A \uXXXX escape of a non-ASCII character (records go out as their canonical text, which
// escapes U+FEFF, U+2028 and more) as the UTF-8 bytes it stands for, so an id compares
// byte for byte with the same id written unescaped in another answer.
const escapesAsBytes = (latin1) => latin1.replace(/\\\\|\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})/gi, (match, high, low, single) => {
  if (match === '\\\\') return match;
  const code = high ? 0x10000 + ((parseInt(high, 16) - 0xd800) << 10) + (parseInt(low, 16) - 0xdc00) : parseInt(single, 16);
  return code < 0x80 ? match : Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
});
const byteEncode = (latin1) => [...latin1].map((c) => (/[A-Za-z0-9_.~-]/.test(c) ? c : '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))).join('');

async function phaseA(rand) {
  const base = catalogue(rand);
  const all = base.slice();
  for (let i = 0; i < MUTATIONS; i++) all.push(mutate(rand, base[rand.int(base.length)]));
  for (let i = all.length - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  let next = 0;
  const worker = async () => {
    while (next < all.length) await hostile(all[next++]);
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return all.length;
}

async function phaseB() {
  for (const record of heavySetup) {
    const reply = await verify('PUT', '/api/Todos', record);
    if (reply.status !== 200) fail('heavy setup record refused', { cls: 'setup', route: 'replaceOrCreate', method: 'PUT', path: '/api/Todos', headers: {}, recipe: record.id }, String(reply.status ?? reply.error));
  }
  const requests = heavy();
  for (const request of requests) {
    // While the heavy request runs, another client reads and writes; neither may wait 2 s.
    const main = hostile(request, { agent: false });
    let finished = false;
    main.then(() => { finished = true; });
    const probes = (async () => {
      // A request answered within 100 ms cannot have held anyone for 2 s: no probe then.
      await new Promise((r) => setTimeout(r, 100));
      if (finished || gate || server.dead) return;
      const read = { cls: 'probe', route: 'count', method: 'GET', path: '/api/Todos/count?where=%7B%22id%22%3A%22t0%22%7D', headers: {} };
      const write = { cls: 'probe', route: 'patchOrCreate', method: 'PATCH', path: '/api/Todos', headers: { 'content-type': 'application/json' }, body: '{"id":"probe","title":"p"}' };
      const replies = await Promise.all([read, write].map((p) => {
        counts.set('probe', (counts.get('probe') ?? 0) + 1);
        sent++;
        return send(server, p, { agent: server.probeAgent });
      }));
      replies.forEach((reply, i) => {
        const probe = [read, write][i];
        if (reply.error === 'timeout' || reply.ms > LIMIT_MS || reply.status === undefined) {
          fail(`another client's ${probe.method === 'GET' ? 'read' : 'write'} waited over 2 s while this ran`, request, reply.status ?? reply.error);
        } else if (reply.status !== 200) {
          fail(`another client's ${probe.method} failed while this ran`, request, String(reply.status));
        }
      });
    })();
    await Promise.all([main, probes]);
  }
  return requests.length;
}

// 70 connections trickle a body (a byte every 1.5 s) and 300 sit idle, while a new client
// asks GET /count every 250 ms: each answer must come within 2 s.
async function phaseC() {
  const sockets = [];
  const open = (n, trickle) => {
    for (let i = 0; i < n; i++) {
      const socket = net.connect(server.port, server.host);
      socket.on('error', () => {});
      if (trickle) {
        socket.write(`POST /api/Todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"title":"`);
        socket.timer = setInterval(() => socket.writable && socket.write('s'), 1500);
      }
      sockets.push(socket);
    }
  };
  open(70, true);
  open(300, false);
  let n = 0;
  const until = Date.now() + 6000;
  const probes = [];
  while (Date.now() < until) {
    const request = { cls: 'slow-clients', route: 'count', method: 'GET', path: '/api/Todos/count', headers: {},
      recipe: 'while 70 connections trickle a body (1 byte / 1.5 s) and 300 connections are idle' };
    counts.set('slow-clients', (counts.get('slow-clients') ?? 0) + 1);
    sent++;
    n++;
    probes.push(send(server, request, { agent: false }).then((reply) => {
      if (reply.error === 'timeout' || reply.ms > LIMIT_MS) fail('no answer within 2 s', request, 'timeout');
      else if (reply.status !== 200) fail('slow clients: probe failed', request, String(reply.status ?? reply.error));
      if (slowest.length < 10 || reply.ms > slowest[slowest.length - 1].ms) {
        slowest.push({ ms: reply.ms, what: `slow-clients GET /api/Todos/count` });
        slowest.sort((a, b) => b.ms - a.ms);
        slowest = slowest.slice(0, 10);
      }
    }));
    await new Promise((r) => setTimeout(r, 250));
  }
  await Promise.all(probes);
  for (const socket of sockets) {
    clearInterval(socket.timer);
    socket.destroy();
  }
  // The pool drains the closed connections; give it a moment before measuring the rest.
  await new Promise((r) => setTimeout(r, 1000));
  return n;
}

async function finalChecks() {
  const list = await verify('GET', '/api/Todos');
  assertOr(list.status === 200 && Array.isArray(list.json), 'GET /api/Todos lists the records', `${list.status ?? list.error}`);
  const records = Array.isArray(list.json) ? list.json : [];
  try { utf8.decode(list.body); } catch { fail('final: GET /api/Todos answers invalid UTF-8', null, 'list'); }
  const ids = new Set();
  let next = 0;
  const unreadable = [];
  const reader = async () => {
    while (next < records.length) {
      const record = records[next++];
      if (typeof record?.id !== 'string') {
        unreadable.push(`a listed record without a string id: ${JSON.stringify(record).slice(0, 100)}`);
        continue;
      }
      ids.add(record.id);
      const reply = await verify('GET', `/api/Todos/${byteEncode(record.id)}`);
      if (reply.status !== 200 || reply.json?.id !== record.id) {
        unreadable.push(`GET /api/Todos/${byteEncode(record.id).slice(0, 80)}${record.id.length > 30 ? `... (id of ${record.id.length} bytes)` : ''} -> ${reply.status ?? reply.error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, reader));
  for (const line of unreadable) fail('final: a listed record is not readable through GET /:id', null, line.length > 200 ? line.slice(0, 100) + ' … ' + line.slice(-40) : line, line.slice(0, 300));

  const changes = await verify('GET', '/api/Todos/changes?since=-1');
  assertOr(changes.status === 200 && Array.isArray(changes.json), 'GET /api/Todos/changes?since=-1 answers', `${changes.status ?? changes.error}`);
  const byModelId = new Map();
  for (const change of Array.isArray(changes.json) ? changes.json : []) {
    byModelId.set(change.modelId, [...(byModelId.get(change.modelId) ?? []), change]);
  }
  const short = (id) => (String(id).length > 40 ? `${String(id).slice(0, 40)}... (${String(id).length} bytes)` : JSON.stringify(id));
  for (const [modelId, list] of byModelId) {
    if (list.length !== 1) fail('final: more than one change for a modelId', null, short(modelId), `${list.length} changes for ${short(modelId)}`);
    const change = list[0];
    if (ids.has(modelId)) {
      if (typeof change.rev !== 'string' || change.rev === '') fail('final: a record whose change has no rev', null, short(modelId), JSON.stringify(change).slice(0, 200));
    } else if (change.rev !== null || !change.prev) {
      fail('final: a change without a record is not a delete (rev null, prev set)', null, short(modelId), JSON.stringify(change).slice(0, 200));
    }
  }
  for (const id of ids) {
    if (!byModelId.has(id)) fail('final: a record without a change', null, short(id), short(id));
  }
  return { records: records.length, changes: byModelId.size, unreadable: unreadable.length };
}

function assertOr(ok, what, detail) {
  if (!ok) fail(`final: ${what}`, null, detail);
}

test('hostile input: no 5xx, no crash, no stall, bounded memory, every record readable afterwards', { timeout: 600000 }, async () => {
  const t0 = performance.now();
  console.log(`hostile: HOSTILE_SEED=${SEED}`);
  const rand = prng(SEED);
  models = modelsDir();
  const dir = mkdtempSync(join(tmpdir(), 'replicore-hostile-'));
  dbFile = join(dir, 'hostile.db');
  server = await launch();
  const firstPid = server.pid;
  try {
    for (const id of seedIds) {
      const reply = await verify('PUT', '/api/Todos', { id, title: `seed ${id} %_' "`, meta: { n: 1 } });
      assert.equal(reply.status, 200, `seed ${id}`);
    }
    await new Promise((r) => setTimeout(r, 300));
    server.startRss = rssMb(server.pid).rss;

    const rssAt = [`start ${Math.round(server.startRss)}`];
    const tA = performance.now();
    const a = await phaseA(rand);
    rssAt.push(`after A ${Math.round(rssMb(server.pid).rss)}`);
    const tB = performance.now();
    const b = await phaseB();
    rssAt.push(`after B ${Math.round(rssMb(server.pid).rss)}`);
    const tC = performance.now();
    const c = await phaseC();
    rssAt.push(`after C ${Math.round(rssMb(server.pid).rss)}`);
    const tD = performance.now();
    const summary = await finalChecks();
    const tE = performance.now();

    await new Promise((r) => setTimeout(r, 500));
    const memory = rssMb(server.pid);
    const grown = memory.rss - server.startRss;
    if (!(grown < RSS_SLACK_MB)) {
      fail(`RSS did not come back within ${RSS_SLACK_MB} MB of its start`, null, `${Math.round(server.startRss)} -> ${Math.round(memory.rss)} MB`);
    }
    if (server.dead) fail('server process exited', null, 'at the end');

    console.log(`hostile: phase A ${a} requests in ${((tB - tA) / 1000).toFixed(1)} s (${CONNECTIONS} connections, ${MUTATIONS} of them mutations); ` +
      `phase B ${b} heavy requests in ${((tC - tB) / 1000).toFixed(1)} s; phase C ${c} probes under slow clients in ${((tD - tC) / 1000).toFixed(1)} s; ` +
      `final check of ${summary.records} records and ${summary.changes} changes in ${((tE - tD) / 1000).toFixed(1)} s`);
    console.log(`hostile: ${sent} requests sent, ${skipped} skipped; server restarts: ${restarts}` +
      `${server.pid !== firstPid ? ' (RSS compared within the last process)' : ''}; RSS ${Math.round(server.startRss)} MB at start, ` +
      `${Math.round(memory.rss)} MB at the end, peak ${Math.round(memory.hwm)} MB (last process); MB: ${rssAt.join(', ')}, end ${Math.round(memory.rss)}`);
    console.log('hostile: requests per class');
    for (const [cls, n] of [...counts].sort((x, y) => y[1] - x[1])) {
      console.log(`  ${cls.padEnd(24)} ${String(n).padStart(6)}   ${classMs.has(cls) ? `${(classMs.get(cls) / 1000).toFixed(1)} s summed` : ''}`);
    }
    console.log(`hostile: mutations: ${[...mutations].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log('hostile: slowest requests');
    for (const s of slowest) console.log(`  ${Math.round(s.ms)} ms  ${s.what}`);
    console.log(`hostile: total time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    if (!server.dead) {
      server.killedByUs = true;
      server.process.kill('SIGTERM');
      await stopped(server.process);
    }
    server.agent.destroy();
    server.probeAgent.destroy();
    rmSync(models, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  const report = [...failures].sort().map(([key, g]) => `[${g.count}x] ${key}` +
    (g.classes.size ? `\n      classes: ${[...g.classes].join(', ')}\n      routes: ${[...g.routes].join(', ')}` : '') +
    `\n      seen: ${[...g.details].join(' ; ')}\n      e.g. ${g.example}`);
  if (report.length) console.log(`hostile: ${report.length} distinct failures\n${report.join('\n')}\n(replay: HOSTILE_SEED=${SEED})`);
  assert.equal(sent >= 10000, true, `at least 10,000 requests (sent ${sent})`);
  assert.equal(report.length, 0, `${report.length} distinct failures (listed above), HOSTILE_SEED=${SEED}`);
});
