import type { Snapshot } from "../snapshot.ts";
import { GLYPHS } from "./glyphs.ts";
import { sessionLabel } from "./label.ts";
import { type Segment, type Target, encodeSegments } from "./segments.ts";

export type PromptShell = Extract<Target, "zsh" | "bash" | "fish" | "plain">;

/** A few characters for a shell prompt: `⚠ api-server ●2 ○1`. The asking one is named when it is alone. */
export function promptSegments(snapshot: Snapshot): Segment[] {
  const { counts, sessions } = snapshot;
  const segments: Segment[] = [];
  if (counts.asking === 1) {
    const asking = sessions.find((s) => s.state === "asking");
    if (asking) segments.push({ text: `${GLYPHS.asking} ${sessionLabel(asking, 20)}`, style: "asking" });
  } else if (counts.asking > 1) {
    segments.push({ text: `${GLYPHS.asking}${counts.asking}`, style: "asking" });
  }
  for (const state of ["busy", "starting", "unknown", "idle"] as const) {
    if (counts[state] > 0) segments.push({ text: `${GLYPHS[state]}${counts[state]}`, style: state });
  }
  return segments;
}

export function renderPrompt(snapshot: Snapshot, shell: PromptShell): string {
  return encodeSegments(promptSegments(snapshot), shell, " ");
}
