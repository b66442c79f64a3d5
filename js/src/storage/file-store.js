// The Storage-like file store behind storage 'file' (file.js): Node only.
import {
  closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

const TEMP = '.tmp';

export function directoryFor(name, directory) {
  return resolve(directory ?? join(process.cwd(), '.replicore', encodeURIComponent(name)));
}

function fsyncPath(path, flags = 'r') {
  const fd = openSync(path, flags);
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

// A full disk surfaces as the browsers' quota error.
function asQuota(error) {
  if (error?.code === 'ENOSPC' || error?.code === 'EDQUOT') {
    const quota = new Error(error.message, { cause: error });
    quota.name = 'QuotaExceededError';
    return quota;
  }
  return error;
}

export class FileStore {
  #dir;

  constructor(dir) {
    mkdirSync(dir, { recursive: true });
    this.#dir = dir;
  }

  #path(key) { return join(this.#dir, encodeURIComponent(key)); }

  #keys() {
    return readdirSync(this.#dir).filter((file) => !file.endsWith(TEMP) && file !== 'LOCK')
      .map((file) => decodeURIComponent(file));
  }

  get length() { return this.#keys().length; }
  key(index) { return this.#keys()[index] ?? null; }

  getItem(key) {
    try {
      return readFileSync(this.#path(key), 'utf8');
    } catch (error) {
      if (error.code === 'ENOENT') return null;
      throw error;
    }
  }

  // Written whole or not at all: a temporary file, fsynced, renamed, the directory fsynced.
  setItem(key, value) {
    const path = this.#path(key);
    const temp = path + TEMP;
    try {
      const fd = openSync(temp, 'w');
      try {
        writeSync(fd, String(value));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      fsyncPath(this.#dir);
    } catch (error) {
      try { unlinkSync(temp); } catch { /* not created */ }
      throw asQuota(error);
    }
  }

  removeItem(key) {
    try {
      unlinkSync(this.#path(key));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

// Takes the directory's LOCK file (O_EXCL, holding the pid); resolves to its release, or to
// null while a live process (this one included) holds it. A dead process's lock is taken over.
export function lockDirectory(dir) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try { unlinkSync(lock); } catch { /* already gone */ }
      };
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return null;
      try { unlinkSync(lock); } catch { /* taken meanwhile */ }
    }
  }
  return null;
}
