import { type JumpTarget, type Pane, jumpTargets } from "./derive/jumpTargets.ts";
import type { Session } from "./derive/sessions.ts";
import type { Env } from "./env.ts";
import { processAncestry } from "./read/liveness.ts";
import { type Snapshot, takeSnapshot } from "./snapshot.ts";

/**
 * The tmux server this process was started from (run-shell and display-popup set $TMUX), driven through
 * the tmux client binary. Only jump and pick use it: they run on a key press, never on a status refresh.
 */
function tmux(args: string[]): { ok: boolean; stdout: string } {
  try {
    const r = Bun.spawnSync(["tmux", ...args], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    return { ok: r.exitCode === 0, stdout: r.stdout.toString() };
  } catch {
    return { ok: false, stdout: "" };
  }
}

export function listPanes(): Map<string, Pane> {
  const panes = new Map<string, Pane>();
  const r = tmux(["list-panes", "-a", "-F", "#{pane_id}\t#{pane_pid}\t#{session_name}\t#{window_id}"]);
  for (const line of r.stdout.split("\n")) {
    const [id, pid, session, window] = line.split("\t");
    if (id?.startsWith("%") && pid && session !== undefined && window) panes.set(id, { id, pid: Number(pid), session, window });
  }
  return panes;
}

/** Shows the pane in the client: its session, its window, the pane itself. */
export function switchTo(pane: Pane, client?: string): boolean {
  const who = client ? ["-c", client] : [];
  return tmux(["switch-client", ...who, "-t", pane.id, ";", "select-window", "-t", pane.id, ";", "select-pane", "-t", pane.id]).ok;
}

export function tellClient(message: string, client?: string): void {
  tmux(["display-message", ...(client ? ["-c", client] : []), message]);
}

/** Every live session with how to reach it from the tmux server this process was started from. */
export async function tmuxTargets(env: Env): Promise<{ snapshot: Snapshot; targets: JumpTarget[] }> {
  if (!env.TMUX) throw new Error("not inside tmux ($TMUX is not set)");
  const snapshot = await takeSnapshot(env, { tokens: false });
  return { snapshot, targets: await reachableTargets(snapshot.sessions) };
}

async function reachableTargets(sessions: readonly Session[]): Promise<JumpTarget[]> {
  const panes = listPanes();
  const chains = await Promise.all(sessions.map(async (s) => [s.pid, await processAncestry(s.pid)] as const));
  return jumpTargets(sessions, panes, new Map(chains));
}
