/**
 * Regenerates prices.json, the part of pricing.json (Claude Code 2.1.328's baked catalog, see
 * pricing.md) that derive/pricing.ts needs. Run from the repo root:
 *
 *   node_modules/.bin/bun src/derive/prices.gen.ts ../shared/pricing.json
 *
 * Output is deterministic: keys in schema order, models and fast entries in pricing.json's order.
 * pricing.ts imports only this file's types, so the script never runs from there.
 */
import * as v from "valibot";

const usd = v.pipe(v.number(), v.finite(), v.minValue(0));

const TokenRatesSchema = v.object({
  input: usd,
  output: usd,
  cache_write_5m: usd,
  // Every tier of 2.1.328 has one, but rK charges all cache writes at the 5m rate when it is absent.
  cache_write_1h: v.nullable(usd),
  cache_read: usd,
});
/** USD per million tokens of each token class. */
export type TokenRates = v.InferOutput<typeof TokenRatesSchema>;

const RatesSchema = v.object({ ...TokenRatesSchema.entries, web_search_per_request: usd });

const ModelSchema = v.object({
  ...RatesSchema.entries,
  long_prompt: v.nullable(v.object({ above_prompt_tokens: v.pipe(v.number(), v.safeInteger(), v.minValue(0)), ...TokenRatesSchema.entries })),
  provider_ids: v.array(v.string()),
});

const PricesSchema = v.object({
  default_model: v.string(),
  us_inference_multiplier: usd,
  unknown_model_fallback: RatesSchema,
  models: v.record(v.string(), ModelSchema),
  fast: v.record(v.string(), RatesSchema),
});
/** The shape of prices.json. */
export type Prices = v.InferOutput<typeof PricesSchema>;

// The fields of ../shared/pricing.json that prices.json keeps; v.object drops the rest (notes, context windows, aliases).
const PricingJsonSchema = v.object({
  default_model: v.object({ id: v.string() }),
  us_inference_multiplier: usd,
  unknown_model_fallback: v.object({ QG: RatesSchema }),
  models: v.record(v.string(), ModelSchema),
  fast: v.record(v.string(), TokenRatesSchema),
});

function pricesFrom(pricingJson: unknown): Prices {
  const src = v.parse(PricingJsonSchema, pricingJson);
  const fast: Prices["fast"] = {};
  for (const [id, rates] of Object.entries(src.fast)) {
    const model = src.models[id];
    if (!model) throw new Error(`fast rates for ${id}, which is not in models`);
    // The fast constants (ZG, Y_, Gv, eK) carry webSearchRequests 0.01 like every tier (pricing.md §2d);
    // pricing.json leaves it out of its fast table, so take the model's own.
    fast[id] = { ...rates, web_search_per_request: model.web_search_per_request };
  }
  if (!src.models[src.default_model.id]) throw new Error(`default model ${src.default_model.id} is not in models`);
  return v.parse(PricesSchema, {
    default_model: src.default_model.id,
    us_inference_multiplier: src.us_inference_multiplier,
    unknown_model_fallback: src.unknown_model_fallback.QG,
    models: src.models,
    fast,
  });
}

const input = process.argv[2];
if (!input) {
  console.error("usage: bun src/derive/prices.gen.ts <path to pricing.json>");
  process.exit(2);
}
await Bun.write(`${import.meta.dir}/prices.json`, `${JSON.stringify(pricesFrom(await Bun.file(input).json()), null, 2)}\n`);
