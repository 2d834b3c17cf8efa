import type { StatuslineRecord } from "../read/statusline.ts";

/** A rate-limit window as Claude Code last reported it to its status line (from the API's headers). */
export interface RateLimit {
  readonly usedPercent: number;
  /** ms since epoch */
  readonly resetsAt: number;
  readonly recordedAt: number;
}

export interface RateLimits {
  readonly fiveHour?: RateLimit;
  readonly sevenDay?: RateLimit;
}

// A record this old no longer says much about usage now: other sessions may have spent since.
export const FRESH_MS = 10 * 60_000;

/**
 * The newest fresh report of each window. The limits are per account, so any session's report will
 * do; a window that has already reset is dropped.
 */
export function latestRateLimits(records: readonly StatuslineRecord[], now: number): RateLimits {
  const pick = (kind: "five_hour" | "seven_day"): RateLimit | undefined => {
    let best: RateLimit | undefined;
    for (const r of records) {
      const limit = r.input.rate_limits?.[kind];
      if (limit?.used_percentage === undefined || limit.resets_at === undefined) continue;
      if (now - r.recordedAt > FRESH_MS || limit.resets_at * 1000 <= now) continue;
      if (!best || r.recordedAt > best.recordedAt) {
        best = { usedPercent: Math.min(100, Math.max(0, limit.used_percentage)), resetsAt: limit.resets_at * 1000, recordedAt: r.recordedAt };
      }
    }
    return best;
  };
  return { fiveHour: pick("five_hour"), sevenDay: pick("seven_day") };
}
