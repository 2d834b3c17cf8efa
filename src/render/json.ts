import type { RateLimits } from "../derive/rateLimits.ts";
import type { Session } from "../derive/sessions.ts";
import type { Snapshot } from "../snapshot.ts";
import { cleanText } from "./text.ts";

const JSON_VERSION = 1;

// Strings from disk are made inert here too: `jq -r` prints them raw to a terminal.
const clean = (s: string | undefined): string | null => (s === undefined ? null : cleanText(s, 4096));
const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

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
    cache: s.cache ? { state: s.cache.state, ttlSeconds: s.cache.ttlSeconds, expiresAt: iso(s.cache.expiresAt) } : null,
    transcript: clean(s.transcript),
    tmux: clean(s.tmux),
    version: clean(s.version),
    kind: clean(s.kind),
    entrypoint: clean(s.entrypoint),
    startedAt: iso(s.startedAt),
    configDir: clean(s.configDir),
  };
}

const FIVE_HOURS_MS = 5 * 3600_000;

/**
 * The 5-hour window and 7-day usage as Claude Code last reported them to `ccpulse statusline`. Window
 * tokens, cost and burn rate need the window inferred from all transcripts, which ccpulse does not do
 * yet: they are null.
 */
function limitsJson(limits: RateLimits, now: number) {
  const { fiveHour, sevenDay } = limits;
  return {
    window: fiveHour
      ? {
          start: iso(fiveHour.resetsAt - FIVE_HOURS_MS),
          end: iso(fiveHour.resetsAt),
          minutesLeft: Math.max(0, Math.floor((fiveHour.resetsAt - now) / 60_000)),
          tokens: null,
          costUSD: null,
          burnTokensPerMinute: null,
          projectedCostUSD: null,
          usedPercent: fiveHour.usedPercent,
          source: "statusline",
          reportedAt: iso(fiveHour.recordedAt),
        }
      : null,
    sevenDay: sevenDay ? { usedPercent: sevenDay.usedPercent, resetsAt: iso(sevenDay.resetsAt), reportedAt: iso(sevenDay.recordedAt) } : null,
  };
}

export function snapshotJson(snapshot: Snapshot, limits: RateLimits = {}) {
  return {
    version: JSON_VERSION,
    generatedAt: new Date(snapshot.generatedAt).toISOString(),
    counts: { ...snapshot.counts },
    totals: { tokens: { ...snapshot.totals }, costUSD: snapshot.totalCostUSD, costEstimated: snapshot.sessions.some((s) => s.costEstimated) },
    ...limitsJson(limits, snapshot.generatedAt),
    sessions: snapshot.sessions.map((s) => sessionJson(s, snapshot.generatedAt)),
  };
}

export function renderJson(snapshot: Snapshot, pretty: boolean, limits: RateLimits = {}): string {
  return JSON.stringify(snapshotJson(snapshot, limits), null, pretty ? 2 : undefined);
}
