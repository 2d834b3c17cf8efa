import * as v from "valibot";
import { count, lazySchema } from "../schemas.ts";
import { isoUtcMs } from "./cacheWarmth.ts";
import { usageCount } from "./pricing.ts";
import { BucketSchema, addToBuckets } from "./usageBuckets.ts";

/** Token totals in Claude Code's four billing categories, cache writes also split by TTL. */
export const TokensSchema = lazySchema(() =>
  v.object({
    input: count(),
    cacheWrite: count(),
    cacheWrite5m: count(),
    cacheWrite1h: count(),
    cacheRead: count(),
    output: count(),
  }),
);
export type Tokens = v.InferOutput<typeof TokensSchema>;

export const zeroTokens = (): Tokens => ({ input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });

export function addTokens(into: Tokens, add: Tokens, sign: 1 | -1 = 1): Tokens {
  into.input += sign * add.input;
  into.cacheWrite += sign * add.cacheWrite;
  into.cacheWrite5m += sign * add.cacheWrite5m;
  into.cacheWrite1h += sign * add.cacheWrite1h;
  into.cacheRead += sign * add.cacheRead;
  into.output += sign * add.output;
  return into;
}

export const sumTokens = (list: readonly Tokens[]): Tokens => list.reduce((acc, t) => addTokens(acc, t), zeroTokens());

/** The size ccusage compares when two rows of one message collide (input + output + both cache counts). */
export const tokenCount = (t: Tokens): number => t.input + t.output + t.cacheWrite + t.cacheRead;

const nonNegative = (x: unknown): number => Math.floor(usageCount(x));

/**
 * Tokens of one API `usage` object. The 1h share is clamped to the cache-write total and the rest is 5m,
 * as Claude Code's Ctn/rK do (pricing.md §2a): real captures write cache_creation_input_tokens 1422
 * with both ephemeral counts 0.
 */
export function usageTokens(usage: Record<string, unknown>): Tokens {
  const cacheWrite = nonNegative(usage.cache_creation_input_tokens);
  const split = usage.cache_creation;
  const oneHourRaw = split && typeof split === "object" ? nonNegative((split as Record<string, unknown>).ephemeral_1h_input_tokens) : 0;
  const cacheWrite1h = Math.min(oneHourRaw, cacheWrite);
  return {
    input: nonNegative(usage.input_tokens),
    cacheWrite,
    cacheWrite5m: cacheWrite - cacheWrite1h,
    cacheWrite1h,
    cacheRead: nonNegative(usage.cache_read_input_tokens),
    output: nonNegative(usage.output_tokens),
  };
}

/** One assistant row's usage, as the transcript reader hands it over. */
export interface UsageRow {
  readonly messageId?: string;
  readonly requestId?: string;
  readonly model?: string;
  readonly sidechain: boolean;
  readonly tokens: Tokens;
  /** What Claude Code charges for this row's message (derive/pricing.ts). */
  readonly costUSD: number;
  /** Priced as the default model: the model was unknown. */
  readonly estimated: boolean;
  /** When the row was written (ISO 8601), and the prompt-cache TTL its request asked for. */
  readonly at?: string;
  readonly cacheTtl: CacheTtl;
  /** A rate-limit error row (format doc §4): which limit was hit and when it resets. */
  readonly limit?: LimitHit;
}

export type CacheTtl = "5m" | "1h";

/** A reply: when it was written (ISO 8601), and the prompt-cache TTL its request asked for. */
export const ReplySchema = lazySchema(() => v.object({ at: v.string(), ttl: v.picklist(["5m", "1h"]) }));

export const LimitHitSchema = lazySchema(() =>
  v.object({
    /** quotaLimits.rateLimitType: five_hour, seven_day, seven_day_opus, … */
    kind: v.string(),
    /** ms since epoch */
    resetsAt: v.number(),
    /** when the row was written, ms since epoch */
    at: v.number(),
  }),
);
export type LimitHit = v.InferOutput<typeof LimitHitSchema>;

// Rows of one API response are written back to back (one per content block, format doc §2.7), so
// dedupe needs only the last few keys, not the whole history: memory stays flat however long the file.
const RECENT_KEYS = 4;

/** What rows add up to: a file's (Tally), or a session's sub-agent files' (read/tokenCache.ts SubagentTotals). */
export const totalsEntries = () => ({
  tokens: TokensSchema,
  costUSD: v.number(),
  estimated: v.boolean(),
  model: v.optional(v.string()),
  // The newest rate-limit row, if the rows hold one.
  limit: v.optional(LimitHitSchema),
});

export const TallySchema = lazySchema(() =>
  v.object({
    ...totalsEntries(),
    // The last main-chain reply: when the prompt cache was last used, and for how long it lives.
    last: v.optional(ReplySchema),
    // Dedupe keys of the last few messages: key, tokens and cost counted, and the time they were
    // counted at (null for a row without a timestamp), so a replacement comes out of the same bucket.
    recent: v.array(v.tuple([v.string(), TokensSchema, v.number(), v.nullable(v.number())])),
    // Usage by quarter hour, for the 5-hour window, today and the month (derive/usageBuckets.ts).
    buckets: v.array(BucketSchema),
  }),
);
/** Running totals of one transcript file plus what dedupe needs to go on from its offset. */
export type Tally = v.InferOutput<typeof TallySchema>;

export const emptyTally = (): Tally => ({ tokens: zeroTokens(), costUSD: 0, estimated: false, recent: [], buckets: [] });

// Local notices and errors (rate limits among them) carry model "<synthetic>" and zero usage.
const SYNTHETIC_MODEL = "<synthetic>";

/**
 * Adds a row to a file's tally (mutates it: this runs once per assistant row on the cold path).
 * Dedupe follows ccusage: key message.id + requestId, keep the row with the larger total; a row whose
 * id or requestId is present but empty is skipped. `isReplay` says a sidechain row repeats a message of
 * the parent transcript (a /btw side question replays them with another requestId): counted once, there.
 */
export function addRow(tally: Tally, row: UsageRow, isReplay?: (messageId: string) => boolean): void {
  if (row.limit && (tally.limit === undefined || row.limit.at >= tally.limit.at)) tally.limit = row.limit;
  if (row.model === SYNTHETIC_MODEL) return;
  if (row.messageId === "" || row.requestId === "") return;
  if (row.sidechain && row.messageId !== undefined && isReplay?.(row.messageId)) return;
  if (row.model) tally.model = row.model;
  if (row.estimated) tally.estimated = true;
  if (!row.sidechain && row.at !== undefined) tally.last = { at: row.at, ttl: row.cacheTtl };
  if (row.messageId === undefined) {
    countMessage(tally, row.tokens, row.costUSD, timeOf(row), 1);
    return;
  }
  const key = `${row.messageId}\u0000${row.requestId ?? ""}`;
  // Newest first: a reply's rows (one per content block) come one after another. A loop, not find() and
  // a closure: this runs once per assistant row, in the interpreter on every call after an append.
  const { recent } = tally;
  let seen: (typeof recent)[number] | undefined;
  for (let i = recent.length - 1; i >= 0; i--) {
    if (recent[i]?.[0] === key) {
      seen = recent[i];
      break;
    }
  }
  if (seen) {
    if (tokenCount(row.tokens) <= tokenCount(seen[1])) return;
    // The message keeps the time it was first counted at: rows of one reply are seconds apart.
    countMessage(tally, seen[1], seen[2], seen[3], -1);
    countMessage(tally, row.tokens, row.costUSD, seen[3], 1);
    seen[1] = { ...row.tokens };
    seen[2] = row.costUSD;
    return;
  }
  const at = timeOf(row);
  countMessage(tally, row.tokens, row.costUSD, at, 1);
  recent.push([key, { ...row.tokens }, row.costUSD, at ?? null]);
  if (recent.length > RECENT_KEYS) recent.shift();
}

const timeOf = (row: UsageRow): number | undefined => (row.at === undefined ? undefined : isoUtcMs(row.at));

/** Adds (sign 1) or takes out (-1) one message's tokens and cost, and its quarter hour's when it has a time. */
function countMessage(tally: Tally, tokens: Tokens, costUSD: number, when: number | null | undefined, sign: 1 | -1): void {
  addTokens(tally.tokens, tokens, sign);
  tally.costUSD += sign * costUSD;
  if (when !== undefined && when !== null) addToBuckets(tally.buckets, when, tokens, costUSD, sign);
}
