import type { Session } from "../derive/sessions.ts";
import { basename, cleanText } from "./text.ts";

/** What a person calls a session: its name, else its folder, else its short id. */
export function sessionLabel(session: Pick<Session, "name" | "cwd" | "sessionId" | "pid">, max = 32): string {
  const raw = session.name || (session.cwd ? basename(session.cwd) : "") || shortId(session);
  return cleanText(raw, max);
}

export function shortId(session: Pick<Session, "sessionId" | "pid">): string {
  return session.sessionId ? cleanText(session.sessionId.slice(0, 8), 8) : `pid ${session.pid}`;
}

/** "permission prompt", or "waiting" when Claude Code gave no reason. */
export function waitingLabel(session: Pick<Session, "waitingFor">, max = 40): string {
  return cleanText(session.waitingFor ?? "", max) || "waiting";
}
