import type { Probe } from "../read/probe.ts";

/** What ccpulse shows: `asking` is Claude Code's `waiting` (a prompt, question or dialog blocks it). */
export type State = "asking" | "busy" | "starting" | "unknown" | "idle";

/** Display order: what needs the user first. */
export const STATES: readonly State[] = ["asking", "busy", "starting", "unknown", "idle"];

export interface SessionState {
  readonly state: State;
  /** The probe's raw `status`, kept for unknown values. */
  readonly status?: string;
  /** Why it waits, verbatim (`permission prompt`, `input needed`, `dialog open`, older `approve Bash`, …). */
  readonly waitingFor?: string;
  /** A background shell task runs while the session is otherwise idle (`status: "shell"`). */
  readonly background: boolean;
  /** When the status was last written (ms since epoch). */
  readonly since?: number;
}

/**
 * Maps a probe's status (format doc §1.5). A probe is written without status for its first second
 * (§7), hence `starting`; a value this build does not know stays visible as `unknown`.
 */
export function sessionState(probe: Pick<Probe, "status" | "waitingFor" | "statusUpdatedAt" | "updatedAt" | "startedAt">): SessionState {
  const since = probe.statusUpdatedAt ?? probe.updatedAt ?? probe.startedAt;
  const base = { status: probe.status, since, background: false };
  switch (probe.status) {
    case undefined:
      return { ...base, state: "starting" };
    case "busy":
      return { ...base, state: "busy" };
    case "shell":
      return { ...base, state: "busy", background: true };
    case "idle":
      return { ...base, state: "idle" };
    case "waiting":
      return { ...base, state: "asking", waitingFor: probe.waitingFor };
    default:
      return { ...base, state: "unknown" };
  }
}
