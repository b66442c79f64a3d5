// A dedicated worker on the same database as the page that started it (tabs.test.mjs):
// opens it, writes notes, and counts what it sees, on the page's request.
import { open } from '/js/src/index.js';
import { noteModel } from './tabs-suite.mjs';

let db;

async function countReaches(expected, timeoutMs) {
  const end = performance.now() + timeoutMs;
  let count = await db.Note.count();
  while (count !== expected && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = await db.Note.count();
  }
  return count;
}

self.onmessage = async ({ data }) => {
  try {
    if (data.op === 'open') {
      db = await open({ name: data.name, models: [noteModel], storage: 'indexeddb' });
      self.postMessage({ ok: true });
    } else if (data.op === 'write') {
      for (let i = 0; i < data.count; i++) await db.Note.create({ id: `W${i}`, tab: 'worker', v: i });
      self.postMessage({ ok: true });
    } else if (data.op === 'count') {
      self.postMessage({ ok: await countReaches(data.expected, 10000) });
    }
  } catch (error) {
    self.postMessage({ error: `${error.code}: ${error.message}` });
  }
};
