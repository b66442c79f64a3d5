// Writes the reference for number_format_test: one line per double, "<hex bits> <String(n)>".
// Seeded (mulberry32) so every build writes the same file.
import { writeFileSync } from 'node:fs';

const out = process.argv[2];
if (!out) throw new Error('usage: gen_js_numbers.mjs OUT');

let seed = 0x5eed1234;
function rand32() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

const buf = new DataView(new ArrayBuffer(8));
const lines = [];
function add(v) {
  buf.setFloat64(0, v);
  const hex = buf.getBigUint64(0).toString(16).padStart(16, '0');
  lines.push(`${hex} ${String(v)}`);
}

const N = 60000;
for (let i = 0; i < N; i++) {
  // Random bit patterns (skipping NaN/Infinity, which canonical JSON writes as null).
  buf.setUint32(0, rand32());
  buf.setUint32(4, rand32());
  const v = buf.getFloat64(0);
  if (Number.isFinite(v)) add(v);
  add(rand32() * 2 ** (rand32() % 40));                 // scaled integers
  add(Math.round((rand32() / 2 ** 32) * 1e6) / 100);    // two-decimal values
  add((rand32() / 2 ** 32) * 10 ** ((rand32() % 60) - 30));  // every decade around 1
}
for (const v of [0, -0, 1, -1, 0.1, 0.2, 0.30000000000000004, 1e21, 1e-7, 1e-6, 123e-20,
                 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, 12345678901234567890,
                 9223372036854775807, 100, 1e20, 123456789012345680000]) {
  add(v);
}
writeFileSync(out, lines.join('\n') + '\n');
