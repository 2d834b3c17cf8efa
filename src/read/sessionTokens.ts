import { encodeProjectDir } from "../discover/projectDir.ts";
import { type CacheTtl, type LimitHit, type Tally, type Tokens, addRow, addTokens, emptyTally, sumTokens, zeroTokens } from "../derive/tokens.ts";
import { type Bucket, mergeBuckets } from "../derive/usageBuckets.ts";
import { CACHE_VERSION, type Cursor, type SessionCache, type StoredCache, type SubagentTotals, type Summary, cachePath, loadCache, saveCache } from "./tokenCache.ts";
import { MessageIds } from "./messageIds.ts";
import { lockHeld, tryLock } from "./refreshLock.ts";
import { TAIL_BYTES, scanTranscript, tailHash } from "./transcript.ts";

export interface SessionTokens {
  readonly tokens: Tokens;
  /** What Claude Code charges for these tokens, sub-agents included. */
  readonly costUSD: number;
  /** Some of it priced as the default model: a model the price table does not know. */
  readonly costEstimated: boolean;
  readonly model?: string;
  /** The main transcript's last reply: when the prompt cache was last used and its TTL. */
  readonly lastReply?: { readonly at: string; readonly ttl: CacheTtl };
  readonly transcript?: string;
  /**
   * Usage by quarter hour, for the window, day and month reports: merged from the files' tallies when
   * asked for. Only those reports ask (json, the usage fields); kept in the summary, the list was parsed
   * and stringified again on every call that read a cache (after ~80 appends to the medium bench home,
   * 52 KB of a 54 KB summary).
   */
  readonly buckets: () => readonly Bucket[];
  /** The newest rate-limit row. */
  readonly limit?: LimitHit;
  /** The paths these totals depend on and how they looked: unchanged stamp, unchanged totals. */
  readonly watched?: { readonly watch: readonly string[]; readonly stamp: string };
  /** Not checked against the files by this call: the totals of another process's rebuild, or the previous ones while it runs. */
  readonly stale?: boolean;
}

export const noTokens = (): SessionTokens => ({ tokens: zeroTokens(), costUSD: 0, costEstimated: false, buckets: () => [] });

const bucketsOf = (cache: SessionCache): Bucket[] => mergeBuckets(Object.values(cache.files).map((c) => c.tally.buckets));

export interface TranscriptOwner {
  readonly configDir: string;
  readonly sessionId: string;
  readonly cwd?: string;
  readonly updatedAt?: number;
  /** The transcript's path when known (the usage ledger found it); otherwise derived from cwd. */
  readonly transcript?: string;
}

// Session ids are UUIDs; anything else from disk is not allowed to become part of a path or a glob.
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

interface FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

// node:fs's statSync, not a Bun.file().stat() round trip through the I/O threads: a refresh of 7
// sessions with ~20 files each spent ~15 ms on async stats. A call that reads tokens has loaded node:fs
// already (discover/probeFiles.ts); the warm path (a replay) never gets here.
let fs: typeof import("node:fs") | undefined;

function statOf(io: typeof import("node:fs"), path: string): FileStat | undefined {
  try {
    const s = io.statSync(path, { throwIfNoEntry: false });
    if (!s) return undefined;
    return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, isFile: s.isFile(), isDirectory: s.isDirectory() };
  } catch {
    return undefined;
  }
}

/**
 * The stats of one token read, each path taken at most once: checking the stored stamp stats every
 * watched path, and the refresh that follows a changed stamp looked at the same ones again (a call
 * after an append to the medium bench home made ~750 stat calls, ~400 now; strace -c). A stat from
 * earlier in the call only says whether to look: a file is read, and its cursor stamped, by the fstat
 * of the descriptor read (advance), and a folder's listing is stamped with the mtime from before it, so
 * a change since either leaves the next call's stamp unmatched. Synchronous: as promises, the ~560
 * stats of a call after an append to the large bench home each cost an async call and a microtask.
 */
export class StatMemo {
  private readonly taken = new Map<string, FileStat | undefined>();

  constructor(private readonly io: typeof import("node:fs")) {}

  of(path: string): FileStat | undefined {
    if (this.taken.has(path)) return this.taken.get(path);
    const stat = statOf(this.io, path);
    this.taken.set(path, stat);
    return stat;
  }

  /**
   * The mtime of a path this memo has statted, in whole ms as replay.ts fingerprint() reads it; null when
   * it was missing, undefined when this memo has not statted it. A call's answer is fingerprinted with
   * these (replay/record.ts): ~550 paths on the medium bench home, ~4 ms of stats taken again.
   */
  mtimeOf(path: string): number | null | undefined {
    if (!this.taken.has(path)) return undefined;
    const stat = this.taken.get(path);
    return stat ? Math.trunc(stat.mtimeMs) : null;
  }
}

/**
 * Token totals of one session: its transcript `projects/<encoded cwd>/<id>.jsonl` plus its sub-agent
 * transcripts `<id>/subagents/**\/*.jsonl`, read through the offset cache so a call reads only bytes
 * appended since the last one, and nothing at all (one stat per file) when no file changed.
 */
export async function readSessionTokens(owner: TranscriptOwner, cacheDir: string): Promise<SessionTokens> {
  const read = await startTokenRead(owner, cacheDir);
  return read.current ?? read.refresh();
}

/** The stored totals when nothing changed (`current`), else how to bring them up to date. */
export interface TokenRead {
  readonly current?: SessionTokens;
  refresh(): Promise<SessionTokens>;
}

/**
 * The cheap half of a read: load the summary and check its stamp. Without `buckets` the caller will not
 * ask for SessionTokens.buckets (no usage report follows): a refresh in which only the files the cursors
 * follow changed then reads their cursors alone (refreshChanged), and the result's buckets() throws.
 */
export async function startTokenRead(owner: TranscriptOwner, cacheDir: string, memo?: StatMemo, buckets = true): Promise<TokenRead> {
  if (!SAFE_ID.test(owner.sessionId)) return { current: noTokens(), refresh: async () => noTokens() };
  fs ??= await import("node:fs");
  const stats = memo ?? new StatMemo(fs);
  const path = cachePath(cacheDir, owner.configDir, owner.sessionId);
  const stored = await loadCache(path, owner.configDir, owner.sessionId);
  const primary = owner.transcript ?? (owner.cwd !== undefined ? `${owner.configDir}/projects/${encodeProjectDir(owner.cwd)}/${owner.sessionId}.jsonl` : "");
  const { summary } = stored;
  const fromSummary = ({ summary: s, cache }: { summary: Summary; cache(): SessionCache }): SessionTokens => ({
    tokens: s.tokens,
    costUSD: s.costUSD,
    costEstimated: s.costEstimated,
    model: s.model,
    lastReply: s.lastReply,
    transcript: s.transcript,
    buckets: () => bucketsOf(cache()),
    limit: s.limit,
    watched: { watch: s.watch, stamp: s.stamp },
  });
  // How each watched path looks now, taken once: the stamp check and changedAlone compare them.
  const watched = summary?.watch[0] === primary ? summary.watch.map((p) => stampOfPath(p, stats)) : undefined;
  if (summary && watched && stillCurrent(summary, owner, watched)) {
    const current = fromSummary({ summary, cache: stored.cache });
    return { current, refresh: async () => current };
  }
  return {
    async refresh() {
      // Another process is rebuilding this cache: answer with the previous totals while it does
      // (stale-while-revalidate). Only a cold rebuild (no totals yet) takes the lock: catching up on
      // an append costs less than the lock itself (~0.3 ms a session).
      if (summary) {
        if (await lockHeld(path)) return { ...fromSummary({ summary, cache: stored.cache }), stale: true };
        const changed = buckets || !watched ? undefined : changedAlone(summary, watched, stored, stats);
        const partly = changed && (await refreshChanged(owner, path, primary, stored, summary, changed, stats));
        return partly ?? refreshTokens(owner, path, primary, stored, stats);
      }
      const lock = await tryLock(path);
      if (!lock) {
        // With no totals to show yet, wait for that rebuild rather than redo its work.
        const waited = await waitForSummary(path, owner);
        if (waited.summary) return { ...fromSummary({ summary: waited.summary, cache: waited.cache }), stale: true };
      }
      try {
        return await refreshTokens(owner, path, primary, lock ? await loadCache(path, owner.configDir, owner.sessionId) : stored, stats);
      } finally {
        lock?.release();
      }
    },
  };
}

// How long a caller with no previous totals waits for another process's cold rebuild.
const COLD_WAIT_MS = 3000;

async function waitForSummary(path: string, owner: TranscriptOwner): Promise<StoredCache> {
  const fs = await import("node:fs");
  for (const until = Date.now() + COLD_WAIT_MS; Date.now() < until && fs.existsSync(`${path}.lock`); ) await Bun.sleep(25);
  return loadCache(path, owner.configDir, owner.sessionId);
}

async function refreshTokens(owner: TranscriptOwner, path: string, primary: string, stored: StoredCache, stats: StatMemo): Promise<SessionTokens> {
  const { summary } = stored;
  const cache = stored.cache();
  const located = locateTranscript(owner, primary, cache, stats);
  let dirty = located.dirty;
  const transcript = located.path;
  let subagents: { files: string[]; root?: string } = { files: [] };
  if (transcript !== undefined) {
    const found = subagentFiles(transcript, owner.sessionId, cache, stats);
    dirty = found.dirty || dirty;
    subagents = found;
    const { moved, ids } = advanceTranscript(cache, transcript, stats);
    dirty = moved || dirty;
    const isReplay = (id: string) => ids().has(id);
    for (const file of subagents.files) {
      dirty = advance(cache, file, stats, (tally, row) => addRow(tally, row, isReplay)) || dirty;
    }
  }
  const wanted = new Set([...(transcript !== undefined ? [transcript] : []), ...subagents.files]);
  for (const file of Object.keys(cache.files)) {
    if (wanted.has(file)) continue;
    delete cache.files[file];
    dirty = true;
  }

  // Every cursor but the transcript's is a sub-agent file's (the others were deleted above).
  const subagentTotals = subagentTotalsOf(subagents.files.flatMap((f) => (cache.files[f] ? [[f, cache.files[f].tally] as const] : [])));
  const totals = { ...totalsOf(transcript !== undefined ? cache.files[transcript]?.tally : undefined, subagentTotals), transcript };
  let buckets: Bucket[] | undefined;
  const result: SessionTokens = { ...totals, buckets: () => (buckets ??= bucketsOf(cache)) };
  const watch = watchList(primary, transcript, subagents.root, cache.dirs, Object.keys(cache.files));
  const next: Summary = {
    version: CACHE_VERSION,
    configDir: owner.configDir,
    sessionId: owner.sessionId,
    watch,
    stamp: stampOf(watch, stats, cache),
    updatedAt: transcript === undefined ? owner.updatedAt : undefined,
    ...totals,
    subagents: subagentTotals,
  };
  if (dirty || next.stamp !== summary?.stamp || next.updatedAt !== summary?.updatedAt || summary.watch.join("\n") !== watch.join("\n")) {
    await saveCache(path, stored, next, cache);
  }
  return { ...result, watched: { watch, stamp: next.stamp } };
}

/**
 * What sub-agent files' tallies add up to, given by path as sorted: whatever order the files came in, the
 * cost is added up, the model and the newest rate-limit hit (of two as new, the first file's) chosen in
 * that order, which subagentTotalsAfter follows.
 */
function subagentTotalsOf(files: readonly (readonly [string, Tally])[]): SubagentTotals {
  const named = files.filter(([, t]) => t.model !== undefined).at(-1);
  const costs = files.map(([, t]) => t.costUSD);
  return {
    tokens: sumTokens(files.map(([, t]) => t.tokens)),
    costUSD: costSum(costs),
    estimated: files.some(([, t]) => t.estimated),
    model: named?.[1].model,
    limit: files.reduce<LimitHit | undefined>((newest, [, t]) => newer(t.limit, newest), undefined),
    costs,
    modelFile: named?.[0],
  };
}

/** The sub-agent files' cost: each file's, added up by path as sorted (SubagentTotals.costs). */
const costSum = (costs: readonly number[]): number => costs.reduce((sum, c) => sum + c, 0);

/** The newer of two rate-limit hits; `than` when they are as new. */
const newer = (hit: LimitHit | undefined, than: LimitHit | undefined): LimitHit | undefined => (hit && (!than || hit.at > than.at) ? hit : than);

/** A session's totals: its transcript's tally (when it has one) and what its sub-agent files add. */
function totalsOf(main: Tally | undefined, subagents: SubagentTotals): Omit<SessionTokens, "buckets" | "transcript"> {
  return {
    tokens: main ? addTokens({ ...main.tokens }, subagents.tokens) : { ...subagents.tokens },
    costUSD: (main?.costUSD ?? 0) + subagents.costUSD,
    costEstimated: main?.estimated === true || subagents.estimated,
    model: main?.model ?? subagents.model,
    lastReply: main?.last,
    limit: newer(subagents.limit, main?.limit),
  };
}

/**
 * Brings the transcript's cursor up to date, and with it the ids of its messages (decoded only when
 * it has new rows or a sub-agent file rows to check against them).
 */
function advanceTranscript(cache: SessionCache, transcript: string, stats: StatMemo): { moved: boolean; ids(): MessageIds } {
  let mainIds: MessageIds | undefined;
  const ids = () => (mainIds ??= MessageIds.decode(cache.mainIds));
  let idsChanged = false;
  const moved = advance(
    cache,
    transcript,
    stats,
    (tally, row) => {
      addRow(tally, row);
      if (!row.sidechain && row.messageId) {
        ids().add(row.messageId);
        idsChanged = true;
      }
    },
    () => {
      mainIds = MessageIds.empty();
      idsChanged = true;
    },
  );
  if (idsChanged) cache.mainIds = ids().encode();
  return { moved, ids };
}

/**
 * The paths a session's totals depend on, each once, in the order its stamp lists them: where the
 * transcript should be, where it is, the sub-agent root, the folders below it, then the files read.
 */
function watchList(primary: string, transcript: string | undefined, root: string | undefined, dirs: Record<string, number>, files: readonly string[]): string[] {
  return [...new Set([primary, ...(transcript !== undefined ? [transcript] : []), ...(root !== undefined ? [root] : []), ...Object.keys(dirs), ...files])];
}

/** A path's stamp (stampOfPath) is a file's: not a folder's (`d<mtime>`) nor a missing path's (`-`). */
const isFileStamp = (stamp: string): boolean => stamp !== "-" && !stamp.startsWith("d");

/**
 * What refreshChanged needs when only files the cursors follow have changed (the transcript, sub-agent
 * files that grew), and maybe the sub-agent folders (a new file in one): the stored cursors of the files
 * that changed, the sub-agent totals stored with the summary, and the sub-agent files (every watched path
 * stamped as a file but the transcript: a cursor's stamp is its file's as read). Undefined when anything
 * else changed (a path appeared or went, the transcript moved to another place), or the stored costs are
 * not one a sub-agent file.
 */
function changedAlone(summary: Summary, watched: readonly string[], stored: StoredCache, stats: StatMemo): ChangedAlone | undefined {
  const { transcript, subagents, watch } = summary;
  if (transcript === undefined || subagents === undefined || !stats.of(transcript)?.isFile) return undefined;
  const stamps = summary.stamp.split(" ");
  if (stamps.length !== watched.length) return undefined;
  const subFiles: string[] = [];
  const grown: string[] = [];
  let folders = false;
  for (const [i, path] of watch.entries()) {
    const [was, now] = [stamps[i] as string, watched[i] as string];
    const cursor = i > 0 && path !== transcript && isFileStamp(was);
    if (cursor) subFiles.push(path);
    if (was === now || path === transcript) continue;
    if (cursor && isFileStamp(now)) grown.push(path);
    else if (was.startsWith("d") && now.startsWith("d")) folders = true;
    else return undefined;
  }
  if (subFiles.length !== subagents.costs.length) return undefined;
  const read = stored.cursorsOf([transcript, ...grown]);
  return read && { transcript, subagents, subFiles, grown, folders, read };
}

interface ChangedAlone {
  readonly transcript: string;
  readonly subagents: SubagentTotals;
  /** The sub-agent files with a cursor (`subagents.costs` holds their costs by path as sorted). */
  readonly subFiles: readonly string[];
  /** Those of them whose stamp moved. */
  readonly grown: readonly string[];
  /** A sub-agent folder's mtime moved: they are listed again for new files. */
  readonly folders: boolean;
  readonly read: NonNullable<ReturnType<StoredCache["cursorsOf"]>>;
}

/**
 * refreshTokens for a session in which only the files of `changed` did (changedAlone): their cursors are
 * brought up to date, new sub-agent files read from byte 0, and the other cursor lines copied as they
 * were read, not parsed. The sub-agent totals are the stored ones with the grown files' old tallies
 * taken out and their new ones and the new files' put in: tokens exactly (integers), the cost added up
 * again from the stored per-file costs by path (the same float as a full read), the model and the newest
 * rate-limit hit chosen by path as refreshTokens chooses them. A session's sub-agent files pile up (~60 on
 * the medium bench home, more with every append that runs one), and each refresh parsed all their cursors
 * to add them up again: after a 1 MiB append, in-process, the refreshes of a call took 15.3 → 13.4 ms on a
 * fresh medium bench home when only the transcript grew (the first version of this, for the transcript
 * alone). Reading new and grown sub-agent files alone too took a call's refreshes on the large bench home
 * from 23.7 to 22.8 ms, and 54 appends later from 25.7 to 24.4 ms (in-process, 24 and 30 interleaved
 * rounds): most of a full refresh is the new rows and the folder listing, which this reads too.
 *
 * Undefined, for a full refresh, when what is stored cannot say it: a sub-agent file gone or started
 * over (replaced, truncated: its old totals are not in the new tally), or a grown file's newest
 * rate-limit hit as new as the stored one (which file's came first decides, and that is not stored).
 */
async function refreshChanged(
  owner: TranscriptOwner,
  path: string,
  primary: string,
  stored: StoredCache,
  summary: Summary,
  changed: ChangedAlone,
  stats: StatMemo,
): Promise<SessionTokens | undefined> {
  const { transcript, subagents, subFiles, grown, read } = changed;
  const { cache } = read;
  let added: string[] = [];
  if (changed.folders) {
    const found = walkSubagents(subagentRoot(transcript, owner.sessionId), stats);
    const listed = new Set(found.files);
    if (subFiles.some((f) => !listed.has(f))) return undefined;
    const known = new Set(subFiles);
    added = found.files.filter((f) => !known.has(f));
    cache.dirs = found.dirs;
  }
  // The grown files' tallies as stored: addRow adds to them in place.
  const before = new Map(
    grown.map((f) => {
      const { tally } = cache.files[f] as Cursor;
      return [f, { tally, tokens: { ...tally.tokens }, limit: tally.limit }] as const;
    }),
  );
  const { moved, ids } = advanceTranscript(cache, transcript, stats);
  const isReplay = (id: string) => ids().has(id);
  let dirty = moved || changed.folders;
  for (const file of [...grown, ...added]) dirty = advance(cache, file, stats, (tally, row) => addRow(tally, row, isReplay)) || dirty;
  if (grown.some((f) => cache.files[f]?.tally !== before.get(f)?.tally)) return undefined;
  const fresh = added.filter((f) => cache.files[f] !== undefined);

  const tallyOf = (f: string) => (cache.files[f] as Cursor).tally;
  // Most refreshes add rows to the transcript alone: the stored sub-agent totals stand as they are.
  const next = grown.length + fresh.length === 0 ? subagents : subagentTotalsAfter(subagents, subFiles, fresh, before, tallyOf);
  if (next === undefined) return undefined;
  const totals = { ...totalsOf(cache.files[transcript]?.tally, next), transcript };
  const watch = changed.folders ? watchList(primary, transcript, subagentRoot(transcript, owner.sessionId), cache.dirs, [...subFiles, ...fresh]) : summary.watch;
  const nextSummary: Summary = { version: CACHE_VERSION, configDir: owner.configDir, sessionId: owner.sessionId, watch, stamp: stampOf(watch, stats, cache), ...totals, subagents: next };
  if (dirty || nextSummary.stamp !== summary.stamp || watch !== summary.watch) await saveCache(path, stored, nextSummary, () => read.nextLines());
  return {
    ...totals,
    buckets: () => {
      throw new Error("usage buckets were not read (startTokenRead without buckets)");
    },
    watched: { watch, stamp: nextSummary.stamp },
  };
}

/**
 * The stored sub-agent totals with the grown files' old tallies (`before`) taken out and their new ones
 * and the new files' (`fresh`) put in; undefined when a new rate-limit hit is exactly as new as the
 * stored one (which of the two refreshTokens takes depends on their files' order by path, and the
 * stored one's file is not kept).
 */
function subagentTotalsAfter(
  subagents: SubagentTotals,
  subFiles: readonly string[],
  fresh: readonly string[],
  before: ReadonlyMap<string, { readonly tokens: Tokens; readonly limit?: LimitHit }>,
  tallyOf: (file: string) => Tally,
): SubagentTotals | undefined {
  const tokens = { ...subagents.tokens };
  for (const [f, was] of before) addTokens(addTokens(tokens, was.tokens, -1), tallyOf(f).tokens);
  for (const f of fresh) addTokens(tokens, tallyOf(f).tokens);
  const sorted = [...subFiles].sort();
  const costOf = new Map(sorted.map((f, i) => [f, subagents.costs[i] as number]));
  const readNow = [...before.keys(), ...fresh];
  for (const f of readNow) costOf.set(f, tallyOf(f).costUSD);
  const files = [...sorted, ...fresh].sort();
  const costs = files.map((f) => costOf.get(f) as number);
  // The new hits by path, as refreshTokens takes them: the first file's of two as new.
  const isRead = new Set(readNow);
  // A loop, not flatMap: a process's first flatMap compiles that builtin (~0.3 ms).
  const hits: LimitHit[] = [];
  for (const f of files) {
    const hit = isRead.has(f) ? tallyOf(f).limit : undefined;
    if (hit !== undefined && hit !== before.get(f)?.limit) hits.push(hit);
  }
  if (hits.some((hit) => hit.at === subagents.limit?.at)) return undefined;
  const limit = newer(
    hits.reduce<LimitHit | undefined>((newest, hit) => newer(hit, newest), undefined),
    subagents.limit,
  );
  let { estimated, model, modelFile } = subagents;
  for (const f of readNow) {
    const t = tallyOf(f);
    estimated ||= t.estimated;
    // The last file by path that names one, as refreshTokens sorts them.
    if (t.model !== undefined && (modelFile === undefined || f >= modelFile)) [model, modelFile] = [t.model, f];
  }
  return { tokens, costUSD: costSum(costs), estimated, model, limit, costs, modelFile };
}

/**
 * What a path looks like now: a file by device, inode and size (an append changes the size, a
 * replacement the inode), a folder by its mtime (a new entry changes it), a missing path as "-".
 * With `read`, the files and folders it holds are stamped as they were when read, not as they are
 * now: a row Claude Code appends while a refresh reads must leave the stamp unmatched, or the next
 * call would take the totals without it as current (the real-CLI e2e test caught that).
 */
export const stampOf = (paths: readonly string[], memo: StatMemo, read?: SessionCache): string => paths.map((p) => stampOfPath(p, memo, read)).join(" ");

function stampOfPath(p: string, memo: StatMemo, read?: SessionCache): string {
  const cursor = read?.files[p];
  if (cursor) return `${cursor.dev}:${cursor.ino}:${cursor.size}`;
  const mtime = read?.dirs[p];
  if (mtime !== undefined) return `d${mtime}`;
  const s = p === "" ? undefined : memo.of(p);
  return s === undefined ? "-" : s.isDirectory ? `d${s.mtimeMs}` : `${s.dev}:${s.ino}:${s.size}`;
}

/**
 * The stored totals still hold: same probe while no transcript exists, nothing watched changed.
 * `watched`: the stamp of each watched path now, taken only while the first is still where the
 * transcript should be.
 */
function stillCurrent(summary: Summary, owner: TranscriptOwner, watched: readonly string[]): boolean {
  if (summary.transcript === undefined && summary.updatedAt !== owner.updatedAt) return false;
  return watched.join(" ") === summary.stamp;
}

/**
 * Brings one file's cursor up to date. Starts over when the file was replaced (other dev/inode) or
 * shrank; reads nothing when its size is unchanged. Returns whether the cursor moved.
 *
 * The stat that says the file changed may be from the stamp check, before a rewrite or a rename put
 * other bytes at the path: what is read, and the identity and size the cursor and stamp record, come
 * from one open file and its fstat. A cursor that kept the older size claimed bytes it never read, and
 * a file that grew back to that size matched the stored stamp without them (test: "rewritten shorter").
 *
 * A file rewritten in place while it is read (truncated, then written again) gives old bytes up to some
 * point and new ones after, and the tail taken after the read matches the new file: the next call went
 * on from there and the old rows stayed counted for good (test: "rewritten in place while it is read").
 * So the bytes the read started from (the old tail, or the file's first bytes for a read from 0)
 * are hashed again after the read and the new tail: changed, or the file now shorter than the size
 * read to (which the cursor would record), the file is read again from 0.
 */
function advance(
  cache: SessionCache,
  file: string,
  stats: StatMemo,
  onRow: (tally: Tally, row: Parameters<typeof addRow>[1]) => void,
  onReset: () => void = () => {},
): boolean {
  const io = fs as typeof import("node:fs");
  const seen = stats.of(file);
  let cursor: Cursor | undefined = cache.files[file];
  if (cursor && seen?.isFile && cursorMatches(cursor, seen)) return false;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const opened = seen?.isFile ? openFile(io, file) : undefined;
    if (!opened) break;
    const { fd, stat } = opened;
    try {
      if (cursor && cursorMatches(cursor, stat)) return false;
      let anchor: string | undefined;
      if (cursor && cursor.dev === stat.dev && cursor.ino === stat.ino && stat.size >= cursor.offset) {
        anchor = anchorOf(io, fd, cursor.offset, stat.size);
        if (cursor.tail !== undefined && anchor !== cursor.tail) anchor = undefined;
      }
      if (!cursor || anchor === undefined) {
        cursor = { dev: stat.dev, ino: stat.ino, size: 0, offset: 0, tally: emptyTally() };
        onReset();
        anchor = anchorOf(io, fd, 0, stat.size);
      }
      const from = cursor.offset;
      const tally = cursor.tally;
      const offset = scanTranscript(io, fd, from, stat.size, (row) => onRow(tally, row));
      const tail = tailHash(io, fd, offset);
      if (io.fstatSync(fd).size >= stat.size && anchorOf(io, fd, from, stat.size) === anchor) {
        cache.files[file] = { ...cursor, size: stat.size, offset, tail };
        return true;
      }
    } finally {
      io.closeSync(fd);
    }
    cursor = undefined;
  }
  // Gone, not a regular file, or rewritten on every try: nothing of it counts in this call. With no
  // cursor its stamp is the stat from before, which a file rewritten since no longer matches.
  onReset();
  if (!(file in cache.files)) return false;
  delete cache.files[file];
  return true;
}

/** What a read from `from` starts after: the tail before it, or for a read from 0 the file's first bytes. */
const anchorOf = (io: typeof import("node:fs"), fd: number, from: number, size: number): string => tailHash(io, fd, from > 0 ? from : Math.min(TAIL_BYTES, size));

/**
 * The regular file at `path`, open for reading, with its fstat; undefined when it is gone or not one.
 * O_NONBLOCK: a FIFO put at the path since it was statted would otherwise block the open for good.
 */
function openFile(io: typeof import("node:fs"), path: string): { fd: number; stat: { dev: number; ino: number; size: number } } | undefined {
  let fd: number;
  try {
    fd = io.openSync(path, io.constants.O_RDONLY | io.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const stat = io.fstatSync(fd);
  if (stat.isFile()) return { fd, stat };
  io.closeSync(fd);
  return undefined;
}

const cursorMatches = (cursor: Cursor, stat: { readonly dev: number; readonly ino: number; readonly size: number }): boolean =>
  cursor.dev === stat.dev && cursor.ino === stat.ino && cursor.size === stat.size;

function locateTranscript(owner: TranscriptOwner, primary: string, cache: SessionCache, stats: StatMemo): { path?: string; dirty: boolean } {
  const projects = `${owner.configDir}/projects`;
  const previous = cache.transcript;
  const found = (path: string | undefined) => {
    cache.transcript = path;
    return { path, dirty: path !== previous };
  };
  const candidates = [...(primary !== "" ? [primary] : []), ...(previous !== undefined ? [previous] : [])];
  for (const candidate of candidates) {
    if (stats.of(candidate)?.isFile) return found(candidate);
  }
  // A resumed session can keep writing into the project dir it started in (format doc §2.1). This
  // search reads every project dir; a session with no transcript yet (no prompt so far) does not come
  // back here until its probe changes (the summary keeps its updatedAt), and the first prompt, which
  // creates the file, always changes it.
  try {
    for (const match of new Bun.Glob(`*/${owner.sessionId}.jsonl`).scanSync({ cwd: projects, onlyFiles: true })) return found(`${projects}/${match}`);
  } catch {
    // no projects dir yet
  }
  return found(undefined);
}

/**
 * Sub-agent transcripts, found again only when a directory below `<id>/subagents` changed its mtime
 * (a new file or folder); appends to known files are caught by their own size.
 */
function subagentFiles(transcript: string, sessionId: string, cache: SessionCache, memo: StatMemo): { files: string[]; root: string; dirty: boolean } {
  const root = subagentRoot(transcript, sessionId);
  const known = Object.entries(cache.dirs);
  const stats = known.map(([dir]) => memo.of(dir));
  const unchanged = known[0]?.[0] === root && known.every(([, mtime], i) => stats[i]?.isDirectory && stats[i]?.mtimeMs === mtime);
  if (unchanged) return { files: Object.keys(cache.files).filter((f) => f.startsWith(`${root}/`)).sort(), root, dirty: false };
  const { files, dirs } = walkSubagents(root, memo);
  const dirty = JSON.stringify(dirs) !== JSON.stringify(cache.dirs);
  cache.dirs = dirs;
  return { files, root, dirty };
}

const subagentRoot = (transcript: string, sessionId: string): string => `${transcript.slice(0, transcript.lastIndexOf("/"))}/${sessionId}/subagents`;

/** The sub-agent transcripts below `root`, sorted, and the folders they are in with their mtimes (before listing them). */
function walkSubagents(root: string, memo: StatMemo): { files: string[]; dirs: Record<string, number> } {
  const rootStat = memo.of(root);
  const dirs: Record<string, number> = {};
  const files: string[] = [];
  if (rootStat?.isDirectory) {
    dirs[root] = rootStat.mtimeMs;
    for (const entry of walk(fs as typeof import("node:fs"), root)) {
      const full = `${root}/${entry.path}`;
      if (entry.path.endsWith(".jsonl")) files.push(full);
      else if (!entry.path.endsWith(".json") && !entry.isFile) {
        // A symlink to a folder is watched like one (stat follows it) but, as below, not walked into.
        const s = memo.of(full);
        if (s?.isDirectory) dirs[full] = s.mtimeMs;
      }
    }
  }
  return { files: files.sort(), dirs };
}

/**
 * Every entry below `root`, as relative paths: not hidden ones, and not into symlinked folders (a link
 * to `/` must not list the disk). The order Bun.Glob("**") gave, which this replaces: a folder's entries,
 * then the folders found in it, last found first. Its first scan cost ~1.7 ms in a compiled binary, the
 * call after an append to the medium bench home ~1.6 ms in all for the sub-agent folders of 8 sessions.
 */
function* walk(fs: typeof import("node:fs"), root: string): Generator<{ path: string; isFile: boolean }> {
  const pending = [""];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries: import("node:fs").Dirent[];
    try {
      entries = fs.readdirSync(dir === "" ? root : `${root}/${dir}`, { withFileTypes: true });
    } catch {
      continue;
    }
    const found: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) found.push(path);
      yield { path, isFile: entry.isFile() };
    }
    pending.push(...found);
  }
}
