// The sync indicator: synced / syncing / offline / error, and how many local changes the
// server has not got yet. `data-state` carries the state for styles and tests.
const LABELS = { synced: 'Synced', syncing: 'Syncing…', offline: 'Offline', error: 'Sync error' };

export function stateOf(status, online) {
  if (status.state === 'offline' || !online) return 'offline';
  if (status.state === 'error' || status.state === 'stopped') return 'error';
  if (status.state === 'idle' && status.lastSyncedAt && status.pending === 0) return 'synced';
  return 'syncing';
}

export function mountSyncStatus(element, sync) {
  const show = () => {
    const status = sync.status;
    const state = stateOf(status, navigator.onLine);
    element.dataset.state = state;
    element.querySelector('.sync-state').textContent = LABELS[state];
    element.querySelector('.sync-pending').textContent = String(status.pending);
    element.querySelector('.sync-waiting').hidden = status.pending === 0;
    element.title = status.error ? `${status.error.code}: ${status.error.message}` :
      status.lastSyncedAt ? `Last synced ${new Date(status.lastSyncedAt).toLocaleTimeString()}` : '';
  };
  sync.on('status', show);
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
}
