import * as v from "valibot";
import { count, lazySchema } from "../schemas.ts";
import { type Line, type LinesOf, type NextSlot, loadSlots, saveSlot, slotEntries } from "./framedFile.ts";
import { LimitHitSchema, ReplySchema, TallySchema, TokensSchema, totalsEntries } from "../derive/tokens.ts";
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
 * In memory an id line may be the bytes it was read as (StoredCache.cursorOf), written back only while
 * the file still holds the version they were read from.
 */
export type SessionCache = Omit<v.InferOutput<typeof SessionCacheSchema>, "mainIds"> & { mainIds: Line[] };

/**
 * What a session's sub-agent files add up to (sessionTokens.ts refreshTokens); its model is the last
 * sub-agent file's (by path) that names one: the session's when its transcript names none.
 */
export const SubagentTotalsSchema = lazySchema(() => v.object(totalsEntries()));
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
    // the transcript's: a refresh in which only the transcript grew reads its cursor alone.
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

/**
 * The cache with the cursor of `path` alone: its line found by its bytes (`["<path>",`, which inside
 * any JSON string would have its quotes escaped) and parsed, no other cursor line; with where it and
 * the cursor lines are. Undefined when no line holds that cursor or one read is not JSON. Its id lines
 * are views of `body`'s bytes.
 */
export function parseOneCursor(body: LinesOf, path: string): { cache: SessionCache; first: number; index: number } | undefined {
  const { bytes, lines } = body;
  try {
    const { own, mainIds, first } = sessionLines(body, "bytes");
    const start = (lines[first] ?? [bytes.length])[0];
    const found = bytes.indexOf(`[${JSON.stringify(path)},`, start);
    const index = found < 0 ? -1 : lines.findIndex(([from], i) => i >= first && from === found);
    if (index < 0) return undefined;
    const [, cursor] = json<[string, Cursor]>(bytes, lines[index]);
    return { cache: { ...own, mainIds, files: { [path]: cursor } }, first, index };
  } catch {
    return undefined;
  }
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
   * The cursor of `path` alone (parseOneCursor), for a refresh that moves no other: with the lines of the
   * version that follows, the other cursor lines copied as read from the file read again (none when the
   * version read is gone). Undefined when the body does not hold the version the summary came from.
   */
  cursorOf(path: string): { readonly cache: SessionCache; nextLines(): Line[] | undefined } | undefined;
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
    cursorOf: (path) => {
      const body = summary && file.bodyBytes();
      const one = body && parseOneCursor(body, path);
      if (!one) return undefined;
      return {
        cache: one.cache,
        nextLines() {
          // Read again into the buffer the id lines are views of: the same version, the same bytes.
          const again = body.again();
          if (!again) return undefined;
          const moved = one.cache.files[path];
          const cursors = again.lines.slice(one.first).map(([start, end], i) => (one.first + i === one.index ? moved && JSON.stringify([path, moved]) : again.bytes.subarray(start, end)));
          return [...sessionHead(one.cache), ...cursors.filter((line) => line !== undefined)];
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
 * StoredCache.cursorOf gives them.
 */
export async function saveCache(path: string, stored: StoredCache, summary: Summary, cache: SessionCache | (() => Line[] | undefined), now = Date.now()): Promise<void> {
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
