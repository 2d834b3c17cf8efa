import { type Warmth, cacheWarmth } from "./cacheWarmth.ts";
import type { RateLimits } from "./rateLimits.ts";
import { type LocalDate, type Zone, addDays, billingMonth, isoDate, localDate, startOfDate } from "./timeZone.ts";
import { type CacheTtl, type LimitHit, type Tokens, addTokens, tokenCount, zeroTokens } from "./tokens.ts";
import { BUCKET_MS, type Bucket, bucketTokens } from "./usageBuckets.ts";

const WINDOW_MS = 5 * 3600_000;
const HOUR_MS = 3600_000;

/** Where the reports draw their lines; README: Configuration. */
export interface UsageSettings {
  /** The zone for days and the billing month. */
  readonly zone: Zone;
  /** Day of the month the billing month starts (1–31; past a month's end, its last day). */
  readonly billingDay: number;
  /** 5-hour windows a billing month allows. */
  readonly monthlyWindows: number;
}

export interface Usage {
  readonly tokens: Tokens;
  readonly costUSD: number;
}

/** A 5-hour window as ccusage infers it from the replies alone ("blocks"). */
export interface Block extends Usage {
  readonly start: number;
  readonly end: number;
  /** First and last reply in it. */
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface WindowReport extends Usage {
  readonly start: number;
  readonly end: number;
  /** statusline: Claude Code reported it; limit: a rate-limit row named its reset; inferred: from the replies. */
  readonly source: "statusline" | "limit" | "inferred";
  readonly usedPercent?: number;
  readonly reportedAt?: number;
  readonly burnTokensPerMinute: number;
  readonly burnUSDPerHour: number;
  readonly projectedTokens: number;
  readonly projectedCostUSD: number;
}

export interface UsageReport {
  /** The zone days and months were drawn in. */
  readonly zone: Zone;
  readonly window?: WindowReport;
  readonly sevenDay?: { readonly usedPercent: number; readonly resetsAt: number; readonly source: "statusline" | "limit"; readonly reportedAt?: number };
  readonly today: Usage & { readonly date: string };
  readonly month: Usage & { readonly start: string; readonly end: string; readonly windowsUsed: number; readonly windowsLeft: number; readonly windowsAllowed: number };
  /** Each day of the billing month so far that had usage, oldest first. */
  readonly days: readonly (Usage & { readonly date: string })[];
  /** Sessions that ended in the last hour, newest first, with their prompt cache as it was left. */
  readonly ended: readonly { readonly sessionId: string; readonly transcript: string; readonly endedAt: number; readonly cache?: Warmth }[];
}

const hourFloor = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * ccusage's rule: a window starts at its first reply floored to the hour and lasts 5 hours; a reply at
 * or after its end starts the next, at that reply's hour. (ccusage's other trigger, a gap of over 5
 * hours since the last reply, always lands past the end too.) Half-open, as the server's own windows
 * are: at the reset time the next window has begun. Buckets never straddle an hour, so deciding per
 * bucket is exact.
 */
export function inferBlocks(buckets: readonly Bucket[]): Block[] {
  const blocks: Block[] = [];
  let current: { start: number; firstAt: number; lastAt: number; tokens: Tokens; costUSD: number } | undefined;
  const close = () => current && blocks.push({ ...current, end: current.start + WINDOW_MS });
  for (const b of buckets) {
    if (!current || b[1] >= current.start + WINDOW_MS) {
      close();
      current = { start: hourFloor(b[1]), firstAt: b[1], lastAt: b[2], tokens: zeroTokens(), costUSD: 0 };
    }
    current.lastAt = Math.max(current.lastAt, b[2]);
    addTokens(current.tokens, bucketTokens(b));
    current.costUSD += b[8];
  }
  close();
  return blocks;
}

/** Usage in buckets overlapping [from, to). From and to on quarter-hour edges make it exact. */
function usageBetween(buckets: readonly Bucket[], from: number, to: number): Usage & { firstAt?: number } {
  const tokens = zeroTokens();
  let costUSD = 0;
  let firstAt: number | undefined;
  for (const b of buckets) {
    if (b[2] < from || b[0] * BUCKET_MS >= to) continue;
    addTokens(tokens, bucketTokens(b));
    costUSD += b[8];
    firstAt ??= Math.max(b[1], from);
  }
  return { tokens, costUSD, firstAt };
}

/**
 * The current 5-hour window: as Claude Code last reported it (a fresh statusline record), else as a
 * rate-limit row announced its reset, else inferred from the replies; none when nothing ran in it.
 * Burn rates are over the time since the window's first reply; projections run them on to its end.
 */
function currentWindow(buckets: readonly Bucket[], blocks: readonly Block[], limits: RateLimits, hits: readonly LimitHit[], now: number): WindowReport | undefined {
  let frame: Pick<WindowReport, "start" | "end" | "source" | "usedPercent" | "reportedAt"> | undefined;
  const reported = limits.fiveHour;
  const hit = newestHit(hits, "five_hour", now);
  // The block holding now: a clock set wrong can stamp replies hours or days ahead, and the block they
  // open has not begun (it showed as the window, with nothing used and thousands of minutes left).
  const current = blocks.findLast((b) => b.start <= now);
  if (reported) frame = { start: reported.resetsAt - WINDOW_MS, end: reported.resetsAt, source: "statusline", usedPercent: reported.usedPercent, reportedAt: reported.recordedAt };
  else if (hit) frame = { start: hit.resetsAt - WINDOW_MS, end: hit.resetsAt, source: "limit", usedPercent: 100, reportedAt: hit.at };
  else if (current && now < current.end) frame = { start: current.start, end: current.end, source: "inferred" };
  if (!frame) return undefined;
  const used = usageBetween(buckets, frame.start, Math.min(now, frame.end) + 1);
  const minutes = used.firstAt === undefined ? 0 : Math.max(1, (now - used.firstAt) / 60_000);
  const perMinute = minutes > 0 ? tokenCount(used.tokens) / minutes : 0;
  const usdPerMinute = minutes > 0 ? used.costUSD / minutes : 0;
  const left = Math.max(0, (frame.end - now) / 60_000);
  return {
    ...frame,
    tokens: used.tokens,
    costUSD: used.costUSD,
    burnTokensPerMinute: perMinute,
    burnUSDPerHour: usdPerMinute * 60,
    projectedTokens: Math.round(tokenCount(used.tokens) + perMinute * left),
    projectedCostUSD: used.costUSD + usdPerMinute * left,
  };
}

function newestHit(hits: readonly LimitHit[], kind: string, now: number): LimitHit | undefined {
  let newest: LimitHit | undefined;
  for (const h of hits) if (h.kind === kind && h.resetsAt > now && (!newest || h.at > newest.at)) newest = h;
  return newest;
}

/** What the usage ledger holds: every session's buckets, rate-limit rows, and the sessions that ended. */
export interface LedgerFacts {
  readonly buckets: readonly Bucket[];
  readonly hits: readonly LimitHit[];
  readonly ended: readonly { readonly sessionId: string; readonly transcript: string; readonly endedAt: number; readonly lastReply?: { readonly at: string; readonly ttl: CacheTtl } }[];
}

/** Window, 7 days, today, the billing month and its days, from every session's buckets. */
export function usageReport({ buckets, hits, ended }: LedgerFacts, limits: RateLimits, settings: UsageSettings, now: number): UsageReport {
  const { zone: timeZone, billingDay, monthlyWindows } = settings;
  const blocks = inferBlocks(buckets);
  const today = localDate(now, timeZone);
  const month = billingMonth(today, billingDay);
  const monthStart = startOfDate(month.start, timeZone);
  // Each day's start, from the month's first day to the end of today: one pass over the buckets.
  const dates: LocalDate[] = [];
  const starts: number[] = [];
  for (let day: LocalDate = month.start; isoDate(day) <= isoDate(today); day = addDays(day, 1)) {
    dates.push(day);
    starts.push(startOfDate(day, timeZone));
  }
  starts.push(startOfDate(addDays(today, 1), timeZone));
  const perDay = dates.map(() => ({ tokens: zeroTokens(), costUSD: 0 }));
  let d = 0;
  for (const b of buckets) {
    const at = b[0] * BUCKET_MS;
    if (at < (starts[0] as number)) continue;
    while (d < dates.length && at >= (starts[d + 1] as number)) d++;
    if (d === dates.length) break;
    const into = perDay[d] as { tokens: Tokens; costUSD: number };
    addTokens(into.tokens, bucketTokens(b));
    into.costUSD += b[8];
  }
  const days = perDay.flatMap((u, i) => (tokenCount(u.tokens) > 0 || u.costUSD > 0 ? [{ date: isoDate(dates[i] as LocalDate), ...u }] : []));
  const todayUsage = days.at(-1)?.date === isoDate(today) ? (days.at(-1) as Usage) : { tokens: zeroTokens(), costUSD: 0 };
  const monthUsage = usageBetween(buckets, monthStart, startOfDate(month.end, timeZone));
  const windowsUsed = blocks.filter((b) => b.start >= monthStart && b.start <= now).length;
  const seven = limits.sevenDay;
  const sevenHit = newestHit(hits, "seven_day", now);
  return {
    zone: timeZone,
    window: currentWindow(buckets, blocks, limits, hits, now),
    sevenDay: seven
      ? { usedPercent: seven.usedPercent, resetsAt: seven.resetsAt, source: "statusline", reportedAt: seven.recordedAt }
      : sevenHit
        ? { usedPercent: 100, resetsAt: sevenHit.resetsAt, source: "limit", reportedAt: sevenHit.at }
        : undefined,
    today: { date: isoDate(today), tokens: todayUsage.tokens, costUSD: todayUsage.costUSD },
    month: {
      start: isoDate(month.start),
      end: isoDate(month.end),
      tokens: monthUsage.tokens,
      costUSD: monthUsage.costUSD,
      windowsUsed,
      windowsLeft: Math.max(0, monthlyWindows - windowsUsed),
      windowsAllowed: monthlyWindows,
    },
    days,
    ended: ended.map(({ lastReply, ...s }) => ({ ...s, cache: cacheWarmth(lastReply, now, true) })),
  };
}
