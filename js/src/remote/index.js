// A LoopBack 3 REST API (replicore-server or LoopBack itself) as models with the local
// models' reads and writes, over fetch, and as a replication party: `local.replicate(remote)`
// pushes, `remote.replicate(local)` pulls.
import { ReplicoreError } from '../errors.js';
import { Model } from '../model.js';
import { toJsonText } from '../values.js';
import { codeForStatus, httpRequest } from './http.js';
import { resultOf, routeOf } from './routes.js';

const DEFAULT_TIMEOUT_MS = 30000;

function idPath(id) {
  if (typeof id === 'number' && Number.isFinite(id)) return `/${id}`;
  if (typeof id !== 'string') throw new ReplicoreError('bad_request', `an id must be a string or a number, got ${typeof id}`);
  return `/${encodeURIComponent(id)}`;
}

// The JSON text of a value, converted as LoopBack converts JS values (values.js): sent as
// it is, in a query argument or as the body.
const jsonText = (value) => (value == null ? undefined : toJsonText(value));

export class RemoteModel {
  #remote;
  #config;

  constructor(remote, definition) {
    this.#remote = remote;
    this.name = definition.name;
    this.plural = definition.plural ?? `${definition.name}s`;
    this.#config = { ...remote._config, baseUrl: `${remote.url}/${this.plural}` };
  }

  get remote() { return this.#remote; }
  // Names this model as a replication peer: the local side keeps since per peer.
  get peerKey() { return `${this.#config.baseUrl}`; }

  // ---- reads
  async find(filter) { return this.#call('GET', '', { query: { filter: jsonText(filter) } }); }
  async findOne(filter) {
    return this.#orNull(() => this.#call('GET', '/findOne', { query: { filter: jsonText(filter) } }));
  }
  async findById(id) { return this.#orNull(() => this.#call('GET', idPath(id))); }
  async count(where) { return (await this.#call('GET', '/count', { query: { where: jsonText(where) } })).count; }
  async exists(id) { return (await this.#call('GET', `${idPath(id)}/exists`)).exists; }
  async changes(since = -1) { return this.#call('GET', '/changes', { query: { since } }); }

  // ---- writes
  create(data) { return this.#call('POST', '', { json: jsonText(data) }); }
  upsert(data) { return this.#call('PATCH', '', { json: jsonText(data) }); }
  patchOrCreate(data) { return this.upsert(data); }
  replaceOrCreate(data) { return this.#call('PUT', '', { json: jsonText(data) }); }
  upsertWithWhere(where, data) {
    return this.#call('POST', '/upsertWithWhere', { query: { where: jsonText(where) }, json: jsonText(data) });
  }
  replaceById(id, data) { return this.#call('PUT', idPath(id), { json: jsonText(data) }); }
  patchById(id, data) { return this.#call('PATCH', idPath(id), { json: jsonText(data) }); }
  updateAll(where, data) {
    return this.#call('POST', '/update', { query: { where: jsonText(where ?? {}) }, json: jsonText(data) });
  }
  deleteById(id) { return this.#call('DELETE', idPath(id)); }
  // LoopBack 3 does not expose DELETE / (destroyAll): each match is deleted by id.
  async deleteAll(where) {
    const matches = await this.find({ where: where ?? {}, fields: { id: true } });
    let count = 0;
    for (const { id } of matches) count += (await this.deleteById(id)).count;
    return { count };
  }

  // ---- replication: this model is the source (a pull into `target`, a local model).
  async replicate(target, options = {}) {
    if (!(target instanceof Model)) {
      throw new ReplicoreError('bad_request', 'a remote model replicates into a local model');
    }
    return target._replicateRemote(this, { ...options, push: false });
  }

  // Used by Conflict, for a conflict reported by a pull from this model into `target`.
  _resolve(target, raw, how, data) { return target._resolveRemote(this, raw, how, data); }

  // Carries one replication request of the core: resolves to its answer as the core
  // takes it ({ok} or {error}, or that answer's JSON text); throws for what ends the
  // replicate (network, timeout, server errors and refusals).
  // `meter` ({requests, sent, received, recordsSent, recordsReceived, report?}), when given,
  // counts the requests, their bytes and the records they carried, and is told after each.
  async _carry(request, meter) {
    const [method, path, parts] = routeOf(request.op, request.args, request.argsText);
    try {
      const response = await httpRequest(this.#config, method, path, parts);
      if (meter) {
        meter.requests += 1;
        meter.sent += response.sent;
        meter.received += response.received;
        if (request.op === 'bulkUpdate') meter.recordsSent += request.args?.updates?.length ?? 0;
        if (request.op === 'createUpdates') meter.recordsReceived += response.body?.length ?? 0;
        meter.report?.();
      }
      // Updates go back to the core as the text they came in (records are not re-serialized).
      if (request.op === 'createUpdates' && response.text) return `{"ok":${response.text}}`;
      return { ok: resultOf(request.op, request.args, response) };
    } catch (error) {
      const status = error.status;
      if (request.op === 'findById' && status === 404) return { ok: null };
      if (status === 409 || status === 404 || status === 422) {
        return { error: { code: codeForStatus(status), message: error.message, details: error.details } };
      }
      throw error;
    }
  }

  // Whether the server pages /changes by cursor (PROTOCOL.md §9; LoopBack 3 answers 404).
  _cursorPaging() { return this.#remote._capability('cursor-changes'); }

  #call(method, path, parts) { return httpRequest(this.#config, method, path, parts).then((r) => r.body); }

  async #orNull(read) {
    try {
      return await read();
    } catch (error) {
      if (error.status === 404) return null;
      throw error;
    }
  }
}

export class RemoteDatabase {
  #capabilities = null;
  #token = null;

  constructor(url, { models, headers = {}, fetch: fetchFn, timeout = DEFAULT_TIMEOUT_MS, token = null }) {
    this.url = url.replace(/\/+$/, '');
    const boundFetch = fetchFn ?? globalThis.fetch?.bind(globalThis);
    if (!boundFetch) throw new ReplicoreError('bad_request', 'remote(): no fetch here: pass options.fetch');
    this.#token = token;
    // The access token (login(), or options.token) goes with every request, as LoopBack
    // takes it; the app's own headers come first and may override it.
    const withToken = async () => ({
      ...(this.#token ? { authorization: this.#token } : {}),
      ...(typeof headers === 'function' ? await headers() : headers),
    });
    this._config = { headers: withToken, fetch: boundFetch, timeout };
    this.models = {};
    for (const model of models) {
      const definition = typeof model === 'string' ? JSON.parse(model) : model;
      const remoteModel = new RemoteModel(this, definition);
      this.models[remoteModel.name] = remoteModel;
      if (!(remoteModel.name in this)) this[remoteModel.name] = remoteModel;
    }
  }

  // The access token in use, or null. Setting it (a token kept from an earlier login) is
  // how an app signs in again; a sync stopped by a 401 resumes at its next now().
  get token() { return this.#token; }
  set token(token) { this.#token = token || null; }

  // LoopBack's User login ({username | email, password}) on this server: keeps the token
  // for every later request and resolves to {id, ttl, created, userId}.
  async login(credentials) {
    const { body } = await httpRequest({ ...this._config, baseUrl: this.url }, 'POST', '/Users/login',
      { body: credentials ?? {} });
    this.#token = body?.id ?? null;
    return body;
  }

  // Ends the token on the server (if any) and forgets it.
  async logout() {
    if (!this.#token) return;
    try {
      await httpRequest({ ...this._config, baseUrl: this.url }, 'POST', '/Users/logout');
    } finally {
      this.#token = null;
    }
  }

  model(name) {
    const model = this.models[name];
    if (!model) throw new ReplicoreError('not_found', `no model "${name}" in remote ${this.url}`);
    return model;
  }

  // True when the server lists `name` among its replicore extensions.
  async _capability(name) {
    this.#capabilities ??= httpRequest({ ...this._config, baseUrl: this.url }, 'GET', '/replicore/capabilities')
      .then((r) => r.body?.extensions ?? [], (error) => {
        if (error.status === 404) return [];
        this.#capabilities = null;  // ask again next time
        throw error;
      });
    return (await this.#capabilities).includes(name);
  }
}

// remote(url, {models, headers?, fetch?, timeout?, token?}): url is the API root ('.../api').
export function remote(url, options) {
  if (typeof url !== 'string' || !url) throw new ReplicoreError('bad_request', 'remote(): the url must be a string');
  if (!options || !Array.isArray(options.models) || !options.models.length) {
    throw new ReplicoreError('bad_request', 'remote(): "models" must be an array of model definitions');
  }
  return new RemoteDatabase(url, options);
}

