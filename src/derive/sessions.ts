import type { Liveness } from "../read/liveness.ts";
import type { Warmth } from "./cacheWarmth.ts";
import { type SessionState, type State, STATES } from "./state.ts";
import { type LimitHit, type Tokens, sumTokens } from "./tokens.ts";
import type { Bucket } from "./usageBuckets.ts";

/** One Claude Code session as every renderer sees it. */
export interface Session extends SessionState {
  readonly pid: number;
  readonly sessionId?: string;
  readonly name?: string;
  readonly cwd?: string;
  /** `live`, or `foreign`: written in another pid namespace (a container), so its pid cannot be checked. */
  readonly liveness: Exclude<Liveness, "dead">;
  readonly model?: string;
  readonly tokens: Tokens;
  /** What Claude Code charges for these tokens (derive/pricing.ts). */
  readonly costUSD: number;
  /** Part of the cost priced as the default model: an unknown model. */
  readonly costEstimated: boolean;
  /** Prompt-cache warmth, from the last reply; undefined before the first one (or when tokens were not read). */
  readonly cache?: Warmth;
  /** Usage by quarter hour (read/sessionTokens.ts) and the newest rate-limit row; absent when tokens were not read. */
  readonly buckets?: () => readonly Bucket[];
  readonly limit?: LimitHit;
  readonly transcript?: string;
  readonly tmux?: string;
  readonly version?: string;
  readonly kind?: string;
  readonly entrypoint?: string;
  readonly startedAt?: number;
  readonly updatedAt?: number;
  readonly configDir: string;
}

export type StateCounts = Record<State, number>;

/**
 * One session per sessionId. `claude --resume` of a kill -9ed session writes a second probe with the same
 * sessionId while the dead one stays on disk; dead probes are already gone here, and between a live and
 * a foreign one the live one wins, then the newer write.
 */
export function uniqueSessions<T extends Pick<Session, "sessionId" | "liveness" | "updatedAt" | "pid">>(sessions: readonly T[]): T[] {
  const best = new Map<string, T>();
  const rest: T[] = [];
  for (const s of sessions) {
    if (s.sessionId === undefined) {
      rest.push(s);
      continue;
    }
    const other = best.get(s.sessionId);
    if (other === undefined || preferred(s, other)) best.set(s.sessionId, s);
  }
  return [...best.values(), ...rest];
}

function preferred(a: Pick<Session, "liveness" | "updatedAt" | "pid">, b: Pick<Session, "liveness" | "updatedAt" | "pid">): boolean {
  if (a.liveness !== b.liveness) return a.liveness === "live";
  if ((a.updatedAt ?? 0) !== (b.updatedAt ?? 0)) return (a.updatedAt ?? 0) > (b.updatedAt ?? 0);
  return a.pid > b.pid;
}

const rank = (state: State): number => STATES.indexOf(state);

/** Asking first (longest waiting first), then busy, starting, unknown, idle; ties by pid so output is stable. */
export function sortSessions<T extends Pick<Session, "state" | "since" | "pid">>(sessions: readonly T[]): T[] {
  return [...sessions].sort(
    (a, b) => rank(a.state) - rank(b.state) || (a.since ?? Number.MAX_SAFE_INTEGER) - (b.since ?? Number.MAX_SAFE_INTEGER) || a.pid - b.pid,
  );
}

export function countStates(sessions: readonly Pick<Session, "state">[]): StateCounts {
  const counts: StateCounts = { asking: 0, busy: 0, starting: 0, unknown: 0, idle: 0 };
  for (const s of sessions) counts[s.state]++;
  return counts;
}

export const totalTokens = (sessions: readonly Pick<Session, "tokens">[]): Tokens => sumTokens(sessions.map((s) => s.tokens));

export const totalCost = (sessions: readonly Pick<Session, "costUSD">[]): number => sessions.reduce((sum, s) => sum + s.costUSD, 0);
