import { configDirInputs, configDirs } from "./discover/configDirs.ts";
import { type ProbeFile, probeFiles } from "./discover/probeFiles.ts";
import { type Session, type StateCounts, countStates, sortSessions, totalCost, totalTokens, uniqueSessions } from "./derive/sessions.ts";
import { cacheWarmth, preferReported } from "./derive/cacheWarmth.ts";
import type { StatuslineRecord } from "./read/statusline.ts";
import { sessionState } from "./derive/state.ts";
import type { Tokens } from "./derive/tokens.ts";
import { type Env, cacheDir } from "./env.ts";
import { judgeLiveness, ownPidDomain, processInfo } from "./read/liveness.ts";
import { type Probe, readProbe } from "./read/probe.ts";
import { StatMemo, noTokens, startTokenRead } from "./read/sessionTokens.ts";
import type { RateLimits } from "./derive/rateLimits.ts";
import { type UsageReport, usageReport } from "./derive/usageReport.ts";
import type { UsageChoices } from "./read/config.ts";
import { readUsage } from "./read/usageLedger.ts";
import { loadZone } from "./read/zone.ts";
import type { Inputs } from "./replay/record.ts";

export interface Snapshot {
  readonly generatedAt: number;
  readonly sessions: readonly Session[];
  readonly counts: StateCounts;
  readonly totals: Tokens;
  readonly totalCostUSD: number;
}

export interface SnapshotOptions {
  /** Read transcripts for token totals; compact and prompt without token fields skip it. */
  readonly tokens: boolean;
  /**
   * A usage report (window, today, month) follows, which reads the sessions' usage by quarter hour
   * (Session.buckets); without one (compact and prompt without a usage field) a session in which only
   * the transcript grew is caught up from that file's cursor alone. Default true.
   */
  readonly usage?: boolean;
  readonly now?: number;
  /** Gathers every path the snapshot is derived from, for a replayable answer (replay/record.ts). */
  readonly inputs?: Inputs;
}

type Found = { readonly file: ProbeFile; readonly probe: Probe; readonly liveness: "live" | "foreign" };

/** The pipeline: discover probe files → read and check them → derive states → read tokens of the survivors. */
export async function takeSnapshot(env: Env, options: SnapshotOptions): Promise<Snapshot> {
  const generatedAt = options.now ?? Date.now();
  const { inputs } = options;
  // Every await is a round trip through Bun's I/O threads: start the independent ones together.
  const domainRead = ownPidDomain();
  const dirs = await configDirs(env);
  // Not flat(): a process's first compiles that builtin (~0.3 ms).
  const files: ProbeFile[] = [];
  for (const listed of await Promise.all(dirs.map(probeFiles))) files.push(...listed);
  const domain = await domainRead;
  const found = (await Promise.all(files.map((file) => inspect(file, domain)))).filter((f) => f !== undefined);
  if (inputs) {
    // Own pid namespace (ownPidDomain; /proc/self/ns/pid looks new to every process, the namespace's
    // init does not), which config dirs exist, which probes they hold, each probe, and each pid's
    // process: /proc/<pid> is made anew for a new process, its exe is gone once it is a zombie.
    inputs.add("/proc/1", "/etc/machine-id", ...configDirInputs(env), ...dirs.map((d) => `${d}/sessions`));
    for (const file of files) inputs.add(file.path, `/proc/${file.pid}`, `/proc/${file.pid}/exe`);
    for (const { file, liveness } of found) if (liveness === "live") inputs.present.add(`/proc/${file.pid}/exe`);
  }

  const candidates = found.map(({ file, probe, liveness }) => ({
    ...sessionState(probe),
    pid: file.pid,
    sessionId: probe.sessionId,
    name: probe.name,
    cwd: probe.cwd,
    liveness,
    tmux: probe.tmux,
    version: probe.version,
    kind: probe.kind,
    entrypoint: probe.entrypoint,
    startedAt: probe.startedAt,
    updatedAt: probe.updatedAt,
    configDir: file.configDir,
  }));
  const cache = cacheDir(env);
  const unique = uniqueSessions(candidates);
  const stats = new StatMemo(await import("node:fs"));
  if (inputs) inputs.stats = stats;
  const sessions: Session[] = [];
  // One session at a time, its cache loaded and then brought up to date: a cold read holds a read
  // buffer, and reading side by side only multiplies peak memory (the parsing is single-threaded JS
  // either way); and the refresh then finds the cache it loaded still in the buffer it was read into
  // (read/framedFile.ts), where loaded side by side each one was read again.
  for (const s of unique) {
    const read = options.tokens && s.sessionId !== undefined ? await startTokenRead({ configDir: s.configDir, sessionId: s.sessionId, cwd: s.cwd, updatedAt: s.updatedAt }, cache, stats, options.usage ?? true) : undefined;
    const { lastReply, watched, stale, ...tokens } = read === undefined ? noTokens() : (read.current ?? (await read.refresh()));
    if (inputs) {
      inputs.add(...(watched?.watch ?? []));
      if (stale) inputs.settled = false;
    }
    sessions.push({ ...s, ...tokens, cache: cacheWarmth(lastReply, generatedAt) });
  }
  const sorted = sortSessions(sessions);
  return withSessions(generatedAt, sorted);
}

async function inspect(file: ProbeFile, domain: string): Promise<Found | undefined> {
  const info = await processInfo(file.pid);
  const read = await readProbe(file.path, () => info !== undefined);
  if (!read.ok) return undefined;
  const liveness = judgeLiveness(read.probe, domain, info);
  return liveness === "dead" ? undefined : { file, probe: read.probe, liveness };
}

/** The snapshot with each session's prompt-cache warmth as Claude Code last reported it, where fresh. */
export const withReportedWarmth = (snapshot: Snapshot, records: readonly StatuslineRecord[]): Snapshot =>
  records.length === 0 ? snapshot : { ...snapshot, sessions: preferReported(snapshot.sessions, records, snapshot.generatedAt) };

/** The snapshot without one session (Claude Code's own bar shows the others). */
export function othersThan(snapshot: Snapshot, sessionId: string | undefined): Snapshot {
  if (sessionId === undefined) return snapshot;
  return withSessions(snapshot.generatedAt, snapshot.sessions.filter((s) => s.sessionId !== sessionId));
}

const withSessions = (generatedAt: number, sessions: readonly Session[]): Snapshot => ({
  generatedAt,
  sessions,
  counts: countStates(sessions),
  totals: totalTokens(sessions),
  totalCostUSD: totalCost(sessions),
});

/**
 * The window, today and the billing month: every session's usage (the ledger of ended ones plus the
 * snapshot's live ones, so the snapshot must have read tokens) cut by the chosen calendar.
 */
export async function takeUsage(env: Env, snapshot: Snapshot, choices: UsageChoices, limits: RateLimits): Promise<{ report: UsageReport; problem?: string }> {
  const [dirs, loaded] = await Promise.all([configDirs(env), loadZone(choices.timeZone, env)]);
  const facts = await readUsage(dirs, snapshot.sessions, cacheDir(env), snapshot.generatedAt);
  const report = usageReport(facts, limits, { zone: loaded.zone, billingDay: choices.billingDay, monthlyWindows: choices.monthlyWindows }, snapshot.generatedAt);
  return { report, problem: loaded.problem };
}
