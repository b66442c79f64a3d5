// A live query (Dexie's liveQuery, RxDB's observable queries): `model.find(filter)` now,
// and again whenever the model's `change` event says the result may have changed (local
// writes, other tabs' commits, replicates and sync, reloads). The events of one commit
// come synchronously, so one re-run a microtask later covers a whole burst; events that
// arrive while a query is in flight ask for one more run after it, never a second query
// beside it. The listener hears only results that differ from the last it heard.
import { ReplicoreError } from './errors.js';

// Returns the function that stops it. A failed query (a bad filter) goes to `onError`,
// or is thrown asynchronously without it, and ends the watch; the database closing ends
// it quietly.
export function watch(model, filter, listener, onError) {
  if (typeof listener !== 'function') {
    throw new ReplicoreError('bad_request', 'watch() needs a listener function');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw new ReplicoreError('bad_request', 'watch(): onError must be a function');
  }
  let stopped = false;
  let running = false;   // a query is in flight
  let dirty = true;      // the result may have changed since the last query started
  let scheduled = false; // a run is queued for the next microtask
  let last;              // the last result heard, as JSON text

  const stop = () => {
    if (stopped) return;
    stopped = true;
    model.off('change', onChange);
  };

  const run = async () => {
    running = true;
    try {
      while (dirty && !stopped) {
        dirty = false;
        const records = await model.find(filter);
        if (stopped) return;
        const text = JSON.stringify(records);
        if (text === last) continue;
        last = text;
        call(listener, records);
      }
    } catch (error) {
      stop();
      if (error?.code === 'closed') return;
      if (onError) call(onError, error);
      else throwLater(error);
    } finally {
      running = false;
    }
  };

  const onChange = () => {
    dirty = true;
    if (running || scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      run();
    });
  };

  model.on('change', onChange);
  run();
  return stop;
}

// A throwing listener must not end the watch; it, and an error nobody listens for, must
// not go unseen either.
function call(fn, value) {
  try { fn(value); } catch (error) { throwLater(error); }
}

function throwLater(error) {
  setTimeout(() => { throw error; });
}
