// A database: the wasm core holding every record in memory, a storage that persists what
// the core commits, and the models' APIs. ARCHITECTURE.md §3, with several tabs on one
// database (js/README.md, "Several tabs"): writes are queued; every write of the same tick,
// and all that arrive while a commit is in flight, run in the core together and go in one
// commit, which lands only if no other tab committed since (else they run again after the
// other tabs' commits are applied), so no write is computed on stale state; promises
// resolve and `change` events fire once it completed; a failed commit rolls memory back to
// what is on disk and rejects every write it undid. Other tabs hear of each commit on the
// database's channel and apply it.
import { loadCore } from './core.js';
import { ReplicoreError, storageError, unwrap } from './errors.js';
import { Model } from './model.js';
import { Sync } from './sync.js';
import { Tabs } from './tabs.js';
import { toJsonText } from './values.js';
import { storageFor } from './storage/index.js';

const PAGE_RECORDS = 2000;

// A step of a stepped party ({request: {op, args}}, {done} or {error}). A request keeps
// its args' text as the core wrote it (`{"request":{"op":"…","args":ARGS}}`), so a chunk of
// records goes on the wire without being serialized again.
function parseStep(text) {
  const step = JSON.parse(text);
  if (step.request) step.request.argsText = text.slice(text.indexOf('"args":') + 7, -2);
  return step;
}

export class Database {
  #module;
  #definitions;         // model definitions as JSON texts, to rebuild the core
  #core;
  #connection;
  #tabs;
  #applied;             // the newest journal key the core reflects
  #queue = [];          // writes waiting for the next commit
  #scheduled = false;   // a flush is queued behind #tail
  #tail = Promise.resolve();  // this tab's sections (commits, catch-ups), one at a time
  #sections = 0;        // sections queued or running
  #listeners = new Map();  // model name -> Set of change listeners
  #closed = false;
  #steppeds = new Set();  // stepped replicates and resolutions borrowing the core
  #syncs = new Set();
  #key;                 // storage and name: orders the databases of a two-database section

  constructor(name, module, definitions, core, connection, key, shared) {
    this.name = name;
    this.#module = module;
    this.#definitions = definitions;
    this.#core = core;
    this.#connection = connection;
    this.#applied = connection.state.last;
    this.#key = key;
    this.#tabs = new Tabs(key, shared, (message) => this.#onCommit(message));
    this.models = {};
  }

  static async open(options) {
    const { name, models, storage, durability = 'default', directory, wasm } = checkOptions(options);
    const module = await loadCore(wasm);
    const definitions = models.map((d) => (typeof d === 'string' ? d : toJsonText(d)));
    const connector = storageFor(storage);
    let core = null;
    let connection;
    try {
      core = newCore(module, definitions);
      connection = await connector.open(name, { durability, directory });
      loadInto(core, [...connection.state.pages, ...connection.state.journal]);
    } catch (error) {
      core?.delete();
      if (connection) await connection.close();
      throw error;
    }
    const db = new Database(name, module, definitions, core, connection,
      `${connector.name}:${name}`, connector.shared);
    for (const text of definitions) {
      const modelName = JSON.parse(text).name;
      const model = new Model(db, modelName);
      db.models[modelName] = model;
      if (!(modelName in db)) db[modelName] = model;
    }
    return db;
  }

  model(name) {
    const model = this.models[name];
    if (!model) throw new ReplicoreError('not_found', `no model "${name}" in database "${this.name}"`);
    return model;
  }

  // The tabs sharing this database: its lock (isLeader, whenLeader) and channel (publish).
  get tabs() { return this.#tabs; }

  // Live sync with a remote() database: see sync.js; options {models?, live?, interval?,
  // conflicts?, retry?}. Stopped by close().
  sync(remote, options) {
    this.#checkOpen();
    const sync = new Sync(this, remote, options);
    this.#syncs.add(sync);
    return sync;
  }

  // Bumps the checkpoint (LoopBack's Model.checkpoint); resolves to {seq, time, id}.
  checkpoint() {
    return this._write('checkpoint', Object.keys(this.models)[0] ?? '', {});
  }

  // Resolves once every write made so far is on disk, then closes; later calls reject
  // with code "closed".
  async close() {
    if (this.#closed) return;
    for (const sync of this.#syncs) await sync.stop();
    await this.#settled();
    if (this.#closed) return;
    this.#closed = true;
    this.#endSteppeds();
    this.#tabs._close();
    this.#core.delete();
    await this.#connection.close();
  }

  // ---- for Model and Conflict
  // Answers from memory, after this tab's writes made so far.
  _read(op, model, args) {
    this.#checkOpen();
    const text = args === undefined ? '' : toJsonText(args);
    if (!this.#sections) return this.#readNow(op, model, text);
    return this.#tail.then(() => this.#readNow(op, model, text));
  }

  // Queues a write; resolves with its result once it is on disk.
  _write(op, model, args) {
    try {
      this.#checkOpen();
      const text = args === undefined ? '' : toJsonText(args);
      return new Promise((resolve, reject) => {
        this.#queue.push({ op, model, text, resolve, reject });
        if (!this.#scheduled) {
          this.#scheduled = true;
          this.#exclusive(() => this.#flush());
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // Runs `run(coreA, coreB)` (a local <-> local replicate or resolve: answer text) on both
  // databases while holding both open for writing, so that no other tab commits to either
  // meanwhile: each is caught up, `run` runs, and `b` commits first (if it cannot persist,
  // `a` must not keep a since past what `b` lost). Databases are taken in the order of
  // their keys, in every tab, so two tabs replicating opposite ways cannot deadlock.
  static _together(a, b, run) {
    if (a.#key === b.#key) {
      throw new ReplicoreError('bad_request', `replicate() needs two databases; both are "${a.name}"`);
    }
    const [first, second] = a.#key < b.#key ? [a, b] : [b, a];
    return first.#exclusive(() => second.#exclusive(async () => {
      a.#checkOpen();
      b.#checkOpen();
      const held = new Map();
      try {
        for (const db of [first, second]) held.set(db, await db.#connection.hold(db.#applied));
      } catch (error) {
        for (const hold of held.values()) hold.abort();
        throw storageError(error);
      }
      const events = new Map([[a, []], [b, []]]);
      let answer;
      try {
        for (const [db, hold] of held) db.#absorb(hold.news, events.get(db));
        answer = run(a.#core, b.#core);
      } catch (error) {
        for (const [db, hold] of held) { hold.abort(); db.#rollback(); }
        throw error;
      }
      for (const db of [b, a]) {
        const plan = db.#plan(held.get(db).news.records);
        let outcome;
        try {
          outcome = await held.get(db).commit(plan);
        } catch (error) {
          db.#rollback();
          if (db === b) {  // `a` commits nothing either
            held.get(a).abort();
            a.#rollback();
          }
          throw storageError(error);
        }
        db.#committed(outcome, plan, events.get(db));
      }
      return unwrap(answer);
    }));
  }

  // Runs a stepped replicate or resolve (core/include/replicore/stepped.h): `start(core)`
  // makes it; each request it hands out goes to `carry(request)`, which resolves to the
  // answer ({ok} or {error}, or its JSON text) or throws to end it. Every step runs in a
  // commit of its own, caught up with the other tabs, so the local side is never written
  // on stale state.
  // Resolves to the done result.
  async _stepped(start, carry) {
    let stepped = null;
    let next;
    try {
      await this.#step(null, () => {
        stepped = this.#adopt(start(this.#core));
        next = parseStep(stepped.next());
      });
      for (;;) {
        if (next.error) throw new ReplicoreError(next.error.code, next.error.message, { details: next.error.details });
        if ('done' in next) return next.done;
        const answer = await carry(next.request);
        // The answer and the next request in one step: one commit per request.
        let failed = '';
        await this.#step(stepped, () => {
          failed = stepped.respond(typeof answer === 'string' ? answer : JSON.stringify(answer));
          if (!failed) next = parseStep(stepped.next());
        });
        if (failed) unwrap(failed);
      }
    } finally {
      if (stepped && this.#steppeds.delete(stepped)) stepped.delete();
    }
  }

  // One step of a stepped party, in a commit caught up with the other tabs.
  #step(stepped, run) {
    return this.#exclusive(async () => {
      this.#checkOpen();
      await this.#commitCaughtUp(() => {
        if (stepped && !this.#steppeds.has(stepped)) {
          throw new ReplicoreError('conflict', `database "${this.name}" reloaded from disk while ` +
            'replicating (another tab compacted it while this one was frozen): replicate again');
        }
        run();
      });
    });
  }

  // Tracks a stepped party: it borrows the core, so a reload (a new core) or a close ends
  // it first.
  #adopt(stepped) {
    this.#steppeds.add(stepped);
    return stepped;
  }

  #endSteppeds() {
    for (const stepped of this.#steppeds) stepped.delete();
    this.#steppeds.clear();
  }

  _on(model, listener) {
    if (typeof listener !== 'function') {
      throw new ReplicoreError('bad_request', 'a change listener must be a function');
    }
    if (!this.#listeners.has(model)) this.#listeners.set(model, new Set());
    this.#listeners.get(model).add(listener);
  }

  _off(model, listener) {
    this.#listeners.get(model)?.delete(listener);
  }

  // ---- one section at a time in this tab: nothing else touches the core meanwhile
  #exclusive(fn) {
    this.#sections += 1;
    const run = this.#tail.then(fn).finally(() => { this.#sections -= 1; });
    this.#tail = run.catch(() => {});
    return run;
  }

  async #settled() {
    while (this.#sections) await this.#tail;
  }

  // ---- group commit
  // First on what this tab knows (one round trip); if another tab committed meanwhile,
  // again inside a transaction that catches up first.
  async #flush() {
    this.#scheduled = false;
    const group = this.#queue.splice(0);
    if (!group.length) return;
    if (this.#closed) {
      const closed = new ReplicoreError('closed', `database "${this.name}" is closed`);
      for (const write of group) write.reject(closed);
      return;
    }
    const runGroup = () => {
      for (const write of group) write.answer = this.#core.call(write.op, write.model, write.text);
    };
    try {
      runGroup();
      if (!await this.#commitIfCurrent()) await this.#commitCaughtUp(runGroup);
    } catch (error) {
      for (const write of group) write.reject(error);
      return;
    }
    for (const write of group) {
      try {
        write.resolve(unwrap(write.answer));
      } catch (error) {
        write.reject(error);
      }
    }
  }

  // Commits what this section wrote in memory, unless another tab committed since this
  // tab's last key: then rolls it back and answers false.
  async #commitIfCurrent() {
    const plan = this.#plan(this.#connection.journaled);
    if (!plan) return true;
    let outcome;
    try {
      outcome = await this.#connection.append(this.#applied, plan);
    } catch (error) {
      this.#rollback();
      throw storageError(error);
    }
    if (outcome.stale) {
      this.#rollback();
      return false;
    }
    this.#committed(outcome, plan, []);
    return true;
  }

  // Commits holding the database for writing: first applies what other tabs committed,
  // then runs `run()` on the core.
  async #commitCaughtUp(run) {
    const events = [];
    let hold;
    let plan;
    let outcome;
    try {
      hold = await this.#connection.hold(this.#applied);
      try {
        this.#absorb(hold.news, events);
        run();
        plan = this.#plan(hold.news.records);
      } catch (error) {
        hold.abort();
        throw error;
      }
      outcome = await hold.commit(plan);
    } catch (error) {
      this.#rollback();
      this.#emit(events);
      throw storageError(error);
    }
    this.#committed(outcome, plan, events);
  }

  #rollback() {
    if (!this.#closed) this.#core.rollback();
  }

  // What a commit writes: this section's batches as one journal entry, and the whole state
  // as pages when the journal holds as many records as half the database (at least 2,000).
  #plan(journalRecords) {
    const core = this.#core;
    const seq = core.lastSeq();
    const records = core.pendingRecords();
    const entry = core.takeBatches();
    if (!entry) return null;
    const compact = this.#connection.durable !== false &&
      journalRecords + records >= Math.max(PAGE_RECORDS, core.recordCount() / 2);
    const pages = compact ? core.exportPages(PAGE_RECORDS).split('\n') : null;
    return { entry, records, pages, seq };
  }

  // After a commit completed: memory is on disk; tell listeners and the other tabs.
  #committed(outcome, plan, events) {
    this.#applied = outcome.last;
    if (plan) {
      this.#core.confirm(plan.seq);
      events.push(plan.entry);
      if (outcome.wrote) {
        this.#tabs._post({ t: 'commit', key: outcome.last, entry: plan.entry, state: outcome.state });
      }
    }
    this.#emit(events);
  }

  // ---- other tabs' commits
  #onCommit({ key, entry, state }) {
    if (key <= this.#applied) return;
    this.#exclusive(async () => {
      if (this.#closed || key <= this.#applied) return;
      if (key === this.#applied + 1) {
        loadInto(this.#core, [entry]);
        this.#applied = key;
        this.#connection.adopt?.(state);
        this.#emit([entry]);
      } else {
        await this.#catchUp();
      }
    }).catch((error) => reportListenerError(error));
  }

  async #catchUp() {
    const news = await this.#connection.read(this.#applied);
    const events = [];
    this.#absorb(news, events);
    this.#emit(events);
  }

  // Applies what other tabs committed: their journal entries in order, or, when this tab
  // lagged behind a compaction that dropped them, the whole state into a new core.
  #absorb(news, events) {
    if (news.reload) {
      const core = newCore(this.#module, this.#definitions);
      try {
        loadInto(core, [...news.reload.pages, ...news.reload.journal]);
      } catch (error) {
        core.delete();
        throw error;
      }
      this.#endSteppeds();
      this.#core.delete();
      this.#core = core;
      events.push(null);
    } else {
      loadInto(this.#core, news.entries);
      events.push(...news.entries);
    }
    this.#applied = news.last;
  }

  // `entries`: journal texts, or null for a reload (listeners then get {type: 'reload'}).
  #emit(entries) {
    if (!this.#listeners.size) return;
    for (const text of entries) {
      if (text === null) {
        for (const [model, listeners] of this.#listeners) notify(listeners, { type: 'reload', model });
        continue;
      }
      for (const batch of JSON.parse(text)) {
        for (const [model, id, data] of batch.r ?? []) {
          const listeners = this.#listeners.get(model);
          if (listeners) notify(listeners, { type: data === null ? 'delete' : 'save', model, id, data });
        }
      }
    }
  }

  #readNow(op, model, text) {
    this.#checkOpen();
    return unwrap(this.#core.call(op, model, text));
  }

  #checkOpen() {
    if (this.#closed) throw new ReplicoreError('closed', `database "${this.name}" is closed`);
  }
}

function newCore(module, definitions) {
  const core = new module.Core();
  try {
    for (const text of definitions) unwrap(core.addModel(text));
  } catch (error) {
    core.delete();
    throw error;
  }
  return core;
}

// Applies persisted texts (pages, journal entries) in order.
function loadInto(core, texts) {
  for (const text of texts) {
    const failed = core.load(text);
    if (failed) unwrap(failed);
  }
}

function notify(listeners, event) {
  for (const listener of listeners) {
    try { listener(event); } catch (error) { reportListenerError(error); }
  }
}

// A throwing listener must not break the commit that notified it.
function reportListenerError(error) {
  setTimeout(() => { throw error; });
}

function checkOptions(options) {
  if (!options || typeof options !== 'object') {
    throw new ReplicoreError('bad_request', 'open() takes an options object');
  }
  const { name, models, durability } = options;
  if (typeof name !== 'string' || !name) {
    throw new ReplicoreError('bad_request', 'open(): "name" must be a non-empty string');
  }
  if (!Array.isArray(models) || !models.length) {
    throw new ReplicoreError('bad_request', 'open(): "models" must be an array of model definitions');
  }
  if (durability !== undefined && !['default', 'relaxed', 'strict'].includes(durability)) {
    throw new ReplicoreError('bad_request', 'open(): "durability" must be "relaxed" or "strict"');
  }
  return { ...options, storage: options.storage ?? defaultStorage() };
}

export function defaultStorage() {
  return typeof indexedDB === 'undefined' ? 'memory' : 'indexeddb';
}
