// The offline shell: every file of the app (and of the replicore package and its wasm) is
// served from the cache at once and refreshed from the network behind it, so the app starts
// with no network and updates on the next load when there is one. /api is left to the
// network: sync has its own retries, and a cached API answer would be a lie.
const CACHE = 'replicore-todomvc-v1';
const SHELL = ['./', 'index.html', 'style.css', 'app.js', 'todo-list.js', 'sync-status.js', 'conflicts.js',
  'offline.js', 'models/todo.json', 'manifest.webmanifest', 'icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The page lists what it loaded before this worker controlled it.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'cache') return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const results = await Promise.allSettled(event.data.urls.map((url) => cache.add(url)));
    const failed = event.data.urls.filter((url, i) => results[i].status === 'rejected');
    event.ports[0]?.postMessage({ ok: failed.length === 0, failed });
  })());
});

function isApi(url) {
  return url.pathname.startsWith('/api/') || url.pathname === '/api';
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || isApi(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = event.request.mode === 'navigate' ? new Request(url.origin + url.pathname) : event.request;
    const cached = await cache.match(key, { ignoreSearch: event.request.mode === 'navigate' });
    const fresh = fetch(event.request).then((response) => {
      if (response.ok) cache.put(key, response.clone());
      return response;
    });
    if (cached) {
      event.waitUntil(fresh.catch(() => { /* offline: the cached copy stands */ }));
      return cached;
    }
    return fresh;
  })());
});
