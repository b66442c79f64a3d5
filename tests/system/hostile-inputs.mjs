// The hostile-input catalogue of tests/system/hostile.test.mjs (issue 20, item 7): every
// route of replicore-server × every class of bad input, as plain request descriptions
// {cls, route, method, path, headers, body, recipe}. `path` is the raw request target
// (characters U+0080-U+00FF go out as single raw bytes, so it can carry invalid UTF-8);
// `body` is a string (sent as UTF-8), a Buffer, or a {chunks, size} stream description.
// Everything random comes from the seeded PRNG passed in, so a seed replays a run.

// mulberry32: a tiny seeded PRNG (32-bit state), enough to shuffle and mutate.
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (array) => array[Math.floor(next() * array.length)],
    chance: (p) => next() < p,
  };
}

const API = '/api/Todos';
const enc = encodeURIComponent;
const q = (value) => enc(typeof value === 'string' ? value : JSON.stringify(value));
export const nested = (depth, inner = '1', open = '[', close = ']') => open.repeat(depth) + inner + close.repeat(depth);
const nestedObject = (depth, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

// Ids of the records the test creates before the hostile traffic (so id routes hit real
// records too) and the hostile ids: as a JS string, what the record's id is.
export const seedIds = Array.from({ length: 40 }, (_, i) => `t${i}`);
export const hostileIds = [
  'a/b', '..', '../..', '../../etc/passwd', '.', '%00', '%2F', 'x%2Fy', '\u0000', 'nul\u0000in',
  "' OR 1=1 --", '"', "'", ';', ';DROP TABLE changes;--', '%', '_', '%_%', '\\', 'a\\b', ' ', '  lead',
  '?x=1', '#frag', '&a=b', '+', '\u2028', '\ufeff', '\u00e9', '\u{1f600}', '__proto__', 'constructor',
  'prototype', 'toString', 'hasOwnProperty', 'null', 'undefined', '0', '-1', '1e400', 'NaN', 'true',
  '[]', '{}', '$where', 'changes', 'count', 'findOne', 'update', 'diff', 'checkpoint', 'exists',
  'x'.repeat(1000), 'y'.repeat(8 * 1024), 'z'.repeat(100 * 1024),
];

// What a hostile id looks like in a URL: encodeURIComponent, plus raw forms a browser
// would never send.
const rawIdSegments = [
  '..', '.', '%2e%2e', '%2E%2E%2F%2E%2E', '%00', '%2F', 'a%2Fb', '%', '%zz', '%F', '%FF', '%C0%AF',
  '%ED%A0%80', '\u00ff', '\u00c3\u0028', '\u00ed\u00a0\u0080', 'a%00b', '%27%20OR%201%3D1%20--', '%22',
  '%3B', '%25', '_', '%5F', "'", '"', ';', '*', '!', '$', '(', ')', '~', '@', 'a%20b', '%0A', '%0D%0A',
  '%E2%80%A8', '%5Cu0000', 'x'.repeat(8100), 'x'.repeat(100 * 1024),
];

// Values that are wrong in some way wherever a string, number, object or array belongs,
// as JSON text (some deliberately not JSON).
const wrongTypeValues = ['5', '-1', '0', '1.5', 'true', 'false', 'null', '[]', '{}', '[1,2]', '{"a":1}',
  '""', '"x"', '[null]', '[[]]', '{"":null}', '9007199254740993', '-0', '1e308', '[{}]'];
const outOfRangeNumbers = ['1e400', '-1e400', '1e999999', '-1e999999', '1E+9999', '4e-400',
  '123456789012345678901234567890', '-9999999999999999999999', '0.' + '0'.repeat(5000) + '1',
  '1' + '0'.repeat(400), '18446744073709551616', '-9223372036854775809', '1e-99999'];
const sqlValues = ["' OR 1=1 --", "'; DROP TABLE records; --", '"', '\\"', ';', '%', '_', '%%', '\\',
  "') OR ('1'='1", '" OR ""="', '1; SELECT * FROM sqlite_master', "x' UNION SELECT sql FROM sqlite_master --",
  '$.title', '$[0]', 'json_extract(data, "$.id")', '*/', '/*', '--', '`', '[', ']'];
const sqlKeys = ["title' OR 1=1 --", 'title"', 'title;', 'ti%tle', 'ti_tle', '$.title', 'title.length',
  'meta.a', 'meta[0]', '"id"', 'id) OR (1=1', "json_extract(data,'$.id')", 'rowid', '_rowid_', 'oid',
  'data', '*', '', ' ', '.', '..', 'a.b.c.d.e.f.g'];
const protoKeys = ['__proto__', 'constructor', 'prototype'];
const badLimits = ['-1', '-0', '1.5', '1e400', '1e21', '9007199254740993', '99999999999999999999',
  'NaN', 'Infinity', '-Infinity', '"10"', '"abc"', '""', 'null', 'true', '[]', '{}', '[5]', '0x10',
  '1e3', '0', '18446744073709551616', '"-5"', '" 5"', '"5.0"'];
const malformedJson = ['{', '}', '[', ']', '{"title":}', '{"title":"x",}', '[1,]', "{'title':'x'}",
  '{title:"x"}', '{"title":"x"', '"unterminated', 'NaN', 'Infinity', 'undefined', '{"a":1}{"b":2}',
  '{"a":01}', '{"a":.5}', '{"a":-}', '{"a":+1}', '{"a":0x10}', '{"a":"\\x41"}', '{"a":"\\u12"}',
  '{"a":"\t"}', '/* c */{}', '{"a":1}//', '\ufeff{}', 'tru', 'nul', '{"a" 1}', '{,}', '[,]',
  '{"a":[1,2}', '{"a":{"b":1]}', '\u0000', '{"a":"b"}\u0000', '{"\\ud800":1', '-', '1.', '.1', '1e',
  '{"a":true false}', '[' + '1,'.repeat(1000)];

// Routes: what each takes. `id` routes have an :id; `query` names the JSON query argument
// read there; `body` the kind of body the route reads.
const routes = [
  { name: 'find', method: 'GET', path: '', query: 'filter' },
  { name: 'create', method: 'POST', path: '', body: 'record' },
  { name: 'replaceOrCreate', method: 'PUT', path: '', body: 'record' },
  { name: 'patchOrCreate', method: 'PATCH', path: '', body: 'record' },
  { name: 'findById', method: 'GET', path: '/:id', query: 'filter', id: true },
  { name: 'head', method: 'HEAD', path: '/:id', id: true },
  { name: 'exists', method: 'GET', path: '/:id/exists', id: true },
  { name: 'replaceById', method: 'PUT', path: '/:id', body: 'record', id: true },
  { name: 'patchAttributes', method: 'PATCH', path: '/:id', body: 'record', id: true },
  { name: 'replace', method: 'POST', path: '/:id/replace', body: 'record', id: true },
  { name: 'deleteById', method: 'DELETE', path: '/:id', id: true },
  { name: 'count', method: 'GET', path: '/count', query: 'where' },
  { name: 'findOne', method: 'GET', path: '/findOne', query: 'filter' },
  { name: 'replaceOrCreate2', method: 'POST', path: '/replaceOrCreate', body: 'record' },
  { name: 'upsertWithWhere', method: 'POST', path: '/upsertWithWhere', query: 'where', body: 'record' },
  { name: 'updateAll', method: 'POST', path: '/update', query: 'where', body: 'record' },
  { name: 'changes', method: 'GET', path: '/changes', query: 'filter', fixed: 'since=-1' },
  { name: 'diff', method: 'POST', path: '/diff', body: 'changes', fixed: 'since=0' },
  { name: 'checkpointGet', method: 'GET', path: '/checkpoint' },
  { name: 'checkpointPost', method: 'POST', path: '/checkpoint', body: 'ignored' },
  { name: 'createUpdates', method: 'POST', path: '/create-updates', body: 'changes' },
  { name: 'bulkUpdate', method: 'POST', path: '/bulk-update', body: 'updates' },
  { name: 'findLastChange', method: 'GET', path: '/:id/changes/last', id: true },
  { name: 'updateLastChange', method: 'PUT', path: '/:id/changes/last', body: 'change', id: true },
  { name: 'rectifyAll', method: 'POST', path: '/rectify-all', body: 'ignored' },
  { name: 'rectifyChange', method: 'POST', path: '/:id/rectify-change', body: 'ignored', id: true },
  { name: 'changeStream', method: 'GET', path: '/change-stream' },
  { name: 'destroyAll', method: 'DELETE', path: '' },
];
export const routeNames = routes.map((r) => r.name);
const bodyRoutes = routes.filter((r) => r.body && r.body !== 'ignored');
const queryRoutes = routes.filter((r) => r.query);
const idRoutes = routes.filter((r) => r.id);

// A body on /update or /upsertWithWhere without a where would touch every record (a 64 KB
// title written into thousands of rows makes every later find slow for no finding): those
// get a where naming one seeded record unless the request carries its own.
function pathOf(route, idSegment, query) {
  let path = API + route.path.replace(':id', idSegment);
  const parts = [route.fixed, query].filter(Boolean);
  if (route.query === 'where' && route.body && !/(^|&)where\b/.test(query ?? '')) parts.push(`where=${enc('{"id":"t7"}')}`);
  if (parts.length) path += '?' + parts.join('&');
  return path;
}

// A route's body with `v` (JSON text) in one of several positions; `id` the record id.
function wrap(route, v, position, id) {
  const idText = JSON.stringify(id);
  switch (route.body) {
    case 'record':
      return [
        v,                                                   // the whole body
        `{"id":${idText},"title":${v}}`,                     // a string field
        `{"id":${idText},"title":"x","meta":{"k":${v}}}`,    // inside the free object
        `{"id":${idText},"created":${v},"completed":${v}}`,  // number and boolean fields
        `[{"id":${idText},"title":${v}}]`,                   // an array body
      ][position % 5];
    case 'changes':
      return [
        v,
        `[${v}]`,
        `[{"modelName":"Todo","modelId":${idText},"rev":${v},"prev":null,"checkpoint":1}]`,
        `[{"modelName":${v},"modelId":${v},"rev":"r","checkpoint":${v}}]`,
        `[{"modelName":"Todo","modelId":${idText},"rev":"r","checkpoint":1,"x":${v}}]`,
      ][position % 5];
    case 'updates':
      return [
        v,
        `{"updates":${v}}`,
        `{"updates":[${v}]}`,
        `{"updates":[{"type":"create","change":{"modelName":"Todo","modelId":${idText},"rev":"r","checkpoint":1},"data":{"id":${idText},"title":${v}}}]}`,
        `{"updates":[{"type":${v},"change":${v},"data":${v}}]}`,
      ][position % 5];
    case 'change':
      return [v, `{"prev":${v}}`, `{"rev":${v},"prev":${v}}`, `{"modelId":${v},"checkpoint":${v}}`, `{"prev":"x","x":${v}}`][position % 5];
    default:
      return v;
  }
}

// A valid body for the route, with the given record id (used with bad headers / ids).
function validBody(route, id) {
  return wrap(route, '"ok"', route.body === 'record' ? 1 : route.body === 'changes' ? 2 : route.body === 'updates' ? 3 : 1, id);
}

// A filter (for query: filter) or a where (for query: where) around `where`.
const filterFor = (route, where, rest = {}) => (route.query === 'where' ? where : { where, ...rest });

function json(cls, route, idSegment, query, body, extra = {}) {
  return {
    cls, route: route.name, method: route.method, path: pathOf(route, idSegment, query),
    headers: body === undefined ? {} : { 'content-type': 'application/json' }, body, ...extra,
  };
}

// The ordinary catalogue: every route × every class, each request cheap enough for the
// concurrent phase. `pick` chooses an id for id routes (a seeded record or a hostile one).
export function catalogue(rand) {
  const out = [];
  const anyId = () => (rand.chance(0.5) ? rand.pick(seedIds) : rand.pick(hostileIds.slice(0, -3)));
  const idSeg = () => enc(anyId());
  const idFor = (route) => (route.id ? idSeg() : '');
  const add = (request) => out.push(request);

  // A little valid traffic (creates with hostile-but-legal ids, patches, deletes) so that
  // the final consistency check has records and tombstones made through every path.
  for (const id of hostileIds) {
    const route = routes.find((r) => r.name === 'create');
    add(json('hostile-ids', route, '', '', JSON.stringify({ id, title: `t ${id.slice(0, 20)}` }),
      { recipe: id.length > 500 ? `body {"id": "${id[0]}" x ${id.length}, "title": ...}` : undefined }));
    for (const r of idRoutes) {
      const body = r.body ? validBody(r, id) : undefined;
      add(json('hostile-ids', r, enc(id), '', body));
    }
  }
  for (const seg of rawIdSegments) {
    for (const r of idRoutes) add(json('hostile-ids', r, seg, '', r.body ? validBody(r, 'x') : undefined,
      { recipe: seg.length > 500 ? `id segment "${seg[0]}" x ${seg.length}` : undefined }));
  }
  // Ids with more segments than a route has, '..' that would climb out of the API.
  for (const p of ['/a/b', '/../..', '/%2e%2e/%2e%2e/x', '/t1/..', '/t1/../../Nope', '/t1/changes/last/x',
    '/t1/exists/x', '/t1/replace/x', '//', '///t1', '/t1//exists', '/./t1']) {
    for (const method of ['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'HEAD']) {
      add({ cls: 'hostile-ids', route: 'path', method, path: API + p, headers: { 'content-type': 'application/json' }, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
    }
  }
  for (const p of ['/api/Nope', '/api', '/api/', '/api/../api/Todos', '/x', '/api/replicore/capabilities',
    '/api/Todos/../../etc/passwd', '/%2e%2e/api/Todos', '/api/Todos%2F..', '/api/%00']) {
    add({ cls: 'hostile-ids', route: 'outside', method: 'GET', path: p, headers: {} });
  }

  // Malformed JSON in every body and every JSON query argument.
  for (const text of malformedJson) {
    for (const r of bodyRoutes) add(json('malformed-json', r, idFor(r), '', text));
    for (const r of queryRoutes) add(json('malformed-json', r, idFor(r), `${r.query}=${enc(text)}`));
  }

  // Deep nesting: 100 (the limit: records nest one level more), 101, 10,000 and a few
  // 1,000,000 (the last in the heavy phase too), arrays and objects, in every position.
  for (const depth of [99, 100, 101, 10000]) {
    for (const v of [nested(depth), nestedObject(depth)]) {
      for (const r of bodyRoutes) {
        for (let position = 0; position < 5; position++) {
          add(json('deep-json', r, idFor(r), '', wrap(r, v, position, `deep-${depth}-${position}-${out.length}`),
            { recipe: `nesting ${depth} (${v[0]}) at position ${position}` }));
        }
      }
      for (const r of queryRoutes) {
        add(json('deep-json', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { meta: { a: '__V__' } })).replace('"__V__"', v))}`,
          undefined, { recipe: `${r.query} with a value nested ${depth} (${v[0]})` }));
        add(json('deep-json', r, idFor(r), `${r.query}=${enc(nested(depth, '{}', '{"and":[', ']}'))}`, undefined,
          { recipe: `${r.query} of ${depth} nested "and"` }));
      }
    }
  }

  // Huge strings and arrays, at sizes for the concurrent phase (what is accepted is stored,
  // and every later find returns it): 32 KB strings, 20,000-element arrays, 5,000 keys.
  // The heavy phase sends 8 MiB strings and 1,000,000-element arrays.
  const big = 'x'.repeat(32 * 1024);
  const bigArray = '[' + Array(20000).fill('1').join(',') + ']';
  const manyKeys = '{' + Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',') + '}';
  for (const v of [JSON.stringify(big), bigArray, manyKeys, `[${Array(5000).fill('"' + 'y'.repeat(10) + '"').join(',')}]`]) {
    for (const r of bodyRoutes) {
      for (let position = 0; position < 5; position++) {
        add(json('huge-strings-arrays', r, idFor(r), '', wrap(r, v, position, `big-${out.length}`),
          { recipe: `value ${v.slice(0, 12)}... (${v.length} chars) at position ${position}` }));
      }
    }
  }
  for (const r of queryRoutes) {
    add(json('huge-strings-arrays', r, idFor(r), `${r.query}=${q(filterFor(r, { title: 'q'.repeat(7000) }))}`, undefined, { recipe: 'title of 7000 q' }));
    add(json('huge-strings-arrays', r, idFor(r), `${r.query}=${q(filterFor(r, { id: { inq: Array.from({ length: 1500 }, (_, i) => `t${i}`) } }))}`));
    add(json('huge-strings-arrays', r, idFor(r), `${r.query}=${q(filterFor(r, { or: Array.from({ length: 600 }, (_, i) => ({ title: `a${i}` })) }))}`));
    add(json('huge-strings-arrays', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { between: [1, 2, 3, 4] } }))}`));
  }
  for (const r of routes.filter((x) => x.query === 'filter')) {
    add(json('huge-strings-arrays', r, idFor(r), `filter=${q({ fields: Array.from({ length: 1000 }, (_, i) => `f${i}`) })}`));
    add(json('huge-strings-arrays', r, idFor(r), `filter=${q({ order: Array.from({ length: 500 }, (_, i) => `f${i} DESC`) })}`));
    add(json('huge-strings-arrays', r, idFor(r), `filter=${q({ order: 'title ' + 'DESC '.repeat(1000) })}`));
  }

  // Huge entry counts (cheap sizes; 200,000 and 1,000,000 in the heavy phase).
  for (const n of [10000, 50001]) {
    const changes = '[' + Array.from({ length: n }, (_, i) => `{"modelName":"Todo","modelId":"m${i}","rev":"r${i}","checkpoint":1}`).join(',') + ']';
    add(json('huge-entry-counts', routes.find((r) => r.name === 'diff'), '', '', changes, { recipe: `${n} changes` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'createUpdates'), '', '', changes, { recipe: `${n} changes` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'bulkUpdate'), '', '', `{"updates":[${Array(n).fill('null').join(',')}]}`, { recipe: `${n} null updates` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'bulkUpdate'), '', '', `{"updates":[${Array(n).fill('{"type":"delete","change":{"modelName":"Todo","modelId":"nope","rev":null,"prev":"p","checkpoint":1}}').join(',')}]}`, { recipe: `${n} deletes of one id` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'create'), '', '', `[${Array(n).fill('5').join(',')}]`, { recipe: `array of ${n} numbers` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'create'), '', '', `[${'{},'.repeat(n)}5]`, { recipe: `array of ${n} objects and a number` }));
    add(json('huge-entry-counts', routes.find((r) => r.name === 'create'), '', '', `[{"nope":1}${',{}'.repeat(n)}]`, { recipe: `array of ${n} objects, the first with an unknown property` }));
  }
  for (const r of queryRoutes) {
    const params = Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join('&');
    add(json('huge-entry-counts', r, idFor(r), params, undefined, { recipe: '5000 query parameters' }));
  }

  // Invalid UTF-8 (raw bytes in bodies; percent-encoded and raw in URLs).
  const badBytes = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xfe, 0xff]];
  for (const bytes of badBytes) {
    const raw = Buffer.from(bytes);
    for (const r of bodyRoutes) {
      for (let position = 0; position < 5; position++) {
        const [before, after] = wrap(r, '"\u0001"', position, `utf8-${out.length}`).split('\u0001');
        add(json('invalid-utf8', r, idFor(r), '', Buffer.concat([Buffer.from(before), raw, Buffer.from(after)]),
          { recipe: `bytes ${bytes.map((b) => b.toString(16)).join(' ')} inside a JSON string at position ${position}` }));
      }
      // As a key.
      add(json('invalid-utf8', r, idFor(r), '', Buffer.concat([Buffer.from('{"'), raw, Buffer.from('":1}')])));
    }
    const pct = bytes.map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
    for (const r of queryRoutes) {
      add(json('invalid-utf8', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { title: 'A' })).replace('A', '__'))}`.replace('__', pct)));
      add(json('invalid-utf8', r, idFor(r), `${r.query}[title]=${pct}`));
      add(json('invalid-utf8', r, idFor(r), `${pct}=1`));
    }
    for (const r of idRoutes) {
      add(json('invalid-utf8', r, `x${pct}`, '', r.body ? validBody(r, 'x') : undefined));
      add(json('invalid-utf8', r, 'x' + String.fromCharCode(...bytes), '', r.body ? validBody(r, 'x') : undefined,
        { recipe: `raw bytes ${bytes.map((b) => b.toString(16)).join(' ')} in the path` }));
    }
    // Form bodies decode %XX into raw bytes: an invalid-UTF-8 id or title through the form.
    add({ cls: 'invalid-utf8', route: 'create', method: 'POST', path: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `id=u8${pct}&title=${pct}` });
  }

  // Lone surrogates as JSON escapes (valid JSON text, invalid Unicode).
  for (const s of ['\\ud800', '\\udfff', '\\ud800\\ud800', '\\udc00\\ud800', 'a\\ud83d', '\\ud83dx', '\\ud83d\\ude00']) {
    for (const r of bodyRoutes) {
      for (let position = 0; position < 5; position++) add(json('lone-surrogates', r, idFor(r), '', wrap(r, `"${s}"`, position, `sur-${out.length}`)));
      add(json('lone-surrogates', r, idFor(r), '', `{"${s}":1,"title":"x"}`));
      add(json('lone-surrogates', r, idFor(r), '', `{"id":"${s}","title":"x"}`));
    }
    for (const r of queryRoutes) {
      add(json('lone-surrogates', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { title: '@' }))).replace('%40', enc(s))}`));
      add(json('lone-surrogates', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { '@': 1 }))).replace('%40', enc(s))}`));
    }
    for (const r of idRoutes) add(json('lone-surrogates', r, enc(s), '', r.body ? validBody(r, 'x') : undefined));
  }

  // NUL characters: escaped in JSON, raw in a body, %00 in queries and ids.
  for (const v of ['"\\u0000"', '"a\\u0000b"', '"\\u0000\\u0000"', '"t1\\u0000"']) {
    for (const r of bodyRoutes) for (let position = 0; position < 5; position++) add(json('nul', r, idFor(r), '', wrap(r, v, position, `nul-${out.length}`)));
    for (const r of queryRoutes) {
      add(json('nul', r, idFor(r), `${r.query}=${q(filterFor(r, { title: JSON.parse(v) }))}`));
      add(json('nul', r, idFor(r), `${r.query}=${q(filterFor(r, { id: JSON.parse(v) }))}`));
      add(json('nul', r, idFor(r), `${r.query}=${q(filterFor(r, { [JSON.parse(v)]: 1 }))}`));
    }
  }
  for (const r of bodyRoutes) add(json('nul', r, idFor(r), '', Buffer.from('{"title":"a\u0000b"}\u0000', 'latin1')));
  for (const r of bodyRoutes) add(json('nul', r, idFor(r), '', Buffer.from('{"ti\u0000tle":"a"}', 'latin1')));
  add(json('nul', routes.find((r) => r.name === 'create'), '', '', '{"id":"nul\\u0000rec","title":"a\\u0000b"}'));
  for (const r of idRoutes) add(json('nul', r, '%00', '', r.body ? validBody(r, 'x') : undefined));
  for (const r of idRoutes) add(json('nul', r, 't1%00', '', r.body ? validBody(r, 't1') : undefined));

  // __proto__ / constructor / prototype keys everywhere an object is read.
  for (const key of protoKeys) {
    const k = JSON.stringify(key);
    for (const v of [`{${k}:{"polluted":true}}`, `{${k}:null}`, `{${k}:"x"}`, `{"title":"p","meta":{${k}:{"x":1}}}`,
      `{"id":"proto-${key}","title":"p",${k}:{"title":"evil"}}`, `{${k}:{${k}:{"prototype":1}}}`]) {
      for (const r of bodyRoutes) for (let position = 0; position < 5; position++) add(json('proto-keys', r, idFor(r), '', wrap(r, v, position, `proto-${key}-${out.length}`)));
    }
    for (const r of queryRoutes) {
      add(json('proto-keys', r, idFor(r), `${r.query}=${enc(`{${k}:{"where":{"title":"x"}}}`)}`));
      add(json('proto-keys', r, idFor(r), `${r.query}=${enc(`{"where":{${k}:{"polluted":true}}}`)}`));
      add(json('proto-keys', r, idFor(r), `${r.query}=${enc(`{${k}:1}`)}`));
      add(json('proto-keys', r, idFor(r), `${r.query}[${key}][where][title]=x`));
      add(json('proto-keys', r, idFor(r), `${key}[polluted]=1&${r.query}[where][${key}]=1`));
    }
    add({ cls: 'proto-keys', route: 'create', method: 'POST', path: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `${key}[title]=evil&title=ok` });
    add({ cls: 'proto-keys', route: 'create', method: 'POST', path: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `meta[${key}][polluted]=1&title=ok` });
  }

  // SQL metacharacters in filter keys, values and ids (and LIKE's own % and _).
  for (const v of sqlValues) {
    for (const r of queryRoutes) {
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { title: v }))}`));
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { id: v }))}`));
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { like: v } }))}`));
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { nlike: v } }))}`));
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { inq: [v, v] } }))}`));
      if (r.query === 'filter') {
        add(json('sql-metachars', r, idFor(r), `filter=${q({ order: v })}`));
        add(json('sql-metachars', r, idFor(r), `filter=${q({ fields: [v] })}`));
        add(json('sql-metachars', r, idFor(r), `filter=${q({ order: `title ${v}` })}`));
      }
    }
    add(json('sql-metachars', routes.find((r) => r.name === 'create'), '', '', JSON.stringify({ title: v, meta: { [v]: v } })));
  }
  for (const k of sqlKeys) {
    for (const r of queryRoutes) {
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { [k]: 'x' }))}`));
      add(json('sql-metachars', r, idFor(r), `${r.query}=${q(filterFor(r, { [k]: { gt: 1 } }))}`));
      if (r.query === 'filter') add(json('sql-metachars', r, idFor(r), `filter=${q({ order: `${k} ASC`, fields: { [k]: true } })}`));
    }
    for (const r of bodyRoutes.filter((x) => x.body === 'record')) add(json('sql-metachars', r, idFor(r), '', JSON.stringify({ [k]: 'x' })));
  }

  // Regular expressions and like patterns, modest sizes here (catastrophic ones in the heavy phase).
  for (const re of ['(', '[', '\\', '*', '+?', 'a{99999}', '(?<n>a)', '\\p{L}', '/a/gimsuyx', '/(/', '//', '/a', 'a/',
    '(a)\\2', '[z-a]', 'x{2,1}', '(?=a)', '\\u{110000}', '.*'.repeat(50), '^$', '(a|b|c|d|e)*$', '[^]*', '\\b\\B']) {
    for (const r of queryRoutes) {
      add(json('regexp-malformed', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { regexp: re } }))}`));
      add(json('regexp-malformed', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { like: re } }))}`));
      add(json('regexp-malformed', r, idFor(r), `${r.query}=${q(filterFor(r, { title: { ilike: re, options: 'zz' } }))}`));
    }
  }

  // limit / skip / offset: negative, huge, non-numeric, float; JSON and bracket forms.
  for (const v of badLimits) {
    for (const r of routes.filter((x) => x.query === 'filter')) {
      for (const name of ['limit', 'skip', 'offset']) {
        add(json('bad-limit-skip', r, idFor(r), `filter=${enc(`{"${name}":${v}}`)}`));
        add(json('bad-limit-skip', r, idFor(r), `filter[${name}]=${enc(v)}`));
      }
    }
    add(json('bad-limit-skip', routes.find((r) => r.name === 'changes'), '', `limit=${enc(v)}`));
    add(json('bad-limit-skip', routes.find((r) => r.name === 'changes'), '', `after=${enc(v)}`));
    add({ ...json('bad-limit-skip', routes.find((r) => r.name === 'changes'), '', ''), path: `${API}/changes?since=${enc(v)}` });
    add({ ...json('bad-limit-skip', routes.find((r) => r.name === 'diff'), '', '', '[]'), path: `${API}/diff?since=${enc(v)}` });
  }
  for (const after of ['1:', ':x', '9999999999999999999999:x', '-1:t1', '1:%FF', '1:%00', 'x:y', '1:' + 'a'.repeat(7000)]) {
    add(json('bad-limit-skip', routes.find((r) => r.name === 'changes'), '', `limit=2&after=${enc(after)}`));
  }

  // Wrong types everywhere: numbers for strings, arrays for objects, null bodies.
  for (const v of wrongTypeValues) {
    for (const r of bodyRoutes) for (let position = 0; position < 5; position++) add(json('wrong-types', r, idFor(r), '', wrap(r, v, position, `wt-${out.length}`)));
    for (const r of queryRoutes) {
      add(json('wrong-types', r, idFor(r), `${r.query}=${enc(v)}`));
      add(json('wrong-types', r, idFor(r), `${r.query}=${enc(`{"where":${v},"fields":${v},"order":${v},"include":${v}}`)}`));
      add(json('wrong-types', r, idFor(r), `${r.query}=${enc(`{"title":{"inq":${v}},"id":{"between":${v}},"or":${v}}`)}`));
      add(json('wrong-types', r, idFor(r), `${r.query}=${enc(`{"where":{"and":${v},"created":{"gt":${v}}}}`)}`));
    }
  }
  for (const r of routes.filter((x) => x.method !== 'GET' && x.method !== 'HEAD')) {
    add(json('wrong-types', r, idFor(r), '', 'null'));
    add(json('wrong-types', r, idFor(r), '', ''));
  }

  // Numbers out of double range in records, filters, replication fields and since.
  for (const v of outOfRangeNumbers) {
    for (const r of bodyRoutes) for (let position = 0; position < 5; position++) add(json('out-of-range-numbers', r, idFor(r), '', wrap(r, v, position, `oor-${out.length}`)));
    for (const r of queryRoutes) {
      add(json('out-of-range-numbers', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { created: 7 })).replace('7', v))}`));
      add(json('out-of-range-numbers', r, idFor(r), `${r.query}=${enc(JSON.stringify(filterFor(r, { created: { gt: 7 } })).replace('7', v))}`));
      if (r.query === 'filter') add(json('out-of-range-numbers', r, idFor(r), `filter=${enc(`{"limit":${v}}`)}`));
    }
    add({ ...json('out-of-range-numbers', routes.find((r) => r.name === 'changes'), '', ''), path: `${API}/changes?since=${enc(v)}` });
    add({ ...json('out-of-range-numbers', routes.find((r) => r.name === 'diff'), '', '', '[]'), path: `${API}/diff?since=${enc(v)}` });
  }

  // URLs and headers over cpp-httplib's 8 KB bound (and just under it).
  for (const n of [8000, 8193, 16 * 1024, 64 * 1024]) {
    for (const r of queryRoutes) add(json('oversized-url', r, idFor(r), `${r.query}=${q(filterFor(r, { title: 'u'.repeat(n) }))}`, undefined, { recipe: `${r.query} title of ${n} u` }));
    add(json('oversized-url', routes.find((r) => r.name === 'find'), '', `junk=${'j'.repeat(n)}`, undefined, { recipe: `?junk= ${n} j` }));
    add({ cls: 'oversized-url', route: 'find', method: 'GET', path: API, headers: { 'x-junk': 'h'.repeat(n) }, recipe: `header x-junk of ${n} bytes` });
    add({ cls: 'oversized-url', route: 'find', method: 'GET', path: API, headers: Object.fromEntries(Array.from({ length: Math.min(200, n / 40) }, (_, i) => [`x-h${i}`, 'v'.repeat(40)])), recipe: `${Math.min(200, n / 40)} headers` });
  }

  // Bracket-form query strings: sparse and huge indexes, deep brackets, odd shapes.
  const brackets = ['filter[where][title][999999999]=x', 'filter[where][title][4294967296]=x', 'filter[where][title][-1]=x',
    'filter[where][title][]=a&filter[where][title][]=b', 'filter[where][or][21][title]=x', 'filter[where][or][0][title]=x&filter[where][or][999999][title]=y',
    'filter[limit][]=1', 'filter[limit][a]=1', 'filter[skip]=-5', 'filter[where]=x', 'filter=x&filter[where][title]=y',
    'filter[where][title][like]=%25a%25', 'filter[where][title][regexp]=/a/i', 'filter[[]]=1', 'filter]=1', 'filter[=1', 'filter[where[title]]=1',
    '[]=1', '[where]=1', 'filter[where][' + 'a'.repeat(7000) + ']=1', 'filter' + '[a]'.repeat(1500) + '=1',
    'filter[where]' + '[and][0]'.repeat(300) + '[title]=x', 'filter[where][title][inq][' + '0'.repeat(1000) + '1]=x',
    Array.from({ length: 1500 }, (_, i) => `filter[where][or][${i}][title]=x`).join('&'),
    Array.from({ length: 1200 }, (_, i) => `filter[where][title][inq][]=${i}`).join('&'),
    'filter[where][title][999999999]=x&filter[where][title][0]=y', 'filter[where][meta][__proto__][x]=1', 'filter[fields][title]=maybe',
    'filter[order]=title%20SIDEWAYS', 'filter[include]=owner', 'filter[where][id][inq]=t1&filter[where][id][inq]=t2'];
  for (const b of brackets) {
    for (const r of queryRoutes) {
      add(json('bracket-query', r, idFor(r), r.query === 'where' ? b.replace(/^filter\[where\]/, 'where').replace(/^filter/, 'where') : b));
    }
  }

  // Wrong content types, and form bodies (the qs decoder on bodies).
  const types = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream',
    'application/json; charset=latin1', 'application/json; charset=utf-16', 'APPLICATION/JSON', 'application/jsonx', 'application/vnd.api+json',
    'text/json', 'application/x-www-form-urlencoded; charset=utf-8', '', ';', 'application/json, text/plain', '*/*', 'x'.repeat(7000)];
  for (const type of types) {
    for (const r of routes.filter((x) => x.body)) {
      const body = validBody(r, `ct-${out.length}`);
      add({ cls: 'wrong-content-type', route: r.name, method: r.method, path: pathOf(r, idFor(r), ''), headers: type === '' ? {} : { 'content-type': type }, body });
    }
  }
  for (const r of routes.filter((x) => x.body)) {
    add({ cls: 'wrong-content-type', route: r.name, method: r.method, path: pathOf(r, idFor(r), ''), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: validBody(r, 'gz') });
    add({ cls: 'wrong-content-type', route: r.name, method: r.method, path: pathOf(r, idFor(r), ''), headers: { 'content-type': 'application/json' }, body: Buffer.from('\ufeff{"a":1}', 'utf16le') });
  }
  const forms = ['title=x', 'id=form-a&title=x&completed=true', 'title[]=a&title[]=b', 'title[0]=a&title[999999999]=b', 'meta[a][b][c][d][e][f][g][h]=1',
    'updates[0][type]=create&updates[0][change][modelId]=fz&updates[0][change][rev]=r&updates[0][data][id]=fz',
    'updates[999999999]=x', 'updates=x', '0=a&1=b', '=&=&=', '&&&', '%=%', 'a=%ZZ', 'a=%FF', 'title=%00', 'created=1e400', 'completed=maybe',
    'id=' + 'f'.repeat(9000), Array.from({ length: 2000 }, (_, i) => `k${i}=${i}`).join('&'), 'title=' + 'w'.repeat(20000),
    'id[]=a&id[]=b', 'id[a]=b', 'prev=x&rev=y', 'title' + '[x]'.repeat(2000) + '=1', 'a'.repeat(100000) + '=1'];
  for (const f of forms) {
    for (const r of routes.filter((x) => x.body)) {
      add({ cls: 'form-bodies', route: r.name, method: r.method, path: pathOf(r, idFor(r), ''), headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: f,
        recipe: f.length > 300 ? `form body ${f.slice(0, 40)}... (${f.length} bytes)` : undefined });
    }
  }

  // Ordinary valid requests on every route, as a control.
  for (const r of routes) {
    add(json('valid', r, idFor(r), r.query ? `${r.query}=${q(filterFor(r, { title: 'x' }))}` : '', r.body ? validBody(r, `valid-${out.length}`) : undefined));
  }
  return out;
}

// Seeded mutations of catalogue entries, to fill a run up to a fixed number of requests.
export function mutate(rand, request) {
  const m = { ...request, headers: { ...request.headers } };
  const kind = rand.pick(['truncate', 'flip-byte', 'swap-id', 'content-type', 'duplicate-param', 'reroute']);
  const bodyBuffer = m.body === undefined ? undefined : Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body);
  if (kind === 'truncate' && bodyBuffer && bodyBuffer.length > 1) {
    m.body = bodyBuffer.subarray(0, 1 + rand.int(bodyBuffer.length - 1));
  } else if (kind === 'flip-byte' && bodyBuffer && bodyBuffer.length > 0) {
    const copy = Buffer.from(bodyBuffer);
    copy[rand.int(copy.length)] = rand.pick([0x00, 0x22, 0x5b, 0x7b, 0x5c, 0xff, 0x2c, 0x3a, 0x7d, 0x5d]);
    m.body = copy;
  } else if (kind === 'swap-id' && m.path.startsWith(API + '/')) {
    const rest = m.path.slice(API.length + 1);
    const slash = rest.search(/[/?]/);
    const tail = slash < 0 ? '' : rest.slice(slash);
    const id = rand.chance(0.5) ? enc(rand.pick(hostileIds.slice(0, -3))) : rand.pick(rawIdSegments.slice(0, -2));
    if (!['count', 'findOne', 'changes', 'diff', 'checkpoint', 'create-updates', 'bulk-update', 'update',
      'upsertWithWhere', 'replaceOrCreate', 'rectify-all', 'change-stream'].includes(rest.slice(0, slash < 0 ? undefined : slash))) {
      m.path = `${API}/${id}${tail}`;
    }
  } else if (kind === 'content-type') {
    m.headers['content-type'] = rand.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/merge-patch+json']);
  } else if (kind === 'duplicate-param' && m.path.includes('?')) {
    const query = m.path.slice(m.path.indexOf('?') + 1);
    m.path = `${m.path}&${query.split('&')[rand.int(query.split('&').length)]}`;
  } else {
    const r = rand.pick(routes);
    const qs = m.path.includes('?') ? m.path.slice(m.path.indexOf('?') + 1) : '';
    m.route = r.name;
    m.method = r.method;
    m.path = pathOf(r, r.id ? enc(rand.pick(seedIds)) : '', qs);
    if (r.query === 'where' && !/(^|&)where\b/.test(qs)) m.path += (m.path.includes('?') ? '&' : '?') + `where=${enc('{"id":"t8"}')}`;
    if (r.method === 'GET' || r.method === 'HEAD') m.body = undefined;
  }
  m.mutation = kind;
  return m;
}

// The heavy requests, sent one at a time while probes measure everyone else's latency:
// catastrophic regexps and like patterns over long titles (set up by `heavySetup`),
// 1,000,000-deep bodies, bodies over the 32 MB limit, huge entry counts, huge values.
export const heavySetup = [
  ...[28, 400, 1000, 5000].map((n) => ({ id: `re-a${n}`, title: 'a'.repeat(n) + '!' })),
  { id: 're-a100k', title: 'a'.repeat(100000) },
  ...[400, 1000, 5000].map((n) => ({ id: `like-b${n}`, title: 'b'.repeat(n) })),
  { id: 'like-ab', title: 'ab'.repeat(2500) },
];

export function heavy() {
  const out = [];
  const filterRoutes = routes.filter((r) => r.query);
  const add = (request) => out.push(request);
  const regexps = ['^(a+)+$', '/^(a+)+$/', '/^(a+)+$/i', '(a|a)*$', '^(a|aa)+$', '(a*)*b', '^(a?){28}a{28}$', '(.*a){25}', '(\\w+\\s?)+$', '^((a+)|(b+))*c'];
  const likes = ['%a%a%a%a%b', '%b%b%z', '%b%b%b%b%b%b%z', '%a'.repeat(500) + '%z', '_'.repeat(900) + '%z', '%a_%a_%a_%a_%z', '%' + 'ab%'.repeat(300) + 'z'];
  for (const re of regexps) {
    for (const r of filterRoutes) {
      const filter = r.query === 'where' ? { title: { regexp: re } } : { where: { title: { regexp: re } } };
      add(json('catastrophic-regex', r, r.id ? 're-a1000' : '', `${r.query}=${q(filter)}`, r.body ? '{"completed":true}' : undefined));
    }
  }
  for (const like of likes) {
    for (const [op, r] of filterRoutes.flatMap((r) => [['like', r], ['ilike', r], ['nlike', r]])) {
      if (op !== 'like' && !['find', 'count'].includes(r.name)) continue;
      const where = { title: { [op]: like } };
      const filter = r.query === 'where' ? where : { where };
      add(json('catastrophic-like', r, r.id ? 'like-b1000' : '', `${r.query}=${q(filter)}`, r.body ? '{"completed":true}' : undefined,
        { recipe: `${op} "${like.slice(0, 40)}${like.length > 40 ? '...' : ''}" (${like.length} chars)` }));
    }
  }
  // A 1,000,000-deep body into every body route.
  const million = nested(1000000);
  for (const r of bodyRoutes) {
    for (const position of [0, 2]) add(json('deep-json', r, r.id ? 'deep1m' : '', '', wrap(r, million, position, 'deep1m'), { recipe: `1,000,000 nested [ at position ${position}` }));
  }
  for (const r of queryRoutes) add(json('deep-json', r, r.id ? 't1' : '', `${r.query}=${enc(nested(3000, '{}', '{"or":[', ']}'))}`, undefined, { recipe: 'where of 3000 nested or (URL under 64 KB)' }));
  // Bodies over the 32 MB limit: with a content-length, chunked, and as a form.
  const over = 33 * 1024 * 1024;
  for (const r of [routes[1], bodyRoutes.find((x) => x.name === 'diff'), bodyRoutes.find((x) => x.name === 'bulkUpdate'), bodyRoutes.find((x) => x.name === 'replaceById')]) {
    add({ cls: 'oversized-body', route: r.name, method: r.method, path: pathOf(r, r.id ? 't2' : '', ''), headers: { 'content-type': 'application/json' },
      body: { fill: over, prefix: '{"title":"', suffix: '"}' }, recipe: `33 MiB JSON body {"title":"xxx..."} with content-length`, expect: 413 });
    add({ cls: 'oversized-body', route: r.name, method: r.method, path: pathOf(r, r.id ? 't2' : '', ''), headers: { 'content-type': 'application/json' },
      body: { fill: over, prefix: '{"title":"', suffix: '"}', chunked: true }, recipe: `33 MiB JSON body sent chunked (no content-length)`, expect: 413 });
  }
  add({ cls: 'oversized-body', route: 'create', method: 'POST', path: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: { fill: over, prefix: 'title=', suffix: '' }, recipe: '33 MiB form body', expect: 413 });
  add({ cls: 'oversized-body', route: 'create', method: 'POST', path: API, headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024 * 1024) }, body: { fill: 1024, prefix: '{"title":"', suffix: '', lie: true }, recipe: 'content-length: 10 GiB, 1 KiB sent, then nothing', expect: 413 });
  // Huge entry counts.
  const changes = (n) => '[' + Array.from({ length: n }, (_, i) => `{"modelName":"Todo","modelId":"h${i}","rev":"r","checkpoint":1}`).join(',') + ']';
  add(json('huge-entry-counts', bodyRoutes.find((r) => r.name === 'diff'), '', '', changes(200000), { recipe: '200,000 changes' }));
  add(json('huge-entry-counts', bodyRoutes.find((r) => r.name === 'createUpdates'), '', '', changes(200000), { recipe: '200,000 changes' }));
  add(json('huge-entry-counts', bodyRoutes.find((r) => r.name === 'bulkUpdate'), '', '', `{"updates":[${Array(1000000).fill('null').join(',')}]}`, { recipe: '1,000,000 null updates' }));
  add(json('huge-entry-counts', routes[1], '', '', '[' + Array(1000000).fill('7').join(',') + ']', { recipe: 'POST / array of 1,000,000 numbers' }));
  add(json('huge-entry-counts', routes[1], '', '', '{' + Array.from({ length: 500000 }, (_, i) => `"k${i}":1`).join(',') + '}', { recipe: 'an object of 500,000 keys' }));
  // Huge stored values and huge replication fields (the array create last but one: if the
  // server accepts it, it stores 50,001 records).
  add(json('huge-strings-arrays', routes[1], '', '', JSON.stringify({ id: 'huge-title-8m', title: 's'.repeat(8 * 1024 * 1024) }), { recipe: 'a record with an 8 MiB title' }));
  add(json('huge-strings-arrays', routes[1], '', '', JSON.stringify({ id: 'huge-meta', meta: { list: Array(1000000).fill(0) } }), { recipe: 'a record whose meta holds 1,000,000 zeros' }));
  add(json('huge-strings-arrays', routes.find((r) => r.name === 'updateLastChange'), 't3', '', JSON.stringify({ prev: 'p'.repeat(10 * 1024 * 1024) }), { recipe: 'PUT /t3/changes/last {"prev": 10 MiB}' }));
  add(json('huge-strings-arrays', routes.find((r) => r.name === 'diff'), '', '', JSON.stringify([{ modelName: 'Todo', modelId: 'hm', rev: 'r'.repeat(10 * 1024 * 1024), checkpoint: 1 }]), { recipe: 'diff with a 10 MiB rev' }));
  add(json('huge-strings-arrays', routes.find((r) => r.name === 'bulkUpdate'), '', '', JSON.stringify({ updates: [{ type: 'create', change: { modelName: 'Todo', modelId: 'hb', rev: 'r'.repeat(1024 * 1024), checkpoint: 1 }, data: { id: 'hb', title: 'x' } }] }), { recipe: 'bulk-update create with a 1 MiB rev' }));
  add(json('huge-strings-arrays', routes[1], '', '', JSON.stringify({ id: 'i'.repeat(1024 * 1024), title: 'long id' }), { recipe: 'a record with a 1 MiB id' }));
  add(json('huge-entry-counts', routes[1], '', '', '[' + Array.from({ length: 50001 }, (_, i) => `{"id":"arr${i}","title":"x"}`).join(',') + ']', { recipe: 'POST / array of 50,001 records' }));
  return out;
}
