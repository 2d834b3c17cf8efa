import type { RateLimits } from "../derive/rateLimits.ts";
import type { Session } from "../derive/sessions.ts";
import type { State } from "../derive/state.ts";
import { tokenCount } from "../derive/tokens.ts";
import type { Snapshot } from "../snapshot.ts";
import type { UsageReport } from "../derive/usageReport.ts";
import { windowLeftText } from "./usage.ts";
import { CACHE_GLYPH, TOKENS_GLYPH } from "./glyphs.ts";
import { humanAge, humanCost, humanCount } from "./humanize.ts";
import { sessionLabel } from "./label.ts";
import { limitSegments } from "./limits.ts";
import type { Segment } from "./segments.ts";

/** The `{field}`s a compact or prompt template can use (README: Configuration). */
export const TEMPLATE_FIELDS = [
  "asking",
  "busy",
  "starting",
  "unknown",
  "idle",
  "tokens",
  "cost",
  "cache",
  "limits",
  "window_left",
  "window_used",
  "window_tokens",
  "window_cost",
  "burn",
  "projected_cost",
  "tokens_today",
  "cost_today",
  "month_cost",
  "windows_left",
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type Fields = Record<TemplateField, () => Segment[]>;

/**
 * Fields that need the transcripts read (tokens), the status-line records (limits), or the usage
 * report over every session of the last weeks (usage: the ledger, and the records too).
 */
export const USAGE_FIELDS = ["window_left", "window_used", "window_tokens", "window_cost", "burn", "projected_cost", "tokens_today", "cost_today", "month_cost", "windows_left"] as const satisfies readonly TemplateField[];
export const TOKEN_FIELDS: readonly TemplateField[] = ["tokens", "cost", "cache", ...USAGE_FIELDS];
export const LIMIT_FIELDS: readonly TemplateField[] = ["limits", ...USAGE_FIELDS];

/**
 * "api 3m": the idle session whose prompt cache is still warm and expires first, with the time left.
 * Idle only: a busy session is using its cache, and a reply to an asking one will too.
 */
export function coolingSoonest(snapshot: Snapshot): string | undefined {
  let soonest: Session | undefined;
  for (const s of snapshot.sessions) {
    if (s.state !== "idle" || s.cache?.state !== "warm") continue;
    if (!soonest || s.cache.expiresAt < (soonest.cache?.expiresAt ?? 0)) soonest = s;
  }
  return soonest?.cache ? `${sessionLabel(soonest, 20)} ${humanAge(soonest.cache.expiresAt - snapshot.generatedAt)}` : undefined;
}

/** The fields that read the same in a status bar and a prompt; usage fields are empty without a report. */
export function sharedFields(snapshot: Snapshot, limits: RateLimits = {}, usage?: UsageReport): Omit<Fields, State> {
  const { sessions, generatedAt } = snapshot;
  const muted = (text: string): Segment[] => [{ text, style: "muted" }];
  const w = usage?.window;
  return {
    tokens: () => (sessions.length > 0 ? muted(`${TOKENS_GLYPH} ${humanCount(tokenCount(snapshot.totals))}`) : []),
    cost: () => (sessions.length > 0 ? muted(humanCost(snapshot.totalCostUSD, sessions.some((s) => s.costEstimated))) : []),
    cache: () => {
      const cooling = coolingSoonest(snapshot);
      return cooling ? muted(`${CACHE_GLYPH} ${cooling}`) : [];
    },
    limits: () => limitSegments(limits, generatedAt).flatMap((segment, i) => (i === 0 ? [segment] : [{ text: "  " }, segment])),
    window_left: () => (w ? muted(windowLeftText(w, generatedAt)) : []),
    window_used: () => (w?.usedPercent !== undefined ? [{ text: `${Math.round(w.usedPercent)}%`, style: w.usedPercent >= 90 ? "asking" : "muted" }] : []),
    window_tokens: () => (w ? muted(humanCount(tokenCount(w.tokens))) : []),
    window_cost: () => (w ? muted(humanCost(w.costUSD)) : []),
    burn: () => (w ? muted(`${humanCost(w.burnUSDPerHour)}/h`) : []),
    projected_cost: () => (w ? muted(`→${humanCost(w.projectedCostUSD)}`) : []),
    tokens_today: () => (usage ? muted(humanCount(tokenCount(usage.today.tokens))) : []),
    cost_today: () => (usage ? muted(humanCost(usage.today.costUSD)) : []),
    month_cost: () => (usage ? muted(humanCost(usage.month.costUSD)) : []),
    windows_left: () => (usage ? [{ text: `${usage.month.windowsLeft}/${usage.month.windowsAllowed}`, style: usage.month.windowsLeft === 0 ? "asking" : "muted" }] : []),
  };
}
