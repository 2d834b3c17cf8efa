import * as v from "valibot";
import { lazySchema } from "../schemas.ts";
import { STATES } from "../derive/state.ts";
import { type Env, homeDir } from "../env.ts";
import { TEMPLATE_FIELDS } from "../render/fields.ts";
import { GLYPH, TMUX_STYLE } from "../render/segments.ts";
import { unknownFields } from "../render/template.ts";
import { readSmallFile } from "./smallFile.ts";

const glyph = () => v.pipe(v.string(), v.regex(GLYPH, "a glyph is 1 to 8 visible characters without spaces"));
const style = () => v.pipe(v.string(), v.regex(TMUX_STYLE, "a tmux style such as fg=red,bold or fg=#ff8800 (no #{…}, #(…) or ##)"));
export const TemplateSchema = lazySchema(() =>
  v.pipe(
    v.string(),
    v.maxLength(400, "a template is at most 400 characters"),
    v.check((t) => unknownFields(t, TEMPLATE_FIELDS).length === 0, `a template knows only ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(" ")}`),
  ),
);
// Only the form is checked here, on every call; whether the zone exists is found out when a report
// needs it (read/zone.ts), which most calls never do.
export const TimeZoneSchema = lazySchema(() =>
  v.pipe(v.string(), v.regex(/^[A-Za-z0-9_+-]{1,30}(\/[A-Za-z0-9_+-]{1,30}){0,3}$/, "a time zone name such as Europe/Berlin or UTC")),
);
export const BillingDaySchema = lazySchema(() =>
  v.pipe(v.number(), v.integer(), v.minValue(1, "a billing day is 1 to 31"), v.maxValue(31, "a billing day is 1 to 31")),
);
export const MonthlyWindowsSchema = lazySchema(() =>
  v.pipe(v.number(), v.integer(), v.minValue(0, "monthly windows is a whole number from 0 to 10000"), v.maxValue(10000, "monthly windows is a whole number from 0 to 10000")),
);
const perState = <T extends v.GenericSchema>(schema: T) => v.strictObject(Object.fromEntries(STATES.map((s) => [s, v.optional(schema)])) as Record<(typeof STATES)[number], v.OptionalSchema<T, undefined>>);

/** `${XDG_CONFIG_HOME:-~/.config}/ccpulse/config.json` (README: Configuration). */
export const ConfigSchema = lazySchema(() =>
  v.strictObject({
    compact: v.optional(v.strictObject({ template: v.optional(TemplateSchema) })),
    prompt: v.optional(v.strictObject({ template: v.optional(TemplateSchema) })),
    glyphs: v.optional(perState(glyph())),
    styles: v.optional(perState(style())),
    timeZone: v.optional(TimeZoneSchema),
    billingDay: v.optional(BillingDaySchema),
    monthlyWindows: v.optional(MonthlyWindowsSchema),
  }),
);
export type Config = v.InferOutput<typeof ConfigSchema>;

/** The usage settings as given; the zone is looked up only when a report needs it (read/zone.ts). */
export interface UsageChoices {
  /** A zone name, or undefined for the local zone. */
  readonly timeZone?: string;
  readonly billingDay: number;
  readonly monthlyWindows: number;
}

export interface LoadedConfig {
  readonly config: Config;
  /** One line per bad key or value, each naming it; those keys fall back to their defaults. */
  readonly problems: readonly string[];
}

export const configPath = (env: Env): string => {
  const xdg = env.XDG_CONFIG_HOME;
  return `${xdg?.startsWith("/") ? xdg : `${homeDir(env)}/.config`}/ccpulse/config.json`;
};

// config.json is a few hundred bytes; anything past this is not one.
const MAX_CONFIG_BYTES = 1 << 20;

export async function loadConfig(env: Env): Promise<LoadedConfig> {
  const path = configPath(env);
  const read = await readSmallFile(path, MAX_CONFIG_BYTES);
  if (read === "missing" || read === "not-a-file") return { config: {}, problems: [] };
  if (read === "too-large") return { config: {}, problems: [`${path}: larger than 1 MiB; using the defaults`] };
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return { config: {}, problems: [`${path}: not valid JSON; using the defaults`] };
  }
  return validateConfig(json, path);
}

/** Validates, dropping each offending key (and reporting it) until what is left is valid. */
export function validateConfig(json: unknown, where: string): LoadedConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { config: {}, problems: [`${where}: not a JSON object; using the defaults`] };
  const problems: string[] = [];
  let input: Record<string, unknown> = structuredClone(json as Record<string, unknown>);
  for (let round = 0; round < 50; round++) {
    const parsed = v.safeParse(ConfigSchema, input);
    if (parsed.success) return { config: parsed.output, problems };
    const issue = parsed.issues[0];
    const keys = (issue.path ?? []).map((p) => String(p.key));
    // An unknown key is reported on its parent object; name the key itself.
    const unknownKey = issue.expected === "never" ? String(issue.path?.at(-1)?.key ?? "") : undefined;
    problems.push(`${where}: ${keys.join(".") || "(top level)"}: ${unknownKey !== undefined ? "unknown key, ignored" : `${issue.message}; using the default`}`);
    if (keys.length === 0) return { config: {}, problems };
    input = withoutKey(input, keys);
  }
  return { config: {}, problems };
}

function withoutKey(input: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) {
    const { [head]: _, ...others } = input;
    return others;
  }
  const child = input[head];
  if (typeof child !== "object" || child === null || Array.isArray(child)) {
    const { [head]: _, ...others } = input;
    return others;
  }
  return { ...input, [head]: withoutKey(child as Record<string, unknown>, rest) };
}

/** A template from CCPULSE_COMPACT_TEMPLATE / CCPULSE_PROMPT_TEMPLATE, checked like the config's. */
export function envTemplate(env: Env, name: "CCPULSE_COMPACT_TEMPLATE" | "CCPULSE_PROMPT_TEMPLATE"): { template?: string; problem?: string } {
  const raw = env[name];
  if (raw === undefined || raw === "") return {};
  const parsed = v.safeParse(TemplateSchema, raw);
  return parsed.success ? { template: parsed.output } : { problem: `${name}: ${parsed.issues[0].message}; ignored` };
}
