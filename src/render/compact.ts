import type { State } from "../derive/state.ts";
import { tmuxLocation } from "../derive/tmuxLocation.ts";
import { tokenCount } from "../derive/tokens.ts";
import type { Snapshot } from "../snapshot.ts";
import type { RateLimits } from "../derive/rateLimits.ts";
import type { Session } from "../derive/sessions.ts";
import { CACHE_GLYPH, GLYPHS, TOKENS_GLYPH } from "./glyphs.ts";
import { humanAge, humanCost, humanCount } from "./humanize.ts";
import { sessionLabel, waitingLabel } from "./label.ts";
import { limitSegments } from "./limits.ts";
import { type Segment, type Target, type TmuxStyles, encodeSegments } from "./segments.ts";

export interface CompactOptions {
  /** Append the total tokens of all live sessions. */
  readonly tokens: boolean;
  /** Append what the live sessions cost so far. */
  readonly cost: boolean;
  /** Append the idle session whose warm prompt cache expires soonest, and in how long. */
  readonly cache: boolean;
  /** The 5-hour and 7-day windows as Claude Code last reported them; shown when given. */
  readonly limits?: RateLimits;
  readonly showIdle: boolean;
  /** With no session at all: print nothing (false) or `○ 0` (true). */
  readonly showEmpty: boolean;
  readonly glyphs: Readonly<Record<State, string>>;
  readonly tmuxStyles: TmuxStyles;
}

export const defaultCompactOptions: CompactOptions = { tokens: false, cost: false, cache: false, showIdle: true, showEmpty: false, glyphs: GLYPHS, tmuxStyles: {} };

/**
 * The status-bar line. Asking comes first and names the session that has waited longest, with what
 * for and for how long: that is the one to go to. Then counts of the other states.
 */
export function compactSegments(snapshot: Snapshot, options: CompactOptions): Segment[] {
  const { counts, sessions, generatedAt } = snapshot;
  const { glyphs } = options;
  const segments: Segment[] = [];
  const asking = sessions.filter((s) => s.state === "asking");
  const first = asking[0];
  if (first) {
    const more = asking.length > 1 ? ` +${asking.length - 1}` : "";
    const age = first.since !== undefined ? ` ${humanAge(generatedAt - first.since)}` : "";
    segments.push({ text: `${glyphs.asking} ${sessionLabel(first, 24)}: ${waitingLabel(first, 24)}${age}${more}`, style: "asking" });
  }
  for (const state of ["busy", "starting", "unknown", "idle"] as const) {
    if (state === "idle" && !options.showIdle) continue;
    if (counts[state] > 0) segments.push({ text: `${glyphs[state]} ${counts[state]}`, style: state });
  }
  if (sessions.length === 0 && options.showEmpty) segments.push({ text: `${glyphs.idle} 0`, style: "muted" });
  if (options.tokens && sessions.length > 0) {
    segments.push({ text: `${TOKENS_GLYPH} ${humanCount(tokenCount(snapshot.totals))}`, style: "muted" });
  }
  const cooling = options.cache ? coolingSoonest(snapshot) : undefined;
  if (cooling) segments.push({ text: `${CACHE_GLYPH} ${cooling}`, style: "muted" });
  if (options.limits) segments.push(...limitSegments(options.limits, generatedAt));
  if (options.cost && sessions.length > 0) {
    segments.push({ text: humanCost(snapshot.totalCostUSD, sessions.some((s) => s.costEstimated)), style: "muted" });
  }
  return segments;
}

// Every styled segment closes with #[default], so the line hands tmux back its own style.
export function renderCompact(snapshot: Snapshot, target: Target, options: CompactOptions): string {
  return encodeSegments(compactSegments(snapshot, options), target, "  ", options.tmuxStyles);
}

export type CompactField = "asking" | "busy" | "idle" | "tokens" | "cost" | "cache" | "limits";

/**
 * "api 3m": the idle session whose prompt cache is still warm and expires first, with the time left.
 * Idle only: a busy session is using its cache, and a reply to an asking one will too.
 */
function coolingSoonest(snapshot: Snapshot): string | undefined {
  let soonest: Session | undefined;
  for (const s of snapshot.sessions) {
    if (s.state !== "idle" || s.cache?.state !== "warm") continue;
    if (!soonest || s.cache.expiresAt < (soonest.cache?.expiresAt ?? 0)) soonest = s;
  }
  return soonest?.cache ? `${sessionLabel(soonest, 20)} ${humanAge(soonest.cache.expiresAt - snapshot.generatedAt)}` : undefined;
}

/** One bare value for a tmux placeholder like #{ccpulse_asking}: a count (busy includes starting), tokens or cost. */
export function renderField(snapshot: Snapshot, field: CompactField, limits: RateLimits = {}): string {
  const { counts } = snapshot;
  switch (field) {
    case "asking":
      return String(counts.asking);
    case "busy":
      return String(counts.busy + counts.starting + counts.unknown);
    case "idle":
      return String(counts.idle);
    case "tokens":
      return humanCount(tokenCount(snapshot.totals));
    case "cost":
      return humanCost(snapshot.totalCostUSD, snapshot.sessions.some((s) => s.costEstimated));
    case "cache":
      return coolingSoonest(snapshot) ?? "";
    case "limits":
      return limitSegments(limits, snapshot.generatedAt)
        .map((s) => s.text)
        .join(" ");
  }
}

/**
 * The mark of one tmux window (`@3`) for window-status-format: the glyph of the most urgent state among
 * the sessions in it, or nothing. Sessions are sorted most urgent first, so the first match wins.
 */
export function renderWindowMark(snapshot: Snapshot, window: string, target: Target, options: CompactOptions): string {
  const here = snapshot.sessions.find((s) => tmuxLocation(s.tmux)?.window === window && (options.showIdle || s.state !== "idle"));
  return here ? encodeSegments([{ text: options.glyphs[here.state], style: here.state }], target, " ", options.tmuxStyles) : "";
}
