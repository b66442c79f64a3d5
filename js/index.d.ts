// Types of the replicore package (hand-written; checked by `npm run typecheck`).

/** A model definition: LoopBack's model JSON (name, plural, properties, strict, ...). */
export interface ModelDefinition {
  name: string;
  plural?: string;
  base?: string;
  strict?: boolean | 'throw' | 'validate';
  trackChanges?: boolean;
  persistUndefinedAsNull?: boolean;
  hidden?: string[];
  properties: Record<string, string | string[] | PropertyDefinition>;
  [key: string]: unknown;
}

export interface PropertyDefinition {
  type?: string | string[];
  id?: boolean;
  required?: boolean;
  default?: unknown;
  defaultFn?: 'guid' | 'uuid' | 'now';
  [key: string]: unknown;
}

export type StorageName = 'memory' | 'localstorage' | 'localStorage' | 'indexeddb' | 'file';

export interface OpenOptions {
  /** Database name: the IndexedDB database is `replicore:<name>`. */
  name: string;
  /** Model definitions (objects or JSON text), the same files the server loads. */
  models: Array<ModelDefinition | string>;
  /** Default: 'indexeddb' where IndexedDB exists, else 'memory'. 'file': Node only. */
  storage?: StorageName;
  /** storage 'file': the directory of the database (default ./.replicore/<name>). */
  directory?: string;
  /** IndexedDB durability; 'default' is the platform's (relaxed in Chromium >= 121). */
  durability?: 'default' | 'relaxed' | 'strict';
  /** Emscripten module options for the first load (locateFile, wasmBinary). */
  wasm?: Record<string, unknown>;
}

/** A LoopBack where clause: {prop: value}, {prop: {gt: 1}}, {and: [...]}, ... */
export type Where = Record<string, unknown>;

export interface Filter {
  where?: Where;
  order?: string | string[];
  limit?: number;
  skip?: number;
  offset?: number;
  fields?: Record<string, boolean> | string[];
}

export type ErrorCode =
  | 'validation' | 'not_found' | 'conflict' | 'bad_filter' | 'bad_request' | 'too_large'
  | 'unauthorized' | 'forbidden' | 'storage' | 'step_limit' | 'internal' | 'precondition_failed'
  | 'quota' | 'closed' | 'blocked'
  | 'network' | 'timeout' | 'server';

export class ReplicoreError extends Error {
  readonly name: 'ReplicoreError';
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly cause?: unknown;
  /** The HTTP status, for errors answered by a remote. */
  readonly status?: number;
  constructor(code: ErrorCode, message: string, options?: { details?: unknown; cause?: unknown });
}

export type Data = Record<string, unknown>;

/**
 * The record type of each model, by name: `open<{ Todo: Todo }>(...)` gives `db.Todo` as a
 * `Model<Todo>`. Without it every model is a `Model<Data>`.
 */
export type Schema = Record<string, Data>;
export type ModelsOf<M> = { [K in keyof M]: Model<M[K]> };
export type RemoteModelsOf<M> = { [K in keyof M]: RemoteModel<M[K]> };

export type ChangeEvent<T = Data> =
  | {
    type: 'save' | 'delete';
    model: string;
    id: string;
    /** The record as stored; null for a delete. */
    data: T | null;
  }
  /** This tab lagged behind another tab's compaction and reloaded the model: read again. */
  | { type: 'reload'; model: string };

export interface ChangeRow {
  id: string;
  rev: string | null;
  prev?: string | null;
  checkpoint: number;
  modelName: string;
  modelId: string;
}

export interface Checkpoints { source: number; target: number; }

export interface ReplicationResult<T = Data> {
  conflicts: Array<Conflict<T>>;
  checkpoints: Checkpoints;
  /** Updates applied on the target. */
  applied: number;
}

/** Between a local model and another local or a remote one. */
export class Conflict<T = Data> {
  readonly modelId: string;
  readonly type: 'update' | 'delete' | 'unknown';
  changes(): { source: ChangeRow | null; target: ChangeRow | null };
  models(): Promise<{ source: T | null; target: T | null }>;
  resolve(): Promise<void>;
  resolveUsingSource(): Promise<void>;
  resolveUsingTarget(): Promise<void>;
  resolveManually(data: Partial<T> | null): Promise<void>;
  /** Whether this database is the source (a push's source, a pull's target). */
  readonly localIsSource: boolean;
  /** The current records named from this database's side (null when deleted). */
  versions(): Promise<{ local: T | null; remote: T | null }>;
  /** Keep this database's version, whichever way the replicate ran. */
  keepLocal(): Promise<void>;
  /** Keep the other party's version, whichever way the replicate ran. */
  keepRemote(): Promise<void>;
}

/** The reads and writes local and remote models share (LoopBack's PersistedModel names). */
export interface ModelMethods<T = Data> {
  readonly name: string;
  find(filter?: Filter): Promise<T[]>;
  findOne(filter?: Filter): Promise<T | null>;
  findById(id: string | number): Promise<T | null>;
  count(where?: Where): Promise<number>;
  exists(id: string | number): Promise<boolean>;
  changes(since?: number): Promise<ChangeRow[]>;
  create(data: Partial<T>): Promise<T>;
  create(data: Array<Partial<T>>): Promise<T[]>;
  upsert(data: Partial<T>): Promise<T>;
  patchOrCreate(data: Partial<T>): Promise<T>;
  replaceOrCreate(data: Partial<T>): Promise<T>;
  upsertWithWhere(where: Where, data: Partial<T>): Promise<T>;
  replaceById(id: string | number, data: Partial<T>): Promise<T>;
  patchById(id: string | number, data: Partial<T>): Promise<T>;
  updateAll(where: Where | null, data: Partial<T>): Promise<{ count: number }>;
  deleteById(id: string | number): Promise<{ count: number }>;
  deleteAll(where?: Where | null): Promise<{ count: number }>;
}

export interface Model<T = Data> extends ModelMethods<T> {}
export class Model<T = Data> {
  on(event: 'change', listener: (event: ChangeEvent<T>) => void): this;
  off(event: 'change', listener: (event: ChangeEvent<T>) => void): this;
  /**
   * A live query: `listener` gets find(filter)'s result at once, then each time it changes
   * (this tab's writes, other tabs', replicates, sync, reloads). Returns stop(); db.close()
   * ends it too. A failed query ends it and goes to `onError` (thrown asynchronously
   * without one).
   */
  watch(filter: Filter | null | undefined, listener: (records: T[]) => void,
    onError?: (error: ReplicoreError) => void): () => void;
  /** To a local model of another database, or a push to a remote model. */
  replicate(target: Model<T> | RemoteModel<T>, options?: { since?: number | Checkpoints }): Promise<ReplicationResult<T>>;
}

export interface RemoteOptions {
  /** The model definitions; each model's REST path is its `plural` (default name + 's'). */
  models: Array<ModelDefinition | string>;
  /** Sent with every request; a function is called before each (tokens that change). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof fetch;
  /** Milliseconds before a request fails with code 'timeout' (default 30,000). */
  timeout?: number;
  /** An access token from an earlier login, sent as Authorization with every request. */
  token?: string | null;
}

/** LoopBack's AccessToken, the answer of a login. */
export interface AccessToken {
  id: string;
  ttl: number;
  created: string;
  userId: string;
}

/** A model of a LoopBack 3 REST API (replicore-server or LoopBack), over fetch. */
export interface RemoteModel<T = Data> extends ModelMethods<T> {}
export class RemoteModel<T = Data> {
  readonly plural: string;
  /** A pull: this remote model is the source, `target` a local model. */
  replicate(target: Model<T>, options?: { since?: number | Checkpoints }): Promise<ReplicationResult<T>>;
}

export class RemoteDatabase<M = Schema> {
  readonly url: string;
  readonly models: RemoteModelsOf<M>;
  /** The access token sent with every request (login(), options.token), or null. */
  token: string | null;
  /** Logs in at <url>/Users/login (replicore-server --users, LoopBack) and keeps the token. */
  login(credentials: { username?: string; email?: string; password: string; ttl?: number }): Promise<AccessToken>;
  /** Ends the token on the server and forgets it. */
  logout(): Promise<void>;
  model<K extends keyof M & string>(name: K): RemoteModel<M[K]>;
  model<T = Data>(name: string): RemoteModel<T>;
  [model: string]: unknown;
}

/** `url` is the API root, e.g. 'https://example.com/api'; `M` types the models (Schema). */
export function remote<M = Schema>(url: string, options: RemoteOptions): RemoteDatabase<M> & RemoteModelsOf<M>;

/** The tabs (and workers) of one origin that opened the same database. */
export class Tabs {
  /** True while this tab holds the database's lock (exactly one tab does). */
  readonly isLeader: boolean;
  /** Resolves once this tab holds the lock; it passes on when its holder closes or crashes. */
  whenLeader(): Promise<void>;
  /** Tells every tab of the database, this one included, that `topic` is now `value`. */
  publish(topic: string, value: unknown): void;
  /** The last value any tab published on `topic`. */
  state(topic: string): unknown;
  on(event: 'leader', listener: () => void): this;
  on(event: 'state', listener: (event: { topic: string; value: unknown; local: boolean }) => void): this;
  off(event: 'leader' | 'state', listener: (...args: never[]) => void): this;
}

export interface SyncStatus {
  state: 'idle' | 'syncing' | 'offline' | 'error' | 'stopped';
  /** Local changes the server has not got yet. */
  pending: number;
  lastSyncedAt: string | null;
  error: { code: ErrorCode; message: string; status: number | null } | null;
  /** Rounds ended so far (successful or not). */
  round: number;
}

export interface SyncProgress {
  model: string;
  requests: number;
  sent: number;
  received: number;
  recordsSent: number;
  recordsReceived: number;
}

export interface SyncOptions {
  /** Model names (default: every model of the database). */
  models?: string[];
  /** Rounds on their own (default true); false: only now(). */
  live?: boolean;
  /** Milliseconds between rounds while live (default 10,000). */
  interval?: number;
  /** Milliseconds between a local write and its round (default 50). */
  debounce?: number;
  conflicts?: 'manual' | 'server-wins' | 'client-wins' | ((conflict: Conflict) => void | Promise<void>);
  /** Backoff after a failure, in milliseconds (default {min: 1000, max: 60000}). */
  retry?: { min?: number; max?: number };
}

export class Sync {
  readonly status: SyncStatus;
  on(event: 'status', listener: (status: SyncStatus) => void): this;
  on(event: 'change', listener: (event: ChangeEvent) => void): this;
  on(event: 'conflict', listener: (conflict: Conflict) => void): this;
  on(event: 'error', listener: (error: ReplicoreError) => void): this;
  on(event: 'progress', listener: (progress: SyncProgress) => void): this;
  off(event: 'status' | 'change' | 'conflict' | 'error' | 'progress', listener: (...args: never[]) => void): this;
  now(): Promise<void>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export class Database<M = Schema> {
  readonly name: string;
  readonly tabs: Tabs;
  /** Live sync with a remote database; stopped by close(). */
  sync(remote: RemoteDatabase<M> | RemoteDatabase, options?: SyncOptions): Sync;
  readonly models: ModelsOf<M>;
  model<K extends keyof M & string>(name: K): Model<M[K]>;
  model<T = Data>(name: string): Model<T>;
  checkpoint(): Promise<{ seq: number; time: string; id: number }>;
  close(): Promise<void>;
  /** Each model is also a property: db.Todo. */
  [model: string]: unknown;
}

/** `M` types the models: open<{ Todo: Todo }>(...) (see Schema). */
export function open<M = Schema>(options: OpenOptions): Promise<Database<M> & ModelsOf<M>>;
export function destroy(name: string, options?: { storage?: StorageName; directory?: string }): Promise<void>;
export function revision(value: unknown): Promise<{ canonical: string; rev: string }>;
