// Runs inside each tab of the several-tabs tests (tabs.test.mjs): one database per tab
// (window.db), seeded write mixes whose acknowledged effects are returned to the runner,
// and snapshots to compare tabs. Acknowledgements also go to window.ack when the runner
// exposed it, so a tab that is then crashed has told what it acknowledged.
import { open } from '/js/src/index.js';

export const noteModel = {
  name: 'Note', plural: 'Notes', strict: 'throw', trackChanges: true,
  properties: {
    id: { type: 'string', id: true, defaultFn: 'guid' },
    tab: 'string', a: 'number', b: 'number', v: 'number',
  },
};

const seen = new Map();  // id -> event type last heard, from any tab

export async function openDb(storage, name) {
  window.db = await open({ name, models: [noteModel], storage });
  window.db.Note.on('change', (e) => seen.set(e.id, e.type));
  return true;
}

export async function closeDb() {
  await window.db.close();
  return true;
}

// Small, fast, seeded (mulberry32).
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function acknowledge(id) {
  if (typeof window.ack === 'function') window.ack(id).catch?.(() => {});
}

// `count` writes, in groups of 1-4 issued together: creates, patches and deletes of this
// tab's own notes; upserts of 20 notes both tabs share, each tab setting only its own
// field (a or b); creates of ids both tabs try (c0, c1, ...: one wins, one gets
// `conflict`); now and then a batch of 200. Returns what was acknowledged.
export async function runOps(seed, tab, count) {
  const { Note } = window.db;
  const rnd = random(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const field = tab === 'A' ? 'a' : 'b';
  const live = new Map();     // own id -> v, as the acknowledged writes left it
  const pending = new Set();  // own ids that a write in flight touches
  const shared = {};          // shared id -> last acknowledged value of this tab's field
  const contested = [];       // contested ids this tab's create won
  const unexpected = [];
  let serial = 0;
  let value = 0;
  let contest = 0;
  let ops = 0;

  const own = (write, id, after) => write.then((result) => {
    after(result);
    acknowledge(id);
  }, (error) => unexpected.push(`${id}: ${error.code} ${error.message}`))
    .finally(() => pending.delete(id));

  while (ops < count) {
    const group = [];
    const size = 1 + Math.floor(rnd() * 4);
    for (let g = 0; g < size && ops < count; g++, ops++) {
      const r = rnd();
      const idle = [...live.keys()].filter((id) => !pending.has(id));
      if (r < 0.3 || !idle.length) {
        const id = `${tab}${serial++}`;
        const v = ++value;
        pending.add(id);
        group.push(own(Note.create({ id, tab, v }), id, () => live.set(id, v)));
      } else if (r < 0.5) {
        const id = pick(idle);
        const v = ++value;
        pending.add(id);
        group.push(own(Note.patchById(id, { v }), id, () => live.set(id, v)));
      } else if (r < 0.6) {
        const id = pick(idle);
        pending.add(id);
        group.push(own(Note.deleteById(id), id, () => live.delete(id)));
      } else if (r < 0.85) {
        const id = `s${Math.floor(rnd() * 20)}`;
        const v = ++value;
        group.push(Note.upsert({ id, [field]: v }).then(() => {
          shared[id] = Math.max(shared[id] ?? 0, v);
          acknowledge(id);
        }, (error) => unexpected.push(`${id}: ${error.code} ${error.message}`)));
      } else if (r < 0.97) {
        const id = `c${contest++}`;
        group.push(Note.create({ id, tab }).then(() => {
          contested.push(id);
          acknowledge(id);
        }, (error) => { if (error.code !== 'conflict') unexpected.push(`${id}: ${error.code}`); }));
      } else {
        const batch = Array.from({ length: 200 }, () => ({ id: `${tab}${serial++}`, tab, v: ++value }));
        batch.forEach((note) => pending.add(note.id));
        group.push(Note.create(batch).then(() => {
          for (const note of batch) {
            live.set(note.id, note.v);
            acknowledge(note.id);
          }
        }, (error) => unexpected.push(`batch: ${error.code} ${error.message}`))
          .finally(() => batch.forEach((note) => pending.delete(note.id))));
      }
    }
    await Promise.all(group);
  }
  return { live: Object.fromEntries(live), shared, contested, unexpected, created: serial };
}

// Every note and the change log's model ids, in id order.
export async function snapshot() {
  const notes = await window.db.Note.find({ order: 'id ASC' });
  const changes = await window.db.Note.changes();
  return { notes, changeIds: changes.map((c) => c.modelId).sort() };
}

// Polls (bounded) until this tab holds `count` notes; resolves to the count it saw.
export async function waitForCount(count, timeoutMs = 10000) {
  const end = performance.now() + timeoutMs;
  let seenCount = await window.db.Note.count();
  while (seenCount !== count && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seenCount = await window.db.Note.count();
  }
  return seenCount;
}

// Ids this tab heard a change event for (its own writes and other tabs').
export function heard() {
  return [...seen.keys()];
}

// A live query of this tab's notes (Note.watch): the ids of each result it heard.
let watched = null;
let stopWatching = null;
export function startWatch(filter) {
  const results = [];
  watched = results;
  stopWatching = window.db.Note.watch(filter, (notes) => results.push(notes.map((note) => note.id)),
    (error) => results.push(`${error.code}: ${error.message}`));
  return true;
}

// Polls (bounded) until the watch's last result has `count` notes; every result it heard.
export async function watchedUntil(count, timeoutMs = 10000) {
  const end = performance.now() + timeoutMs;
  while (watched.at(-1)?.length !== count && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return watched;
}

export function stopWatch() {
  stopWatching();
  return watched;
}

// Writes one note every few milliseconds (at most `max`), acknowledging each through
// window.ack, until stopWriting().
let writing = false;
export function startWriting(prefix, max = 2000) {
  writing = true;
  (async () => {
    for (let i = 0; writing && i < max; i++) {
      const id = `${prefix}${i}`;
      await window.db.Note.create({ id, tab: prefix, v: i });
      acknowledge(id);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })().catch((error) => { window.writeError = `${error.code}: ${error.message}`; });
  return true;
}

export function stopWriting() {
  writing = false;
  return window.writeError ?? null;
}

// Starts a create of `count` notes in one batch (enough to compact) without awaiting it.
export function startBigWrite(prefix, count) {
  const batch = Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, tab: prefix, v: i }));
  window.db.Note.create(batch).then(() => batch.forEach((note) => acknowledge(note.id)), () => {});
  return true;
}

export function isLeader() {
  return window.db.tabs.isLeader;
}

export async function heldLocks(name) {
  const { held } = await navigator.locks.query();
  return held.filter((lock) => lock.name === name).length;
}

// Publishes a value on the database's channel.
export function publish(topic, value) {
  window.db.tabs.publish(topic, value);
  return true;
}

export async function stateOf(topic, timeoutMs = 5000) {
  const end = performance.now() + timeoutMs;
  while (window.db.tabs.state(topic) === undefined && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return window.db.tabs.state(topic) ?? null;
}

// A worker opens the page's database: `count` writes each way; what each side then reads.
export async function withWorker(name, count) {
  const worker = new Worker(new URL('./tabs-worker.mjs', import.meta.url), { type: 'module' });
  const ask = (message) => new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data.ok));
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(message);
  });
  try {
    await ask({ op: 'open', name });
    await ask({ op: 'write', count });
    const pageSaw = await waitForCount(count);
    for (let i = 0; i < count; i++) await window.db.Note.create({ id: `P${i}`, tab: 'page', v: i });
    const workerSaw = await ask({ op: 'count', expected: 2 * count });
    return { pageSaw, workerSaw, heardFromWorker: heard().filter((id) => id.startsWith('W')).length };
  } finally {
    worker.terminate();
  }
}

// Creates `count` notes one at a time; how long it took, in ms.
export async function timedWrites(prefix, count) {
  const start = performance.now();
  for (let i = 0; i < count; i++) await window.db.Note.create({ id: `${prefix}${i}`, tab: prefix, v: i });
  return performance.now() - start;
}

// `count` checkpoints asked for at once; the seqs they got.
export async function checkpoints(count) {
  const answers = await Promise.all(Array.from({ length: count }, () => window.db.checkpoint()));
  return answers.map((checkpoint) => checkpoint.seq);
}

// Replicates this tab's database into `peerName` `rounds` times (local -> local), then
// reads both.
export async function replicateInto(storage, peerName, rounds) {
  const peer = await open({ name: peerName, models: [noteModel], storage });
  let conflicts = 0;
  for (let i = 0; i < rounds; i++) conflicts += (await window.db.Note.replicate(peer.Note)).conflicts.length;
  const source = await window.db.Note.find({ order: 'id ASC' });
  const target = await peer.Note.find({ order: 'id ASC' });
  await peer.close();
  return { conflicts, source, target };
}
