import type { RateLimits } from "../derive/rateLimits.ts";
import { humanAge } from "./humanize.ts";
import type { Segment } from "./segments.ts";

/** "5h 43% ↻1h59m", "7d 12%": the windows Claude Code last reported; red from 90% used. */
export function limitSegments(limits: RateLimits, now: number): Segment[] {
  const segments: Segment[] = [];
  const { fiveHour, sevenDay } = limits;
  if (fiveHour) segments.push({ text: `5h ${Math.round(fiveHour.usedPercent)}% ↻${humanAge(fiveHour.resetsAt - now)}`, style: fiveHour.usedPercent >= 90 ? "asking" : "muted" });
  if (sevenDay) segments.push({ text: `7d ${Math.round(sevenDay.usedPercent)}%`, style: sevenDay.usedPercent >= 90 ? "asking" : "muted" });
  return segments;
}
