// One HTTP request to a LoopBack 3 REST API over fetch: JSON in and out, a timeout, custom
// headers (an object, or a function returning one, for tokens that change) and a custom
// fetch. Failures are ReplicoreErrors (PROTOCOL.md §2.3): the HTTP status as `status`,
// LoopBack's `error.details` as `details`.
import { ReplicoreError } from '../errors.js';

const CODES = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
  409: 'conflict', 413: 'too_large', 422: 'validation' };

// The code for an HTTP error status: LoopBack's, `server` for 5xx, else `bad_request`.
export function codeForStatus(status) {
  return CODES[status] ?? (status >= 500 ? 'server' : 'bad_request');
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// {baseUrl, headers, fetch, timeout}; resolves to {status, body, text, headers, sent, received}
// (the bodies' lengths in UTF-16 units) for 2xx.
// `json` is a body already serialized; `body` a value to serialize.
export async function httpRequest(config, method, path, { query, body, json } = {}) {
  const url = `${config.baseUrl}${path}${queryString(query)}`;
  const headers = { accept: 'application/json',
    ...(typeof config.headers === 'function' ? await config.headers() : config.headers) };
  const payload = json ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.timeout);
  let response;
  let text;
  try {
    response = await config.fetch(url, {
      method, headers, body: payload, signal: abort.signal,
    });
    text = await response.text();
  } catch (error) {
    if (abort.signal.aborted) {
      throw new ReplicoreError('timeout', `${method} ${url}: no answer within ${config.timeout} ms`, { cause: error });
    }
    throw new ReplicoreError('network', `${method} ${url}: ${error.message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  let parsed = null;
  let isJson = true;
  if (text) {
    try { parsed = JSON.parse(text); } catch { isJson = false; }
  }
  if (response.status >= 400) {
    const error = isJson && parsed?.error ? parsed.error : null;
    const failure = new ReplicoreError(codeForStatus(response.status),
      error?.message ?? `${method} ${url}: HTTP ${response.status}`,
      { details: error ? error.details : text });
    failure.status = response.status;
    throw failure;
  }
  if (!isJson) {
    const failure = new ReplicoreError('server', `${method} ${url}: the answer is not JSON`, { details: text.slice(0, 200) });
    failure.status = response.status;
    throw failure;
  }
  return { status: response.status, body: parsed, text, headers: response.headers,
    sent: payload?.length ?? 0, received: text.length };
}
