// One model's API, in the spirit of LoopBack's PersistedModel: promise-based, plain
// objects in and out. Writes resolve once on disk; `change` events follow them.
import { Conflict } from './conflict.js';
import { ReplicoreError } from './errors.js';
import { toJsonText } from './values.js';

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

  // ---- replication: this model is the source, `target` a model of another database.
  // Resolves to {conflicts, checkpoints, applied} once both sides are on disk.
  async replicate(target, options = {}) {
    if (!(target instanceof Model) || target.#db === this.#db) {
      throw new ReplicoreError('bad_request', 'replicate() needs a model of another replicore database');
    }
    if (target.name !== this.name) {
      throw new ReplicoreError('bad_request',
        `replicate() pairs models of the same name ("${this.name}" vs "${target.name}")`);
    }
    const args = { model: this.name, peer: target.#db.name };
    if (options.since !== undefined) args.since = options.since;
    const source = this.#db._core();
    const result = unwrapBoth(this, target, source.replicate(target.#db._core(), JSON.stringify(args)));
    await commitBoth(this.#db, target.#db);
    return {
      ...result,
      conflicts: result.conflicts.map((raw) => new Conflict(this, target, raw)),
    };
  }

  // Used by Conflict: resolves `raw` (reported by this model's replicate to `target`).
  async _resolve(target, raw, how, data) {
    const args = { model: this.name, conflict: raw, how };
    if (data !== undefined) args.data = data;
    unwrapBoth(this, target, this.#db._core().resolve(target.#db._core(), toJsonText(args)));
    await commitBoth(this.#db, target.#db);
  }

  #write(op, args) { return this.#db._write(op, this.name, args); }

  #checkEvent(event) {
    if (event !== 'change') throw new ReplicoreError('bad_request', `unknown event "${event}" (only "change")`);
  }
}

function unwrapBoth(source, target, text) {
  const answer = JSON.parse(text);
  if (answer.error) {
    const { code, message, details } = answer.error;
    // Whatever the failed run wrote in memory still goes to disk with the next commit.
    source.database._commit().catch(() => {});
    target.database._commit().catch(() => {});
    throw new ReplicoreError(code, message, { details });
  }
  return answer.ok;
}

// The target first: if it cannot persist, the source's since must not move past what it
// lost, so the source rolls back what it has not persisted either.
async function commitBoth(sourceDb, targetDb) {
  try {
    await targetDb._commit();
  } catch (error) {
    await sourceDb._rollbackUnpersisted(error);
    throw error;
  }
  await sourceDb._commit();
}
