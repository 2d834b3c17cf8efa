import { localClock } from "../derive/timeZone.ts";
import { tokenCount } from "../derive/tokens.ts";
import type { UsageReport, WindowReport } from "../derive/usageReport.ts";
import { humanAge, humanCost, humanCount } from "./humanize.ts";
import { cleanText } from "./text.ts";

/** Time left in the window; "~" when it is only inferred from the replies. */
export const windowLeftText = (w: WindowReport, now: number): string => `${w.source === "inferred" ? "~" : ""}${humanAge(w.end - now)}`;

const SOURCE_TEXT: Record<WindowReport["source"], string> = {
  statusline: "as Claude Code reported it",
  limit: "from a rate-limit message",
  inferred: "estimated from your replies",
};

/**
 * The table's closing lines: the 5-hour window with its burn rate and where it is heading, today, and
 * the billing month with its windows. Clock times are in the report's zone.
 */
export function usageLines(report: UsageReport, now: number): string[] {
  const { window: w, today, month, zone } = report;
  const lines: string[] = [];
  if (w) {
    const used = w.usedPercent !== undefined ? ` · ${Math.round(w.usedPercent)}% used` : "";
    lines.push(
      `window  ${localClock(w.start, zone)}–${localClock(w.end, zone)} · ${windowLeftText(w, now)} left${used} · ${humanCount(tokenCount(w.tokens))} tokens · ${humanCost(w.costUSD)}` +
        ` · ${humanCost(w.burnUSDPerHour)}/h → ${humanCost(w.projectedCostUSD)} by ${localClock(w.end, zone)} (${SOURCE_TEXT[w.source]})`,
    );
  } else lines.push("window  none open (no replies in the last 5 hours)");
  lines.push(`today   ${today.date} · ${humanCount(tokenCount(today.tokens))} tokens · ${humanCost(today.costUSD)}`);
  lines.push(
    `month   ${month.start} → ${month.end} · ${humanCount(tokenCount(month.tokens))} tokens · ${humanCost(month.costUSD)} · ${month.windowsUsed} of ${month.windowsAllowed} windows used, ${month.windowsLeft} left`,
  );
  for (const s of report.ended) {
    const warm = s.cache && s.cache.expiresAt > now ? `, its prompt cache warm ${humanAge(s.cache.expiresAt - now)} more (claude --resume ${cleanText(s.sessionId, 40)})` : "";
    lines.push(`ended   ${cleanText(s.sessionId.slice(0, 8), 8)} ${humanAge(now - s.endedAt)} ago${warm}`);
  }
  return lines;
}
