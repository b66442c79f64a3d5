// --cors lets pages of the named origins call the API (preflights answered, the cursor
// header exposed), others get no CORS headers; large answers are gzipped for clients that
// accept it, small ones and clients that do not are answered plainly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { modelsDir, request, startServer, stopped } from './server_process.mjs';

// A raw HTTP request (no automatic decompression): {status, headers, body: Buffer}.
function raw(url, method, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('CORS for the allowed origin only, gzip for large answers', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models,
    '--cors', 'http://app.test', '--cors', 'http://other.test']);
  try {
    const preflight = await raw(url, 'OPTIONS', '/api/Todos/bulk-update', {
      origin: 'http://app.test', 'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://app.test');
    assert.match(preflight.headers['access-control-allow-methods'], /POST/);
    assert.equal(preflight.headers['access-control-allow-headers'], 'content-type, authorization');
    const get = await raw(url, 'GET', '/api/Todos', { origin: 'http://other.test' });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], 'http://other.test');
    assert.equal(get.headers['access-control-expose-headers'], 'X-Replicore-Next, Retry-After');
    const stranger = await raw(url, 'GET', '/api/Todos', { origin: 'http://evil.test' });
    assert.equal(stranger.headers['access-control-allow-origin'], undefined);
    const error = await raw(url, 'GET', '/api/Nope', { origin: 'http://app.test' });
    assert.equal(error.status, 404);
    assert.equal(error.headers['access-control-allow-origin'], 'http://app.test', 'errors carry CORS too');

    const small = await raw(url, 'GET', '/api/Todos', { 'accept-encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined, 'a small answer is not gzipped');
    for (let i = 0; i < 100; i++) {
      assert.equal((await request(url, 'POST', '/Todos', { id: `t${i}`, title: `todo number ${i}` })).status, 200);
    }
    const plain = await raw(url, 'GET', '/api/Todos');
    assert.equal(plain.headers['content-encoding'], undefined);
    const zipped = await raw(url, 'GET', '/api/Todos', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(zipped.headers.vary, /Accept-Encoding/);
    assert.ok(zipped.body.length < plain.body.length / 3, `${zipped.body.length} vs ${plain.body.length}`);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body)), JSON.parse(plain.body));
    const refused = await raw(url, 'GET', '/api/Todos', { 'accept-encoding': 'gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);
  } finally {
    server.kill('SIGTERM');
    assert.equal(await stopped(server), 0);
    rmSync(models, { recursive: true, force: true });
  }
});

test('without --cors no CORS header is sent', async () => {
  const models = modelsDir();
  const { process: server, url } = await startServer(['--db', ':memory:', '--models', models]);
  try {
    const get = await raw(url, 'GET', '/api/Todos', { origin: 'http://app.test' });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  } finally {
    server.kill('SIGTERM');
    await stopped(server);
    rmSync(models, { recursive: true, force: true });
  }
});
