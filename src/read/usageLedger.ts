import * as v from "valibot";
import { lazySchema } from "../schemas.ts";
import { FOLDER_VERSIONS } from "../cacheFolders.ts";
import { removeAbandonedTemps, writeFileAtomic } from "../atomicWrite.ts";
import { framed, frameHashEntries, loadFramed } from "./framedFile.ts";
import type { Session } from "../derive/sessions.ts";
import { type LimitHit, LimitHitSchema, ReplySchema } from "../derive/tokens.ts";
import type { LedgerFacts } from "../derive/usageReport.ts";
import { type Bucket, BucketSchema, mergeBuckets } from "../derive/usageBuckets.ts";
import { StatMemo, readSessionTokens, stampOf } from "./sessionTokens.ts";

/**
 * The usage ledger: quarter-hour usage of every session with replies in the last HORIZON, ended ones
 * included, for the 5-hour window, today and the billing month. One file per config dir.
 *
 * A session's own numbers come from its offset cache (read/sessionTokens.ts), as for the live ones;
 * the ledger keeps a copy of each ended session's buckets and the stamp of its files, so a call reads
 * one file and stats nothing. Ended sessions do not write, so they are only re-stamped once a
 * FULL_CHECK_MS (which also finds transcripts written without a probe, such as `claude -p` runs).
 */
const LEDGER_VERSION = FOLDER_VERSIONS.usage;
// Long enough for any billing month plus the window reaching back into the previous one.
const HORIZON_MS = 35 * 86_400_000;
export const FULL_CHECK_MS = 60_000;

const GroupSchema = lazySchema(() =>
  v.object({
    transcript: v.string(),
    // Live at the last call: its numbers came from the snapshot and are refreshed here once it ends.
    live: v.boolean(),
    watch: v.array(v.string()),
    stamp: v.string(),
    buckets: v.array(BucketSchema),
    limit: v.optional(LimitHitSchema),
    // Seen live, then gone (ms): its prompt cache reads "ended" for an hour after (derive/cacheWarmth.ts).
    endedAt: v.optional(v.number()),
    lastReply: v.optional(ReplySchema),
  }),
);
type Group = v.InferOutput<typeof GroupSchema>;

/** The ledger file's second line; tests hold every written one to it. */
export const LedgerSchema = lazySchema(() =>
  v.object({
    version: v.literal(LEDGER_VERSION),
    configDir: v.string(),
    checkedAt: v.number(),
    // The projects dir and each project dir, by mtime: a new transcript changes its dir's.
    dirs: v.record(v.string(), v.number()),
    groups: v.record(v.string(), GroupSchema),
  }),
);
type Ledger = v.InferOutput<typeof LedgerSchema>;

type EndedSession = LedgerFacts["ended"][number];

// The longest prompt-cache TTL: after that an ended session has nothing left to show.
const ENDED_MS = 3600_000;

const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}\.jsonl$/;

export function ledgerPath(cacheDir: string, configDir: string): string {
  return `${cacheDir}/usage-v${LEDGER_VERSION}/${Bun.hash.wyhash(configDir).toString(16).padStart(16, "0")}.json`;
}

/**
 * Every session's buckets in `configDirs`: the live ones from the snapshot (already read), the rest
 * from the ledger, brought up to date first.
 */
export async function readUsage(configDirs: readonly string[], sessions: readonly Session[], cacheDir: string, now: number): Promise<LedgerFacts> {
  const lists: (readonly Bucket[])[] = [];
  const hits: LimitHit[] = [];
  const ended: EndedSession[] = [];
  for (const s of sessions) {
    if (s.buckets) lists.push(s.buckets());
    if (s.limit) hits.push(s.limit);
  }
  for (const configDir of configDirs) {
    const live = Object.fromEntries(sessions.filter((s) => s.configDir === configDir && s.sessionId !== undefined && s.transcript !== undefined).map((s) => [s.sessionId as string, s.transcript as string]));
    const facts = await updateLedger(configDir, live, cacheDir, now);
    lists.push(facts.buckets);
    hits.push(...facts.hits);
    ended.push(...facts.ended.filter((e) => now - e.endedAt < ENDED_MS));
  }
  return { buckets: mergeBuckets(lists), hits, ended: ended.sort((a, b) => b.endedAt - a.endedAt) };
}

/**
 * The ended sessions' facts, merged. The warm case (same live sessions as last time, checked less than
 * a minute ago) reads only the file's first two lines: the groups below them, with every watched path
 * and stamp, are parsed only to change something.
 */
async function updateLedger(configDir: string, live: Readonly<Record<string, string>>, cacheDir: string, now: number): Promise<LedgerFacts> {
  const path = ledgerPath(cacheDir, configDir);
  const stored = await loadLedger(path, configDir);
  const fresh = stored.head && now >= stored.head.checkedAt && now - stored.head.checkedAt < FULL_CHECK_MS && sameLive(stored.head.live, live);
  const summary = fresh ? stored.summary() : undefined;
  if (summary) return summary;

  const ledger: Ledger = stored.ledger() ?? { version: LEDGER_VERSION, configDir, checkedAt: 0, dirs: {}, groups: {} };
  const refresh = async (id: string, transcript: string, endedAt = ledger.groups[id]?.endedAt) => {
    const read = await readSessionTokens({ configDir, sessionId: id, transcript }, cacheDir);
    const { watched, buckets, limit, lastReply } = read;
    ledger.groups[id] = { transcript, live: false, watch: [...(watched?.watch ?? [])], stamp: watched?.stamp ?? "", buckets: [...buckets()], limit, endedAt, lastReply };
  };
  for (const [id, group] of Object.entries(ledger.groups)) {
    if (group.live && live[id] === undefined) await refresh(id, group.transcript, now);
  }
  for (const [id, transcript] of Object.entries(live)) {
    const group = ledger.groups[id];
    if (group?.live && group.transcript === transcript) continue;
    ledger.groups[id] = { transcript, live: true, watch: [], stamp: "", buckets: [] };
  }
  if (now - ledger.checkedAt >= FULL_CHECK_MS || now < ledger.checkedAt) {
    await fullCheck(ledger, live, now, refresh, path.slice(0, path.lastIndexOf("/")));
    ledger.checkedAt = now;
  }
  // Here because the live sessions changed, a minute passed, or the file was unusable: all need a write.
  const facts = endedFacts(ledger);
  await saveLedger(path, ledger, live, facts);
  return facts;
}

const sameLive = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

/** What the groups not live add up to: one merged bucket list, their limit rows, and who ended when. */
function endedFacts(ledger: Ledger): LedgerFacts {
  const groups = Object.entries(ledger.groups).filter(([, g]) => !g.live);
  return {
    buckets: mergeBuckets(groups.map(([, g]) => g.buckets)),
    hits: groups.flatMap(([, g]) => (g.limit ? [g.limit] : [])),
    ended: groups.flatMap(([id, g]) => (g.endedAt !== undefined ? [{ sessionId: id, transcript: g.transcript, endedAt: g.endedAt, lastReply: g.lastReply }] : [])),
  };
}

/**
 * Finds transcripts in project dirs whose mtime moved, re-stamps the ended sessions and refreshes those
 * whose files changed, and forgets sessions with nothing inside the horizon.
 */
async function fullCheck(ledger: Ledger, live: Readonly<Record<string, string>>, now: number, refresh: (id: string, transcript: string) => Promise<void>, dir: string): Promise<void> {
  const fs = await import("node:fs");
  // Once a minute is rare enough to sweep the temp files of writers killed before their rename.
  await removeAbandonedTemps(dir, now);
  const projects = `${ledger.configDir}/projects`;
  // Symlink loops, unreadable dirs and the like read as absent (statSync throws for all but ENOENT).
  const stat = (p: string) => {
    try {
      return fs.statSync(p, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  };
  const mtime = (p: string): number | undefined => {
    const s = stat(p);
    return s?.isDirectory() ? s.mtimeMs : undefined;
  };
  const dirs: Record<string, number> = {};
  const projectsMtime = mtime(projects);
  if (projectsMtime !== undefined) {
    dirs[projects] = projectsMtime;
    let names: string[] = [];
    try {
      names = fs.readdirSync(projects);
    } catch {
      // unreadable: nothing to find
    }
    for (const name of names) {
      const dir = `${projects}/${name}`;
      const m = mtime(dir);
      if (m === undefined) continue;
      dirs[dir] = m;
      if (ledger.dirs[dir] === m) continue;
      for (const file of listTranscripts(fs, dir)) {
        const id = file.slice(0, -".jsonl".length);
        if (ledger.groups[id] !== undefined || live[id] !== undefined) continue;
        const full = `${dir}/${file}`;
        const found = stat(full);
        if (found?.isFile() && found.mtimeMs >= now - HORIZON_MS) await refresh(id, full);
      }
    }
  }
  ledger.dirs = dirs;
  for (const [id, group] of Object.entries(ledger.groups)) {
    if (group.live) continue;
    if (stampOf(group.watch, new StatMemo(fs)) !== group.stamp) await refresh(id, group.transcript);
    const kept = ledger.groups[id];
    const latest = kept?.buckets.at(-1);
    const recent = (latest !== undefined && latest[2] >= now - HORIZON_MS) || (kept?.limit !== undefined && kept.limit.resetsAt > now);
    if (!recent) delete ledger.groups[id];
  }
}

function listTranscripts(fs: typeof import("node:fs"), dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => SAFE_NAME.test(name));
  } catch {
    return [];
  }
}

/**
 * A framed file (read/framedFile.ts). Line 1: version, config dir, when it was checked, the live
 * sessions then, and hashes of lines 2 and 3; line 2: the ended sessions' facts (what a warm call
 * needs); line 3: the ledger itself. A mismatch, a torn or foreign file reads as no ledger and is rebuilt.
 */
async function loadLedger(path: string, configDir: string): Promise<{ head?: LedgerHead; summary(): LedgerFacts | undefined; ledger(): Ledger | undefined }> {
  const file = await loadFramed(path, LedgerHeadSchema, (head) => head.configDir === configDir);
  return { head: file.head, summary: () => file.summary<LedgerFacts>(), ledger: () => file.body<Ledger>() };
}

const LedgerHeadSchema = lazySchema(() =>
  v.object({
    version: v.literal(LEDGER_VERSION),
    configDir: v.string(),
    checkedAt: v.number(),
    live: v.record(v.string(), v.string()),
    ...frameHashEntries(),
  }),
);
type LedgerHead = v.InferOutput<typeof LedgerHeadSchema>;

async function saveLedger(path: string, ledger: Ledger, live: Readonly<Record<string, string>>, facts: LedgerFacts): Promise<void> {
  const head = { version: LEDGER_VERSION, configDir: ledger.configDir, checkedAt: ledger.checkedAt, live };
  // Like the session caches: a ledger that cannot be written costs the next call a rebuild, not its answer.
  await writeFileAtomic(path, framed(head, facts, ledger)).catch(() => {});
}
