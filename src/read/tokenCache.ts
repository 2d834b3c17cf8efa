import * as v from "valibot";
import { count, lazySchema } from "../schemas.ts";
import { type BodyLine, type Line, type LinesOf, type NextSlot, loadSlots, saveSlot, slotEntries } from "./framedFile.ts";
import { LimitHitSchema, ReplySchema, type Tally, TallySchema, TokensSchema, totalsEntries } from "../derive/tokens.ts";
import { type Bucket, mergeBuckets, quarterOf } from "../derive/usageBuckets.ts";
import { removeEntries } from "../atomicWrite.ts";
import { parseJsonBytes } from "./jsonBytes.ts";
import { FOLDER_VERSIONS } from "../cacheFolders.ts";

// Bumped (cacheFolders.ts) when the cache layout or what a tally means changes: an older file is then
// rebuilt from byte 0.
export const CACHE_VERSION = FOLDER_VERSIONS.sessions;

/** Which cache a line belongs to: every line of a cache file names its version, config dir and session. */
const whoseEntries = () => ({ version: v.literal(CACHE_VERSION), configDir: v.string(), sessionId: v.string() });

/** Where one transcript file was read up to, and its tally at that point. */
const CursorSchema = lazySchema(() =>
  v.object({
    dev: v.number(),
    ino: v.number(),
    size: count(),
    offset: count(),
    // The bytes just before offset as they were read (transcript.ts tailHash): a file whose bytes there
    // differ now was rewritten, and is read again from byte 0. Missing in caches written before it.
    tail: v.optional(v.string()),
    tally: TallySchema,
  }),
);
export type Cursor = v.InferOutput<typeof CursorSchema>;

/** The offset cache of one session: every transcript file that counts toward it. */
export const SessionCacheSchema = lazySchema(() =>
  v.object({
    ...whoseEntries(),
    transcript: v.optional(v.string()),
    dirs: v.record(v.string(), v.number()),
    files: v.record(v.string(), CursorSchema),
    // The main file's message ids (read/messageIds.ts encode()), to drop their replays in sidechain files.
    mainIds: v.array(v.string()),
  }),
);
/**
 * In memory an id line may be the bytes it was read as (StoredCache.cursorsOf), written back only while
 * the file still holds the version they were read from.
 */
export type SessionCache = Omit<v.InferOutput<typeof SessionCacheSchema>, "mainIds"> & { mainIds: Line[] };

/**
 * What a session's sub-agent files add up to (sessionTokens.ts refreshTokens); its model is the last
 * sub-agent file's (by path) that names one (`modelFile`): the session's when its transcript names none.
 * `costs`: each file's cost, by path as sorted: a full read, whatever order the files came in, and a
 * refresh that reads only the cursors that moved (sessionTokens.ts refreshChanged) add them up in the
 * same order, to the same float.
 */
export const SubagentTotalsSchema = lazySchema(() => v.object({ ...totalsEntries(), costs: v.array(v.number()), modelFile: v.optional(v.string()) }));
export type SubagentTotals = v.InferOutput<typeof SubagentTotalsSchema>;

/**
 * The second line of a cache file: the session's totals and a stamp of every path they depend on (the
 * transcript, the folder it should be in, the sub-agent folders and files). When the stamp still holds,
 * a call returns these totals without parsing the cursors below it.
 */
export const SummarySchema = lazySchema(() =>
  v.object({
    ...whoseEntries(),
    watch: v.array(v.string()),
    stamp: v.string(),
    updatedAt: v.optional(v.number()),
    tokens: TokensSchema,
    costUSD: v.number(),
    costEstimated: v.boolean(),
    model: v.optional(v.string()),
    lastReply: v.optional(ReplySchema),
    transcript: v.optional(v.string()),
    // The session's newest rate-limit row. Its usage by quarter hour is in the cursors' tallies
    // (sessionTokens.ts SessionTokens.buckets).
    limit: v.optional(LimitHitSchema),
    // The totals of the sub-agent files (every file but the transcript), which the totals above add to
    // the transcript's: a refresh that reads only the cursors of the files that changed goes on from them.
    subagents: v.optional(SubagentTotalsSchema),
  }),
);
export type Summary = v.InferOutput<typeof SummarySchema>;

/**
 * The first line (read/framedFile.ts): whose cache this is, its generation (which of the two slots is
 * newer) and wyhashes of the two lines below, as written. The summary and cursors are trusted by those:
 * valibot over 8 summaries (a watch list and a bucket per quarter hour each, ~8 KB) cost ~3 ms of a call
 * that follows an append, and over the cursors and dedupe keys ~5 ms for 7 sessions, more than reading
 * the appended megabyte. SummarySchema and SessionCacheSchema state their shapes, and a test holds every
 * written file to them (test/helpers/cacheFile.ts).
 */
export const CacheHeadSchema = lazySchema(() =>
  v.object({
    ...whoseEntries(),
    ...slotEntries(),
  }),
);

export const emptyCache = (configDir: string, sessionId: string): SessionCache => ({
  version: CACHE_VERSION,
  configDir,
  sessionId,
  dirs: {},
  files: {},
  mainIds: [],
});

/**
 * File name from a stable 64-bit hash: session ids come from disk and must never become a path. The
 * cache is kept in two slots (framedFile.ts loadSlots): this file and `<hash>.1.json` beside it.
 */
export function cachePath(cacheDir: string, configDir: string, sessionId: string): string {
  const key = Bun.hash.wyhash(`${configDir}\u0000${sessionId}`).toString(16).padStart(16, "0");
  return `${cacheDir}/sessions-v${CACHE_VERSION}/${key}.json`;
}

/**
 * The cursors as a cache body's lines: the session's own entries (whose, transcript, folders), the main
 * file's message ids (lines of base64, messageIds.ts), then one `[path, cursor]` line per file. A refresh
 * after an append moves the cursors of the files that grew (the main transcript, a running sub-agent)
 * and leaves the rest, ~60 finished sub-agents a session on the medium bench home: `unchanged` gives
 * their lines as they were read, so only the moved ones are stringified again, and the id lines are
 * written as they are. As one JSON line, the 8 caches' stringify was the largest single cost of the call
 * after an append (11% of its CPU profile).
 */
export function cacheLines(cache: SessionCache, unchanged: (path: string, cursor: Cursor) => Line | undefined = () => undefined): Line[] {
  return [...sessionHead(cache), ...Object.entries(cache.files).map(([path, cursor]) => unchanged(path, cursor) ?? JSON.stringify([path, cursor]))];
}

/** The lines a cache body starts with: the session's own entries, then the main file's message ids. */
const sessionHead = ({ files: _, mainIds, ...own }: SessionCache): Line[] => [JSON.stringify(own), ...mainIds];

// A cursor line is a JSON array; an id line is base64, which never starts with one.
const CURSOR_LINE = 0x5b;

/**
 * cacheLines read back from their bytes, with the line each cursor was read from; undefined for lines
 * that are not JSON. Parsed from the bytes, not from a decoded body: the lines a refresh leaves alone
 * are copied as bytes into the next version (StoredCache.unchangedLines).
 */
export function parseCacheLines(body: LinesOf): { cache: SessionCache; lineOf: Map<Cursor, readonly [string, number]> } | undefined {
  const { bytes, lines } = body;
  try {
    const { own, mainIds, first } = sessionLines(body, "text");
    const files: Record<string, Cursor> = {};
    const lineOf = new Map<Cursor, readonly [string, number]>();
    for (let at = first; at < lines.length; at++) {
      const [path, cursor] = json<[string, Cursor]>(bytes, lines[at]);
      files[path] = cursor;
      lineOf.set(cursor, [path, at]);
    }
    return { cache: { ...own, mainIds, files }, lineOf };
  } catch {
    return undefined;
  }
}

/** A line of a cache body, parsed; throws when it is not JSON. */
function json<T>(bytes: Buffer, line: readonly [number, number] | undefined): T {
  const [start, end] = line ?? [0, 0];
  const value = parseJsonBytes(bytes, start, end);
  if (value === undefined) throw new Error("not a JSON line");
  return value as T;
}

/**
 * The session's own line and its id lines, and where its cursor lines begin. Throws as json() does.
 * The id lines as text, or as views of their bytes: a session's ids grow with its history (56–105 KB
 * of base64 a session on the medium bench home after 160 appends), and a refresh that only adds ids
 * codes just the last line again.
 */
function sessionLines({ bytes, lines }: LinesOf, ids: "text" | "bytes"): { own: Omit<SessionCache, "files" | "mainIds">; mainIds: Line[]; first: number } {
  const own = json<Omit<SessionCache, "files" | "mainIds">>(bytes, lines[0]);
  const mainIds: Line[] = [];
  let at = 1;
  for (; at < lines.length && bytes[(lines[at] as readonly [number, number])[0]] !== CURSOR_LINE; at++) {
    const [start, end] = lines[at] as readonly [number, number];
    mainIds.push(ids === "text" ? bytes.toString("latin1", start, end) : bytes.subarray(start, end));
  }
  return { own, mainIds, first: at };
}

/** The cursors parseCursors read: each path's line, and its older buckets when they were kept as read. */
export interface CursorsRead {
  readonly cache: SessionCache;
  /** The first cursor line. */
  readonly first: number;
  /** By line, first to last. */
  readonly found: readonly { readonly path: string; readonly index: number; readonly older?: OlderBuckets }[];
}

/**
 * The cache with the cursors of `paths` alone: each line found by its bytes (`["<path>",`, which inside
 * any JSON string would have its quotes escaped) and parsed, no other cursor line, their older buckets
 * kept as read (newestBuckets); with where they and the cursor lines are. Undefined when a path has no
 * line or one read is not JSON. Its id lines are views of `body`'s bytes.
 */
export function parseCursors(body: LinesOf, paths: readonly string[]): CursorsRead | undefined {
  const { bytes, lines } = body;
  try {
    const { own, mainIds, first } = sessionLines(body, "bytes");
    const start = (lines[first] ?? [bytes.length])[0];
    const files: Record<string, Cursor> = {};
    const found: { path: string; index: number; older?: OlderBuckets }[] = [];
    for (const path of paths) {
      const at = bytes.indexOf(`[${JSON.stringify(path)},`, start);
      const index = at < 0 ? -1 : lineStartingAt(lines, first, at);
      if (index < 0) return undefined;
      const { cursor, older } = newestBuckets(bytes, lines[index] as readonly [number, number]);
      files[path] = cursor;
      found.push({ path, index, older });
    }
    return { cache: { ...own, mainIds, files }, first, found: found.sort((x, y) => x.index - y.index) };
  } catch {
    return undefined;
  }
}

/** The index of the line from `first` on that starts at byte `at`, or -1: lines are in byte order. */
function lineStartingAt(lines: LinesOf["lines"], first: number, at: number): number {
  let lo = first;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((lines[mid] as readonly [number, number])[0] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo < lines.length && (lines[lo] as readonly [number, number])[0] === at ? lo : -1;
}

/**
 * The buckets of a cursor read by parseCursors that its tally was handed without: the quarter hours
 * before its newest, as the text they were read as (no brackets), to be written back as they are
 * (cursorLine). The tally is the one the newest went to: a cursor that starts over has another.
 */
export interface OlderBuckets {
  readonly tally: Tally;
  /**
   * A view of the line as read (valid as its id lines are: StoredCache.cursorsOf). Not decoded: a string
   * of a month of buckets cost ~35 µs a session, most of it faulting in fresh pages for it.
   */
  readonly bytes: Buffer;
  /** The quarter of the last of them. */
  readonly lastQuarter: number;
}

const BUCKETS_KEY = '"buckets":[';
const EMPTY_BUCKETS = '"buckets":[]';
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const MINUS = 0x2d;

/**
 * A cursor line parsed with only its newest buckets: those from the quarter of the oldest message
 * among its last few dedupe keys (a row replacing one of theirs takes that message's tokens back out
 * of its bucket, which must be among them), and always the last one. A transcript's buckets grow by up
 * to 96 a day, each parsed and stringified again on every refresh (~5 KB a session on the large bench
 * home, up to 14 KB: ~70 µs a refresh), where an append adds to the last or makes new ones. A row out
 * of order, older than all of these, is still counted exactly (cursorLine merges it in). The line is
 * ccpulse's own and hashed: anything else than the written shape is parsed whole.
 */
function newestBuckets(bytes: Buffer, [start, end]: readonly [number, number]): { cursor: Cursor; older?: OlderBuckets } {
  const whole = () => ({ cursor: json<[string, Cursor]>(bytes, [start, end])[1] });
  const key = bytes.indexOf(BUCKETS_KEY, start);
  const open = key + BUCKETS_KEY.length - 1;
  // Tuples of numbers only: the first "]]" closes the last bucket, and each bucket starts after a "[".
  const last = key < 0 || key >= end || bytes[open + 1] !== OPEN_BRACKET ? -1 : bytes.indexOf("]]", open);
  if (last < 0 || last >= end) return whole();
  const [, cursor] = JSON.parse(bytes.toString("utf8", start, open + 1) + bytes.toString("utf8", last + 1, end)) as [string, Cursor];
  // A loop, not Math.min(...flatMap()): a process's first flatMap compiles that builtin (~0.3 ms).
  let keepFrom = Number.POSITIVE_INFINITY;
  for (const [, , , at] of cursor.tally.recent) if (at !== null) keepFrom = Math.min(keepFrom, quarterOf(at));
  let from = bytes.lastIndexOf(OPEN_BRACKET, last);
  let lastQuarter: number | undefined;
  while (from > open + 1) {
    if (bytes[from - 1] !== COMMA) return whole();
    const before = bytes.lastIndexOf(OPEN_BRACKET, from - 2);
    const quarter = leadingInteger(bytes, before + 1, from);
    if (quarter === undefined) return whole();
    if (quarter < keepFrom) {
      lastQuarter = quarter;
      break;
    }
    from = before;
  }
  cursor.tally.buckets = JSON.parse(`[${bytes.toString("latin1", from, last + 1)}]`) as Bucket[];
  if (lastQuarter === undefined) return { cursor };
  return { cursor, older: { tally: cursor.tally, bytes: bytes.subarray(open + 1, from - 1), lastQuarter } };
}

/** The integer that bytes[at, to) start with (a bucket's quarter), if they do. */
function leadingInteger(bytes: Buffer, at: number, to: number): number | undefined {
  const sign = bytes[at] === MINUS ? -1 : 1;
  let i = sign < 0 ? at + 1 : at;
  let value = 0;
  for (const first = i; i < to; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return i > first && bytes[i] === COMMA ? sign * value : undefined;
    value = value * 10 + digit;
  }
  return undefined;
}

/**
 * A cursor's line. With the older buckets its tally was read without (newestBuckets), those are
 * written as read before its own: they all come before its first, unless a row out of order made
 * one as old, which is then merged in (mergeBuckets: sorted, each quarter once).
 */
export function cursorLine(path: string, cursor: Cursor, older?: OlderBuckets): BodyLine {
  if (older === undefined || cursor.tally !== older.tally) return JSON.stringify([path, cursor]);
  const newest = cursor.tally.buckets;
  const first = newest[0];
  if (first !== undefined && first[0] <= older.lastQuarter) {
    const buckets = mergeBuckets([JSON.parse(`[${older.bytes.toString("latin1")}]`) as Bucket[], newest]);
    return JSON.stringify([path, { ...cursor, tally: { ...cursor.tally, buckets } }]);
  }
  const text = JSON.stringify([path, { ...cursor, tally: { ...cursor.tally, buckets: [] } }]);
  // Inside a JSON string its quotes would be escaped: this is the tally's key.
  const at = text.indexOf(EMPTY_BUCKETS);
  const own = JSON.stringify(newest).slice(1, -1);
  return [`${text.slice(0, at)}${BUCKETS_KEY}`, older.bytes, `${own === "" ? "" : `,${own}`}]${text.slice(at + EMPTY_BUCKETS.length)}`];
}

export interface StoredCache {
  readonly summary?: Summary;
  /** The cursors, parsed only when asked for; empty when missing or not the ones written with the summary. */
  cache(): SessionCache;
  /**
   * The lines of the cursors still as they were read, by cursor, from the file read again: a refresh
   * replaces the cursor of a file it reads (sessionTokens.ts advance), never changes one in place. The
   * bytes are valid until the next framed file is read; when the version read is gone, none.
   */
  unchangedLines(): (path: string, cursor: Cursor) => Uint8Array | undefined;
  /**
   * The cursors of `paths` alone (parseCursors), for a refresh that moves no other: with the lines of the
   * version that follows, the other cursor lines copied as read from the file read again (none when the
   * version read is gone), then the cursors added to the cache since, in that order. Undefined when the
   * body does not hold the version the summary came from.
   */
  cursorsOf(paths: readonly string[]): { readonly cache: SessionCache; nextLines(): BodyLine[] | undefined } | undefined;
  /** Where saveCache puts the version derived from this one. */
  readonly next: NextSlot;
}

/** A cache that is missing, torn, of another version or for another session reads as empty. */
export async function loadCache(path: string, configDir: string, sessionId: string): Promise<StoredCache> {
  const file = await loadSlots(path, CacheHeadSchema, (head) => head.configDir === configDir && head.sessionId === sessionId);
  // Only with its cursors: a session's usage by quarter hour is read from them (SessionTokens.buckets).
  const summary = file.whole() ? file.summary<Summary>() : undefined;
  let read: { cache: SessionCache; lineOf: Map<Cursor, readonly [string, number]>; again(): LinesOf | undefined } | undefined;
  let asked = false;
  const cache = () => {
    if (!asked && summary) {
      asked = true;
      const body = file.bodyBytes();
      const parsed = body && parseCacheLines(body);
      read = parsed && { ...parsed, again: body.again };
    }
    return read?.cache;
  };
  return {
    summary,
    // After the cursors are read: file.next follows the version they came from.
    get next() {
      return file.next;
    },
    cache: () => cache() ?? emptyCache(configDir, sessionId),
    cursorsOf: (paths) => {
      const body = summary && file.bodyBytes();
      const read = body && parseCursors(body, paths);
      if (!read) return undefined;
      return {
        cache: read.cache,
        nextLines() {
          // Read again into the buffer the id lines are views of: the same version, the same bytes.
          const again = body.again();
          if (!again) return undefined;
          const { bytes, lines } = again;
          const { files } = read.cache;
          // The cursor lines between the moved ones as views of what was read, one a run, not one a line (a
          // session's sub-agent files pile up: ~40 lines a session on the large bench home after 70 appends).
          const run = (from: number, to: number) => (from < to ? [bytes.subarray((lines[from] as readonly [number, number])[0], (lines[to - 1] as readonly [number, number])[1])] : []);
          const next: BodyLine[] = sessionHead(read.cache);
          let from = read.first;
          for (const { path, index, older } of read.found) {
            next.push(...run(from, index));
            const moved = files[path];
            if (moved) next.push(cursorLine(path, moved, older));
            from = index + 1;
          }
          next.push(...run(from, lines.length));
          const asRead = new Set(paths);
          for (const [path, cursor] of Object.entries(files)) if (!asRead.has(path)) next.push(JSON.stringify([path, cursor]));
          return next;
        },
      };
    },
    unchangedLines: () => {
      const body = read?.again();
      if (!read || !body) return () => undefined;
      const { lineOf } = read;
      return (path, cursor) => {
        const [readPath, index] = lineOf.get(cursor) ?? [];
        const line = readPath === path && index !== undefined ? body.lines[index] : undefined;
        return line && body.bytes.subarray(line[0], line[1]);
      };
    },
  };
}

/**
 * Written whole into the slot the stored version's `next` names (framedFile.ts saveSlot): offsets and
 * totals travel together, so a lost race between writers costs a re-read, never a double count. A
 * failure (full disk, read-only home, a directory in the way) is swallowed: the cache is an optimisation
 * and the answer is already computed. `cache`: all the cursors, or the next version's lines as
 * StoredCache.cursorsOf gives them.
 */
export async function saveCache(path: string, stored: StoredCache, summary: Summary, cache: SessionCache | (() => BodyLine[] | undefined), now = Date.now()): Promise<void> {
  const fs = await import("node:fs");
  const head = { version: CACHE_VERSION, configDir: summary.configDir, sessionId: summary.sessionId, gen: stored.next.gen };
  try {
    // No await between reading the unchanged lines again and saveSlot encoding them.
    const lines = typeof cache === "function" ? cache() : cacheLines(cache, stored.unchangedLines());
    // The lines of the version read are gone: another writer has moved on from it, so this one is not written.
    if (lines) saveSlot(fs, path, stored.next, head, summary, lines);
  } catch {
    // swallowed, as said above
  }
  // A session's first version: rare enough (once a session) to look for the folders of older versions,
  // and once a process per cache dir (a cold call writes the first version of every session's cache).
  const dir = path.slice(0, path.lastIndexOf("/sessions-v"));
  if (stored.next.gen === 1 && !swept.has(dir)) {
    swept.add(dir);
    await sweepOldVersions(dir, now);
  }
}

const swept = new Set<string>();

// A folder of an older version that no binary has written to for this long is left from an upgrade.
// Not sooner: two installed versions (the tmux plugin's and another on PATH) would otherwise delete
// each other's caches and rebuild them cold, each time a session starts.
export const OLD_VERSION_IDLE_MS = 7 * 86_400_000;

/**
 * Removes the `<kind>-v<N>` folders (cacheFolders.ts) of other versions than this one's whose files were
 * all last written more than OLD_VERSION_IDLE_MS ago: a session's cache is 100–300 KB in each of two
 * slots, and every version bump left a whole folder of them behind (and of stored answers, up to 64).
 * Only real folders directly under the cache dir; a symlink is left alone.
 */
async function sweepOldVersions(cacheDir: string, now: number): Promise<void> {
  await removeEntries(cacheDir, (fs, name, dir) => {
    const [, kind, version] = /^([a-z]+)-v(\d{1,6})$/.exec(name) ?? [];
    const current = kind !== undefined && Object.hasOwn(FOLDER_VERSIONS, kind) ? FOLDER_VERSIONS[kind as keyof typeof FOLDER_VERSIONS] : undefined;
    if (current === undefined || Number(version) === current || !fs.lstatSync(dir).isDirectory()) return false;
    const written = fs.readdirSync(dir).map((entry) => fs.lstatSync(`${dir}/${entry}`, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return written.every((mtime) => now - mtime > OLD_VERSION_IDLE_MS);
  });
}
