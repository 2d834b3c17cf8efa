import type { Session } from "../../src/derive/sessions.ts";
import { countStates, sortSessions, totalCost, totalTokens } from "../../src/derive/sessions.ts";
import { zeroTokens } from "../../src/derive/tokens.ts";
import type { Snapshot } from "../../src/snapshot.ts";

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

export function session(fields: Partial<Session>): Session {
  return {
    pid: 100,
    sessionId: "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30",
    name: "api",
    cwd: "/home/u/api",
    state: "idle",
    status: "idle",
    background: false,
    since: NOW - 65_000,
    liveness: "live",
    tokens: zeroTokens(),
    costUSD: 0,
    costEstimated: false,
    configDir: "/home/u/.claude",
    ...fields,
  };
}

export function snapshotOf(sessions: Session[]): Snapshot {
  const sorted = sortSessions(sessions);
  return { generatedAt: NOW, sessions: sorted, counts: countStates(sorted), totals: totalTokens(sorted), totalCostUSD: totalCost(sorted) };
}

/** Names that try to run, expand or repaint something in each target. */
export const HOSTILE = [
  "#{session_name}",
  "#(touch /tmp/ccpulse-pwned)",
  "#[fg=red]",
  "%~",
  "%F{red}x%f",
  "$(id)",
  "`id`",
  "back\\slash",
  "\x1b[31mred",
  "\x1b]52;c;cm0gLXJmIH4=\x07",
  "${HOME}",
  "line\nbreak",
];
