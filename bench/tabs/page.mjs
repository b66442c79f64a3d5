// One tab of the cross-tab latency benchmark (latency.mjs). Clocks: performance.timeOrigin
// + performance.now(), comparable across the tabs of one browser.
import { open } from '/js/src/index.js';

const model = {
  name: 'Note', plural: 'Notes', strict: 'throw', trackChanges: true,
  properties: { id: { type: 'string', id: true }, tab: 'string', v: 'number' },
};
const now = () => performance.timeOrigin + performance.now();
const heardAt = new Map();  // id -> when this tab's change event fired
let db;

export async function openDb(name) {
  db = await open({ name, models: [model] });
  db.Note.on('change', (e) => { if (!heardAt.has(e.id)) heardAt.set(e.id, now()); });
  return true;
}

// Writes `count` notes one at a time, `gapMs` apart; per note: when the call was made and
// when it resolved (acknowledged).
export async function write(prefix, count, gapMs) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${i}`;
    const called = now();
    await db.Note.create({ id, tab: prefix, v: i });
    times.push({ id, called, acked: now() });
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return times;
}

export function heard(ids) {
  return ids.map((id) => heardAt.get(id) ?? null);
}

export async function close() {
  await db.close();
  return true;
}
