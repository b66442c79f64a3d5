#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ from ../shared/vectors (LoopBack's
HTTP captures, replication sessions, revisions) plus a few hand-made seeds.
Usage: python3 tests/fuzz/make_corpus.py [VECTORS_DIR]   (rewrites the corpus folders)"""
import glob, hashlib, json, os, shutil, struct, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '../../../shared/vectors')
OPS = ['checkpoint', 'changes', 'diff', 'createUpdates', 'bulkUpdate', 'findById',
       'findLastChange', 'updateLastChange']  # answer_fuzzer's kOps
MAX_SEED = 4096  # bytes: small seeds mutate faster; the corpus stays commit-sized
corpora = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if 0 < len(data) <= MAX_SEED:
        corpora.setdefault(target, {})[hashlib.sha1(data).hexdigest()[:16]] = data


def dump(value):
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'))


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def request_of(exchange):
    """(op, args) as the server's routes build them for Answer, or None."""
    r = exchange['request']
    path, method = r['path'].split('/api/Todos', 1)[-1], r['method']
    query, body = r.get('query') or {}, r.get('body')
    parts = [p for p in path.split('/') if p]
    since = query.get('since')
    try:
        since = int(since) if since is not None else 0
    except ValueError:
        since = 0
    if parts == ['checkpoint'] and method == 'POST':
        return 'checkpoint', {}
    if parts == ['changes']:
        args = {'since': since}
        if 'filter' in query:
            args['filter'] = query['filter']
        return 'changes', args
    if parts == ['diff']:
        return 'diff', {'since': since, 'changes': body}
    if parts == ['create-updates']:
        return 'createUpdates', {'deltas': body}
    if parts == ['bulk-update']:
        return 'bulkUpdate', body if isinstance(body, dict) else {'updates': body}
    if len(parts) == 3 and parts[1:] == ['changes', 'last']:
        return ('findLastChange', {'id': parts[0]}) if method == 'GET' else \
               ('updateLastChange', {'id': parts[0], 'data': body})
    if len(parts) == 1 and method == 'GET':
        return 'findById', {'id': parts[0]}
    return None


def answer_seed(requests):
    return b'\xff'.join(bytes([OPS.index(op)]) + dump(args).encode() for op, args in requests)


exchanges = [load(f) for f in sorted(glob.glob(os.path.join(VECTORS, 'loopback/*.json')))
             if os.path.basename(f)[0].isdigit()]
sessions = sorted(glob.glob(os.path.join(VECTORS, 'loopback/replication-session/*/')))
for exchange in exchanges + [load(f) for s in sessions for f in sorted(glob.glob(s + '0*.json'))]:
    r = exchange['request']
    query = r.get('query') or {}
    if '?' in r['url']:
        add('query_string_fuzzer', r['url'].split('?', 1)[1])
    for key in ('filter', 'where'):
        if key in query:
            value = query[key]
            add('filter_fuzzer', value if isinstance(value, str) else dump(value))
    if r.get('body') is not None:
        add('canonical_json_fuzzer', b'\x00' + dump(r['body']).encode())
    request = request_of(exchange)
    if request:
        add('answer_fuzzer', answer_seed([request]))
# A whole replication session, four requests at a time, keeps the order that matters.
for s in sessions:
    requests = [q for q in (request_of(load(f)) for f in sorted(glob.glob(s + '0*.json'))) if q]
    for i in range(0, len(requests), 4):
        add('answer_fuzzer', answer_seed(requests[i:i + 4]))

# The replicator's peer: each session's answers in order, for a push and a pull.
for s in sessions:
    answers = [load(f)['response'] for f in sorted(glob.glob(s + '0*.json'))]
    answers = [dump(a.get('body')).encode() for a in answers if a.get('status', 200) < 300]
    for flags in (0, 1, 3):
        add('replicator_fuzzer', bytes([flags]) + b'\xff'.join(b'\x00' + a for a in answers[:16]))

revisions = load(os.path.join(VECTORS, 'revisions.json'))
for case in revisions['cases']:
    if case.get('kind') == 'json':
        add('canonical_json_fuzzer', b'\x00' + dump(case['instance']).encode())
for model in revisions['models'].values() if isinstance(revisions['models'], dict) else revisions['models']:
    add('model_fuzzer', dump(model))
add('model_fuzzer', dump(load(os.path.join(VECTORS, 'loopback/_model-todo.json'))))
add('model_fuzzer', dump(load(os.path.join(HERE, '../../web-example/models/todo.json'))))

# Hand-made: the parts of each grammar the captures do not reach.
for seed in [
    '{"name":"M","strict":true,"hidden":["h"],"persistUndefinedAsNull":true,"properties":{"id":{"type":"number","id":true},'
    '"s":{"type":"string","min":1,"max":5,"pattern":"^[a-z]+$","required":true},"n":{"type":"number","min":0,"max":9},'
    '"tags":["string"],"d":{"type":"date","default":"2024-01-01"},"u":{"type":"string","defaultFn":"uuid"},"h":"any"}}',
    '{"name":"N","plural":"Ns","strict":"throw","properties":{"a":{"type":["number"],"length":2},"b":"boolean","c":"object"}}',
]:
    add('model_fuzzer', seed)
for seed in [
    '{"where":{"and":[{"title":{"like":"%milk%"}},{"or":[{"completed":true},{"created":{"gt":5}}]}]},"order":["title DESC","id"],"limit":2,"skip":1}',
    '{"where":{"title":{"regexp":"/^b.*k$/i"},"meta.tags":{"inq":["x","y"]},"created":{"between":[1,2e12]}},"fields":["id","title"]}',
    '{"where":{"title":{"nin":["a"]},"id":{"neq":"b"},"dueAt":{"lte":"2025-01-01"},"meta.n":{"gte":"2"}},"offset":0,"fields":{"meta":false}}',
    '{"where":{"title":{"nlike":"b_y%","options":"i"},"completed":"true","x":{"ilike":"%"},"y":{"nilike":"z"}},"order":"created DESC"}',
    '{"where":{"or":[{"id":"a-1"},{"and":[{"title":null},{"meta":{"exists":true}}]}]},"limit":"3"}',
]:
    add('filter_fuzzer', seed)
for seed in [
    'filter[where][title][like]=%25milk%25&filter[order][0]=title%20DESC&filter[limit]=2',
    'filter[where][or][0][completed]=true&filter[where][or][1][created][gt]=5&filter[fields][id]=true',
    'where[title][inq][]=a&where[title][inq][]=b&where[meta.n]=2',
    'a[b][c][d][e][f][g]=deep&a[21]=x&a[]=y&a=z&%E2%82%AC=%F0%9F%98%80',
]:
    add('query_string_fuzzer', seed)
for depth_byte, seed in [(0, '[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]'), (3, '{"a":{"b":[1,2,{"c":null}]}}'),
                         (0, '[1e21,1e-7,0.000001,123456789012345678901,-0.0,5e-324,9007199254740993,1.7976931348623157e308]'),
                         (0, '{"\\u0000\\u001f\\u007f\\u00ad\\u2028\\ufeff\\uffff":"\\ud834\\udd1e","":"/"}')]:
    add('canonical_json_fuzzer', bytes([depth_byte]) + seed.encode())
for d in [0.0, -0.0, 1.0, 0.1, 1e21, 1e-7, 123e-20, 5e-324, 1.7976931348623157e308, 2.0**53 + 2,
          float('inf'), float('nan'), 0.30000000000000004, -123456.789]:
    add('js_number_fuzzer', struct.pack('<d', d))
bad_change = {'id': 'x', 'rev': 'r', 'checkpoint': 1, 'modelName': 'Todo', 'modelId': 'zz1'}
for requests in [
    [('bulkUpdate', {'updates': [{'type': 'create', 'change': bad_change, 'data': {'id': 'zz2'}}]})],
    [('bulkUpdate', {'updates': [{'type': 'delete', 'change': dict(bad_change, modelId='a-1', rev=None)}]}),
     ('changes', {'since': 0, 'limit': 1, 'after': [1, 'a-1']})],
    [('updateLastChange', {'id': 'a-1', 'data': {'prev': 'p', 'rev': None}}), ('findLastChange', {'id': 'a-1'})],
    [('bulkUpdate', {'updates': [{'type': 'create', 'change': dict(bad_change, modelId='n'),
                                  'data': {'id': 'n', 'title': 't', 'dueAt': '2024-02-30'}}]}),
     ('diff', {'since': 1, 'changes': [dict(bad_change, modelId='a-3', prev='p')]}), ('checkpoint', {})],
]:
    add('answer_fuzzer', answer_seed(requests))

for target, seeds in corpora.items():
    folder = os.path.join(HERE, 'corpus', target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(seeds)} seeds')
