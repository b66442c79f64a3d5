// localStorage, for small data, one tab at a time: Chromium gives each renderer its own
// cached copy of localStorage and propagates writes to the others asynchronously, so two
// tabs could not even read each other's commits reliably. A tab holds the database's Web
// Lock while it is open; a second tab is refused with `blocked` until the first closes or
// crashes (the browser releases the lock then).
import { ReplicoreError } from '../errors.js';
import { keyValueConnector } from './key-value.js';

// Holds `name` until the returned release function is called; null if another tab still
// holds it after `waitMs` (a tab that is closing lets go of it a moment later). Without
// Web Locks (no browser) there is only one tab.
function holdLock(name, waitMs = 1500) {
  if (typeof navigator === 'undefined' || !navigator.locks?.request) return Promise.resolve(() => {});
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.timeout(waitMs);
    navigator.locks.request(name, { signal }, () => {
      resolve(release);
      return released;
    }).catch((error) => (signal.aborted ? resolve(null) : reject(error)));
  });
}

export const localStorageConnector = keyValueConnector({
  name: 'localstorage',
  describe: 'localStorage',
  blocked: (name) => `localStorage database "${name}" is open in another tab ` +
    '(localStorage cannot be shared between tabs: use IndexedDB)',
  store() {
    if (typeof localStorage === 'undefined') {
      throw new ReplicoreError('bad_request', 'storage "localstorage" needs a browser with localStorage');
    }
    return localStorage;
  },
  lock: (name) => holdLock(`replicore:localstorage:${name}:open`),
});
