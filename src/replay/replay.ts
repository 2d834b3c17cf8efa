/**
 * The warm path. A status-bar or prompt call whose inputs have not changed since the last full call
 * prints that call's answer again: it reads one small file and stats the paths the answer was derived
 * from, and loads none of the pipeline (the binary's entry imports only this module; the rest is a
 * separate chunk loaded on a miss). Measured with make bench: a full call that finds nothing changed
 * costs ~14 ms over a Bun hello-world on the medium home; this path ~1 ms in-process (performance.now()
 * around it), 0.4 ms of it the stats of the 122 paths its answer was derived from.
 *
 * The answer is stored by record.ts only when it is provably the same as a full call would print
 * (see there); this side only compares. Anything unexpected is a miss, never an error.
 */
import { FOLDER_VERSIONS } from "../cacheFolders.ts";
import { type Env, cacheDir } from "../env.ts";
import { humanAge } from "../render/humanize.ts";

export const REPLAY_VERSION = FOLDER_VERSIONS.replay;

/** An answer: the call it answers and what it was derived from, as they looked. */
export interface Answer {
  readonly v: number;
  readonly argv: readonly string[];
  /** Every environment variable the full call read, with its value (null: unset). */
  readonly env: readonly (readonly [string, string | null])[];
  /** Every path it was derived from, with its fingerprint() then. */
  readonly paths: readonly (readonly [string, number])[];
  /** When the full call ran (ms since epoch). */
  readonly at: number;
  /** The output, with each age still a mark (ageMark) to be drawn at the time of printing. */
  readonly text: string;
}

/**
 * The first line of a stored answer (record.ts answerText): the answer without its paths, and how many
 * there are. The lines after it hold the paths.
 */
export type AnswerHead = Omit<Answer, "paths"> & { readonly pathCount: number };

// A bound on how long an answer is reused, whatever the fingerprints say: one full call per argv per
// 10 minutes costs nothing and limits the damage of any change the fingerprints cannot see.
export const MAX_ANSWER_AGE_MS = 10 * 60_000;

/**
 * How a path looks: its mtime (ms), one stat. Enough because record.ts stores only inputs whose mtime
 * is at least 50 ms older than the call, so any later write leaves a newer one; a size beside it
 * doubled the stats (0.45 against 0.22 ms for the medium bench home's 122 paths) and caught nothing
 * more. Bun.file's getter stats synchronously; node:fs would cost ~1.7 ms to import and
 * Bun.file().stat() a round trip through the I/O threads (~0.5 ms). A missing path reads as a sentinel
 * (2^52 - 1); so does /proc/<pid>/exe of a zombie or of a process gone.
 */
export const fingerprint = (path: string): number => Bun.file(path).lastModified;

/** fingerprint() of a missing path: Bun's lastModified for one, 2^52 - 1. No file is that new. */
export const MISSING_MTIME = 2 ** 52 - 1;

/** Where the answer to `argv` is kept; the config dir and home are in the name so two setups do not take turns. */
export function answerPath(argv: readonly string[], env: Env): string {
  const key = Bun.hash.wyhash([...argv, env.CLAUDE_CONFIG_DIR ?? "", env.HOME ?? ""].join("\u0000")).toString(16).padStart(16, "0");
  return `${cacheDir(env)}/replay-v${REPLAY_VERSION}/${key}.json`;
}

// An age in a stored answer: NUL, a time in ms, NUL. NUL never survives cleanText, so data cannot forge one.
const NUL = "\u0000";

/** Stands for "how long ago `since` was" until the answer is printed. */
export const ageMark = (since: number): string => `${NUL}${since}${NUL}`;

/** An age mark's time: an optional minus and 1 to 16 digits. */
function isMarkTime(text: string): boolean {
  const digits = text.startsWith("-") ? 1 : 0;
  if (text.length - digits < 1 || text.length - digits > 16) return false;
  for (let i = digits; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The answer as of `now`: every age mark drawn as humanAge. By hand, not with a regex: the first regex
 * a compiled binary runs costs ~0.5 ms, and a replay runs no other.
 */
export function drawAges(text: string, now: number): string {
  let out = "";
  let from = 0;
  for (let open = text.indexOf(NUL); open >= 0; ) {
    const close = text.indexOf(NUL, open + 1);
    if (close < 0) break;
    const since = text.slice(open + 1, close);
    if (!isMarkTime(since)) {
      // The NUL that closed nothing may open the next mark.
      open = close;
      continue;
    }
    out += text.slice(from, open) + humanAge(now - Number(since));
    from = close + 1;
    open = text.indexOf(NUL, from);
  }
  return out + text.slice(from);
}

const NEWLINE = 0x0a;

/**
 * The stored answer to this call, as of `now`, if nothing it was derived from has changed; else undefined.
 * The file is read line by line and each line's paths are checked before the next is parsed: a call that
 * misses mostly does so at one of the paths that changed last (a transcript, a probe), which record.ts
 * puts in the first, shortest lines. Parsed whole, the large bench home's 69 KB answer cost 0.8-1.2 ms
 * of every miss, against 0.2 ms for its head.
 */
export function replay(argv: readonly string[], env: Env, now: number): string | undefined {
  try {
    // mmap: a synchronous read without node:fs. record.ts replaces the file by rename, never in place.
    const bytes = Bun.mmap(answerPath(argv, env), { shared: false });
    const decoder = new TextDecoder();
    let from = 0;
    const nextLine = (): unknown => {
      const end = bytes.indexOf(NEWLINE, from);
      if (end < 0) throw new Error("a line without its newline");
      const line = JSON.parse(decoder.decode(bytes.subarray(from, end)));
      from = end + 1;
      return line;
    };
    const head = nextLine() as AnswerHead;
    if (!headHolds(head, argv, env, now)) return undefined;
    let checked = 0;
    while (from < bytes.length) {
      const paths = nextLine();
      if (!Array.isArray(paths)) return undefined;
      for (const [path, seen] of paths) {
        if (typeof path !== "string" || fingerprint(path) !== seen) return undefined;
        checked++;
      }
    }
    return checked === head.pathCount ? drawAges(head.text, now) : undefined;
  } catch {
    // missing, or not an answer this version wrote
    return undefined;
  }
}

function headHolds(head: AnswerHead, argv: readonly string[], env: Env, now: number): boolean {
  if (typeof head !== "object" || head === null || head.v !== REPLAY_VERSION || typeof head.text !== "string" || typeof head.pathCount !== "number") return false;
  if (!(now >= head.at && now - head.at < MAX_ANSWER_AGE_MS)) return false;
  if (!Array.isArray(head.argv) || head.argv.length !== argv.length) return false;
  // A loop, not some(): a replay runs no other, and a process's first some() compiles that builtin (~0.3 ms).
  for (let i = 0; i < argv.length; i++) if (head.argv[i] !== argv[i]) return false;
  if (!Array.isArray(head.env)) return false;
  for (const [name, value] of head.env) if ((env[name] ?? null) !== value) return false;
  return true;
}
