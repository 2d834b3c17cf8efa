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

export function snapshotJson(snapshot: Snapshot) {
  return {
    version: JSON_VERSION,
    generatedAt: new Date(snapshot.generatedAt).toISOString(),
    counts: { ...snapshot.counts },
    totals: { tokens: { ...snapshot.totals }, costUSD: snapshot.totalCostUSD, costEstimated: snapshot.sessions.some((s) => s.costEstimated) },
    sessions: snapshot.sessions.map((s) => sessionJson(s, snapshot.generatedAt)),
  };
}

export function renderJson(snapshot: Snapshot, pretty: boolean): string {
  return JSON.stringify(snapshotJson(snapshot), null, pretty ? 2 : undefined);
}
