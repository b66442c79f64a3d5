// The offline-first TodoMVC: todos live in IndexedDB (every write durable before the UI
// moves on) and sync live with the replicore-server that served the page.
import { open, remote } from 'replicore';

import { mountConflicts } from './conflicts.js';
import { mountSyncStatus } from './sync-status.js';
import { mountTodoList } from './todo-list.js';
import { registerOfflineCache } from './offline.js';

// The same model file the server loads (cached by the service worker for offline starts).
const todoModel = await (await fetch('models/todo.json')).json();
const db = await open({ name: 'todomvc', models: [todoModel] });
const server = remote(new URL('api', location.href).href, { models: [todoModel], timeout: 10000 });
// Pulls every few seconds so other devices' changes appear without a reload.
const sync = db.sync(server, { models: ['Todo'], interval: 3000, conflicts: 'manual' });

mountTodoList(document.querySelector('.todoapp'), db.Todo);
mountSyncStatus(document.querySelector('.sync'), sync);
mountConflicts(document.querySelector('.conflicts'), sync);
window.addEventListener('online', () => sync.now().catch(() => {}));
document.documentElement.dataset.ready = 'true';
registerOfflineCache();  // after the wasm and every module loaded, so all of them are cached
