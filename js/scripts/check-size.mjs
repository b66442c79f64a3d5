// Prints the size of the shipped wasm module and its JS glue, raw and gzipped (level 9),
// and fails when the two together exceed the budget in bytes (issue 12: 150 KB gzipped).
// Usage: node check-size.mjs <dist-dir> <budget-bytes>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [dist, budgetText] = process.argv.slice(2);
const budget = Number(budgetText);
if (!dist || !Number.isFinite(budget)) {
  console.error('usage: node check-size.mjs <dist-dir> <budget-bytes>');
  process.exit(2);
}
let totalGz = 0;
for (const name of ['replicore_core.wasm', 'replicore_core.mjs']) {
  const bytes = readFileSync(join(dist, name));
  const gz = gzipSync(bytes, { level: 9 }).length;
  totalGz += gz;
  console.log(`${name}: ${bytes.length} bytes, ${gz} gzipped`);
}
console.log(`together: ${totalGz} bytes gzipped (budget ${budget})`);
if (totalGz > budget) {
  console.error(`too large: ${totalGz} > ${budget} bytes gzipped`);
  process.exit(1);
}
