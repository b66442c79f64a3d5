// Live sync of a local database with a remote one (PouchDB's `sync`, RxDB's replication
// state): rounds of pull then push per model, soon after local writes, on an interval, when
// the browser comes online or the page becomes visible, and on demand. One tab of the
// database runs the rounds (the holder of db.tabs' lock); it publishes the status on the
// database's channel, so every tab's Sync shows the same status, and another tab takes over
// when it closes. Offline or failing, it retries with capped exponential backoff and jitter;
// a 401 / 403 stops it until now() is called (no hammering a server that refuses).
import { ReplicoreError } from './errors.js';

const DEFAULTS = { live: true, interval: 10000, debounce: 50, retry: { min: 1000, max: 60000 } };
const POLICIES = ['manual', 'server-wins', 'client-wins'];

export class Sync {
  #db;
  #remote;
  #models;
  #options;
  #topic;
  #listeners = { status: new Set(), change: new Set(), conflict: new Set(), error: new Set(), progress: new Set() };
  #status = { state: 'idle', pending: 0, lastSyncedAt: null, error: null, round: 0 };
  #timer = null;
  #pendingTimer = null;
  #running = null;       // the round in flight
  #again = false;        // a local write came in during the round
  #failures = 0;
  #refused = false;      // 401 / 403: wait for now()
  #stopped = false;
  #detach = [];

  constructor(db, remote, options = {}) {
    this.#db = db;
    this.#remote = remote;
    this.#options = { ...DEFAULTS, ...options, retry: { ...DEFAULTS.retry, ...options.retry } };
    const names = options.models ?? Object.keys(db.models);
    this.#models = names.map((name) => [db.model(name), remote.model(name)]);
    const policy = this.#options.conflicts ?? 'manual';
    if (!POLICIES.includes(policy) && typeof policy !== 'function') {
      throw new ReplicoreError('bad_request', `sync(): "conflicts" is one of ${POLICIES.join(', ')} or a function`);
    }
    this.#topic = `sync:${remote.url}`;
    this.#watch();
  }

  // {state: 'idle' | 'syncing' | 'offline' | 'error' | 'stopped', pending, lastSyncedAt,
  // error: {code, message, status} | null, round}: the same in every tab.
  get status() { return { ...this.#status }; }

  on(event, listener) {
    this.#listenersOf(event).add(listener);
    return this;
  }

  off(event, listener) {
    this.#listenersOf(event).delete(listener);
    return this;
  }

  // One round now (in the tab that runs them; another tab asks it and waits). Resolves
  // when a round that started after the call has ended; rejects with its error.
  async now() {
    this.#checkRunning();
    this.#refused = false;
    if (!this.#db.tabs.isLeader) return this.#askLeader();
    await this.#running?.catch(() => {});
    return this.#round();
  }

  // Resolves once a round succeeded and nothing is pending since.
  idle() {
    return new Promise((resolve, reject) => {
      const check = () => {
        const { state, pending, error, lastSyncedAt } = this.#status;
        if (state === 'stopped') {
          this.off('status', check);
          reject(new ReplicoreError('closed', 'sync stopped'));
        } else if (state === 'idle' && pending === 0 && !error && lastSyncedAt) {
          this.off('status', check);
          resolve();
        }
      };
      this.on('status', check);
      check();
    });
  }

  async stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#pendingTimer);
    for (const detach of this.#detach) detach();
    await this.#running?.catch(() => {});
    this.#setStatus({ state: 'stopped' }, false);
  }

  // ---- the tab that runs the rounds
  #watch() {
    const tabs = this.#db.tabs;
    const onState = ({ topic, value, local }) => {
      if (local) return;
      if (topic === this.#topic) this.#setStatus(value, false);
      else if (topic === `${this.#topic}:now` && tabs.isLeader) this.#schedule(0);
    };
    tabs.on('state', onState);
    this.#detach.push(() => tabs.off('state', onState));
    const shared = tabs.state(this.#topic);
    if (shared) this.#status = { ...this.#status, ...shared };

    const onLeader = () => { if (this.#options.live) this.#schedule(0); };
    tabs.on('leader', onLeader);
    this.#detach.push(() => tabs.off('leader', onLeader));

    const onChange = (event) => {
      for (const listener of this.#listeners.change) call(listener, event);
      if (!tabs.isLeader) return;
      if (!this.#running) this.#refreshPending();
      if (!this.#options.live) return;
      if (this.#running) this.#again = true;
      else this.#schedule(this.#options.debounce);
    };
    for (const [local] of this.#models) {
      local.on('change', onChange);
      this.#detach.push(() => local.off('change', onChange));
    }
    if (typeof globalThis.addEventListener === 'function') {
      const online = () => { if (tabs.isLeader) { this.#failures = 0; this.#schedule(0); } };
      const offline = () => { if (tabs.isLeader) this.#setStatus({ state: 'offline' }); };
      const visible = () => { if (globalThis.document?.visibilityState === 'visible' && tabs.isLeader) this.#schedule(0); };
      globalThis.addEventListener('online', online);
      globalThis.addEventListener('offline', offline);
      globalThis.document?.addEventListener?.('visibilitychange', visible);
      this.#detach.push(() => {
        globalThis.removeEventListener('online', online);
        globalThis.removeEventListener('offline', offline);
        globalThis.document?.removeEventListener?.('visibilitychange', visible);
      });
    }
  }

  #schedule(delay) {
    if (this.#stopped || this.#refused) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#running) {
        this.#again = true;
        return;
      }
      this.#round().catch(() => { /* reported through status and 'error' */ });
    }, delay);
  }

  // Pull then push, model by model: the pull first so that the push's since passes what
  // the pull applied, and `pending` counts only local writes.
  #round() {
    const run = (async () => {
      if (globalThis.navigator?.onLine === false) {
        this.#setStatus({ state: 'offline' });
        throw new ReplicoreError('network', 'the browser is offline');
      }
      this.#again = false;
      this.#setStatus({ state: 'syncing' });
      for (const [local, remote] of this.#models) {
        const meter = { requests: 0, sent: 0, received: 0, recordsSent: 0, recordsReceived: 0 };
        meter.report = () => this.#emit('progress', { model: local.name, requests: meter.requests,
          sent: meter.sent, received: meter.received, recordsSent: meter.recordsSent,
          recordsReceived: meter.recordsReceived });
        const seen = new Set();  // a conflict the pull reported comes back in the push
        const pulled = await remote.replicate(local, { meter });
        await this.#handleConflicts(pulled.conflicts, seen);
        const pushed = await local.replicate(remote, { meter });
        await this.#handleConflicts(pushed.conflicts, seen);
      }
      this.#failures = 0;
      const pending = await this.#pending();
      this.#setStatus({ state: 'idle', pending, lastSyncedAt: new Date().toISOString(), error: null,
        round: this.#status.round + 1 });
      // What is still pending after a round that ran to its end waits for a resolution (a
      // conflict) or the next interval: running again at once would hammer the server.
      if (this.#again) this.#schedule(this.#options.debounce);
      else if (this.#options.live) this.#schedule(this.#options.interval);
    })();
    this.#running = run.catch((error) => this.#failed(error)).finally(() => { this.#running = null; });
    return run;
  }

  // `pending` follows local writes at once, online or not (a round may be far off).
  #refreshPending() {
    if (this.#pendingTimer) return;
    this.#pendingTimer = setTimeout(async () => {
      this.#pendingTimer = null;
      const pending = await this.#pending().catch(() => null);
      if (pending !== null && !this.#stopped && !this.#running) this.#setStatus({ pending });
    }, this.#options.debounce);
  }

  async #pending() {
    let pending = 0;
    for (const [local, remote] of this.#models) pending += await local._pendingPush(remote);
    return pending;
  }

  async #handleConflicts(conflicts, seen) {
    const policy = this.#options.conflicts ?? 'manual';
    for (const conflict of conflicts) {
      if (seen.has(conflict.modelId)) continue;
      seen.add(conflict.modelId);
      if (typeof policy === 'function') await policy(conflict);
      else if (policy === 'manual') this.#emit('conflict', conflict);
      else await (policy === 'server-wins' ? conflict.keepRemote() : conflict.keepLocal());
    }
  }

  async #failed(error) {
    const refused = error.status === 401 || error.status === 403;
    const offline = error.code === 'network' || error.code === 'timeout';
    this.#failures += 1;
    this.#refused = refused;
    const pending = await this.#pending().catch(() => this.#status.pending);
    this.#setStatus({
      state: offline ? 'offline' : 'error',
      pending,
      error: { code: error.code, message: error.message, status: error.status ?? null },
      round: this.#status.round + 1,
    });
    this.#emit('error', error);
    if (!refused) this.#schedule(this.#backoff());
  }

  // Capped exponential, with jitter: between half and all of min * 2^(failures - 1).
  #backoff() {
    const { min, max } = this.#options.retry;
    const ceiling = Math.min(max, min * 2 ** Math.max(0, this.#failures - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  // A tab that does not run the rounds asks the one that does, and waits for its next round.
  #askLeader() {
    const before = this.#status.round;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('status', check);
        reject(new ReplicoreError('timeout', 'the tab running sync did not answer'));
      }, 4 * (this.#remote._config?.timeout ?? 30000));
      const check = () => {
        if (this.#status.round <= before) return;
        clearTimeout(timer);
        this.off('status', check);
        const { error } = this.#status;
        if (error) reject(Object.assign(new ReplicoreError(error.code, error.message), { status: error.status }));
        else resolve();
      };
      this.on('status', check);
      this.#db.tabs.publish(`${this.#topic}:now`, { at: Date.now(), from: Math.random() });
    });
  }

  // Changes the status; the running tab publishes it to the others.
  #setStatus(change, publish = true) {
    this.#status = { ...this.#status, ...change };
    if (publish && !this.#stopped && this.#db.tabs.isLeader) {
      try { this.#db.tabs.publish(this.#topic, this.#status); } catch { /* database closed */ }
    }
    this.#emit('status', this.status);
  }

  #emit(event, value) {
    for (const listener of this.#listeners[event]) call(listener, value);
  }

  #listenersOf(event) {
    const set = this.#listeners[event];
    if (!set) throw new ReplicoreError('bad_request', `unknown sync event "${event}"`);
    return set;
  }

  #checkRunning() {
    if (this.#stopped) throw new ReplicoreError('closed', 'sync stopped');
  }
}

function call(listener, value) {
  try { listener(value); } catch (error) { setTimeout(() => { throw error; }); }
}
