import { expect, test } from "bun:test";
import { FRESH_MS, latestRateLimits } from "../../src/derive/rateLimits.ts";
import type { StatuslineRecord } from "../../src/read/statusline.ts";

const NOW = 1_800_000_000_000;
const record = (recordedAt: number, five?: [number, number], seven?: [number, number]): StatuslineRecord => ({
  version: 1,
  recordedAt,
  input: {
    session_id: String(recordedAt),
    rate_limits: {
      five_hour: five && { used_percentage: five[0], resets_at: five[1] },
      seven_day: seven && { used_percentage: seven[0], resets_at: seven[1] },
    },
  } as StatuslineRecord["input"],
});
const inS = (ms: number) => (NOW + ms) / 1000;

test("the newest fresh report of each window wins", () => {
  const limits = latestRateLimits([record(NOW - 60_000, [40, inS(3_600_000)], [10, inS(86_400_000)]), record(NOW - 1_000, [42.5, inS(3_600_000)])], NOW);
  expect(limits.fiveHour).toEqual({ usedPercent: 42.5, resetsAt: NOW + 3_600_000, recordedAt: NOW - 1_000 });
  expect(limits.sevenDay).toEqual({ usedPercent: 10, resetsAt: NOW + 86_400_000, recordedAt: NOW - 60_000 });
});

test("stale reports and windows that already reset are not used", () => {
  expect(latestRateLimits([record(NOW - FRESH_MS - 1, [40, inS(3_600_000)])], NOW)).toEqual({ fiveHour: undefined, sevenDay: undefined });
  expect(latestRateLimits([record(NOW - 1_000, [40, inS(0)])], NOW).fiveHour).toBeUndefined();
  expect(latestRateLimits([record(NOW - 1_000)], NOW).fiveHour).toBeUndefined();
});

test("percentages are clamped to 0–100", () => {
  expect(latestRateLimits([record(NOW, [140, inS(1000)])], NOW).fiveHour?.usedPercent).toBe(100);
});
