// The replication operations (core/include/replicore/protocol.h's Op, by name) as LoopBack 3
// REST calls on a model's base URL (PROTOCOL.md §2.1), with replicore's cursor paging of
// /changes (§9.1). Each entry: args -> [method, path, {query, body}], and what the answer's
// body (and headers) give back to the core.
const id = (args) => `/${encodeURIComponent(args.id)}`;

const routes = {
  checkpoint: () => ['POST', '/checkpoint'],
  changes: (args) => ['GET', '/changes', { query: {
    since: args.since, filter: args.filter, limit: args.limit,
    after: args.after ? `${args.after[0]}:${args.after[1]}` : undefined,
  } }],
  diff: (args) => ['POST', '/diff', { query: { since: args.since, resent: args.resent ? 1 : undefined },
    body: args.changes ?? [] }],
  createUpdates: (args) => ['POST', '/create-updates', { body: args.deltas ?? [] }],
  bulkUpdate: (args, argsText) => ['POST', '/bulk-update', args.updates
    ? { json: argsText ?? JSON.stringify({ updates: args.updates }) } : { body: { updates: [] } }],
  findById: (args) => ['GET', id(args)],
  findLastChange: (args) => ['GET', `${id(args)}/changes/last`],
  updateLastChange: (args) => ['PUT', `${id(args)}/changes/last`, { body: args.data ?? {} }],
};

// "<checkpoint>:<modelId>" (X-Replicore-Next) as the core's cursor [checkpoint, modelId].
function decodeCursor(text) {
  const colon = text.indexOf(':');
  return [Number(text.slice(0, colon)), text.slice(colon + 1)];
}

// The HTTP call for `op` with `args` (and their text, when the core wrote them):
// [method, path, {query, body | json}].
export function routeOf(op, args, argsText) {
  const route = routes[op];
  if (!route) throw new Error(`no REST route for the operation "${op}"`);
  return route(args ?? {}, argsText);
}

// The core's result from a 2xx answer to `op`.
export function resultOf(op, args, { body, headers }) {
  if (op === 'changes' && args?.limit !== undefined) {
    const next = headers.get('x-replicore-next');
    return { changes: body ?? [], next: next ? decodeCursor(next) : null };
  }
  return body;
}
