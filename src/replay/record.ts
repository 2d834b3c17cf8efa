/**
 * Stores a full call's answer for replay.ts, but only when replaying it is provably what a full call
 * would print: every path the answer was derived from is fingerprinted (a path the token reads statted,
 * by that stat: taken before the path was read, it is never newer than what was read, so a change after
 * it leaves the next call a miss; any other path after the call), and
 *  - a path changed in the 50 ms before the call started or since (its mtime says so; 2 s more for an
 *    mtime on a whole second, which a coarse filesystem may have rounded) may have been read in one
 *    state and fingerprinted in another, so nothing is stored (the next call runs in full);
 *  - a session judged live must still have its /proc/<pid>/exe (gone: it died or became a zombie after
 *    its /proc entry was read);
 *  - totals another process was rebuilding (stale-while-revalidate) were not checked by this call;
 *  - a call that warned on stderr (a bad config value) is not stored by its command: a replay would
 *    print the answer without the warning;
 *  - every environment variable read is stored with its value; a call that listed the whole
 *    environment is not stored at all.
 */
import { removeAbandonedTemps, writeFileAtomic } from "../atomicWrite.ts";
import type { Env } from "../env.ts";
import type { StatMemo } from "../read/sessionTokens.ts";
import { type Answer, type AnswerHead, MAX_ANSWER_AGE_MS, MISSING_MTIME, REPLAY_VERSION, answerPath, fingerprint } from "./replay.ts";

/** What a full call was derived from, gathered as the pipeline reads. */
export class Inputs {
  readonly paths = new Set<string>();
  /** Paths that must exist for the answer to hold: /proc/<pid>/exe of each session judged live. */
  readonly present = new Set<string>();
  /** False when some part of the answer was not checked against the files by this call. */
  settled = true;
  /** The stats the call took of the paths it read tokens from, reused as their fingerprints. */
  stats?: StatMemo;

  add(...paths: readonly string[]): void {
    for (const path of paths) if (path !== "") this.paths.add(path);
  }
}

// Kernel file times come from a coarse clock (one tick, up to 10 ms) and Bun reports whole ms: a write
// within this margin of the call's start could leave the same mtime as the state that was read.
const RACY_MS = 50;
// Some filesystems keep whole seconds (FAT two): an mtime on a whole second may stand for any time in
// the next two.
const COARSE_MS = 2000;

/**
 * Whether an mtime that is a whole second in ms came from such a filesystem. One mtime in a thousand
 * on ext4, xfs, btrfs or tmpfs is a whole second in ms too, but not in ns: judged by ms alone, one
 * first call in ~250 on a home of just-written files stored nothing (a flaky test caught it).
 */
async function onWholeSecond(path: string): Promise<boolean> {
  const fs = await import("node:fs");
  try {
    return fs.statSync(path, { bigint: true }).mtimeNs % 1_000_000_000n === 0n;
  } catch {
    return true;
  }
}

/** Records which variables of `env` a call reads. */
export function watchEnv(env: Env): { readonly env: Env; read(): [string, string | null][] | undefined } {
  const seen = new Map<string, string | null>();
  let listed = false;
  const proxy = new Proxy(env, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (typeof name === "string") seen.set(name, typeof value === "string" ? value : null);
      return value;
    },
    has(target, name) {
      if (typeof name === "string") seen.set(name, typeof target[name] === "string" ? (target[name] as string) : null);
      return Reflect.has(target, name);
    },
    ownKeys(target) {
      listed = true;
      return Reflect.ownKeys(target);
    },
  });
  return { env: proxy, read: () => (listed ? undefined : [...seen]) };
}

/**
 * The answer, if it may be replayed: undefined when the rules above say no. `startedAt` is when the call
 * began reading, `at` the time its output was drawn for, `now` the time of the fingerprints.
 */
export async function answerFor(
  call: { argv: readonly string[]; env: [string, string | null][] | undefined; startedAt: number; at: number; text: string },
  inputs: Inputs,
): Promise<Answer | undefined> {
  if (!inputs.settled || call.env === undefined) return undefined;
  const paths: [string, number][] = [];
  // The binary too: another build may print another answer.
  for (const path of [process.execPath, ...inputs.paths]) {
    const known = inputs.stats?.mtimeOf(path);
    const mtime = known === null ? MISSING_MTIME : (known ?? fingerprint(path));
    const missing = mtime === MISSING_MTIME;
    if (inputs.present.has(path) && missing) return undefined;
    // /proc times are when the kernel made the entry, not when the process changed.
    if (!missing && !path.startsWith("/proc/") && mtime >= call.startedAt - RACY_MS - COARSE_MS) {
      const margin = mtime % 1000 === 0 && (await onWholeSecond(path)) ? COARSE_MS + RACY_MS : RACY_MS;
      if (mtime >= call.startedAt - margin) return undefined;
    }
    paths.push([path, mtime]);
  }
  return { v: REPLAY_VERSION, argv: call.argv, env: call.env, paths, at: call.at, text: call.text };
}

const NON_ASCII = /[\u0080-\uffff]/;
const EACH_NON_ASCII = /[\u0080-\uffff]/g;
const escapeNonAscii = (json: string): string =>
  NON_ASCII.test(json) ? json.replace(EACH_NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : json;

/**
 * The head line as JSON with every non-ASCII character escaped (the lines of paths are escaped too).
 * replay.ts decodes each line into a string: one with a "⚠" anywhere is UTF-16 throughout, twice the heap
 * of an all-ASCII one, which JavaScriptCore keeps as Latin-1 (29 fewer page faults a warm call for the
 * medium bench home's 51 KB answer). Field by field, so that only a field holding non-ASCII is escaped:
 * stringified whole, the output's "⚠" made the whole text UTF-16 and the escape pass copy all of it (an
 * answer of 570 paths, 84 KB: 2.7–3.3 ms to stringify, 1.4–2.1 ms to escape).
 */
const asciiJson = (head: AnswerHead): string => `{${Object.entries(head).map(([key, value]) => `${JSON.stringify(key)}:${escapeNonAscii(JSON.stringify(value))}`).join(",")}}`;

// The paths of the first line after the head; each line after it holds twice as many as the one before.
const FIRST_LINE_PATHS = 8;

/**
 * The file replay.ts reads: a head line (asciiJson), then the paths in lines of 8, 16, 32, …, the most
 * recently changed first (missing ones last). A path that changed just before this call is the one most
 * likely to change before the next (a live transcript, a probe), so a miss is mostly found in the first
 * line, before the rest is parsed; a replay checks every line either way.
 */
export function answerText(answer: Answer): string {
  const { paths, ...rest } = answer;
  const rank = ([, mtime]: readonly [string, number]) => (mtime === MISSING_MTIME ? -1 : mtime);
  const newestFirst = paths.toSorted((a, b) => rank(b) - rank(a));
  const lines = [asciiJson({ ...rest, pathCount: paths.length })];
  for (let at = 0, size = FIRST_LINE_PATHS; at < newestFirst.length; at += size, size *= 2) lines.push(escapeNonAscii(JSON.stringify(newestFirst.slice(at, at + size))));
  return `${lines.join("\n")}\n`;
}

// Answers are kept per command line, and tmux window marks put a window id in theirs: without a sweep
// the folder would grow with every window a server ever had.
const SWEEP_ABOVE = 64;

/**
 * Stores the answer; a failure (full disk, read-only cache) only means the next call runs in full.
 * Past 64 answers, those too old to be replayed and abandoned temp files are removed.
 */
export async function storeAnswer(answer: Answer, env: Env, now = Date.now()): Promise<void> {
  const path = answerPath(answer.argv, env);
  try {
    await writeFileAtomic(path, answerText(answer));
    const fs = await import("node:fs");
    const dir = path.slice(0, path.lastIndexOf("/"));
    const names = fs.readdirSync(dir);
    if (names.length <= SWEEP_ABOVE) return;
    for (const name of names) {
      const stat = fs.statSync(`${dir}/${name}`, { throwIfNoEntry: false });
      if (stat?.isFile() && name.endsWith(".json") && stat.mtimeMs < now - MAX_ANSWER_AGE_MS) fs.rmSync(`${dir}/${name}`, { force: true });
    }
    await removeAbandonedTemps(dir, now);
  } catch {
    // the answer is an optimisation
  }
}
