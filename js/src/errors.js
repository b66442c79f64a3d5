// One error class for everything the package rejects with. `code` is stable: the core's
// codes (validation, not_found, conflict, bad_filter, bad_request, too_large, storage, ...)
// plus what only JS can observe (quota, closed, blocked).
export class ReplicoreError extends Error {
  constructor(code, message, { details, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ReplicoreError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

// The core answers {"ok": value} or {"error": {code, message, details}}.
export function unwrap(text) {
  const answer = JSON.parse(text);
  if (answer.error) {
    const { code, message, details } = answer.error;
    throw new ReplicoreError(code, message, { details });
  }
  return answer.ok;
}

// A failed IndexedDB / localStorage write as a ReplicoreError, the original as cause.
export function storageError(error, what = 'persisting') {
  if (error instanceof ReplicoreError) return error;
  const name = error && error.name;
  const code = name === 'QuotaExceededError' ? 'quota'
    : name === 'InvalidStateError' ? 'closed'
    : 'storage';
  const reason = (error && error.message) || name || 'unknown error';
  return new ReplicoreError(code, `${what} failed: ${reason}`, { cause: error });
}
