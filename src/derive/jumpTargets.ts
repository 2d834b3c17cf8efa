import type { Session } from "./sessions.ts";
import { tmuxLocation } from "./tmuxLocation.ts";

/** A pane of the tmux server we talk to. */
export interface Pane {
  readonly id: string;
  readonly pid: number;
  readonly session: string;
  readonly window: string;
}

export type Reach = { readonly pane: Pane } | { readonly why: "not in tmux" | "other tmux server" };

export interface JumpTarget {
  readonly session: Session;
  readonly reach: Reach;
}

/**
 * Which sessions can be jumped to. The probe's tmux field names a pane id, but pane ids are per tmux
 * server: the pane only counts when it exists on this server and its process is the session's process
 * or one of its ancestors (the shell Claude Code was started from).
 */
export function jumpTargets(sessions: readonly Session[], panes: ReadonlyMap<string, Pane>, ancestry: ReadonlyMap<number, readonly number[]>): JumpTarget[] {
  return sessions.map((session) => {
    const location = tmuxLocation(session.tmux);
    if (!location) return { session, reach: { why: "not in tmux" } };
    const pane = panes.get(location.pane);
    const chain = ancestry.get(session.pid) ?? [];
    return pane && chain.includes(pane.pid) ? { session, reach: { pane } } : { session, reach: { why: "other tmux server" } };
  });
}

/**
 * Where `jump` goes: the first reachable session in display order (asking, longest waiting first, then
 * busy, idle). When the client already shows that pane, the next one, so pressing the key again cycles.
 */
export function jumpChoice(targets: readonly JumpTarget[], currentPane?: string): Pane | undefined {
  const panes = targets.flatMap((t) => ("pane" in t.reach ? [t.reach.pane] : []));
  const first = panes[0];
  if (first && first.id === currentPane && panes.length > 1) return panes[1];
  return first;
}
