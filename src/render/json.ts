import type { Warmth } from "../derive/cacheWarmth.ts";
import type { Usage, UsageReport } from "../derive/usageReport.ts";
import type { Session } from "../derive/sessions.ts";
import type { Snapshot } from "../snapshot.ts";
import { cleanText } from "./text.ts";

const JSON_VERSION = 1;

// Strings from disk are made inert here too: `jq -r` prints them raw to a terminal.
const clean = (s: string | undefined): string | null => (s === undefined ? null : cleanText(s, 4096));
// A probe can hold any number as a time (fuzzing wrote statusUpdatedAt 2^53 - 1); past the ±8.64e15 ms
// a Date can hold, toISOString throws, so such a time is null like a missing one.
const MAX_DATE_MS = 8.64e15;
const iso = (ms: number | undefined): string | null => (ms === undefined || !(Math.abs(ms) <= MAX_DATE_MS) ? null : new Date(ms).toISOString());

const warmthJson = (w: Warmth | undefined) => (w ? { state: w.state, ttlSeconds: w.ttlSeconds, expiresAt: iso(w.expiresAt) } : null);

function sessionJson(s: Session, now: number) {
  return {
    pid: s.pid,
    sessionId: clean(s.sessionId),
    name: clean(s.name),
    cwd: clean(s.cwd),
    state: s.state,
    status: clean(s.status),
    waitingFor: clean(s.waitingFor),
    since: iso(s.since),
    sinceSeconds: s.since === undefined ? null : Math.max(0, Math.floor((now - s.since) / 1000)),
    background: s.background,
    liveness: s.liveness,
    model: clean(s.model),
    tokens: { ...s.tokens },
    costUSD: s.costUSD,
    costEstimated: s.costEstimated,
    cache: warmthJson(s.cache),
    transcript: clean(s.transcript),
    tmux: clean(s.tmux),
    version: clean(s.version),
    kind: clean(s.kind),
    entrypoint: clean(s.entrypoint),
    startedAt: iso(s.startedAt),
    configDir: clean(s.configDir),
  };
}

const usageJson = (u: Usage) => ({ tokens: { ...u.tokens }, costUSD: u.costUSD });
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The window, 7 days, today, the billing month and its days (README: JSON). */
function reportJson(report: UsageReport, now: number) {
  const { window: w, sevenDay, today, month, days } = report;
  return {
    window: w
      ? {
          start: iso(w.start),
          end: iso(w.end),
          minutesLeft: Math.max(0, Math.floor((w.end - now) / 60_000)),
          ...usageJson(w),
          burnTokensPerMinute: Math.round(w.burnTokensPerMinute),
          burnUSDPerHour: round(w.burnUSDPerHour, 6),
          projectedTokens: w.projectedTokens,
          projectedCostUSD: round(w.projectedCostUSD, 6),
          usedPercent: w.usedPercent ?? null,
          source: w.source,
          reportedAt: iso(w.reportedAt),
        }
      : null,
    sevenDay: sevenDay ? { usedPercent: sevenDay.usedPercent, resetsAt: iso(sevenDay.resetsAt), source: sevenDay.source, reportedAt: iso(sevenDay.reportedAt) } : null,
    today: { date: today.date, ...usageJson(today) },
    month: { start: month.start, end: month.end, windowsUsed: month.windowsUsed, windowsLeft: month.windowsLeft, windowsAllowed: month.windowsAllowed, ...usageJson(month) },
    days: days.map((d) => ({ date: d.date, ...usageJson(d) })),
    timeZone: clean(report.zone.name),
    ended: report.ended.map((s) => ({ sessionId: clean(s.sessionId), transcript: clean(s.transcript), endedAt: iso(s.endedAt), cache: warmthJson(s.cache) })),
  };
}

/** Without a report (library use without takeUsage) the usage keys are null. */
export function snapshotJson(snapshot: Snapshot, report?: UsageReport) {
  return {
    version: JSON_VERSION,
    generatedAt: new Date(snapshot.generatedAt).toISOString(),
    counts: { ...snapshot.counts },
    totals: { tokens: { ...snapshot.totals }, costUSD: snapshot.totalCostUSD, costEstimated: snapshot.sessions.some((s) => s.costEstimated) },
    ...(report ? reportJson(report, snapshot.generatedAt) : { window: null, sevenDay: null, today: null, month: null, days: null, timeZone: null, ended: null }),
    sessions: snapshot.sessions.map((s) => sessionJson(s, snapshot.generatedAt)),
  };
}

export function renderJson(snapshot: Snapshot, pretty: boolean, report?: UsageReport): string {
  return JSON.stringify(snapshotJson(snapshot, report), null, pretty ? 2 : undefined);
}
