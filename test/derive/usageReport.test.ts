import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type Zone, UTC, addDays, billingMonth, localDate, startOfDate } from "../../src/derive/timeZone.ts";
import { type Tally, type UsageRow, addRow, emptyTally, zeroTokens } from "../../src/derive/tokens.ts";
import { type Bucket, addToBuckets, mergeBuckets } from "../../src/derive/usageBuckets.ts";
import { inferBlocks, usageReport } from "../../src/derive/usageReport.ts";
import { tzifZone } from "../../src/derive/zoneRules.ts";

const zone = (name: string): Zone => tzifZone(name, readFileSync(`/usr/share/zoneinfo/${name}`)) as Zone;
const T = (iso: string) => Date.parse(iso);
const H = 3600_000;
const M = 60_000;

/** Buckets of replies of `output` tokens costing `cost` each, at the given times. */
function replies(...list: [string, number, number?][]): Bucket[] {
  const buckets: Bucket[] = [];
  for (const [at, output, cost] of list) addToBuckets(buckets, T(at), { ...zeroTokens(), output }, cost ?? output / 1000);
  return buckets;
}

const report = (buckets: Bucket[], hits: Parameters<typeof usageReport>[0]["hits"], ...rest: [Parameters<typeof usageReport>[1], Parameters<typeof usageReport>[2], number]) =>
  usageReport({ buckets, hits, ended: [] }, ...rest);
const settings = (z: Zone = UTC, billingDay = 1, monthlyWindows = 50) => ({ zone: z, billingDay, monthlyWindows });

describe("buckets", () => {
  test("a reply lands in its quarter hour; first and last reply times kept exactly", () => {
    const b = replies(["2026-11-21T10:14:59.999Z", 5], ["2026-11-21T10:15:00.000Z", 7], ["2026-11-21T10:29:00.000Z", 1]);
    expect(b.map((x) => [new Date(x[0] * 15 * M).toISOString(), x[7], new Date(x[1]).toISOString(), new Date(x[2]).toISOString()])).toEqual([
      ["2026-11-21T10:00:00.000Z", 5, "2026-11-21T10:14:59.999Z", "2026-11-21T10:14:59.999Z"],
      ["2026-11-21T10:15:00.000Z", 8, "2026-11-21T10:15:00.000Z", "2026-11-21T10:29:00.000Z"],
    ]);
  });

  test("out-of-order replies stay sorted; merge sums quarters and widens times", () => {
    const a = replies(["2026-11-21T12:00:00Z", 1], ["2026-11-21T10:00:00Z", 2]);
    expect(a.map((x) => x[7])).toEqual([2, 1]);
    const m = mergeBuckets([a, replies(["2026-11-21T10:05:00Z", 4])]);
    expect(m.map((x) => [x[7], x[2] - x[1]])).toEqual([[6, 5 * M], [1, 0]]);
  });

  test("dedupe: a message's replacement row moves its tokens within the bucket it was first counted in", () => {
    const tally: Tally = emptyTally();
    const row = (output: number, at: string): UsageRow => ({ messageId: "m1", requestId: "r1", model: "claude-opus-5-5", sidechain: false, tokens: { ...zeroTokens(), output }, costUSD: output, estimated: false, at, cacheTtl: "5m" });
    addRow(tally, row(1, "2026-11-21T10:14:59.000Z"));
    addRow(tally, row(90, "2026-11-21T10:15:02.000Z"));
    expect(tally.buckets).toHaveLength(1);
    expect(tally.buckets[0]?.[7]).toBe(90);
    expect(tally.buckets[0]?.[8]).toBe(90);
    expect(tally.tokens.output).toBe(90);
  });

  test("a row without a timestamp counts in the totals but in no bucket", () => {
    const tally = emptyTally();
    addRow(tally, { messageId: "m", requestId: "r", sidechain: false, tokens: { ...zeroTokens(), output: 3 }, costUSD: 0, estimated: false, cacheTtl: "5m" });
    expect(tally.tokens.output).toBe(3);
    expect(tally.buckets).toEqual([]);
  });
});

describe("5-hour windows (ccusage's blocks, half-open)", () => {
  test("start floored to the hour; a reply exactly 5 h after the start opens the next window", () => {
    const blocks = inferBlocks(replies(["2026-11-21T09:47:00Z", 10], ["2026-11-21T13:59:59.999Z", 20], ["2026-11-21T14:00:00Z", 30]));
    expect(blocks.map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString(), b.tokens.output])).toEqual([
      ["2026-11-21T09:00:00.000Z", "2026-11-21T14:00:00.000Z", 30],
      ["2026-11-21T14:00:00.000Z", "2026-11-21T19:00:00.000Z", 30],
    ]);
  });

  test("after a gap the next window starts at the new reply's hour, not where the last one ended", () => {
    // 10:00 → 14:59 (inside) → 19:59 (5 h after the last reply, past the end: a window from 19:00)
    const b1 = inferBlocks(replies(["2026-11-21T10:00:00Z", 1], ["2026-11-21T14:59:00Z", 1], ["2026-11-21T19:59:00Z", 1]));
    expect(b1.map((b) => new Date(b.start).toISOString())).toEqual(["2026-11-21T10:00:00.000Z", "2026-11-21T19:00:00.000Z"]);
    // A reply at 10:30 after one at 10:20 the day before: gap far over 5 h.
    const b2 = inferBlocks(replies(["2026-11-20T10:20:00Z", 1], ["2026-11-21T10:30:00Z", 1]));
    expect(b2.map((b) => new Date(b.start).toISOString())).toEqual(["2026-11-20T10:00:00.000Z", "2026-11-21T10:00:00.000Z"]);
  });

  test("the current window: tokens, cost, burn since its first reply, projection to its end (hand-computed)", () => {
    // Window 10:00–15:00. Replies at 10:30 (600 tokens, $0.60) and 11:30 (1200, $1.20). Now 12:30:
    // 1800 tokens over 120 min = 15/min; $1.80 over 2 h = $0.90/h; 150 min left → 1800 + 2250 = 4050
    // tokens, $1.80 + $2.25 = $4.05.
    const now = T("2026-11-21T12:30:00Z");
    const r = report(replies(["2026-11-21T10:30:00Z", 600, 0.6], ["2026-11-21T11:30:00Z", 1200, 1.2]), [], {}, settings(), now);
    expect(r.window).toMatchObject({ start: T("2026-11-21T10:00:00Z"), end: T("2026-11-21T15:00:00Z"), source: "inferred", burnTokensPerMinute: 15, projectedTokens: 4050 });
    expect(r.window?.tokens.output).toBe(1800);
    expect(r.window?.costUSD).toBeCloseTo(1.8, 12);
    expect(r.window?.burnUSDPerHour).toBeCloseTo(0.9, 12);
    expect(r.window?.projectedCostUSD).toBeCloseTo(4.05, 12);
    expect(r.window?.usedPercent).toBeUndefined();
  });

  test("no window once 5 h have passed since the start; the next reply opens one", () => {
    const b = replies(["2026-11-21T10:30:00Z", 5]);
    expect(report(b, [], {}, settings(), T("2026-11-21T14:59:59Z")).window?.source).toBe("inferred");
    expect(report(b, [], {}, settings(), T("2026-11-21T15:00:00Z")).window).toBeUndefined();
  });

  test("replies stamped ahead of the clock open no window yet: the current one is the block holding now", () => {
    // 10:30 opens 10:00–15:00; a reply stamped 3 days ahead opens a block of its own, not begun at 12:30.
    const b = replies(["2026-11-21T10:30:00Z", 600, 0.6], ["2026-11-24T10:30:00Z", 5, 0.005]);
    const now = T("2026-11-21T12:30:00Z");
    const r = report(b, [], {}, settings(), now);
    expect(r.window).toMatchObject({ start: T("2026-11-21T10:00:00Z"), end: T("2026-11-21T15:00:00Z"), source: "inferred" });
    expect(r.window?.tokens.output).toBe(600);
    // Past 15:00 nothing runs in a window until the stamped reply's hour comes.
    expect(report(b, [], {}, settings(), T("2026-11-21T15:30:00Z")).window).toBeUndefined();
    expect(report(b, [], {}, settings(), T("2026-11-24T10:45:00Z")).window?.start).toBe(T("2026-11-24T10:00:00Z"));
  });

  test("a rate-limit row's reset time wins over the inference; a fresh statusline record over both", () => {
    const b = replies(["2026-11-21T10:30:00Z", 100], ["2026-11-21T12:10:00Z", 50]);
    const now = T("2026-11-21T12:20:00Z");
    const hit = { kind: "five_hour", resetsAt: T("2026-11-21T16:00:00Z"), at: T("2026-11-21T12:10:00Z") };
    const byLimit = report(b, [hit], {}, settings(), now).window;
    expect(byLimit).toMatchObject({ start: T("2026-11-21T11:00:00Z"), end: T("2026-11-21T16:00:00Z"), source: "limit", usedPercent: 100 });
    expect(byLimit?.tokens.output).toBe(50);
    // A reset already past, or of another limit, is not the 5-hour window.
    expect(report(b, [{ ...hit, resetsAt: now - 1 }, { ...hit, kind: "seven_day" }], {}, settings(), now).window?.source).toBe("inferred");
    const reported = { fiveHour: { usedPercent: 43, resetsAt: T("2026-11-21T15:00:00Z"), recordedAt: now - M } };
    const byStatusline = report(b, [hit], reported, settings(), now).window;
    expect(byStatusline).toMatchObject({ start: T("2026-11-21T10:00:00Z"), source: "statusline", usedPercent: 43 });
    expect(byStatusline?.tokens.output).toBe(150);
  });

  test("seven days: from the statusline, else from a seven_day limit row", () => {
    const now = T("2026-11-21T12:00:00Z");
    const hit = { kind: "seven_day", resetsAt: T("2026-11-24T00:00:00Z"), at: now - H };
    expect(report([], [hit], {}, settings(), now).sevenDay).toEqual({ usedPercent: 100, resetsAt: hit.resetsAt, source: "limit", reportedAt: hit.at });
    expect(report([], [hit], { sevenDay: { usedPercent: 12, resetsAt: hit.resetsAt, recordedAt: now } }, settings(), now).sevenDay?.source).toBe("statusline");
  });
});

describe("today and the billing month, in the configured zone", () => {
  test("today is the local day: 23:30 UTC is tomorrow in Berlin", () => {
    const b = replies(["2026-11-21T22:59:00Z", 7], ["2026-11-21T23:30:00Z", 11]);
    const now = T("2026-11-21T23:45:00Z");
    expect(report(b, [], {}, settings(UTC), now).today).toMatchObject({ date: "2026-11-21" });
    expect(report(b, [], {}, settings(UTC), now).today.tokens.output).toBe(18);
    const berlin = report(b, [], {}, settings(zone("Europe/Berlin")), now);
    expect(berlin.today.date).toBe("2026-11-22");
    expect(berlin.today.tokens.output).toBe(11);
    expect(berlin.days.map((d) => [d.date, d.tokens.output])).toEqual([["2026-11-21", 7], ["2026-11-22", 11]]);
  });

  test("a DST day: 8 March 2026 in New York has 23 hours, and all of them count", () => {
    const ny = zone("America/New_York");
    const start = startOfDate({ year: 2026, month: 3, day: 8 }, ny);
    const end = startOfDate({ year: 2026, month: 3, day: 9 }, ny);
    expect(new Date(start).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(end - start).toBe(23 * H);
    // 00:10 EST and 23:50 EDT the same local day; 00:10 EDT the next.
    const b = replies(["2026-03-08T05:10:00Z", 1], ["2026-03-09T03:50:00Z", 2], ["2026-03-09T04:10:00Z", 4]);
    const r = report(b, [], {}, settings(ny), T("2026-03-09T04:30:00Z"));
    expect(r.days.map((d) => [d.date, d.tokens.output])).toEqual([["2026-03-08", 3], ["2026-03-09", 4]]);
    // And the autumn day of 25 hours.
    expect(startOfDate({ year: 2026, month: 11, day: 2 }, ny) - startOfDate({ year: 2026, month: 11, day: 1 }, ny)).toBe(25 * H);
  });

  test("a zone whose DST change skips midnight: the day starts at 01:00", () => {
    const santiago = zone("America/Santiago");
    // Chile springs forward at 24:00 on the first Saturday of September: 2026-09-06 has no 00:00.
    const start = startOfDate({ year: 2026, month: 9, day: 6 }, santiago);
    expect(localDate(start, santiago)).toEqual({ year: 2026, month: 9, day: 6 });
    expect(localDate(start - 1000, santiago)).toEqual({ year: 2026, month: 9, day: 5 });
  });

  test("billing month from the billing day; a day past the month's end falls on its last day", () => {
    expect(billingMonth({ year: 2026, month: 11, day: 21 }, 1)).toEqual({ start: { year: 2026, month: 11, day: 1 }, end: { year: 2026, month: 12, day: 1 } });
    expect(billingMonth({ year: 2026, month: 11, day: 14 }, 15)).toEqual({ start: { year: 2026, month: 10, day: 15 }, end: { year: 2026, month: 11, day: 15 } });
    expect(billingMonth({ year: 2027, month: 2, day: 28 }, 31)).toEqual({ start: { year: 2027, month: 2, day: 28 }, end: { year: 2027, month: 3, day: 31 } });
    expect(billingMonth({ year: 2027, month: 2, day: 27 }, 31)).toEqual({ start: { year: 2027, month: 1, day: 31 }, end: { year: 2027, month: 2, day: 28 } });
    expect(billingMonth({ year: 2027, month: 1, day: 3 }, 5)).toEqual({ start: { year: 2026, month: 12, day: 5 }, end: { year: 2027, month: 1, day: 5 } });
    expect(addDays({ year: 2028, month: 2, day: 28 }, 1)).toEqual({ year: 2028, month: 2, day: 29 });
  });

  test("the month: tokens, cost, windows used (by start) and left of the allowance", () => {
    // Billing day 15, Berlin: the month starts 14 Nov 23:00 UTC. The window opened at 22:10 UTC began
    // before it, so it is not one of the month's windows, but its reply at 23:10 is the month's usage.
    const b = replies(
      ["2026-11-14T22:10:00Z", 1000, 1],
      ["2026-11-14T23:10:00Z", 200, 0.2],
      ["2026-11-16T08:00:00Z", 30, 0.03],
      ["2026-11-20T08:00:00Z", 4, 0.004],
    );
    const r = report(b, [], {}, settings(zone("Europe/Berlin"), 15, 3), T("2026-11-21T12:00:00Z"));
    expect(r.month).toMatchObject({ start: "2026-11-15", end: "2026-12-15", windowsUsed: 2, windowsLeft: 1, windowsAllowed: 3 });
    expect(r.month.tokens.output).toBe(234);
    expect(r.month.costUSD).toBeCloseTo(0.234, 12);
    expect(r.days.map((d) => d.date)).toEqual(["2026-11-15", "2026-11-16", "2026-11-20"]);
  });
});
