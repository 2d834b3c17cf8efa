/**
 * What Claude Code 2.1.328 charges for one assistant message, ported from its own cost code
 * (`MOe`/`TDn`/`Rtn`/`dK`/`rK`/`Ctn`/`aK`/`jv`, described in pricing.md). Arithmetic is done in the same
 * order as `Rtn`, so a sum of these costs matches the `totalCostUSD` Claude Code writes at exit bit
 * for bit (checked on the 2.1.328 captures).
 *
 * Not modelled, because a transcript does not record them (pricing.md §2f): org `modelPricing`
 * overrides and multiplier, server list prices (`additional_model_costs`), the `alder_ford`
 * promotional remap, and a default model other than the baked opus (a plan without Opus, `/model`,
 * `ANTHROPIC_MODEL`, a served catalog), which only changes what an unknown model is estimated at.
 */
import type { Prices, TokenRates } from "./prices.gen.ts";
import prices from "./prices.json" with { type: "json" };

// Assigning checks the embedded JSON against the generator's valibot schema at compile time, so the
// binary pays no parse at start-up.
const catalog: Prices = prices;

type Rates = Prices["unknown_model_fallback"];
type LongPrompt = NonNullable<Prices["models"][string]["long_prompt"]>;
/** The rate object one message is priced with; fast rates have no long-prompt tier. */
type Tier = Rates & { readonly long_prompt?: LongPrompt | null };

// ---------------------------------------------------------------- model string → catalog id (§3)

const SIZE_SUFFIX = /\[(1|2)m\]/gi;
// KSr: claude-sonnet-4.5 → claude-sonnet-4-5.
const DOTTED_VERSION = /(claude-(?:[a-z]+-)?\d{1,2})\.(?=\d)/g;
const BEDROCK_REGION = /^[a-z-]+\.(?=anthropic\.)/;
// Td: claude-<family>-<major>[-<minor>] and the trailer Claude Code allows after it.
const VERSIONED = /^(claude-[a-z]+-\d{1,2}(?:-\d{1,2})?)(?:-fast|-latest)?(?:-v\d{1,3}@\d{8}|[-@]\d{8})?(?:-v\d{1,3}(?::\d{1,3})?)?$/;

// Built on the first model lookup, not at start-up: compact and prompt without cost never price a
// message, and every status refresh pays for what runs at module load.
let providerIdIndex: Map<string, string> | undefined;
function providerIds(): Map<string, string> {
  if (providerIdIndex) return providerIdIndex;
  providerIdIndex = new Map();
  for (const [id, model] of Object.entries(catalog.models)) {
    for (const providerId of model.provider_ids) providerIdIndex.set(providerId.toLowerCase(), id);
  }
  return providerIdIndex;
}

/**
 * The substring fallback. pricing.md quotes two of Claude Code's rules
 * (`e.includes("claude-opus-4-6")`, `/claude-sonnet-4(?!-\d(?!\d))/` → claude-sonnet-4-0); these are the
 * same two shapes for every catalog id:
 * - an id with a minor version (or the old claude-3-5-haiku style) anywhere in the string, not followed
 *   by a digit: without that guard a dated claude-fable-5-20260101 would read as claude-fable-5-2;
 * - a bare major (claude-opus-5, and claude-opus-4 for claude-opus-4-0) not followed by a one-digit minor,
 *   so claude-opus-5-5 is never taken for claude-opus-5.
 * A string naming one model matches at most one rule, so their order does not matter. Tested with
 * indexOf, not a RegExp per id: building and compiling those ~40 patterns made the first lookup of a
 * model outside the catalog cost 0.95 ms, against 0.55 now (a compiled binary, measured in-process).
 */
type SubstringRule = { readonly needle: string; readonly id: string; readonly bare: boolean };
let substringRules: readonly SubstringRule[] | undefined;
// A loop, not flatMap: the first price of a model that is not a catalog id runs this on the status
// bar's path, and a process's first flatMap compiles that builtin (~0.3 ms).
function substringRulesOf(): readonly SubstringRule[] {
  if (substringRules) return substringRules;
  const rules: SubstringRule[] = [];
  for (const id of Object.keys(catalog.models)) {
    const bare = /^claude-[a-z]+-\d+$/.test(id) ? id : /^(claude-[a-z]+-\d+)-0$/.exec(id)?.[1];
    if (bare !== id) rules.push({ needle: id, id, bare: false });
    if (bare !== undefined) rules.push({ needle: bare, id, bare: true });
  }
  substringRules = rules;
  return rules;
}

const isDigit = (s: string, at: number): boolean => at < s.length && s.charCodeAt(at) >= 0x30 && s.charCodeAt(at) <= 0x39;

/** `needle(?!\d)`, or for a bare major `needle(?!-\d(?!\d))`, found anywhere in `name`. */
function matchesRule(name: string, { needle, bare }: SubstringRule): boolean {
  for (let at = name.indexOf(needle); at >= 0; at = name.indexOf(needle, at + 1)) {
    const after = at + needle.length;
    const minorFollows = name.charCodeAt(after) === 0x2d && isDigit(name, after + 1) && !isDigit(name, after + 2);
    if (bare ? !minorFollows : !isDigit(name, after)) return true;
  }
  return false;
}

function resolveUncached(model: string): string | undefined {
  // The includes() guards keep the usual name (an exact provider id) off the regular expressions:
  // compiling them was half of what a call's first lookup cost (0.35 against 0.17 ms now).
  const unsuffixed = model.includes("[") ? model.replace(SIZE_SUFFIX, "") : model;
  const lower = unsuffixed.toLowerCase();
  const name = lower.includes(".") ? lower.replace(DOTTED_VERSION, "$1-") : lower;
  const exact = providerIds().get(name) ?? (name.includes(".") ? providerIds().get(name.replace(BEDROCK_REGION, "us.")) : undefined);
  if (exact !== undefined) return exact;
  const base = VERSIONED.exec(name)?.[1];
  if (base !== undefined && Object.hasOwn(catalog.models, base)) return base;
  for (const rule of substringRulesOf()) if (matchesRule(name, rule)) return rule.id;
  // Claude Code's last step strips a -YYYYMMDD date (FC). Every catalog id it could reach is matched by
  // a rule above, so what it names here is a model without a price (claude-3-opus): unknown either way.
  return undefined;
}

// A transcript names a handful of models, so these memos stay tiny and are never evicted.
const resolved = new Map<string, string | undefined>();

/** The catalog id a model string resolves to (pricing.md §3), or undefined. */
export function resolveModel(model: string): string | undefined {
  let id = resolved.get(model);
  if (id === undefined && !resolved.has(model)) {
    id = resolveUncached(model);
    resolved.set(model, id);
  }
  return id;
}

// ---------------------------------------------------------------- rates of a model (§2e, §2f)

interface ModelPricing {
  readonly standard: Tier;
  /** jv's table; undefined for models without fast rates, which pay standard rates even when fast. */
  readonly fast: Rates | undefined;
  readonly estimated: boolean;
}

// TDn: an unknown model costs what the default main-loop model costs, and QG only if that is missing
// too. The fast table is not consulted for it (TDn indexes the standard table directly).
const unknownModel: ModelPricing = {
  standard: catalog.models[catalog.default_model] ?? catalog.unknown_model_fallback,
  fast: undefined,
  estimated: true,
};

const pricingByModel = new Map<string, ModelPricing>();

function pricingOf(model: string): ModelPricing {
  let pricing = pricingByModel.get(model);
  if (pricing === undefined) {
    const id = resolveModel(model);
    const standard = id === undefined ? undefined : catalog.models[id];
    pricing = id === undefined || standard === undefined ? unknownModel : { standard, fast: catalog.fast[id], estimated: false };
    pricingByModel.set(model, pricing);
  }
  return pricing;
}

// ---------------------------------------------------------------- one message (§2)

export interface MessageCost {
  readonly usd: number;
  /** priced as the default model because the model is unknown */
  readonly estimated: boolean;
}

// Claude Code's local error and notice messages: zero usage, never priced.
const SYNTHETIC = "<synthetic>";
const FREE: MessageCost = { usd: 0, estimated: false };

// Usage counts come from disk as any JSON number. A single 1e308 (found by test/fuzz) made every total
// it joined an unsafe integer, and the summary, which holds to safe integers, could not be stored, so
// every call rebuilt. No API response comes near a billion of anything (context windows are at most
// 1M tokens): a number above that is damage and reads as 0, like a count of the wrong type. Judged as
// each count is read, not by a pass over the usage object first: that pass was ~2% of a cold call's
// CPU profile (10.7 of 514 ms sampled, medium bench home).
const MAX_USAGE_NUMBER = 1e9;
const absurdAsZero = (x: unknown): unknown => (typeof x === "number" && x > MAX_USAGE_NUMBER ? 0 : x);

/** A usage counter. Claude Code reads them with `?? 0`; anything but a number in (0, 1e9] counts as 0 here. */
export const usageCount = (x: unknown): number => (typeof x === "number" && x > 0 && x <= MAX_USAGE_NUMBER ? x : 0);
const field = (x: unknown, key: string): unknown => (typeof x === "object" && x !== null ? (x as Record<string, unknown>)[key] : undefined);

/** Ctn's oneHour: the 1h cache-write count, clamped to [0, cache_creation_input_tokens]. */
const oneHourOf = (usage: Record<string, unknown>): number =>
  Math.min(usageCount(field(usage.cache_creation, "ephemeral_1h_input_tokens")), usageCount(usage.cache_creation_input_tokens));

/** rK: the 1h share at the 1h rate, the rest of the cache writes (whatever ephemeral_5m says) at the 5m rate. */
function cacheWriteCost(rates: TokenRates, cacheWrite: number, oneHour: number): number {
  if (rates.cache_write_1h === null || oneHour <= 0) return (cacheWrite / 1e6) * rates.cache_write_5m;
  return (oneHour / 1e6) * rates.cache_write_1h + ((cacheWrite - oneHour) / 1e6) * rates.cache_write_5m;
}

/** Rtn's per-usage term; dK picks the long-prompt rates for every token class when the prompt is strictly above its threshold. */
function tokenCost(tier: Tier, input: number, output: number, cacheRead: number, cacheWrite: number, oneHour: number): number {
  const long = tier.long_prompt;
  const rates: TokenRates = long && input + cacheRead + cacheWrite > long.above_prompt_tokens ? long : tier;
  return (
    (input / 1e6) * rates.input +
    (output / 1e6) * rates.output +
    (cacheRead / 1e6) * rates.cache_read +
    cacheWriteCost(rates, cacheWrite, oneHour)
  );
}

const COUNTERS = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"] as const;
type Iteration = Record<(typeof COUNTERS)[number], number> & Record<string, unknown>;

/** Rtn's test: the type:"message" iterations, if every counter is finite, ≥ 0 and sums exactly to the top-level one. */
function messageIterations(usage: Record<string, unknown>, iterations: unknown[]): Iteration[] | undefined {
  const list = iterations.filter((it): it is Record<string, unknown> => field(it, "type") === "message");
  if (list.length === 0) return undefined;
  for (const key of COUNTERS) {
    let sum = 0;
    for (const it of list) {
      const x = absurdAsZero(it[key]);
      if (typeof x !== "number" || !Number.isFinite(x) || x < 0) return undefined;
      sum += x;
    }
    if (sum !== (absurdAsZero(usage[key]) ?? 0)) return undefined;
  }
  return list as Iteration[];
}

/**
 * Token cost priced iteration by iteration, so the long-prompt threshold applies to each API round on
 * its own. aK first hands the top-level 1h cache writes no iteration claims to the iterations'
 * unclassified cache writes, in order. Iterations of type "advisor_message" are left out: Claude Code
 * prices each as a message of its own model and adds it (§2f), which this port does not do.
 */
function iterationsCost(tier: Tier, usage: Record<string, unknown>, iterations: Iteration[]): number {
  let claimed = 0;
  for (const it of iterations) claimed += oneHourOf(it);
  let unclaimed = Math.max(0, oneHourOf(usage) - claimed);
  let total = 0;
  for (const it of iterations) {
    const cacheWrite = usageCount(it.cache_creation_input_tokens);
    const oneHour = oneHourOf(it);
    const fiveMinute = Math.min(usageCount(field(it.cache_creation, "ephemeral_5m_input_tokens")), cacheWrite - oneHour);
    const extra = Math.min(unclaimed, cacheWrite - fiveMinute - oneHour);
    unclaimed -= extra;
    total += tokenCost(tier, usageCount(it.input_tokens), usageCount(it.output_tokens), usageCount(it.cache_read_input_tokens), cacheWrite, oneHour + extra);
  }
  return total;
}

/** Cost of one assistant message: `model` is message.model, `usage` the raw API usage object (fields may be missing/wrong types). */
export function messageCost(model: string | undefined, usage: Record<string, unknown>): MessageCost {
  if (model === undefined || model === SYNTHETIC) return FREE;
  const pricing = pricingOf(model);
  const tier: Tier = usage.speed === "fast" ? (pricing.fast ?? pricing.standard) : pricing.standard;
  const iterations =
    tier.long_prompt && Array.isArray(usage.iterations) ? messageIterations(usage, usage.iterations) : undefined;
  const tokens =
    iterations === undefined
      ? tokenCost(
          tier,
          usageCount(usage.input_tokens),
          usageCount(usage.output_tokens),
          usageCount(usage.cache_read_input_tokens),
          usageCount(usage.cache_creation_input_tokens),
          oneHourOf(usage),
        )
      : iterationsCost(tier, usage, iterations);
  // iK: the US-residency surcharge is on tokens only; web search is added after it, at the base tier's rate.
  const geo = usage.inference_geo === "us" ? catalog.us_inference_multiplier : 1;
  const webSearch = usageCount(field(usage.server_tool_use, "web_search_requests")) * tier.web_search_per_request;
  return { usd: tokens * geo + webSearch, estimated: pricing.estimated };
}
