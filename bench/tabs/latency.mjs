// Cross-tab visibility latency (issue 18, target: under 50 ms in Chromium): one tab writes
// notes one at a time; every other tab of the same browser context has a change listener;
// per note, the time from the writer's acknowledgement (its promise resolved, the write
// on disk) to the moment each other tab's listener fired (the note is then in that tab's
// core: a read finds it). Real Chromium, persistent profile, IndexedDB.
//   node bench/tabs/latency.mjs [--writes 300] [--gap 5]
import { call, startBrowser } from '../../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const writes = option('writes', 300);
const gap = option('gap', 5);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function scenario(browser, label, tabCount, { busyReceivers = false } = {}) {
  const name = `latency-${label.replace(/\W+/g, '-')}`;
  const tabs = [];
  for (let i = 0; i < tabCount; i++) {
    const tab = await browser.newPage('page.html?suite=/bench/tabs/page.mjs');
    await tab.evaluate((db) => window.suite.openDb(db), name);
    tabs.push(tab);
  }
  const [writer, ...receivers] = tabs;
  const background = busyReceivers
    ? receivers.map((tab, i) => tab.evaluate(([p, n, g]) => window.suite.write(p, n, g), [`r${i}-`, writes, gap]))
    : [];
  const times = await writer.evaluate(([p, n, g]) => window.suite.write(p, n, g), ['w', writes, gap]);
  await Promise.all(background);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fromAck = [];
  const fromCall = [];
  let missing = 0;
  for (const tab of receivers) {
    const heardAt = await tab.evaluate((ids) => window.suite.heard(ids), times.map((t) => t.id));
    heardAt.forEach((at, i) => {
      if (at === null) { missing += 1; return; }
      fromAck.push(at - times[i].acked);
      fromCall.push(at - times[i].called);
    });
  }
  for (const tab of tabs) await tab.close();
  fromAck.sort((a, b) => a - b);
  fromCall.sort((a, b) => a - b);
  const ms = (v) => v.toFixed(2);
  return `| ${label} | ${fromAck.length} | ${ms(percentile(fromAck, 50))} | ${ms(percentile(fromAck, 95))} | ` +
    `${ms(fromAck[fromAck.length - 1])} | ${ms(percentile(fromCall, 50))} | ${missing} |`;
}

const browser = await startBrowser();
try {
  const rows = [
    await scenario(browser, '2 tabs, receiver idle', 2),
    await scenario(browser, '4 tabs, receivers idle', 4),
    await scenario(browser, '2 tabs, receiver writing too', 2, { busyReceivers: true }),
  ];
  console.log(`${writes} writes per scenario, ${gap} ms apart; ms from the writer's acknowledgement to each other tab's change event\n`);
  console.log('| scenario | samples | p50 | p95 | max | p50 from the call | never heard |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
} finally {
  await browser.close();
}
