import type { State } from "../derive/state.ts";
import { tmuxLocation } from "../derive/tmuxLocation.ts";
import { tokenCount } from "../derive/tokens.ts";
import type { Snapshot } from "../snapshot.ts";
import type { RateLimits } from "../derive/rateLimits.ts";
import type { UsageReport } from "../derive/usageReport.ts";
import { type Fields, USAGE_FIELDS, coolingSoonest, sharedFields } from "./fields.ts";
import { GLYPHS } from "./glyphs.ts";
import { humanAge, humanCost, humanCount } from "./humanize.ts";
import { sessionLabel, waitingLabel } from "./label.ts";
import { limitSegments } from "./limits.ts";
import { type Segment, type Target, type TmuxStyles, encodeSegments } from "./segments.ts";
import { renderTemplate } from "./template.ts";

export interface CompactOptions {
  /** Add the total tokens of all live sessions (default template). */
  readonly tokens: boolean;
  /** Add what the live sessions cost so far (default template). */
  readonly cost: boolean;
  /** Add the idle session whose warm prompt cache expires soonest, and in how long (default template). */
  readonly cache: boolean;
  /** The 5-hour and 7-day windows as Claude Code last reported them; shown when given. */
  readonly limits?: RateLimits;
  /** The window, today and month; the usage fields are empty without it. */
  readonly usage?: UsageReport;
  readonly showIdle: boolean;
  /** With no session at all: print nothing (false) or `○ 0` (true). */
  readonly showEmpty: boolean;
  readonly glyphs: Readonly<Record<State, string>>;
  readonly tmuxStyles: TmuxStyles;
  /** A format template (render/template.ts); by default one built from the options above. */
  readonly template?: string;
  /** How long ago `since` was, for the asking session; by default humanAge as of the snapshot. */
  readonly age?: (since: number) => string;
}

export const defaultCompactOptions: CompactOptions = { tokens: false, cost: false, cache: false, showIdle: true, showEmpty: false, glyphs: GLYPHS, tmuxStyles: {} };

/** Asking first, then the other states; the extras the options ask for after them. */
export function defaultCompactTemplate(options: Pick<CompactOptions, "tokens" | "cost" | "cache" | "limits">): string {
  const extras = [options.tokens && "{tokens}", options.cache && "{cache}", options.limits && "{limits}", options.cost && "{cost}"].filter(Boolean);
  return ["{asking}", "{busy}", "{starting}", "{unknown}", "{idle}", ...extras].join("  ");
}

/**
 * The status-bar line. Asking comes first and names the session that has waited longest, with what
 * for and for how long: that is the one to go to. Then counts of the other states.
 */
export function compactSegments(snapshot: Snapshot, options: CompactOptions): Segment[] {
  const { counts, sessions, generatedAt } = snapshot;
  const { glyphs, age = (since: number) => humanAge(generatedAt - since) } = options;
  const asking = sessions.filter((s) => s.state === "asking");
  const first = asking[0];
  const count = (state: State) => (): Segment[] => (counts[state] > 0 ? [{ text: `${glyphs[state]} ${counts[state]}`, style: state }] : []);
  const fields: Fields = {
    ...sharedFields(snapshot, options.limits, options.usage),
    asking: () =>
      first
        ? [
            {
              text: `${glyphs.asking} ${sessionLabel(first, 24)}: ${waitingLabel(first, 24)}${first.since !== undefined ? ` ${age(first.since)}` : ""}${asking.length > 1 ? ` +${asking.length - 1}` : ""}`,
              style: "asking",
            },
          ]
        : [],
    busy: count("busy"),
    starting: count("starting"),
    unknown: count("unknown"),
    idle: () => (!options.showIdle ? [] : sessions.length === 0 && options.showEmpty ? [{ text: `${glyphs.idle} 0`, style: "muted" }] : count("idle")()),
  };
  return renderTemplate(options.template ?? defaultCompactTemplate(options), fields);
}

// Every styled segment closes with #[default], so the line hands tmux back its own style.
export function renderCompact(snapshot: Snapshot, target: Target, options: CompactOptions): string {
  return encodeSegments(compactSegments(snapshot, options), target, "", options.tmuxStyles);
}

export const COMPACT_FIELDS = ["asking", "busy", "idle", "tokens", "cost", "cache", "limits", ...USAGE_FIELDS] as const;
export type CompactField = (typeof COMPACT_FIELDS)[number];


/**
 * One bare value for a tmux placeholder like #{ccpulse_asking}: a count (busy includes starting), tokens,
 * cost, or one of the usage fields as a template shows it.
 */
export function renderField(snapshot: Snapshot, field: CompactField, limits: RateLimits = {}, usage?: UsageReport): string {
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
    default:
      return sharedFields(snapshot, limits, usage)[field]().map((s) => s.text).join("");
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
