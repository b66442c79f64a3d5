// One model's API, in the spirit of LoopBack's PersistedModel: promise-based, plain
// objects in and out. Writes resolve once on disk; `change` events follow them.
import { Conflict } from './conflict.js';
import { ReplicoreError } from './errors.js';
import { toJsonText } from './values.js';
import { Database } from './database.js';
import { watch } from './live-query.js';

// A model of remote() (remote/index.js), told apart without importing it.
function isRemote(model) {
  return typeof model?._carry === 'function';
}

function idArg(id) {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  throw new ReplicoreError('bad_request', `an id must be a string or a number, got ${typeof id}`);
}

export class Model {
  #db;

  constructor(db, name) {
    this.#db = db;
    this.name = name;
  }

  get database() { return this.#db; }

  // ---- reads (answered from memory)
  async find(filter) { return this.#db._read('find', this.name, { filter: filter ?? null }); }
  async findOne(filter) { return this.#db._read('findOne', this.name, { filter: filter ?? null }); }
  async findById(id) { return this.#db._read('findById', this.name, { id: idArg(id) }); }
  async count(where) { return this.#db._read('count', this.name, { where: where ?? null }); }
  // The change log since a checkpoint (LoopBack's Model.changes): rows with rev, prev,
  // checkpoint and modelId, oldest first.
  async changes(since = -1) { return this.#db._read('changes', this.name, { since }); }
  async exists(id) { return this.#db._read('exists', this.name, { id: idArg(id) }); }

  // ---- writes
  // One object, or an array created all together (one batch: all or none).
  create(data) { return this.#write('create', { data }); }
  // LoopBack's upsert: patch the record with data's id, or create it.
  upsert(data) { return this.#write('patchOrCreate', { data }); }
  patchOrCreate(data) { return this.upsert(data); }
  replaceOrCreate(data) { return this.#write('replaceOrCreate', { data }); }
  upsertWithWhere(where, data) { return this.#write('upsertWithWhere', { where, data }); }
  replaceById(id, data) { return this.#write('replaceById', { id: idArg(id), data }); }
  // LoopBack's PATCH /:id (prototype.patchAttributes).
  patchById(id, data) { return this.#write('patchAttributes', { id: idArg(id), data }); }
  async updateAll(where, data) {
    return { count: await this.#write('updateAll', { where: where ?? null, data }) };
  }
  async deleteById(id) { return { count: await this.#write('deleteById', { id: idArg(id) }) }; }
  async deleteAll(where) { return { count: await this.#write('deleteAll', { where: where ?? null }) }; }

  // ---- events: {type: 'save' | 'delete', model, id, data}, local and replicated writes
  on(event, listener) {
    this.#checkEvent(event);
    this.#db._on(this.name, listener);
    return this;
  }

  off(event, listener) {
    this.#checkEvent(event);
    this.#db._off(this.name, listener);
    return this;
  }

  // A live query: listener(records) with find(filter) now and after each change that
  // alters it (live-query.js); returns the function that stops it.
  watch(filter, listener, onError) { return watch(this, filter, listener, onError); }

  // ---- replication: this model is the source, `target` a model of another database.
  // Resolves to {conflicts, checkpoints, applied} once both sides are on disk.
  async replicate(target, options = {}) {
    if (isRemote(target)) return this._replicateRemote(target, { ...options, push: true });
    if (!(target instanceof Model) || target.#db === this.#db) {
      throw new ReplicoreError('bad_request', 'replicate() needs a model of another replicore database');
    }
    if (target.name !== this.name) {
      throw new ReplicoreError('bad_request',
        `replicate() pairs models of the same name ("${this.name}" vs "${target.name}")`);
    }
    const args = { model: this.name, peer: target.#db.name };
    if (options.since !== undefined) args.since = options.since;
    const result = await this.#together(target, (source, other) => source.replicate(other, JSON.stringify(args)));
    return {
      ...result,
      conflicts: result.conflicts.map((raw) => new Conflict(this, target, raw)),
    };
  }

  // Replicates with a remote model (remote/index.js): a push when options.push, else a
  // pull into this model. The core drives; each request it makes is carried over fetch.
  async _replicateRemote(remoteModel, { push, since, meter }) {
    if (remoteModel.name !== this.name) {
      throw new ReplicoreError('bad_request',
        `replicate() pairs models of the same name ("${this.name}" vs "${remoteModel.name}")`);
    }
    // A server without replicore's extensions is taken for LoopBack 3 (PROTOCOL.md §8.5).
    const cursor = await remoteModel._cursorPaging();
    // Request bodies are cut at 1 MiB for replicore-server (it takes 32 MiB), at 64 KiB for
    // LoopBack 3 (its default limit is 100 KiB, PROTOCOL.md §6.1).
    const options = { model: this.name, peer: remoteModel.peerKey, push, cursor, loopback: !cursor,
      chunkBytes: cursor ? 1024 * 1024 : 64 * 1024 };
    if (since !== undefined) options.since = since;
    const text = JSON.stringify(options);
    const result = await this.#db._stepped((core) => core.startReplicate(text),
      (request) => remoteModel._carry(request, meter));
    const [source, target] = push ? [this, remoteModel] : [remoteModel, this];
    return { ...result, conflicts: result.conflicts.map((raw) => new Conflict(source, target, raw)) };
  }

  // Local changes not yet pushed to `remoteModel` (sync's `pending`).
  _pendingPush(remoteModel) {
    return this.#db._read('pendingPush', this.name, { peer: remoteModel.peerKey });
  }

  // Resolves a conflict between this model and a remote one, reported by either direction.
  async _resolveRemote(remoteModel, raw, how, data) {
    const args = { model: this.name, conflict: raw, how };
    if (data !== undefined) args.data = data;
    const text = toJsonText(args);
    await this.#db._stepped((core) => core.startResolve(text), (request) => remoteModel._carry(request));
  }

  // Used by Conflict: resolves `raw` (reported by this model's replicate to `target`).
  async _resolve(target, raw, how, data) {
    if (isRemote(target)) return this._resolveRemote(target, raw, how, data);
    const args = { model: this.name, conflict: raw, how };
    if (data !== undefined) args.data = data;
    const text = toJsonText(args);
    await this.#together(target, (source, other) => source.resolve(other, text));
  }

  // Runs `run(sourceCore, targetCore)` on both databases, each up to date with its other
  // tabs, and resolves once both are on disk.
  #together(target, run) {
    return Database._together(this.#db, target.#db, run);
  }

  #write(op, args) { return this.#db._write(op, this.name, args); }

  #checkEvent(event) {
    if (event !== 'change') throw new ReplicoreError('bad_request', `unknown event "${event}" (only "change")`);
  }
}
