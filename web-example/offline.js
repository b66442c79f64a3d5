// Registers the service worker and hands it every file this page loaded (the app, the
// replicore modules, the wasm, the model), since the first load happens before the worker
// controls the page. `data-offline-ready` tells when a reload would work with no network.
export async function registerOfflineCache() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('sw.js');
    const worker = (await navigator.serviceWorker.ready).active;
    const here = location.origin;
    const urls = [location.href.split('#')[0], ...performance.getEntriesByType('resource').map((e) => e.name)]
      .filter((url) => url.startsWith(here) && !new URL(url).pathname.startsWith('/api/'));
    const channel = new MessageChannel();
    const cached = new Promise((resolve) => { channel.port1.onmessage = (event) => resolve(event.data); });
    worker.postMessage({ type: 'cache', urls }, [channel.port2]);
    const { ok, failed } = await cached;
    if (ok) document.documentElement.dataset.offlineReady = 'true';
    else console.warn('replicore todos: not cached for offline use:', failed);
  } catch (error) {
    console.warn('replicore todos: no offline cache', error);
  }
}
