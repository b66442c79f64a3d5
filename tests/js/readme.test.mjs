// The package README's example runs as it is written (with 'replicore' resolved to js/).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test('the README example runs in Node', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../js/README.md', import.meta.url)), 'utf8');
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  const entry = new URL('../../js/src/index.js', import.meta.url).href;
  const dir = mkdtempSync(join(tmpdir(), 'replicore-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, example.replace("from 'replicore'", `from '${entry}'`));
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60000 });
    assert.match(output, /^save [0-9a-f-]{36} \{/m);
    assert.match(output, /\[\]/, 'the completed todo is not listed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
