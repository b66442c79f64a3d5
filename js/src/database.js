// A database: the wasm core holding every record in memory, a connector that persists
// what the core commits, and the models' APIs. ARCHITECTURE.md §3: a write is applied in
// memory at once; its batch is group-committed with every batch of the same tick and
// those that arrive while a transaction is in flight; promises resolve and `change`
// events fire once the transaction completed; a failed persist rolls memory back to
// what is on disk and rejects every write it undid.
import { loadCore } from './core.js';
import { ReplicoreError, storageError, unwrap } from './errors.js';
import { Model } from './model.js';
import { toJsonText } from './values.js';
import { connectorFor } from './connectors/index.js';

const PAGE_RECORDS = 2000;

export class Database {
  #core;
  #connection;
  #queue = [];          // writes committed in memory, waiting for the next transaction
  #flushing = null;     // the transaction in flight (a promise), or null
  #journalRecords = 0;  // records written to the journal since the last compaction
  #listeners = new Map();  // model name -> Set of change listeners
  #closed = false;

  constructor(name, core, connection) {
    this.name = name;
    this.#core = core;
    this.#connection = connection;
    this.#journalRecords = connection.state.journal.length;
    this.models = {};
  }

  static async open(options) {
    const { name, models, storage, durability = 'default', wasm } = checkOptions(options);
    const module = await loadCore(wasm);
    const core = new module.Core();
    let connection;
    try {
      for (const definition of models) {
        unwrap(core.addModel(typeof definition === 'string' ? definition : toJsonText(definition)));
      }
      connection = await connectorFor(storage).open(name, { durability });
      for (const text of [...connection.state.pages, ...connection.state.journal]) {
        const failed = core.load(text);
        if (failed) unwrap(failed);
      }
    } catch (error) {
      core.delete();
      if (connection) await connection.close();
      throw error;
    }
    const db = new Database(name, core, connection);
    for (const definition of models) {
      const modelName = typeof definition === 'string' ? JSON.parse(definition).name : definition.name;
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

  // Bumps the checkpoint (LoopBack's Model.checkpoint); resolves to {seq, time, id}.
  checkpoint() {
    return this._write('checkpoint', Object.keys(this.models)[0] ?? '', {});
  }

  // Resolves once every write made so far is on disk, then closes; later calls reject
  // with code "closed".
  async close() {
    if (this.#closed) return;
    await this._settled();
    this.#closed = true;
    this.#core.delete();
    await this.#connection.close();
  }

  // ---- for Model and Conflict
  _read(op, model, args) {
    this.#checkOpen();
    return unwrap(this.#core.call(op, model, args === undefined ? '' : toJsonText(args)));
  }

  // Runs a write in memory now; resolves with its result once it is on disk.
  _write(op, model, args) {
    try {
      this.#checkOpen();
      const before = this.#core.lastSeq();
      const result = this._read(op, model, args);
      if (this.#core.lastSeq() === before) return Promise.resolve(result);  // nothing changed
      return this._commit().then(() => result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // Resolves when the batches committed in memory so far are on disk.
  _commit() {
    return new Promise((resolve, reject) => {
      this.#queue.push({ resolve, reject });
      if (!this.#flushing) queueMicrotask(() => this.#flush());
    });
  }

  _core() {
    this.#checkOpen();
    return this.#core;
  }

  // Undoes what is in memory but not on disk (a peer's persist failed after a replicate).
  async _rollbackUnpersisted(error) {
    await this._settled();
    if (this.#closed) return;
    this.#core.rollback();
    this.#rejectQueued(error);
  }

  async _settled() {
    while (this.#flushing || this.#queue.length) {
      await (this.#flushing ?? new Promise((resolve) => queueMicrotask(resolve)));
    }
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

  // ---- group commit
  #flush() {
    if (this.#flushing || !this.#queue.length) return;
    const group = this.#queue.splice(0);
    this.#flushing = this.#persist(group).finally(() => {
      this.#flushing = null;
      if (this.#queue.length) this.#flush();
    });
  }

  async #persist(group) {
    const core = this.#core;
    const seq = core.lastSeq();
    const pendingRecords = core.pendingRecords();
    const compact = this.#journalRecords + pendingRecords >=
      Math.max(PAGE_RECORDS, core.recordCount() / 2);
    const wantEvents = this.#listeners.size > 0;
    let batches = null;
    if (!compact || wantEvents) batches = core.takeBatches();
    else core.dropBatches();
    const pages = compact ? core.exportPages(PAGE_RECORDS).split('\n') : null;
    if (!pages && !batches) {  // nothing was committed since the last persist
      for (const write of group) write.resolve();
      return;
    }
    try {
      await this.#connection.persist({ journal: batches, pages });
    } catch (error) {
      const failure = storageError(error);
      if (!this.#closed) core.rollback();
      for (const write of group) write.reject(failure);
      this.#rejectQueued(failure);
      return;
    }
    this.#journalRecords = compact ? 0 : this.#journalRecords + pendingRecords;
    core.confirm(seq);
    for (const write of group) write.resolve();
    if (wantEvents && batches) this.#emit(batches);
  }

  #rejectQueued(error) {
    for (const write of this.#queue.splice(0)) write.reject(error);
  }

  #emit(batchesText) {
    for (const batch of JSON.parse(batchesText)) {
      for (const [model, id, data] of batch.r ?? []) {
        const listeners = this.#listeners.get(model);
        if (!listeners) continue;
        const event = { type: data === null ? 'delete' : 'save', model, id, data };
        for (const listener of listeners) {
          try { listener(event); } catch (error) { reportListenerError(error); }
        }
      }
    }
  }

  #checkOpen() {
    if (this.#closed) throw new ReplicoreError('closed', `database "${this.name}" is closed`);
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
