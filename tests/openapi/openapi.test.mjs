// Issue 25: replicore-server's GET /openapi.json against the running server, without and
// with users. The document must be valid OpenAPI 3.0 (the official schema, through
// @seriousme/openapi-schema-validator, every $ref resolved); its operations must be exactly
// the routes the server dispatches with (`replicore-server --print-routes`, from the same
// tables, not a list written here); and walking it must find no phantom: each documented
// operation answers with one of its documented statuses, never "no method handling" nor
// 405, with a JSON body that matches the documented schema (ajv); and each other method at
// a documented path is "no method handling".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { killServer, serverBinary, startServer, todoModel } from '../system/server_process.mjs';

const temp = mkdtempSync(join(tmpdir(), 'replicore-openapi-'));
const children = [];
after(async () => {
  for (const child of children) await killServer(child);
  rmSync(temp, { recursive: true, force: true });
});

// A models folder: the web example's Todo, and a Note whose records belong to their users.
function modelsDir(withNote) {
  const dir = mkdtempSync(join(temp, 'models-'));
  writeFileSync(join(dir, 'todo.json'), JSON.stringify(todoModel));
  if (withNote) {
    writeFileSync(join(dir, 'note.json'), JSON.stringify({
      name: 'Note', plural: 'Notes', ownership: 'owner', strict: true, hidden: ['secret'],
      properties: { id: { type: 'string', id: true }, text: { type: 'string', required: true }, secret: 'string' },
    }));
  }
  return dir;
}

const CONFIGS = {
  'no users': () => ['--models', modelsDir(false), '--db', ':memory:'],
  'users, an owned model': () => ['--models', modelsDir(true), '--db', join(mkdtempSync(join(temp, 'db-')), 'db.sqlite'),
    '--users', '--allow-signup'],
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ID = 'walk-1';

// [{method, path, operation}] of the document, in its order.
function operations(document) {
  const out = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [verb, operation] of Object.entries(item)) {
      if (METHODS.includes(verb.toUpperCase())) out.push({ method: verb.toUpperCase(), path, operation });
    }
  }
  return out;
}

// The documented operation a request would reach: a literal path before a template.
function documentedFor(document, method, concretePath) {
  const verb = method.toLowerCase();
  if (document.paths[concretePath]?.[verb]) return document.paths[concretePath][verb];
  for (const [path, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('\\{id\\}', '{id}').replace('{id}', '[^/]+')}$`);
    if (item[verb] && pattern.test(concretePath)) return item[verb];
  }
  return undefined;
}

// The request body an operation's schema asks for, at its smallest.
function bodyFor(document, operation) {
  let schema = operation.requestBody?.content?.['application/json']?.schema;
  if (!schema) return undefined;
  if (schema.$ref) schema = document.components.schemas[schema.$ref.split('/').pop()];
  if (schema.type === 'array') return [];
  if (schema.required?.includes('updates')) return { updates: [] };
  return {};
}

async function send(url, method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: response.status, message: json?.error?.message ?? '', text, json };
}

const NO_ROUTE = /has no method handling|There is no method to handle|^Cannot /;

for (const [name, makeArgs] of Object.entries(CONFIGS)) {
  test(`/openapi.json (${name}): valid OpenAPI 3.0, the server's routes exactly, each one served`, async () => {
    const args = makeArgs();
    const { process: child, url } = await startServer([...args, '--log-level', 'error']);
    children.push(child);
    const response = await fetch(`${url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    const document = await response.json();

    // Valid against the OpenAPI 3.0 schema, and every $ref resolves.
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.ok(result.valid, `not valid OpenAPI: ${JSON.stringify(result.errors, null, 1)?.slice(0, 3000)}`);
    assert.equal(validator.version, '3.0');
    const resolved = validator.resolveRefs();
    // OpenAPI 3.0 schemas are JSON Schema plus nullable (which ajv knows), example and
    // writeOnly (annotations).
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);

    // No missing and no phantom route: the document's operations are the server's routes.
    const served = execFileSync(serverBinary, [...args, '--print-routes'], { encoding: 'utf8' })
      .trim().split('\n').map((line) => line.replace(':id', '{id}')).sort();
    const documented = operations(document).map(({ method, path }) => `${method} ${path}`).sort();
    assert.deepEqual(documented, served);
    assert.ok(served.includes('GET /api/Todos') && served.includes('POST /api/Todos/bulk-update'));

    // A record at ID in each model; with users, a user's token.
    let token;
    if (args.includes('--users')) {
      const password = 'openapi-walk-pw';
      assert.equal((await send(url, 'POST', '/api/Users', { body: { username: 'walker', password } })).status, 200);
      const login = await fetch(`${url}/api/Users/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'walker', password }),
      });
      token = (await login.json()).id;
      const note = { id: ID, text: 'n', secret: 's' };  // answered with its hidden property
      assert.equal((await send(url, 'POST', '/api/Notes', { body: note })).status, 401);
      assert.equal((await send(url, 'POST', '/api/Notes', { body: note, token })).status, 200);
    }
    assert.equal((await send(url, 'POST', '/api/Todos', { body: { id: ID, title: 't' } })).status, 200);

    // Walk the document: deletes and the logout last, so that the record and the token
    // are there for everything else.
    const last = ({ method, path }) => (method === 'DELETE' || path.endsWith('/logout') ? 1 : 0);
    const walk = operations(document).sort((a, b) => last(a) - last(b));
    for (const { method, path, operation } of walk) {
      const concrete = path.replace('{id}', ID);
      const answer = await send(url, method, concrete, { body: bodyFor(document, operation), token });
      const label = `${method} ${path} -> ${answer.status} ${answer.message}`;
      assert.notEqual(answer.status, 405, label);
      assert.ok(!(answer.status === 404 && (method === 'HEAD' || NO_ROUTE.test(answer.message))), `phantom: ${label}`);
      assert.ok(operation.responses[String(answer.status)], `undocumented status: ${label}`);
      const schema = resolved.paths[path][method.toLowerCase()].responses[String(answer.status)]
        .content?.['application/json']?.schema;
      if (method === 'HEAD' || answer.status === 204) {
        assert.equal(answer.text, '', label);
      } else {
        assert.ok(schema, `no schema for ${label}`);
        const validate = ajv.compile(schema);
        assert.ok(validate(answer.json), `${label}: ${answer.text.slice(0, 300)} does not match: ${ajv.errorsText(validate.errors)}`);
      }
    }

    // Every other method at a documented path is not served (nothing undocumented there).
    for (const path of Object.keys(document.paths)) {
      const concrete = path.replace('{id}', ID);
      for (const method of METHODS) {
        if (documentedFor(document, method, concrete)) continue;
        const answer = await send(url, method, concrete, { body: method === 'GET' || method === 'HEAD' ? undefined : {}, token });
        assert.equal(answer.status, 404, `undocumented but served: ${method} ${concrete} -> ${answer.status}`);
        if (method !== 'HEAD') assert.match(answer.message, NO_ROUTE, `${method} ${concrete}`);
      }
    }
  });
}
