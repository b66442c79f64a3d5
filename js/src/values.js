// JS values on their way into the core, converted as LoopBack converts them
// (vectors/revisions.json, kind js-only): JSON.stringify's rules (toJSON and Dates,
// undefined and functions dropped, NaN and Infinity as null), except that boxed
// primitives stay objects as canonical-json sees them. A string with an unpaired
// surrogate is refused before it reaches wasm, where UTF-8 would silently mangle it.
import { ReplicoreError } from './errors.js';

const MAX_DEPTH = 512;

function isBoxed(value) {
  return value instanceof String || value instanceof Number || value instanceof Boolean;
}

function pathOf(path, key) {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function malformed(path) {
  return new ReplicoreError('validation',
    `"${path || '(value)'}" holds a string with an unpaired UTF-16 surrogate`,
    { details: { property: path, code: 'invalid-string' } });
}

// Walks `value`; returns whether a boxed primitive was seen (the slow path).
function inspect(value, path, depth) {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw malformed(path);
    return false;
  }
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) {
    throw new ReplicoreError('bad_request', `"${path}" is nested more than ${MAX_DEPTH} levels`);
  }
  if (isBoxed(value)) return true;
  if (typeof value.toJSON === 'function') return inspect(value.toJSON(), path, depth + 1);
  let boxed = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) boxed = inspect(value[i], pathOf(path, i), depth + 1) || boxed;
    return boxed;
  }
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed()) throw malformed(pathOf(path, key));
    boxed = inspect(value[key], pathOf(path, key), depth + 1) || boxed;
  }
  return boxed;
}

// canonical-json reads a boxed primitive's own enumerable keys: a String's indices, else none.
function unboxed(key, value) {
  if (!isBoxed(value)) return value;
  return value instanceof String ? { ...value } : {};
}

// The JSON text of `value` for the core; throws ReplicoreError on what it cannot carry.
export function toJsonText(value) {
  const boxed = inspect(value, '', 0);
  try {
    const text = JSON.stringify(value, boxed ? unboxed : undefined);
    return text === undefined ? 'null' : text;
  } catch (error) {
    throw new ReplicoreError('bad_request', `value cannot be sent as JSON: ${error.message}`,
      { cause: error });
  }
}
