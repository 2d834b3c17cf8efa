import type { Snapshot } from "../snapshot.ts";
import { tokenCount } from "../derive/tokens.ts";
import { GLYPHS, TOKENS_GLYPH } from "./glyphs.ts";
import { humanAge, humanCount } from "./humanize.ts";
import { sessionLabel, waitingLabel } from "./label.ts";
import { type Segment, type Target, encodeSegments } from "./segments.ts";

export interface CompactOptions {
  readonly tokens: boolean;
}

/**
 * The status-bar line. Asking comes first and names the session that has waited longest, with what
 * for and for how long: that is the one to go to. Then counts of the other states; nothing at all
 * when no session runs, so an empty segment takes no room.
 */
export function compactSegments(snapshot: Snapshot, options: CompactOptions): Segment[] {
  const { counts, sessions, generatedAt } = snapshot;
  const segments: Segment[] = [];
  const asking = sessions.filter((s) => s.state === "asking");
  const first = asking[0];
  if (first) {
    const more = asking.length > 1 ? ` +${asking.length - 1}` : "";
    const age = first.since !== undefined ? ` ${humanAge(generatedAt - first.since)}` : "";
    segments.push({ text: `${GLYPHS.asking} ${sessionLabel(first, 24)}: ${waitingLabel(first, 24)}${age}${more}`, style: "asking" });
  }
  for (const state of ["busy", "starting", "unknown", "idle"] as const) {
    if (counts[state] > 0) segments.push({ text: `${GLYPHS[state]} ${counts[state]}`, style: state });
  }
  if (options.tokens && sessions.length > 0) {
    segments.push({ text: `${TOKENS_GLYPH} ${humanCount(tokenCount(snapshot.totals))}`, style: "muted" });
  }
  return segments;
}

export function renderCompact(snapshot: Snapshot, target: Target, options: CompactOptions): string {
  const segments = compactSegments(snapshot, options);
  if (segments.length === 0) return "";
  // Every styled segment closes with #[default], so the line hands tmux back its own style.
  return encodeSegments(segments, target, "  ");
}
