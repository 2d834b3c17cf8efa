import type { RateLimits } from "../derive/rateLimits.ts";
import type { StatuslineInput } from "../read/statusline.ts";
import type { Snapshot } from "../snapshot.ts";
import { type CompactOptions, compactSegments } from "./compact.ts";
import { humanCost } from "./humanize.ts";
import { limitSegments } from "./limits.ts";
import { type Segment, encodeSegments } from "./segments.ts";

/**
 * Claude Code's own status bar: the other sessions (the one showing this bar is the user's already),
 * the 5-hour and 7-day windows when the API reported them, and this session's cost.
 */
export function renderStatusline(others: Snapshot, limits: RateLimits, input: StatuslineInput | undefined, options: CompactOptions): string {
  const segments: Segment[] = [...compactSegments(others, { ...options, tokens: false, cost: false }), ...limitSegments(limits, others.generatedAt)];
  const cost = input?.cost?.total_cost_usd;
  if (cost !== undefined) segments.push({ text: humanCost(cost) });
  return encodeSegments(segments, "ansi", "  ");
}
