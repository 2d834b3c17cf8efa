import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { messageCost, resolveModel } from "../../src/derive/pricing.ts";

// Every expected value below is worked out by hand from pricing.md: tokens × USD per MTok, summed, / 1e6.

/** pricing.md §5: 1200 in, 800 out, 150 000 cache read, 30 000 cache write all 1h. */
const worked = {
  input_tokens: 1200,
  cache_creation_input_tokens: 30000,
  cache_creation: { ephemeral_1h_input_tokens: 30000 },
  cache_read_input_tokens: 150000,
  output_tokens: 800,
};
const { cache_creation: _, ...workedNoSplit } = worked;

const iteration = (input: number, output: number, cacheRead: number, cacheWrite: number, extra: Record<string, unknown> = {}) => ({
  type: "message",
  input_tokens: input,
  output_tokens: output,
  cache_read_input_tokens: cacheRead,
  cache_creation_input_tokens: cacheWrite,
  ...extra,
});
/** Haiku 5.5 message of two rounds, 60 000 prompt tokens each: only the sum is above the 100 000 threshold. */
const twoRounds = (extra: Record<string, unknown> = {}) => ({
  input_tokens: 120000,
  output_tokens: 3000,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  iterations: [iteration(60000, 1000, 0, 0), iteration(60000, 2000, 0, 0)],
  ...extra,
});
/** Haiku 5.5 at the long-prompt boundary: 1000 + 90 000 + 9000 = 100 000 prompt tokens, 4000 of the writes 1h. */
const boundary = (input: number, extra: Record<string, unknown> = {}) => ({
  input_tokens: input,
  output_tokens: 2000,
  cache_read_input_tokens: 90000,
  cache_creation_input_tokens: 9000,
  cache_creation: { ephemeral_1h_input_tokens: 4000, ephemeral_5m_input_tokens: 5000 },
  ...extra,
});

describe("messageCost", () => {
  test.each<[string, string | undefined, Record<string, unknown>, number, boolean]>([
    // ---- pricing.md §5: the worked example and its variations (opus-5-5 = 4/20/5/8/0.2)
    // 1200*4 + 800*20 + 150000*0.2 + 30000*8 = 4800 + 16000 + 30000 + 240000 = 290800 → 0.2908
    ["§5 worked example", "claude-opus-5-5", worked, 0.2908, false],
    // 290800 * 1.1 = 319880 → 0.31988
    ["§5 inference_geo us", "claude-opus-5-5", { ...worked, inference_geo: "us" }, 0.31988, false],
    // fast ZG 8/40/10/16/0.4: 1200*8 + 800*40 + 150000*0.4 + 30000*16 = 9600 + 32000 + 60000 + 480000 = 581600 → 0.5816
    ["§5 speed fast", "claude-opus-5-5", { ...worked, speed: "fast" }, 0.5816, false],
    // no cache_creation object, all writes at 5m: 4800 + 16000 + 30000 + 30000*5 = 200800 → 0.2008
    ["§5 cache_creation missing", "claude-opus-5-5", workedNoSplit, 0.2008, false],
    // sonnet-5-5 2/10/2.5/4/0.1: 1200*2 + 800*10 + 150000*0.1 + 30000*4 = 2400 + 8000 + 15000 + 120000 = 145400 → 0.1454
    ["§5 on claude-sonnet-5-5", "claude-sonnet-5-5", worked, 0.1454, false],
    // prompt 1200 + 150000 + 30000 = 181200 > 100000 → long rates 0.5/2.5/0.625/1/0.05:
    // 1200*0.5 + 800*2.5 + 150000*0.05 + 30000*1 = 600 + 2000 + 7500 + 30000 = 40100 → 0.0401
    ["§5 on claude-haiku-5-5 (long prompt)", "claude-haiku-5-5", worked, 0.0401, false],

    // ---- cache-write split (§2a), opus-5-5
    // cache_creation null → all 5m: 1000*5 = 5000 → 0.005
    ["cache_creation null", "claude-opus-5-5", { cache_creation_input_tokens: 1000, cache_creation: null }, 0.005, false],
    // 1h 5000 clamped to the 1000 written: 1000*8 = 8000 → 0.008
    ["1h above the total is clamped", "claude-opus-5-5", { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: 5000 } }, 0.008, false],
    // 400*8 + 600*5 = 3200 + 3000 = 6200 → 0.0062
    ["1h share and 5m share", "claude-opus-5-5", { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: 400, ephemeral_5m_input_tokens: 600 } }, 0.0062, false],
    // ephemeral_5m is never read: the same 400*8 + 600*5 = 6200 → 0.0062
    ["rest is 5m whatever ephemeral_5m says", "claude-opus-5-5", { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: 400, ephemeral_5m_input_tokens: 0 } }, 0.0062, false],
    // 1h -50 clamped to 0 → all 5m: 1000*5 = 5000 → 0.005
    ["negative 1h count", "claude-opus-5-5", { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: -50 } }, 0.005, false],
    // a real capture row (both ephemeral counts 0): 9*4 + 58*20 + 20000*0.2 + 1422*5 = 36 + 1160 + 4000 + 7110 = 12306 → 0.012306
    [
      "capture row, ephemeral counts 0",
      "claude-opus-5-5",
      { input_tokens: 9, cache_creation_input_tokens: 1422, cache_read_input_tokens: 20000, output_tokens: 58, cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 }, inference_geo: "", iterations: [], speed: "standard" },
      0.012306,
      false,
    ],

    // ---- defensive reading
    ["empty usage", "claude-opus-5-5", {}, 0, false],
    [
      "strings, negatives, NaN, Infinity count as 0",
      "claude-opus-5-5",
      { input_tokens: "1200", output_tokens: -800, cache_read_input_tokens: Number.NaN, cache_creation_input_tokens: Number.POSITIVE_INFINITY, cache_creation: "x", server_tool_use: { web_search_requests: "3" }, iterations: "x" },
      0,
      false,
    ],
    // 1000*4 = 4000 → 0.004 (output "5" ignored)
    ["one good counter among bad ones", "claude-opus-5-5", { input_tokens: 1000, output_tokens: "5", server_tool_use: null }, 0.004, false],

    // ---- long-prompt tier (§2b), haiku-5-5 = 0.1/0.5/0.125/0.2/0.01, long 0.5/2.5/0.625/1/0.05 above 100 000
    // exactly 100 000 is not above: 1000*0.1 + 2000*0.5 + 90000*0.01 + 4000*0.2 + 5000*0.125 = 100 + 1000 + 900 + 800 + 625 = 3425 → 0.003425
    ["haiku-5-5 prompt exactly at the threshold", "claude-haiku-5-5", boundary(1000), 0.003425, false],
    // 100 001: 1001*0.5 + 2000*2.5 + 90000*0.05 + 4000*1 + 5000*0.625 = 500.5 + 5000 + 4500 + 4000 + 3125 = 17125.5 → 0.0171255
    ["haiku-5-5 prompt one above the threshold", "claude-haiku-5-5", boundary(1001), 0.0171255, false],
    // output does not count toward the threshold: 100000*0.1 + 50000*0.5 = 10000 + 25000 = 35000 → 0.035
    ["output not part of the prompt", "claude-haiku-5-5", { input_tokens: 100000, output_tokens: 50000 }, 0.035, false],
    // web search stays at the base rate: 17125.5 → 0.0171255, + 2*0.01 = 0.0371255
    ["long prompt with web search", "claude-haiku-5-5", boundary(1001, { server_tool_use: { web_search_requests: 2 } }), 0.0371255, false],
    // 17125.5 * 1.1 = 18838.05 → 0.01883805
    ["long prompt with geo us", "claude-haiku-5-5", boundary(1001, { inference_geo: "us" }), 0.01883805, false],

    // ---- iterations (§2b), haiku-5-5
    // each round 60 000 ≤ 100 000 → base: (60000*0.1 + 1000*0.5) + (60000*0.1 + 2000*0.5) = 6500 + 7000 = 13500 → 0.0135
    ["iterations: threshold per round", "claude-haiku-5-5", twoRounds(), 0.0135, false],
    // priced whole, 120 000 > 100 000 → long: 120000*0.5 + 3000*2.5 = 60000 + 7500 = 67500 → 0.0675
    ["no iterations: threshold on the total", "claude-haiku-5-5", twoRounds({ iterations: null }), 0.0675, false],
    ["empty iterations", "claude-haiku-5-5", twoRounds({ iterations: [] }), 0.0675, false],
    // output sums to 3000 ≠ 3001 → whole message: 120000*0.5 + 3001*2.5 = 60000 + 7502.5 = 67502.5 → 0.0675025
    ["iterations not summing to the top level", "claude-haiku-5-5", twoRounds({ output_tokens: 3001 }), 0.0675025, false],
    // a round without cache_read_input_tokens fails the finite test → whole message, 0.0675
    [
      "iteration missing a counter",
      "claude-haiku-5-5",
      twoRounds({ iterations: [iteration(60000, 1000, 0, 0), { type: "message", input_tokens: 60000, output_tokens: 2000, cache_creation_input_tokens: 0 }] }),
      0.0675,
      false,
    ],
    // 60001 + (-1) sums to 120000 but -1 is not ≥ 0 → whole message, 0.0675
    ["negative iteration counter", "claude-haiku-5-5", twoRounds({ iterations: [iteration(60001, 1000, 0, 0), iteration(-1, 2000, 0, 0)] }), 0.0675, false],
    // advisor rounds are neither summed nor priced (see pricing.ts): still 13500 → 0.0135
    [
      "advisor iteration left out",
      "claude-haiku-5-5",
      twoRounds({ iterations: [iteration(60000, 1000, 0, 0), { ...iteration(5000, 500, 0, 0), type: "advisor_message", model: "claude-opus-5-5" }, iteration(60000, 2000, 0, 0)] }),
      0.0135,
      false,
    ],
    // 13500 * 1.1 = 14850 → 0.01485, + 1*0.01 = 0.02485
    ["iterations with geo us and web search", "claude-haiku-5-5", twoRounds({ inference_geo: "us", server_tool_use: { web_search_requests: 1 } }), 0.02485, false],
    // the round claims 1h the top level does not: per round 1000*0.2 = 200 → 0.0002
    [
      "iterations carry their own 1h split",
      "claude-haiku-5-5",
      { cache_creation_input_tokens: 1000, iterations: [iteration(0, 0, 0, 1000, { cache_creation: { ephemeral_1h_input_tokens: 1000 } })] },
      0.0002,
      false,
    ],
    // no long-prompt tier → iterations ignored, top level all 5m: 1000*5 = 5000 → 0.005
    [
      "iterations ignored without a long-prompt tier",
      "claude-opus-5-5",
      { cache_creation_input_tokens: 1000, iterations: [iteration(0, 0, 0, 1000, { cache_creation: { ephemeral_1h_input_tokens: 1000 } })] },
      0.005,
      false,
    ],
    // aK: 1500 top-level 1h, none claimed by the rounds, handed out in order.
    // round 1: 1000 written, 500 of them 5m → takes min(1500, 1000-500) = 500 as 1h, 1000 left; prompt 2000 → base:
    //   1000*0.1 + 100*0.5 + 500*0.2 + 500*0.125 = 100 + 50 + 100 + 62.5 = 312.5
    // round 2: 2000 written, unclassified → takes min(1000, 2000) = 1000 as 1h; prompt 102000 > 100000 → long:
    //   100000*0.5 + 100*2.5 + 1000*1 + 1000*0.625 = 50000 + 250 + 1000 + 625 = 51875
    // 312.5 + 51875 = 52187.5 → 0.0521875
    [
      "iterations: 1h redistributed in order",
      "claude-haiku-5-5",
      {
        input_tokens: 101000,
        output_tokens: 200,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_1h_input_tokens: 1500 },
        iterations: [iteration(1000, 100, 0, 1000, { cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 500 } }), iteration(100000, 100, 0, 2000)],
      },
      0.0521875,
      false,
    ],

    // ---- fast mode (§2e)
    // opus-4-6 fast Gv 30/150: 1000*30 + 100*150 = 30000 + 15000 = 45000 → 0.045
    ["fast, listed model (opus-4-6, 6×)", "claude-opus-4-6", { input_tokens: 1000, output_tokens: 100, speed: "fast" }, 0.045, false],
    // standard 5/25: 1000*5 + 100*25 = 5000 + 2500 = 7500 → 0.0075
    ["same message at standard speed", "claude-opus-4-6", { input_tokens: 1000, output_tokens: 100, speed: "standard" }, 0.0075, false],
    ["speed compared exactly", "claude-opus-4-6", { input_tokens: 1000, output_tokens: 100, speed: "FAST" }, 0.0075, false],
    // fable-5-2 fast eK 16/80/20/32/0.4: 1000*16 + 100*80 + 10000*0.4 + 1000*32 = 16000 + 8000 + 4000 + 32000 = 60000 → 0.06
    [
      "fast keeps the 1h split",
      "claude-fable-5-2",
      { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 10000, cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: 1000 }, speed: "fast" },
      0.06,
      false,
    ],
    // sonnet-4-5 has no fast rates → standard 3/15: 1000*3 + 100*15 = 3000 + 1500 = 4500 → 0.0045
    ["fast, unlisted model pays standard", "claude-sonnet-4-5", { input_tokens: 1000, output_tokens: 100, speed: "fast" }, 0.0045, false],
    // haiku-5-5 has no fast rates, so its long-prompt tier still applies: 200000*0.5 = 100000 → 0.1
    ["fast, unlisted model keeps its long-prompt tier", "claude-haiku-5-5", { input_tokens: 200000, speed: "fast" }, 0.1, false],
    // fast ZG 8: 1000*8 = 8000, * 1.1 = 8800 → 0.0088, + 1*0.01 = 0.0188
    ["fast with geo us and web search", "claude-opus-5-5", { input_tokens: 1000, speed: "fast", inference_geo: "us", server_tool_use: { web_search_requests: 1 } }, 0.0188, false],

    // ---- geo (§2c) and web search (§2d), opus-5-5
    // (1000*4 + 100*20) = 6000, * 1.1 = 6600 → 0.0066, + 3*0.01 = 0.03 → 0.0366
    ["geo us with web search", "claude-opus-5-5", { input_tokens: 1000, output_tokens: 100, inference_geo: "us", server_tool_use: { web_search_requests: 3 } }, 0.0366, false],
    // 1000*4 = 4000 → 0.004
    ["geo other than us", "claude-opus-5-5", { input_tokens: 1000, inference_geo: "eu" }, 0.004, false],
    ["geo compared exactly", "claude-opus-5-5", { input_tokens: 1000, inference_geo: "US" }, 0.004, false],
    // 2 * 0.01 = 0.02
    ["web search alone", "claude-opus-5-5", { server_tool_use: { web_search_requests: 2 } }, 0.02, false],
    ["web fetch is not priced", "claude-opus-5-5", { server_tool_use: { web_search_requests: 0, web_fetch_requests: 5 } }, 0, false],

    // ---- unknown and synthetic models
    // priced as the default claude-opus-5-5: 0.2908 as in the worked example
    ["unknown model priced as the default", "claude-3-opus-20240229", worked, 0.2908, true],
    // default's standard rates even when fast: 1000*4 + 100*20 = 6000 → 0.006
    ["unknown model, fast", "claude-3-opus-20240229", { input_tokens: 1000, output_tokens: 100, speed: "fast" }, 0.006, true],
    // 1000*4 = 4000 → 0.004
    ["not a Claude model", "gpt-4o", { input_tokens: 1000 }, 0.004, true],
    ["alias (never a message.model)", "opus", { input_tokens: 1000 }, 0.004, true],
    ["synthetic message", "<synthetic>", worked, 0, false],
    ["no model", undefined, worked, 0, false],
  ])("%s", (_name, model, usage, usd, estimated) => {
    const cost = messageCost(model, usage);
    expect(cost.usd).toBeCloseTo(usd, 10);
    expect(cost.estimated).toBe(estimated);
  });

  // pricing.md §1. 100 000 tokens of a single class cost rate / 10 USD; 100 000 is not above haiku-5-5's threshold.
  test.each<[string, number, number, number, number, number]>([
    // model, in, out, 5m write, 1h write, read (USD per MTok)
    ["claude-opus-5-5", 4, 20, 5, 8, 0.2],
    ["claude-opus-5", 5, 25, 6.25, 10, 0.5],
    ["claude-opus-4-8", 5, 25, 6.25, 10, 0.5],
    ["claude-opus-4-7", 5, 25, 6.25, 10, 0.5],
    ["claude-opus-4-6", 5, 25, 6.25, 10, 0.5],
    ["claude-opus-4-5", 5, 25, 6.25, 10, 0.5],
    ["claude-opus-4-1", 15, 75, 18.75, 30, 1.5],
    ["claude-opus-4-0", 15, 75, 18.75, 30, 1.5],
    ["claude-sonnet-5-5", 2, 10, 2.5, 4, 0.1],
    ["claude-sonnet-5", 2, 10, 2.5, 4, 0.2],
    ["claude-sonnet-4-6", 3, 15, 3.75, 6, 0.3],
    ["claude-sonnet-4-5", 3, 15, 3.75, 6, 0.3],
    ["claude-sonnet-4-0", 3, 15, 3.75, 6, 0.3],
    ["claude-3-7-sonnet", 3, 15, 3.75, 6, 0.3],
    ["claude-3-5-sonnet", 3, 15, 3.75, 6, 0.3],
    ["claude-haiku-5-5", 0.1, 0.5, 0.125, 0.2, 0.01],
    ["claude-haiku-4-5", 1, 5, 1.25, 2, 0.1],
    ["claude-3-5-haiku", 0.8, 4, 1, 1.6, 0.08],
    ["claude-fable-5-2", 8, 40, 10, 16, 0.2],
    ["claude-mythos-5-2", 8, 40, 10, 16, 0.2],
    ["claude-fable-5-1", 10, 50, 12.5, 20, 0.25],
    ["claude-mythos-5-1", 10, 50, 12.5, 20, 0.25],
    ["claude-fable-5", 10, 50, 12.5, 20, 1],
    ["claude-mythos-5", 10, 50, 12.5, 20, 1],
  ])("%s rates %p/%p/%p/%p/%p", (model, input, output, write5m, write1h, read) => {
    const n = 100000;
    const cost = (usage: Record<string, unknown>) => messageCost(model, usage).usd;
    expect(resolveModel(model)).toBe(model);
    expect(cost({ input_tokens: n })).toBeCloseTo(input / 10, 10);
    expect(cost({ output_tokens: n })).toBeCloseTo(output / 10, 10);
    expect(cost({ cache_creation_input_tokens: n })).toBeCloseTo(write5m / 10, 10);
    expect(cost({ cache_creation_input_tokens: n, cache_creation: { ephemeral_1h_input_tokens: n } })).toBeCloseTo(write1h / 10, 10);
    expect(cost({ cache_read_input_tokens: n })).toBeCloseTo(read / 10, 10);
    expect(cost({ server_tool_use: { web_search_requests: 1 } })).toBeCloseTo(0.01, 10);
  });
});

describe("resolveModel", () => {
  test.each<[string, string | undefined]>([
    // pricing.md §3, run on the binary's code
    ["claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5"],
    ["claude-opus-4-20250514", "claude-opus-4-0"],
    ["claude-sonnet-4-20250514", "claude-sonnet-4-0"],
    ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"],
    ["claude-opus-4-6[1m]", "claude-opus-4-6"],
    // pricing.json id_resolution.examples
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["claude-opus-4-1-20250805", "claude-opus-4-1"],
    ["claude-haiku-4-5-20251001", "claude-haiku-4-5"],
    ["claude-3-5-haiku-20241022", "claude-3-5-haiku"],
    ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet"],
    ["claude-sonnet-4.5", "claude-sonnet-4-5"],
    ["claude-sonnet-4-5@20250929", "claude-sonnet-4-5"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"],
    ["anthropic.claude-opus-5-5", "claude-opus-5-5"],
    ["claude-3-opus-20240229", undefined],
    // exact provider ids: Vertex, Bedrock, case, other regions retried as us.
    ["claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"],
    ["claude-opus-4-1@20250805", "claude-opus-4-1"],
    ["us.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"],
    ["global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"],
    ["apac.anthropic.claude-haiku-5-5", "claude-haiku-5-5"],
    ["CLAUDE-OPUS-5-5", "claude-opus-5-5"],
    ["claude-opus-4", "claude-opus-4-0"],
    // suffixes and dotted versions
    ["claude-opus-5-5[2M]", "claude-opus-5-5"],
    ["claude-haiku-5-5[1m]", "claude-haiku-5-5"],
    ["claude-opus-4.6", "claude-opus-4-6"],
    ["claude-sonnet-4.6[1m]", "claude-sonnet-4-6"],
    // family/major/minor with a trailer (Td/Mj)
    ["claude-opus-4-0", "claude-opus-4-0"],
    ["claude-opus-5", "claude-opus-5"],
    ["claude-opus-5-5-fast", "claude-opus-5-5"],
    ["claude-opus-4-7-latest", "claude-opus-4-7"],
    ["claude-sonnet-5-20260301", "claude-sonnet-5"],
    ["claude-fable-5-20260101", "claude-fable-5"],
    ["claude-haiku-5-5-v2@20261001", "claude-haiku-5-5"],
    // substring fallback
    ["claude-opus-4-6-preview", "claude-opus-4-6"],
    ["claude-opus-4-20250514-thinking", "claude-opus-4-0"],
    ["eu.anthropic.claude-sonnet-4-20250514-v9:0", "claude-sonnet-4-0"],
    ["us.anthropic.claude-fable-5-20260101-v1:0", "claude-fable-5"],
    ["us.anthropic.claude-sonnet-5-5-v3", "claude-sonnet-5-5"],
    // not in the catalog
    ["claude-opus-5-2", undefined],
    ["claude-opus-6", undefined],
    ["claude-3-haiku-20240307", undefined],
    ["gpt-4o", undefined],
    ["opus", undefined],
    ["", undefined],
  ])("%p → %p", (model, id) => {
    expect(resolveModel(model)).toBe(id);
    // memoized: the second call answers the same
    expect(resolveModel(model)).toBe(id);
  });
});

describe("agreement with Claude Code's exit cost-state", () => {
  const projects = join(import.meta.dir, "../fixtures/claude-code-2.1.328/11-after-exit/projects");

  // Hand totals of the deduped rows (all claude-opus-5-5 = 4/20/5/_/0.2, no 1h writes):
  test.each<[string, number]>([
    // 4*4 + 187*20 + 15000*0.2 + 1237*5 = 16 + 3740 + 3000 + 6185 = 12941 → 0.012941
    ["-home-dev-code-work-s1", 0.012941],
    // in 26, out 183, read 70000, write 5318: 104 + 3660 + 14000 + 26590 = 44354 → 0.044354
    ["-home-dev-code-work-s2", 0.044354],
    // in 30, out 87, read 63000, write 4377: 120 + 1740 + 12600 + 21885 = 36345 → 0.036345
    ["-home-dev-code-work-s3", 0.036345],
  ])("%s", (dir, handTotal) => {
    const files = readdirSync(join(projects, dir)).filter((f) => f.endsWith(".jsonl"));
    expect(files).toHaveLength(1);
    const rows = readFileSync(join(projects, dir, files[0] as string), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line));

    // Rows of one response share message.id + requestId; keep the one with the most tokens.
    const size = (u: Record<string, number>) => (u.input_tokens ?? 0) + (u.output_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
    const messages = new Map<string, { model: string; usage: Record<string, number> }>();
    for (const row of rows) {
      if (row.type !== "assistant") continue;
      const key = `${row.message.id}/${row.requestId}`;
      const prev = messages.get(key);
      if (!prev || size(row.message.usage) > size(prev.usage)) messages.set(key, { model: row.message.model, usage: row.message.usage });
    }

    let total = 0;
    const byModel = new Map<string, number>();
    for (const { model, usage } of messages.values()) {
      const cost = messageCost(model, usage);
      expect(cost.estimated).toBe(false);
      total += cost.usd;
      byModel.set(model, (byModel.get(model) ?? 0) + cost.usd);
    }

    const state = rows.filter((row) => row.type === "cost-state").at(-1);
    expect(state.hasUnknownModelCost).toBe(false);
    expect(total).toBeCloseTo(handTotal, 10);
    expect(total).toBeCloseTo(state.totalCostUSD, 10);
    expect(Math.abs(total - state.totalCostUSD)).toBeLessThan(1e-9);
    expect([...byModel.keys()].sort()).toEqual(Object.keys(state.modelUsage).sort());
    for (const [model, usage] of Object.entries<{ costUSD: number }>(state.modelUsage)) {
      expect(byModel.get(model) ?? Number.NaN).toBeCloseTo(usage.costUSD, 10);
    }
  });

  test("the three captured transcripts are all covered", () => {
    expect(readdirSync(projects).sort()).toEqual(["-home-dev-code-work-s1", "-home-dev-code-work-s2", "-home-dev-code-work-s3"]);
  });
});
