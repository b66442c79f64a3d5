// A conflict reported by Model.replicate, with LoopBack's Conflict methods
// (PROTOCOL.md §7.2). The source is the model replicate() was called on.
export class Conflict {
  #source;
  #target;
  #raw;

  constructor(source, target, raw) {
    this.#source = source;
    this.#target = target;
    this.#raw = raw;
    this.modelId = raw.modelId;
    this.type = raw.type;  // 'update' | 'delete' | 'unknown' (LoopBack's type())
    // Whether this database is the source: a push's source, a pull's target.
    this.localIsSource = raw.localIsSource !== false;
  }

  // The change rows of both sides when the conflict was found.
  changes() {
    return { source: this.#raw.sourceChange, target: this.#raw.targetChange };
  }

  // The current records of both sides (null when deleted).
  async models() {
    const [source, target] = await Promise.all([
      this.#source.findById(this.modelId),
      this.#target.findById(this.modelId),
    ]);
    return { source, target };
  }

  // The same, named from this database's side: {local, remote} (what an app shows as
  // "this device" and "the other one", whichever way the replicate ran).
  async versions() {
    const { source, target } = await this.models();
    return this.localIsSource ? { local: source, remote: target } : { local: target, remote: source };
  }

  keepLocal() { return this.localIsSource ? this.resolveUsingSource() : this.resolveUsingTarget(); }
  keepRemote() { return this.localIsSource ? this.resolveUsingTarget() : this.resolveUsingSource(); }

  // Keep the source's version: the next replicate carries it to the target.
  resolve() { return this.resolveUsingSource(); }
  resolveUsingSource() { return this.#source._resolve(this.#target, this.#raw, 'source'); }
  // Take the target's version on the source.
  resolveUsingTarget() { return this.#source._resolve(this.#target, this.#raw, 'target'); }
  // Write `data` on the source (null deletes) and keep it.
  resolveManually(data) {
    return this.#source._resolve(this.#target, this.#raw, 'manual', data ?? null);
  }
}
