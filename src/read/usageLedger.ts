import * as v from "valibot";
import { writeFileAtomic } from "../atomicWrite.ts";
import type { Session } from "../derive/sessions.ts";
import { type LimitHit, LimitHitSchema } from "../derive/tokens.ts";
import type { LedgerFacts } from "../derive/usageReport.ts";
import { type Bucket, BucketSchema, mergeBuckets } from "../derive/usageBuckets.ts";
import { readSessionTokens, stampOf } from "./sessionTokens.ts";

/**
 * The usage ledger: quarter-hour usage of every session with replies in the last HORIZON, ended ones
 * included, for the 5-hour window, today and the billing month. One file per config dir.
 *
 * A session's own numbers come from its offset cache (read/sessionTokens.ts), as for the live ones;
 * the ledger keeps a copy of each ended session's buckets and the stamp of its files, so a call reads
 * one file and stats nothing. Ended sessions do not write, so they are only re-stamped once a
 * FULL_CHECK_MS (which also finds transcripts written without a probe, such as `claude -p` runs).
 */
const LEDGER_VERSION = 1;
// Long enough for any billing month plus the window reaching back into the previous one.
export const HORIZON_MS = 35 * 86_400_000;
export const FULL_CHECK_MS = 60_000;

const GroupSchema = v.object({
  transcript: v.string(),
  // Live at the last call: its numbers came from the snapshot and are refreshed here once it ends.
  live: v.boolean(),
  watch: v.array(v.string()),
  stamp: v.string(),
  buckets: v.array(BucketSchema),
  limit: v.optional(LimitHitSchema),
  // Seen live, then gone (ms): its prompt cache reads "ended" for an hour after (derive/cacheWarmth.ts).
  endedAt: v.optional(v.number()),
  lastReply: v.optional(v.object({ at: v.string(), ttl: v.picklist(["5m", "1h"]) })),
});
type Group = v.InferOutput<typeof GroupSchema>;

/** The ledger file's second line; tests hold every written one to it. */
export const LedgerSchema = v.object({
  version: v.literal(LEDGER_VERSION),
  configDir: v.string(),
  checkedAt: v.number(),
  // The projects dir and each project dir, by mtime: a new transcript changes its dir's.
  dirs: v.record(v.string(), v.number()),
  groups: v.record(v.string(), GroupSchema),
});
type Ledger = v.InferOutput<typeof LedgerSchema>;

type EndedSession = LedgerFacts["ended"][number];

// The longest prompt-cache TTL: after that an ended session has nothing left to show.
export const ENDED_MS = 3600_000;

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
    if (s.buckets) lists.push(s.buckets);
    if (s.limit) hits.push(s.limit);
  }
  for (const configDir of configDirs) {
    const live = new Map(sessions.filter((s) => s.configDir === configDir && s.sessionId !== undefined && s.transcript !== undefined).map((s) => [s.sessionId as string, s.transcript as string]));
    const ledger = await updateLedger(configDir, live, cacheDir, now);
    for (const [id, group] of Object.entries(ledger.groups)) {
      if (live.has(id)) continue;
      lists.push(group.buckets);
      if (group.limit) hits.push(group.limit);
      if (group.endedAt !== undefined && now - group.endedAt < ENDED_MS) ended.push({ sessionId: id, transcript: group.transcript, endedAt: group.endedAt, lastReply: group.lastReply });
    }
  }
  return { buckets: mergeBuckets(lists), hits, ended: ended.sort((a, b) => b.endedAt - a.endedAt) };
}

async function updateLedger(configDir: string, live: ReadonlyMap<string, string>, cacheDir: string, now: number): Promise<Ledger> {
  const path = ledgerPath(cacheDir, configDir);
  const loaded = await loadLedger(path, configDir);
  const ledger: Ledger = loaded ?? { version: LEDGER_VERSION, configDir, checkedAt: 0, dirs: {}, groups: {} };
  let dirty = false;
  const refresh = async (id: string, transcript: string, endedAt = ledger.groups[id]?.endedAt) => {
    const read = await readSessionTokens({ configDir, sessionId: id, transcript }, cacheDir);
    const { watched, buckets, limit, lastReply } = read;
    ledger.groups[id] = { transcript, live: false, watch: [...(watched?.watch ?? [])], stamp: watched?.stamp ?? "", buckets: [...buckets], limit, endedAt, lastReply };
    dirty = true;
  };
  for (const [id, group] of Object.entries(ledger.groups)) {
    if (group.live && !live.has(id)) await refresh(id, group.transcript, now);
  }
  for (const [id, transcript] of live) {
    const group = ledger.groups[id];
    if (group?.live && group.transcript === transcript) continue;
    ledger.groups[id] = { transcript, live: true, watch: [], stamp: "", buckets: [] };
    dirty = true;
  }
  if (now - ledger.checkedAt >= FULL_CHECK_MS || now < ledger.checkedAt) {
    await fullCheck(ledger, live, now, refresh);
    ledger.checkedAt = now;
    dirty = true;
  }
  if (dirty) await saveLedger(path, ledger);
  return ledger;
}

/**
 * Finds transcripts in project dirs whose mtime moved, re-stamps the ended sessions and refreshes those
 * whose files changed, and forgets sessions with nothing inside the horizon.
 */
async function fullCheck(ledger: Ledger, live: ReadonlyMap<string, string>, now: number, refresh: (id: string, transcript: string) => Promise<void>): Promise<void> {
  const fs = await import("node:fs");
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
        if (ledger.groups[id] !== undefined || live.has(id)) continue;
        const full = `${dir}/${file}`;
        const found = stat(full);
        if (found?.isFile() && found.mtimeMs >= now - HORIZON_MS) await refresh(id, full);
      }
    }
  }
  ledger.dirs = dirs;
  for (const [id, group] of Object.entries(ledger.groups)) {
    if (group.live) continue;
    if ((await stampOf(group.watch)) !== group.stamp) await refresh(id, group.transcript);
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
 * Line 1: version, config dir and a hash of line 2; line 2: the ledger. The body is ours and written
 * atomically, so a matching hash stands in for validating it field by field (too slow for a month of
 * buckets); a mismatch, a torn or foreign file reads as no ledger and is rebuilt.
 */
async function loadLedger(path: string, configDir: string): Promise<Ledger | undefined> {
  try {
    const text = await Bun.file(path).text();
    const newline = text.indexOf("\n");
    const head = v.safeParse(LedgerHeadSchema, JSON.parse(text.slice(0, newline)));
    const body = text.slice(newline + 1);
    if (!head.success || head.output.configDir !== configDir || head.output.bodyHash !== hashOf(body)) return undefined;
    return JSON.parse(body) as Ledger;
  } catch {
    return undefined;
  }
}

const LedgerHeadSchema = v.object({ version: v.literal(LEDGER_VERSION), configDir: v.string(), bodyHash: v.string() });
const hashOf = (body: string) => Bun.hash.wyhash(body).toString(36);

async function saveLedger(path: string, ledger: Ledger): Promise<void> {
  const body = `${JSON.stringify(ledger)}\n`;
  // Like the session caches: a ledger that cannot be written costs the next call a rebuild, not its answer.
  await writeFileAtomic(path, `${JSON.stringify({ version: LEDGER_VERSION, configDir: ledger.configDir, bodyHash: hashOf(body) })}\n${body}`).catch(() => {});
}
