import { removeAbandonedTemps } from "../atomicWrite.ts";
import { processInfo } from "./liveness.ts";
import { readSmallFile } from "./smallFile.ts";

/**
 * Single flight for rebuilding one session's cache: a lock file `<cache>.lock` holding the owner's pid
 * and start time, created with O_EXCL. While a live process holds it, other callers answer from the
 * previous totals instead of all reading the same transcripts at once. A lock whose owner is gone (kill
 * -9 mid-rebuild), whose pid was reused, or that is older than LOCK_TTL_MS is taken over.
 */
export const LOCK_TTL_MS = 60_000;

export interface RefreshLock {
  release(): void;
}

// Per process, not per lock: a cold `json` takes one lock per session it reads (200 on the large bench
// home), and each re-read /proc/self/stat and re-listed a cache dir that holds a file per session.
let ownStart: Promise<string> | undefined;
const swept = new Set<string>();

export async function tryLock(cacheFile: string, now = Date.now()): Promise<RefreshLock | undefined> {
  const fs = await import("node:fs");
  const path = `${cacheFile}.lock`;
  const dir = cacheFile.slice(0, cacheFile.lastIndexOf("/"));
  ownStart ??= processInfo(process.pid).then((info) => info?.start ?? "");
  const mine = `${process.pid} ${await ownStart} ${now}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path, mine, { flag: "wx", mode: 0o600 });
      // A rebuild is rare enough to sweep the cache dir of temp files killed writers left.
      if (!swept.has(dir)) {
        swept.add(dir);
        await removeAbandonedTemps(dir);
      }
      return {
        release() {
          try {
            if (fs.readFileSync(path, "utf8") === mine) fs.unlinkSync(path);
          } catch {
            // already taken over or removed
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return noLock;
      if (!(await abandoned(path, now))) return undefined;
      try {
        fs.unlinkSync(path);
      } catch {
        // another caller took it over first
      }
    }
  }
  return undefined;
}

/** Whether a live process holds the lock now (an abandoned lock does not count). */
export async function lockHeld(cacheFile: string, now = Date.now()): Promise<boolean> {
  const fs = await import("node:fs");
  if (!fs.existsSync(`${cacheFile}.lock`)) return false;
  return !(await abandoned(`${cacheFile}.lock`, now));
}

// When the lock cannot even be created (read-only cache dir), go on without one: correctness never
// depended on it, only the amount of duplicated work.
const noLock: RefreshLock = { release() {} };

async function abandoned(path: string, now: number): Promise<boolean> {
  const read = await readSmallFile(path, 4096);
  if (typeof read === "string") return true;
  const [pid, start, since] = read.text.split(" ");
  const info = pid && /^\d+$/.test(pid) ? await processInfo(Number(pid)) : undefined;
  if (!info || info.state === "Z" || (start !== "" && info.start !== start)) return true;
  return !(Number(since) > now - LOCK_TTL_MS);
}
