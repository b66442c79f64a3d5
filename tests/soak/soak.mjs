// Convergence soak (issue 20, item 8): K wasm clients in Node, each its own replicore
// database ('file' for even clients, 'memory' for odd ones), replicate through a real
// replicore-server over HTTP (SQLite file db) while a seeded PRNG writes on a small id space
// (so that conflicts happen), takes clients offline, injects network faults through the
// `fetch` given to remote(), restarts file clients, and kill -9s the server. At the end:
// faults off, every client replicates until a whole pass is quiet (bounded), then every
// replica equals the server and the oracle (README.md, "The oracle") accounts for every
// acknowledged write.
//
//   node tests/soak/soak.mjs --seed N --seconds S --clients K [--ids N] [--trace FILE]
//
// Seeded and replayable: the seed fixes every decision each actor makes (its operations,
// offline periods, the fault drawn for each of its requests, the kill schedule); the
// interleaving of the actors and the server's timing are not fixed, so a replay takes the
// same path until timing makes it differ. Exit code 0 when every check holds.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { open, remote, revision } from '../../js/src/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const todoModel = {
  name: 'Todo', plural: 'Todos', base: 'PersistedModel', strict: 'throw', trackChanges: true,
  properties: {
    id: { id: true, type: 'string', defaultFn: 'guid' },
    title: 'string',
    completed: { type: 'boolean', default: false },
    created: { type: 'number', defaultFn: 'now' },
    dueAt: { type: 'date' },
    meta: { type: 'object' },
  },
};

// ---------------------------------------------------------------- seeded randomness
// splitmix32 seeds one sfc32 stream per actor: the same seed gives every actor the same
// sequence of decisions whatever the others do.
function splitmix(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function rngFor(seed, stream) {
  const mix = splitmix((seed * 7919 + stream * 104729) >>> 0);
  let a = mix(), b = mix(), c = mix(), d = mix();
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const rng = () => next();
  rng.int = (n) => Math.floor(next() * n);
  rng.range = (lo, hi) => lo + next() * (hi - lo);
  rng.pick = (list) => list[Math.floor(next() * list.length)];
  return rng;
}

const sleep = (ms, signal) => new Promise((done, fail) => {
  const timer = setTimeout(done, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); fail(new DOMException('aborted', 'AbortError')); });
});

async function freePort() {
  const probe = createServer();
  await new Promise((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address();
  await new Promise((done) => probe.close(done));
  return port;
}

// Resolves a promise within `ms`, else rejects with a 'hang' error (a finding).
function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, fail) => { timer = setTimeout(() => fail(Object.assign(new Error(`hang: ${what} took over ${ms} ms`), { hang: true })), ms); }),
  ]);
}

// ---------------------------------------------------------------- the server
class Server {
  constructor({ binary, db, models, port, onUnexpectedExit }) {
    Object.assign(this, { binary, db, models, port, onUnexpectedExit });
    this.child = null;
    this.expectExit = false;
    this.stderr = '';
  }

  get api() { return `http://127.0.0.1:${this.port}/api`; }

  async start() {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#spawn();
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(100);  // the port may still be held for a moment
      }
    }
  }

  #spawn() {
    const child = spawn(this.binary, ['--db', this.db, '--models', this.models, '--port', String(this.port)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (chunk) => { this.stderr = (this.stderr + chunk).slice(-8000); });
    child.stdout.resume();
    return new Promise((done, fail) => {
      let settled = false;
      // A stalled event loop can fire this timer before it delivers the line the server
      // printed: once given up on, this child is never adopted.
      const timer = setTimeout(() => {
        settled = true;
        child.kill('SIGKILL');
        fail(new Error(`server did not start: ${this.stderr}`));
      }, 30000);
      child.once('error', (error) => { settled = true; clearTimeout(timer); fail(error); });
      const early = (code, signal) => { settled = true; clearTimeout(timer); fail(new Error(`server exited with ${code ?? signal}: ${this.stderr.slice(-500)}`)); };
      child.once('exit', early);
      child.stdout.once('data', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('exit', early);
        this.child = child;
        this.expectExit = false;
        child.once('exit', (code, signal) => {
          if (this.child === child) this.child = null;
          if (!this.expectExit) this.onUnexpectedExit({ code, signal, stderr: this.stderr.slice(-2000) });
        });
        done();
      });
    });
  }

  async kill(signal = 'SIGKILL') {
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    const exited = new Promise((done) => child.once('exit', (code, sig) => done(code ?? sig)));
    child.kill(signal);
    const how = await exited;
    this.child = null;
    return how;
  }
}

// ---------------------------------------------------------------- the oracle
// Nodes: every value written (its tag is the record's title), every delete, every
// "absence" a create was based on. An edge a -> b says "a supersedes b": a was written by
// someone who had b in front of them (a write on its base, a delete of its base), or an
// explicit conflict resolution chose a over b. README.md, "The oracle", says why this is
// strict and where it is approximate.
class Oracle {
  nodes = new Map();   // tag -> {tag, id, kind: 'value'|'delete'|'absence', client, acked, edges:Set, data, what, at}
  byId = new Map();    // record id -> [tags]

  add(node) {
    const full = { acked: false, edges: new Set(), data: null, ...node, at: Date.now() };
    if (this.nodes.has(full.tag)) throw new Error(`oracle: tag ${full.tag} twice`);
    this.nodes.set(full.tag, full);
    if (!this.byId.has(full.id)) this.byId.set(full.id, []);
    this.byId.get(full.id).push(full.tag);
    return full;
  }

  edge(from, to) {
    const node = this.nodes.get(from);
    if (!node) throw new Error(`oracle: a replica holds the value "${from}", which nobody wrote`);
    if (to) node.edges.add(to);
  }

  // The deletes of `id` attempted so far, acknowledged or not (a delete whose answer was
  // lost may have landed): what an absence can stand for.
  deletesOf(id) {
    return (this.byId.get(id) ?? []).filter((t) => this.nodes.get(t).kind === 'delete');
  }

  // Problems with `final` (Map id -> record) as the outcome of everything recorded.
  check(final) {
    const problems = [];
    const ids = new Set([...this.byId.keys(), ...final.keys()]);
    for (const id of ids) {
      const record = final.get(id) ?? null;
      const tags = this.byId.get(id) ?? [];
      let start;
      if (record) {
        const node = this.nodes.get(record.title);
        if (!node || node.id !== id || node.kind !== 'value') {
          problems.push({ id, problem: 'final value written by nobody', record });
          continue;
        }
        if (node.data && !sameRecord(node.data, record)) {
          problems.push({ id, problem: 'final value differs from what was written', written: node.data, record });
        }
        start = [node.tag];
      } else {
        start = tags.filter((t) => this.nodes.get(t).kind === 'delete');
        if (!start.length && tags.some((t) => this.nodes.get(t).acked)) {
          problems.push({ id, problem: 'record gone, but nobody deleted it' });
          continue;
        }
      }
      const reach = new Set(start);
      const stack = [...start];
      while (stack.length) {
        for (const next of this.nodes.get(stack.pop()).edges) {
          if (!reach.has(next)) { reach.add(next); stack.push(next); }
        }
      }
      for (const tag of tags) {
        const node = this.nodes.get(tag);
        if (node.acked && node.kind !== 'absence' && !reach.has(tag)) {
          problems.push({ id, problem: 'acknowledged write lost', lost: describe(node), final: record ? record.title : '(deleted)' });
        }
      }
    }
    return problems;
  }

  history(id) {
    return (this.byId.get(id) ?? []).map((t) => describe(this.nodes.get(t)));
  }
}

function describe(node) {
  return `${node.tag} ${node.kind} by c${node.client} (${node.what}${node.acked ? ', acked' : ', not acked'}) -> [${[...node.edges].join(' ')}]`;
}

const canonical = (record) => JSON.stringify(Object.keys(record).sort().map((k) => [k, record[k]]));
function sameRecord(a, b) { return canonical(a) === canonical(b); }

// LoopBack's rev of a flat record: sha1 of the canonical JSON (sorted keys).
function flatRev(record) {
  const keys = Object.keys(record).sort();
  const text = '{' + keys.map((k) => JSON.stringify(k) + ':' + JSON.stringify(record[k])).join(',') + '}';
  return createHash('sha1').update(text).digest('hex');
}

// ---------------------------------------------------------------- the soak
export async function runSoak(options = {}) {
  const seed = options.seed ?? 1;
  const seconds = options.seconds ?? 30;
  const clientCount = options.clients ?? 4;
  const idSpace = options.ids ?? 2 * clientCount;
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const trace = options.trace ? (event) => appendFileSync(options.trace, `${JSON.stringify({ t: Date.now(), ...event })}\n`) : () => {};
  if (options.trace) writeFileSync(options.trace, '');
  // 'resolve': pull conflicts are resolved where the pull reports them, as db.sync does
  // (such a resolution writes the server); 'push': left to the push, which reports them
  // again and resolves them on the client (README.md, finding 1a).
  const pullConflicts = options.pullConflicts ?? 'resolve';
  const binary = resolve(options.server ?? process.env.REPLICORE_SERVER ?? join(repo, 'build', 'replicore-server'));
  // Per request, in this order: fail before sending, a proxy's 502, a delay before sending,
  // the answer dropped after the server processed the request, the answer cut mid-body.
  const rates = { failBeforeSend: 0.01, badGateway: 0.005, delay: 0.03, dropResponse: 0.02, truncate: 0.008, ...options.rates };

  const dir = mkdtempSync(join(tmpdir(), 'replicore-soak-'));
  const modelsDir = join(dir, 'models');
  mkdirSync(modelsDir);
  writeFileSync(join(modelsDir, 'todo.json'), JSON.stringify(todoModel));

  const stats = {
    seed, seconds, clients: clientCount, ids: idSpace, pullConflicts,
    writes: 0, acknowledgedWrites: 0, writesByKind: { create: 0, patch: 0, replace: 0, delete: 0 },
    syncRounds: 0, syncRoundsFailed: 0, requests: 0,
    conflictsReported: 0, conflictsResolved: 0, resolutionsByKind: { source: 0, target: 0, manual: 0, manualDelete: 0 },
    resolutionsFailed: 0, resolutionsDeferred: 0,
    offlinePeriods: 0, requestsRefusedOffline: 0,
    faults: { failBeforeSend: 0, badGateway: 0, delay: 0, dropResponse: 0, truncate: 0 },
    serverKills: 0, clientRestarts: 0, errorsByCode: {},
    resultDiffersFromStored: {}, maxEventLoopStallMs: 0, finalPasses: 0, records: 0, elapsedSeconds: 0,
  };
  const findings = [];
  const finding = (kind, detail) => { findings.push({ kind, ...detail }); trace({ finding: kind, ...detail }); log(`FINDING ${kind}: ${JSON.stringify(detail).slice(0, 2000)}`); };

  const oracle = new Oracle();
  const port = await freePort();
  const server = new Server({ binary, db: join(dir, 'server.db'), models: modelsDir, port,
    onUnexpectedExit: (how) => finding('server-exit', how) });
  let faultsOn = true;
  const started = Date.now();

  // ---- clients
  const clients = Array.from({ length: clientCount }, (_, i) => ({
    index: i,
    rng: rngFor(seed, i + 1),          // the client's decisions
    faultRng: rngFor(seed, 1000 + i),  // the fate of each of its requests
    storage: i % 2 === 0 ? 'file' : 'memory',
    directory: join(dir, `client${i}`),
    name: `client${i}`,
    db: null,
    server: null,
    offlineUntil: 0,
    counter: 0,
  }));

  function faultyFetch(client) {
    const traced = inner(client);
    return (url, init) => {
      const at = Date.now();
      const fault = { kind: null };
      return traced(url, init, fault).then((response) => {
        trace({ c: client.index, req: `${init.method} ${String(url).replace(/^http:\/\/[^/]+\/api/, '')}`, ms: Date.now() - at, status: response.status, fault: fault.kind });
        return response;
      }, (error) => {
        trace({ c: client.index, req: `${init.method} ${String(url).replace(/^http:\/\/[^/]+\/api/, '')}`, ms: Date.now() - at, failed: String(error.message).slice(0, 80), fault: fault.kind });
        throw error;
      });
    };
  }

  function inner(client) {
    return async (url, init, fault) => {
      stats.requests += 1;
      if (!faultsOn) return fetch(url, init);
      if (Date.now() < client.offlineUntil) {
        stats.requestsRefusedOffline += 1;
        fault.kind = 'offline';
        throw new TypeError('fetch failed (offline)');
      }
      let r = client.faultRng();
      const take = (kind) => { if (r < rates[kind]) { fault.kind = kind; return true; } r -= rates[kind]; return false; };
      if (take('failBeforeSend')) { stats.faults.failBeforeSend += 1; throw new TypeError('fetch failed (injected before sending)'); }
      if (take('badGateway')) {
        stats.faults.badGateway += 1;
        return new Response('<html>502 Bad Gateway (injected)</html>', { status: 502, headers: { 'content-type': 'text/html' } });
      }
      if (take('delay')) { stats.faults.delay += 1; await sleep(client.faultRng.range(50, 1500), init.signal); }
      const drop = take('dropResponse');
      const truncate = !drop && take('truncate');
      const response = await fetch(url, init);
      if (!drop && !truncate) return response;
      const body = new Uint8Array(await response.arrayBuffer());
      if (drop || body.length < 2) {
        stats.faults.dropResponse += 1;
        throw new TypeError('connection reset (injected after the server answered)');
      }
      stats.faults.truncate += 1;
      const cut = 1 + client.faultRng.int(body.length - 1);
      const headers = new Headers(response.headers);
      headers.delete('content-encoding');
      headers.delete('content-length');
      return new Response(new ReadableStream({
        start(controller) {
          controller.enqueue(body.slice(0, cut));
          controller.error(new TypeError('terminated (injected: the body was cut)'));
        },
      }), { status: response.status, headers });
    };
  }

  async function openClient(client) {
    client.db = await open({ name: client.name, models: [todoModel], storage: client.storage,
      ...(client.storage === 'file' ? { directory: client.directory } : {}) });
    client.server = remote(server.api, { models: [todoModel], fetch: faultyFetch(client), timeout: 4000 });
  }

  const tag = (client, kind) => `c${client.index}.${kind}${++client.counter}`;
  const noteError = (error) => { const code = error.hang ? 'hang' : (error.code ?? error.name ?? 'unknown'); stats.errorsByCode[code] = (stats.errorsByCode[code] ?? 0) + 1; return code; };
  // Errors a fault or a kill explains: network, timeout, and 'server' for the injected
  // 502 (anything else from the real server is a finding); and 'conflict' from a
  // resolution the other side refused because its record moved since the conflict was
  // reported (finding 1's fix): the next round reports the conflict again, with that write.
  const explained = (error) => error.code === 'network' || error.code === 'timeout' ||
    (error.code === 'server' && error.status === 502 && faultsOn) ||
    (error.code === 'conflict' && error.fromResolution);

  // ---- one local write: its base is what this client holds now (nothing else touches
  // this client's database meanwhile: each client does one thing at a time).
  async function write(client) {
    const { rng, db } = client;
    const id = `t${rng.int(idSpace)}`;
    const base = await db.Todo.findById(id);
    let node;
    let result;
    stats.writes += 1;
    if (!base) {
      const t = tag(client, 'v');
      node = oracle.add({ tag: t, id, kind: 'value', client: client.index, what: 'create' });
      const absence = oracle.add({ tag: `${t}~absent`, id, kind: 'absence', client: client.index, what: 'absence seen', acked: true });
      for (const d of oracle.deletesOf(id)) oracle.edge(absence.tag, d);
      oracle.edge(t, absence.tag);
      stats.writesByKind.create += 1;
      const data = { id, title: t, completed: rng() < 0.5 };
      node.what = rng() < 0.7 ? 'create' : 'upsert';
      result = node.what === 'create' ? await db.Todo.create(data) : await db.Todo.upsert(data);
    } else {
      const choice = rng();
      if (choice < 0.2) {
        const t = tag(client, 'd');
        node = oracle.add({ tag: t, id, kind: 'delete', client: client.index, what: 'delete' });
        oracle.edge(t, base.title);
        stats.writesByKind.delete += 1;
        const { count } = await db.Todo.deleteById(id);
        if (count !== 1) throw new Error(`deleteById(${id}) counted ${count} though findById found it`);
      } else {
        const t = tag(client, 'v');
        node = oracle.add({ tag: t, id, kind: 'value', client: client.index, what: choice < 0.85 ? 'patch' : 'replace' });
        oracle.edge(t, base.title);
        if (choice < 0.85) {
          stats.writesByKind.patch += 1;
          result = await db.Todo.patchById(id, { title: t, completed: rng() < 0.5 });
        } else {
          stats.writesByKind.replace += 1;
          result = await db.Todo.replaceById(id, { title: t, meta: { by: client.index, n: client.counter } });
        }
      }
    }
    node.acked = true;
    stats.acknowledgedWrites += 1;
    if (result) {
      // What the client holds now is what must replicate; the resolved value should be it.
      node.data = await db.Todo.findById(id);
      if (!node.data || !sameRecord(node.data, result)) {
        stats.resultDiffersFromStored[node.what] = (stats.resultDiffersFromStored[node.what] ?? 0) + 1;
      }
    }
    trace({ c: client.index, write: node.what, id, tag: node.tag, base: base?.title ?? null });
  }

  // ---- conflicts: resolved through the public API, choosing a side (or new data) at
  // random, and recorded as superseding the side that lost. A conflict is resolved only
  // when both sides still hold the revisions the conflict names (else the next round
  // reports it again): so the oracle knows exactly which values lost.
  async function resolveConflict(client, conflict, direction, { final, how: forced }) {
    stats.conflictsReported += 1;
    const { source: sourceChange, target: targetChange } = conflict.changes();
    const { source, target } = await conflict.models();
    const revOf = async (record) => (record ? (await revision(record)).rev : null);
    const [sourceRev, targetRev] = [await revOf(source), await revOf(target)];
    if (sourceRev !== (sourceChange?.rev ?? null) || targetRev !== (targetChange?.rev ?? null)) {
      stats.resolutionsDeferred += 1;
      trace({ c: client.index, deferred: conflict.modelId, direction, sourceRev, targetRev, sourceChange, targetChange });
      return;
    }
    const id = conflict.modelId;
    const r = client.rng();
    const how = forced ?? (r < 0.4 ? 'source' : r < 0.8 ? 'target' : (r < 0.95 || final) ? 'manual' : 'manualDelete');
    const titleOf = (record) => record?.title ?? null;
    // A side that is deleted stands for an absence: the deletes of the record seen so far.
    const sideNode = (record, label) => {
      if (record) return record.title;
      const absence = oracle.add({ tag: tag(client, 'a'), id, kind: 'absence', client: client.index, what: `deleted ${label} in a conflict`, acked: true });
      for (const d of oracle.deletesOf(id)) oracle.edge(absence.tag, d);
      return absence.tag;
    };
    let node = null;
    let run;
    if (how === 'source' || how === 'target') {
      const [winner, loser] = how === 'source' ? [source, target] : [target, source];
      const [wl, ll] = how === 'source' ? ['source', 'target'] : ['target', 'source'];
      if (winner) {
        node = { tag: winner.title, resolution: true };
        oracle.edge(winner.title, sideNode(loser, ll));
      } else {
        // The deleted side wins: a delete of the other side's value.
        node = oracle.add({ tag: tag(client, 'd'), id, kind: 'delete', client: client.index, what: `resolution keeping the deleted ${wl}` });
        oracle.edge(node.tag, sideNode(loser, ll));
      }
      run = () => (how === 'source' ? conflict.resolveUsingSource() : conflict.resolveUsingTarget());
    } else if (how === 'manual') {
      const t = tag(client, 'm');
      node = oracle.add({ tag: t, id, kind: 'value', client: client.index, what: `manual resolution of ${titleOf(source)} / ${titleOf(target)}` });
      oracle.edge(t, sideNode(source, 'source'));
      oracle.edge(t, sideNode(target, 'target'));
      run = () => conflict.resolveManually({ id, title: t, completed: client.rng() < 0.5 });
    } else {
      node = oracle.add({ tag: tag(client, 'd'), id, kind: 'delete', client: client.index, what: 'manual resolution to a delete' });
      oracle.edge(node.tag, sideNode(source, 'source'));
      oracle.edge(node.tag, sideNode(target, 'target'));
      run = () => conflict.resolveManually(null);
    }
    trace({ c: client.index, resolve: id, direction, how, source: titleOf(source), target: titleOf(target), node: node.tag });
    try {
      await run();
    } catch (error) {
      stats.resolutionsFailed += 1;
      trace({ c: client.index, resolveFailed: id, node: node.tag, error: error.code });
      error.fromResolution = true;
      throw error;
    }
    trace({ c: client.index, resolved: id, node: node.tag });
    if (!node.resolution) node.acked = true;
    stats.conflictsResolved += 1;
    stats.resolutionsByKind[how] += 1;
  }

  // ---- one round, as db.sync runs it: pull, then push; conflicts of each resolved.
  async function round(client, { final = false } = {}) {
    const local = client.db.Todo;
    const peer = client.server.Todo;
    let applied = 0;
    let conflicts = 0;
    stats.syncRounds += 1;
    try {
      const pulled = await peer.replicate(local);
      applied += pulled.applied ?? 0;
      const seen = new Set();
      for (const conflict of pulled.conflicts) {
        conflicts += 1;
        if (pullConflicts === 'push') continue;  // the push reports it again; resolved there
        seen.add(conflict.modelId);
        await resolveConflict(client, conflict, 'pull', { final });
      }
      const pushed = await local.replicate(peer);
      applied += pushed.applied ?? 0;
      for (const conflict of pushed.conflicts) {
        conflicts += 1;
        if (seen.has(conflict.modelId)) continue;  // resolved above; the next round carries it
        seen.add(conflict.modelId);
        await resolveConflict(client, conflict, 'push', { final });
      }
      // 'push': a pull conflict the push does not report (the client's side of it was
      // pushed before) is resolved with the server's version, which writes no record on
      // the server (only its change row's prev), or copies a deleted side on the client.
      for (const conflict of pullConflicts === 'push' ? pulled.conflicts : []) {
        if (seen.has(conflict.modelId)) continue;
        await resolveConflict(client, conflict, 'pull', { final, how: 'source' });
      }
    } catch (error) {
      stats.syncRoundsFailed += 1;
      throw error;
    }
    trace({ c: client.index, round: true, applied, conflicts });
    return { applied, conflicts };
  }

  // ---- the actors
  let running = true;
  const deadline = started + seconds * 1000;

  async function clientActor(client) {
    const { rng } = client;
    while (running && Date.now() < deadline) {
      const r = rng();
      let action;
      const offline = Date.now() < client.offlineUntil;
      if (r < 0.55) action = 'write';
      else if (r < 0.93 && offline && rng() < 0.8) action = 'pause';  // fewer futile rounds
      else if (r < 0.93) action = 'round';
      else if (r < 0.945) action = 'offline';
      else if (r < 0.96 && client.storage === 'file') action = 'restart';
      else action = 'pause';
      try {
        if (action === 'write') await bounded(write(client), 30000, `c${client.index} write`);
        else if (action === 'round') await bounded(round(client), 60000, `c${client.index} round`);
        else if (action === 'offline') {
          stats.offlinePeriods += 1;
          client.offlineUntil = Date.now() + rng.range(300, 2500);
          trace({ c: client.index, offlineUntil: client.offlineUntil });
        } else if (action === 'restart') {
          stats.clientRestarts += 1;
          await bounded(client.db.close(), 30000, `c${client.index} close`);
          await bounded(openClient(client), 30000, `c${client.index} reopen`);
          trace({ c: client.index, restarted: true });
        }
      } catch (error) {
        const code = noteError(error);
        trace({ c: client.index, action, error: code, message: String(error.message).slice(0, 300) });
        if (error.hang) { finding('hang', { client: client.index, action, message: error.message }); running = false; return; }
        if (!explained(error)) finding('unexpected-error', { client: client.index, action, code, status: error.status, message: String(error.message).slice(0, 500) });
      }
      await sleep(action === 'pause' ? 50 + rng.int(100) : rng.int(40));
    }
  }

  async function killer() {
    const rng = rngFor(seed, 999);
    while (running) {
      const wait = rng.range(1500, 6000);
      if (Date.now() + wait > deadline) break;
      await sleep(wait);
      if (!running) break;
      stats.serverKills += 1;
      trace({ kill: stats.serverKills });
      await server.kill('SIGKILL');
      await sleep(rng.range(0, 800));
      await server.start();
    }
  }

  // The event loop's worst stall (timers late by this much): file clients fsync
  // synchronously, and a stall delays every actor, the killer included.
  let tick = Date.now();
  const lagTimer = setInterval(() => {
    const now = Date.now();
    stats.maxEventLoopStallMs = Math.max(stats.maxEventLoopStallMs, now - tick - 100);
    tick = now;
  }, 100);
  let progress;
  try {
    await server.start();
    for (const client of clients) await openClient(client);
    log(`soak: seed ${seed}, ${seconds} s, ${clientCount} clients, ${idSpace} ids, server ${binary} on 127.0.0.1:${port}, data in ${dir}`);
    progress = setInterval(() => {
      log(`  ${Math.round((Date.now() - started) / 1000)} s: ${stats.acknowledgedWrites} acked writes, ${stats.syncRounds} rounds (${stats.syncRoundsFailed} failed), ` +
        `${stats.conflictsResolved} conflicts resolved, ${stats.serverKills} kills, ${stats.requests} requests`);
    }, 10000);
    await Promise.all([...clients.map(clientActor), killer()]);
    running = false;

    // ---- the end: faults off, server up, every client replicates until a pass is quiet
    faultsOn = false;
    for (const client of clients) client.offlineUntil = 0;
    if (!server.child) await server.start();
    let quiet = false;
    for (let pass = 1; pass <= 30 && !quiet && !findings.some((f) => f.kind === 'hang'); pass++) {
      stats.finalPasses = pass;
      quiet = true;
      for (const client of clients) {
        try {
          const { applied, conflicts } = await bounded(round(client, { final: true }), 60000, `c${client.index} final round`);
          if (applied || conflicts) quiet = false;
        } catch (error) {
          quiet = false;
          const code = noteError(error);
          if (error.hang) finding('hang', { client: client.index, action: 'final round', message: error.message });
          else finding('final-round-failed', { client: client.index, code, status: error.status, message: String(error.message).slice(0, 500) });
        }
      }
    }
    if (!quiet) finding('no-convergence', { passes: stats.finalPasses });

    // ---- checks
    const api = remote(server.api, { models: [todoModel] }).Todo;
    const serverRecords = await api.find({ order: 'id ASC' });
    stats.records = serverRecords.length;
    const final = new Map(serverRecords.map((r) => [r.id, r]));
    const serverText = serverRecords.map(canonical);
    for (const client of clients) {
      const mine = await client.db.Todo.find({ order: 'id ASC' });
      const text = mine.map(canonical);
      if (text.join('\n') !== serverText.join('\n')) {
        const diff = [];
        const theirs = new Map(mine.map((r) => [r.id, r]));
        for (const id of new Set([...final.keys(), ...theirs.keys()])) {
          const a = final.get(id); const b = theirs.get(id);
          if (!a || !b || !sameRecord(a, b)) diff.push({ id, server: a ?? null, client: b ?? null });
        }
        finding('divergence', { client: client.index, diff });
      }
      const pending = await client.db.Todo._pendingPush(client.server.Todo);
      if (pending !== 0) finding('pending-after-convergence', { client: client.index, pending });
    }
    // The server's change log agrees with its records: one row per id, rev = sha1(canonical).
    const changes = await api.changes(-1);
    const rows = new Map();
    for (const row of changes) {
      if (rows.has(row.modelId)) finding('change-log', { id: row.modelId, problem: 'two change rows' });
      rows.set(row.modelId, row);
    }
    for (const record of serverRecords) {
      const row = rows.get(record.id);
      const rev = (await revision(record)).rev;
      if (!row || row.rev !== rev) finding('change-log', { id: record.id, problem: 'rev disagrees with the record', row, rev, flat: flatRev(record) });
    }
    for (const [id, row] of rows) {
      if (!final.has(id) && row.rev !== null) finding('change-log', { id, problem: 'a row with a rev for a missing record', row });
    }
    for (const problem of oracle.check(final)) {
      finding('oracle', { ...problem, history: oracle.history(problem.id) });
    }
  } finally {
    running = false;
    clearInterval(progress);
    clearInterval(lagTimer);
    for (const client of clients) await client.db?.close().catch(() => {});
    await server.kill('SIGTERM').catch(() => {});
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
  stats.elapsedSeconds = Math.round((Date.now() - started) / 100) / 10;
  stats.findings = findings.length;
  return { ok: findings.length === 0, stats, findings };
}

// ---------------------------------------------------------------- command line
function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (key === 'keep') { options.keep = true; continue; }
    i += 1;
    if (['seed', 'seconds', 'clients', 'ids'].includes(key)) options[key] = Number(value);
    else if (key === 'trace' || key === 'server') options[key] = value;
    else if (key === 'pull-conflicts' && ['resolve', 'push'].includes(value)) options.pullConflicts = value;
    else throw new Error(`unknown option --${key}`);
  }
  return options;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  const { ok, stats, findings } = await runSoak(options);
  console.log(JSON.stringify(stats, null, 2));
  if (!ok) {
    console.log(`FAILED with ${findings.length} finding(s); replay: node tests/soak/soak.mjs --seed ${stats.seed} --seconds ${stats.seconds} --clients ${stats.clients} --ids ${stats.ids} --pull-conflicts ${stats.pullConflicts}`);
    process.exitCode = 1;
  } else {
    console.log('OK: every replica equals the server, every acknowledged write is present or superseded');
  }
}
