/**
 * Replaces a file atomically: a temp file in the same dir, then rename. Concurrent writers each rename
 * a complete file, so a reader sees one whole version or another, never a mix. Missing dirs are made
 * 0700, the file is 0600. Throws on failure (full disk, read-only dir, a directory in the way) after
 * removing its temp file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  // node:fs only on write paths: importing it costs ~2–3 ms, which a warm status call must not pay.
  writeFileAtomicWith(await import("node:fs"), path, data);
}

/** writeFileAtomic with the node:fs the caller has loaded: synchronous, so `data` may be a buffer the caller reuses. */
export function writeFileAtomicWith(fs: typeof import("node:fs"), path: string, data: string | Uint8Array): void {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const temp = `${dir}/.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    // The folder is made only when the write finds it missing: a recursive mkdirSync of one that exists
    // cost ~70 µs, 4 ms of a cold `json` over the medium bench home (CPU profile, 5 runs).
    try {
      fs.writeFileSync(temp, data, { mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(temp, data, { mode: 0o600 });
    }
    fs.renameSync(temp, path);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

const TEMP_NAME = /^\.\d+\.[0-9a-z]*\.tmp$/;
// No write takes a minute: a temp file that old belongs to a writer that is gone.
const ABANDONED_TEMP_MS = 60_000;

/**
 * Removes the temp files writeFileAtomic left in `dir` more than a minute ago. A writer killed between
 * writing its temp file and renaming it (kill -9, Ctrl-C during a prompt) leaves one behind: nothing
 * reads them, but nothing removed them either, and test/faults saw one for about half the kills aimed
 * at a cache write. Cheap enough for a cold rebuild (one readdir), not for every call.
 */
export async function removeAbandonedTemps(dir: string, now = Date.now()): Promise<void> {
  await removeEntries(dir, (fs, name, path) => {
    if (!TEMP_NAME.test(name)) return false;
    const stat = fs.statSync(path, { throwIfNoEntry: false });
    return stat?.isFile() === true && stat.mtimeMs < now - ABANDONED_TEMP_MS;
  });
}

/** Removes the entries of `dir` that `stale` picks (folders with what they hold); one gone already, or not ours to remove, is passed over. */
export async function removeEntries(dir: string, stale: (fs: typeof import("node:fs"), name: string, path: string) => boolean): Promise<void> {
  const fs = await import("node:fs");
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    try {
      if (stale(fs, name, path)) fs.rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}
