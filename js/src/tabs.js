// What the tabs and workers of one origin that opened the same database share besides its
// data: a channel every one of them hears (commit notices, published state) and a lock
// that exactly one of them holds at a time (the one that runs live sync). The browser
// releases a Web Lock when its holder closes or crashes, so the lock passes on by itself.
// Where there is nothing to share (memory storage, Node) the one tab is the leader.
import { ReplicoreError } from './errors.js';

const hasLocks = () => typeof navigator !== 'undefined' && navigator.locks?.request;

export class Tabs {
  #channel = null;
  #onCommit;
  #listeners = { leader: new Set(), state: new Set() };
  #states = new Map();     // topic -> the last value published by any tab
  #published = new Map();  // topic -> what this tab published (re-announced to newcomers)
  #leader = false;
  #becameLeader;
  #whenLeader;
  #release = null;         // ends this tab's hold of the lock
  #abort = null;           // cancels a pending lock request
  #closed = false;

  // `key` names the database (storage and name); `shared` says other tabs can see it;
  // `onCommit(message)` hears other tabs' commit notices.
  constructor(key, shared, onCommit) {
    this.#onCommit = onCommit;
    this.#whenLeader = new Promise((resolve) => { this.#becameLeader = resolve; });
    if (shared && typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(`replicore:${key}`);
      this.#channel.onmessage = (event) => this.#receive(event.data);
      this.#channel.postMessage({ t: 'hello' });
    }
    if (shared && hasLocks()) this.#requestLock(`replicore:${key}:leader`);
    else this.#takeLead();
  }

  // True while this tab holds the database's lock.
  get isLeader() { return this.#leader; }

  // Resolves once this tab holds the lock (at once if it does).
  whenLeader() { return this.#whenLeader; }

  // Tells every tab of the database (this one included) that `topic` is now `value`.
  // Values must survive structured cloning.
  publish(topic, value) {
    this.#checkOpen();
    if (typeof topic !== 'string' || !topic) {
      throw new ReplicoreError('bad_request', 'publish(): the topic must be a non-empty string');
    }
    this.#published.set(topic, value);
    this.#channel?.postMessage({ t: 'state', topic, value });
    this.#setState(topic, value, true);
  }

  // The last value published on `topic` by any tab, or undefined.
  state(topic) { return this.#states.get(topic); }

  // 'leader': fn() once this tab holds the lock; 'state': fn({topic, value, local}).
  on(event, listener) {
    this.#listenersOf(event).add(listener);
    if (event === 'leader' && this.#leader) queueMicrotask(() => this.#call(listener));
    return this;
  }

  off(event, listener) {
    this.#listenersOf(event).delete(listener);
    return this;
  }

  // ---- for Database
  _post(message) {
    if (!this.#closed) this.#channel?.postMessage(message);
  }

  _close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#leader = false;
    this.#channel?.close();
    this.#release?.();
    this.#abort?.abort();
  }

  #requestLock(name) {
    this.#abort = new AbortController();
    navigator.locks.request(name, { signal: this.#abort.signal }, () => {
      if (this.#closed) return undefined;
      this.#abort = null;
      const held = new Promise((resolve) => { this.#release = resolve; });
      this.#takeLead();
      return held;
    }).catch(() => { /* aborted by close() */ });
  }

  #takeLead() {
    this.#leader = true;
    this.#becameLeader();
    for (const listener of this.#listeners.leader) this.#call(listener);
  }

  #receive(message) {
    if (this.#closed || !message || typeof message !== 'object') return;
    if (message.t === 'commit') this.#onCommit(message);
    else if (message.t === 'state') this.#setState(message.topic, message.value, false);
    else if (message.t === 'hello') {  // a newcomer: tell it what this tab published
      for (const [topic, value] of this.#published) this.#channel.postMessage({ t: 'state', topic, value });
    }
  }

  #setState(topic, value, local) {
    this.#states.set(topic, value);
    for (const listener of this.#listeners.state) this.#call(listener, { topic, value, local });
  }

  #listenersOf(event) {
    const set = this.#listeners[event];
    if (!set) throw new ReplicoreError('bad_request', `unknown event "${event}" (leader or state)`);
    return set;
  }

  #call(listener, ...args) {
    try { listener(...args); } catch (error) { setTimeout(() => { throw error; }); }
  }

  #checkOpen() {
    if (this.#closed) throw new ReplicoreError('closed', 'the database is closed');
  }
}
