import { describe, expect, test } from "bun:test";
import { type Tokens, type UsageRow, addRow, emptyTally, tokenCount, usageTokens } from "../../src/derive/tokens.ts";

const usage = (input: number, cacheWrite: number, cacheRead: number, output: number, oneHour = 0) => ({
  input_tokens: input,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
  output_tokens: output,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: oneHour },
});
const row = (messageId: string | undefined, requestId: string | undefined, u: Record<string, unknown>, extra: Partial<UsageRow> = {}): UsageRow => ({
  messageId,
  requestId,
  model: "claude-opus-5-5",
  sidechain: false,
  tokens: usageTokens(u),
  costUSD: tokenCount(usageTokens(u)) / 1e6,
  estimated: false,
  cacheTtl: "5m",
  ...extra,
});
const totals = (rows: UsageRow[], isReplay?: (id: string) => boolean): Tokens => {
  const tally = emptyTally();
  for (const r of rows) addRow(tally, r, isReplay);
  return tally.tokens;
};

describe("usageTokens", () => {
  test("1h share clamped to the total, the rest is 5m (pricing.md §2a)", () => {
    expect(usageTokens(usage(1, 100, 2, 3, 40))).toEqual({ input: 1, cacheWrite: 100, cacheWrite5m: 60, cacheWrite1h: 40, cacheRead: 2, output: 3 });
    expect(usageTokens(usage(1, 100, 2, 3, 500))).toMatchObject({ cacheWrite5m: 0, cacheWrite1h: 100 });
    // The real captures: 1422 written, both ephemeral counts 0 → all 5m.
    expect(usageTokens(usage(9, 1422, 20000, 58))).toMatchObject({ cacheWrite5m: 1422, cacheWrite1h: 0 });
  });
  test("missing, negative, fractional and non-numeric fields", () => {
    expect(usageTokens({})).toEqual({ input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });
    expect(usageTokens({ input_tokens: -5, output_tokens: "7", cache_read_input_tokens: 2.9, cache_creation: null })).toMatchObject({ input: 0, output: 0, cacheRead: 2 });
    expect(usageTokens({ input_tokens: Number.NaN, output_tokens: Number.POSITIVE_INFINITY })).toMatchObject({ input: 0, output: 0 });
  });
});

describe("addRow dedupe", () => {
  test.each([
    ["content blocks of one message repeat its usage: counted once", [row("m1", "r1", usage(4, 1820, 14210, 87)), row("m1", "r1", usage(4, 1820, 14210, 87))], { input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 }],
    ["an early partial row (output 1) then the final one: keep the larger", [row("m1", "r1", usage(4, 1820, 14210, 1)), row("m1", "r1", usage(4, 1820, 14210, 87))], { input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 }],
    ["a smaller row after the larger one is ignored", [row("m1", "r1", usage(4, 1820, 14210, 87)), row("m1", "r1", usage(4, 1820, 14210, 3))], { input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 }],
    ["two messages add up (format doc §5.2)", [row("m1", "r1", usage(4, 1820, 14210, 3)), row("m1", "r1", usage(4, 1820, 14210, 87)), row("m2", "r2", usage(6, 310, 16030, 19))], { input: 10, cacheWrite: 2130, cacheRead: 30240, output: 106 }],
    ["same message id, another request id: a retry, counted again", [row("m1", "r1", usage(1, 0, 0, 1)), row("m1", "r2", usage(1, 0, 0, 1))], { input: 2, cacheWrite: 0, cacheRead: 0, output: 2 }],
    ["rows without a message id are all counted", [row(undefined, undefined, usage(1, 0, 0, 1)), row(undefined, undefined, usage(1, 0, 0, 1))], { input: 2, cacheWrite: 0, cacheRead: 0, output: 2 }],
    ["an empty id or request id is skipped (ccusage)", [row("", "r1", usage(5, 0, 0, 5)), row("m1", "", usage(5, 0, 0, 5))], { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 }],
    ["<synthetic> rows do not count", [row("m9", "r9", usage(5, 5, 5, 5), { model: "<synthetic>" })], { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 }],
  ] as const)("%s", (_, rows, want) => {
    expect(totals([...rows])).toMatchObject(want);
  });

  test("a sidechain replay of a parent message (same id, other request id) is not counted twice", () => {
    const parentIds = new Set(["m1"]);
    const sub = [row("m1", "r-replay", usage(4, 1820, 14210, 87), { sidechain: true }), row("s1", "rs1", usage(2, 0, 100, 9), { sidechain: true })];
    expect(totals(sub, (id) => parentIds.has(id))).toMatchObject({ input: 2, cacheRead: 100, output: 9 });
  });

  test("memory stays flat: only the last few keys are kept", () => {
    const tally = emptyTally();
    for (let i = 0; i < 10_000; i++) addRow(tally, row(`m${i}`, `r${i}`, usage(1, 0, 0, 1)));
    expect(tally.recent.length).toBeLessThanOrEqual(4);
    expect(tally.tokens.output).toBe(10_000);
  });

  test("cost follows the row kept: a partial row's cost is replaced by the final one's, not added", () => {
    const tally = emptyTally();
    addRow(tally, row("m1", "r1", usage(4, 1820, 14210, 1), { costUSD: 0.01 }));
    addRow(tally, row("m1", "r1", usage(4, 1820, 14210, 87), { costUSD: 0.03 }));
    addRow(tally, row("m1", "r1", usage(4, 1820, 14210, 87), { costUSD: 0.03 }));
    addRow(tally, row("m2", "r2", usage(1, 0, 0, 1), { costUSD: 0.5, estimated: true }));
    expect(tally.costUSD).toBeCloseTo(0.53, 12);
    expect(tally.estimated).toBe(true);
  });

  test("the last main-chain reply is remembered for prompt-cache warmth; sidechain rows are not", () => {
    const tally = emptyTally();
    addRow(tally, row("m1", "r1", usage(1, 0, 0, 1), { at: "2026-11-21T10:00:00.000Z", cacheTtl: "1h" }));
    addRow(tally, row("m2", "r2", usage(1, 0, 0, 1), { at: "2026-11-21T10:05:00.000Z" }));
    addRow(tally, row("s1", "rs", usage(1, 0, 0, 1), { at: "2026-11-21T10:09:00.000Z", sidechain: true }));
    expect(tally.last).toEqual({ at: "2026-11-21T10:05:00.000Z", ttl: "5m" });
  });

  test("model last used is the last row's", () => {
    const tally = emptyTally();
    addRow(tally, row("a", "a", usage(1, 0, 0, 1), { model: "claude-sonnet-5" }));
    addRow(tally, row("b", "b", usage(1, 0, 0, 1), { model: "claude-opus-5-5" }));
    expect(tally.model).toBe("claude-opus-5-5");
  });
});
