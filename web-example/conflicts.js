// Conflicts made human: a todo edited on two devices shows both versions; the person keeps
// one or types a merged title. The resolution is written like any edit and sync carries it
// to every device. Sync reports an unresolved conflict again each round: one entry per todo,
// created once and refreshed in place (a half-typed merge survives the next round).
export function mountConflicts(section, sync) {
  const list = section.querySelector('.conflict-list');
  const entries = new Map();  // modelId -> {li, conflict, local, remote}

  const describe = (todo) => (todo ? `${todo.completed ? '✓ ' : ''}${todo.title ?? ''}` : '(deleted)');

  function create(id) {
    const li = document.createElement('li');
    li.className = 'conflict';
    li.dataset.id = id;
    li.innerHTML = `
      <div class="version"><span class="who">This device</span><span class="conflict-local"></span>
        <button class="keep-local">Keep</button></div>
      <div class="version"><span class="who">Other device</span><span class="conflict-remote"></span>
        <button class="keep-remote">Keep</button></div>
      <form class="merge"><input class="merge-title" aria-label="Merged title">
        <button class="keep-merged">Keep this</button></form>
      <p class="conflict-error" hidden></p>`;
    const entry = { li };
    const resolve = (how) => async (event) => {
      event.preventDefault();
      li.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      try {
        await how(entry);
        remove(id);
        sync.now().catch(() => { /* the status shows it; sync retries */ });
      } catch (error) {
        // 'conflict': it changed again meanwhile; the next round shows the newer versions.
        const message = li.querySelector('.conflict-error');
        message.hidden = false;
        message.textContent = error.code === 'conflict'
          ? 'It changed again meanwhile: the newer versions show in a moment.' : error.message;
        li.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      }
    };
    li.querySelector('.keep-local').addEventListener('click', resolve((e) => e.conflict.keepLocal()));
    li.querySelector('.keep-remote').addEventListener('click', resolve((e) => e.conflict.keepRemote()));
    li.querySelector('.merge').addEventListener('submit', resolve((e) => {
      const title = li.querySelector('.merge-title').value.trim();
      return e.conflict.resolveManually(title ? { ...(e.local ?? e.remote), title } : null);
    }));
    list.append(li);
    entries.set(id, entry);
    return entry;
  }

  async function show(conflict) {
    const { local, remote } = await conflict.versions();
    const fresh = !entries.has(conflict.modelId);
    const entry = entries.get(conflict.modelId) ?? create(conflict.modelId);
    Object.assign(entry, { conflict, local, remote, round: sync.status.round });
    entry.li.querySelector('.conflict-local').textContent = describe(local);
    entry.li.querySelector('.conflict-remote').textContent = describe(remote);
    if (fresh) {
      entry.li.querySelector('.merge-title').value = [local?.title, remote?.title].filter(Boolean).join(' / ');
    }
    section.hidden = false;
  }

  function remove(id) {
    entries.get(id)?.li.remove();
    entries.delete(id);
    section.hidden = entries.size === 0;
  }

  sync.on('conflict', (conflict) => show(conflict).catch((error) => console.error('replicore todos:', error)));
  // A conflict a whole successful round no longer reported was settled elsewhere.
  sync.on('status', ({ state, error, round }) => {
    if (state !== 'idle' || error) return;
    for (const [id, entry] of entries) if (entry.round < round - 1) remove(id);
  });
}
