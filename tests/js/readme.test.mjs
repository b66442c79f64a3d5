// The package README's example runs as it is written (with 'replicore' resolved to js/).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { modelsDir, startServer, stopped } from '../system/server_process.mjs';

const readme = () => readFileSync(fileURLToPath(new URL('../../js/README.md', import.meta.url)), 'utf8');
const entry = new URL('../../js/src/index.js', import.meta.url).href;

// Runs a README code block as a module; returns its output.
function runExample(code) {
  const dir = mkdtempSync(join(tmpdir(), 'replicore-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, code.replace("from 'replicore'", `from '${entry}'`));
    return execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the README example runs in Node', () => {
  const output = runExample(readme().match(/```js\n([\s\S]*?)```/)[1]);
  assert.match(output, /^save [0-9a-f-]{36} \{/m);
  assert.match(output, /\[\]/, 'the completed todo is not listed');
});

test("the README's server example runs against replicore-server", async () => {
  const example = [...readme().matchAll(/```js\n([\s\S]*?)```/g)][1][1];
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const output = runExample(example.replace("'http://127.0.0.1:3000/api'", `'${url}/api'`));
    assert.equal(output, 'edited on the server\nphone\n');
  } finally {
    server.kill('SIGTERM');
    await stopped(server);
    rmSync(models, { recursive: true, force: true });
  }
});
