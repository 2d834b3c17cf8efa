import * as v from "valibot";
import type { ParsedArgs } from "../args.ts";
import type { RateLimits } from "../derive/rateLimits.ts";
import type { UsageReport } from "../derive/usageReport.ts";
import type { Env } from "../env.ts";
import { cleanText } from "../render/text.ts";
import { type Snapshot, takeUsage } from "../snapshot.ts";
import { Inputs } from "../replay/record.ts";
import { BillingDaySchema, type Config, type UsageChoices, MonthlyWindowsSchema, TemplateSchema, TimeZoneSchema, configPath, envTemplate, loadConfig } from "../read/config.ts";

/** What a flag accepts: nothing (a switch), one of a few words, or any value matching a pattern. */
export type FlagSpec = { readonly values?: readonly string[]; readonly pattern?: RegExp; readonly valueName?: string; readonly help: string };

export const takesValue = (spec: FlagSpec): boolean => spec.values !== undefined || spec.pattern !== undefined;

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** The one positional argument this command requires, and the words it may be. */
  readonly positionals?: readonly string[];
  /** Status-bar and prompt commands print nothing and exit 0 on failure: a broken prompt is worse than an empty one. */
  readonly quietOnError: boolean;
  run(args: ParsedArgs, env: Env): Promise<string | Output>;
}

/**
 * A command's output, with what the same call may print again while `inputs` stay unchanged
 * (replay/): `template` is the text with its ages still marked, as of `at`.
 */
export interface Output {
  readonly text: string;
  readonly replay?: { readonly template: string; readonly at: number; readonly inputs: Inputs };
}

/** The first problem with the flags given to `command`, as one line, or undefined. */
export function flagError(command: Command, args: ParsedArgs): string | undefined {
  for (const [name, value] of args.flags) {
    if (name === "help" || name === "version") continue;
    const spec = command.flags[name];
    if (!spec) return `unknown option --${name} for '${command.name}' (see ccpulse ${command.name} --help)`;
    if (spec.values && (value === true || !spec.values.includes(value))) {
      return `--${name} takes one of ${spec.values.join(", ")}`;
    }
    if (spec.pattern && (value === true || !spec.pattern.test(value))) return `--${name} needs a ${spec.valueName ?? "value"}`;
    if (!takesValue(spec) && value !== true) return `--${name} takes no value`;
  }
  const allowed = command.positionals;
  if (allowed) {
    if (args.positionals.length !== 1 || !allowed.includes(args.positionals[0] as string)) return `'${command.name}' takes one of ${allowed.join(", ")}`;
  } else if (args.positionals.length > 0) return `unexpected argument '${args.positionals[0]}' for '${command.name}'`;
  return undefined;
}

export function helpText(command: Command): string {
  const flags = Object.entries(command.flags).map(([name, spec]) => {
    const left = `  --${name}${spec.values ? `=${spec.values.join("|")}` : spec.pattern ? `=<${spec.valueName ?? "value"}>` : ""}`;
    return helpLine(left, spec.help);
  });
  return [`ccpulse ${command.name}: ${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...flags, helpLine("  -h, --help", "show this help")].join("\n");
}

const HELP_COLUMN = 34;

/** A flag and its help in two columns; a flag too long for the first (compact's --field) has its help on the next line. */
const helpLine = (flag: string, help: string): string =>
  flag.length < HELP_COLUMN - 1 ? `${flag.padEnd(HELP_COLUMN)}${help}` : `${flag}\n${" ".repeat(HELP_COLUMN)}${help}`;

/** `--client`: the tmux client that pressed the key; the bindings pass #{client_name}. */
export const CLIENT_FLAG: FlagSpec = { pattern: /^[^\s;]{1,200}$/, valueName: "client", help: "the tmux client to switch (the key binding passes #{client_name})" };

/** `--template`: a format template for compact or prompt (README: Configuration). */
export const TEMPLATE_FLAG: FlagSpec = { pattern: /^[^\n]{1,400}$/, valueName: "template", help: "format template, e.g. '{asking} {busy} | {cost}' (fields in the README)" };

/** The usage report for a snapshot that read tokens; a zone that cannot be found is one line on stderr. */
export async function usageFor(env: Env, snapshot: Snapshot, settings: Settings, limits: RateLimits): Promise<UsageReport> {
  const { report, problem } = await takeUsage(env, snapshot, settings.usage, limits);
  if (problem) console.error(`ccpulse: ${cleanText(problem, 200)}`);
  return report;
}

/**
 * What a replayable call (compact, prompt) gathers its inputs into, config.json first; none when its
 * output shows a time to come (a cache expiry, a reset, the window: those change with the clock alone)
 * or its settings warned on stderr (a replay would print the answer without the warning).
 */
export function replayInputs(env: Env, settings: Settings, timed: boolean): Inputs | undefined {
  if (timed || settings.problems.length > 0) return undefined;
  const inputs = new Inputs();
  inputs.add(configPath(env));
  return inputs;
}

/** `--tz`, `--billing-day`, `--monthly-windows`: where the day, window and month reports draw lines. */
export const USAGE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  tz: { pattern: /^[A-Za-z0-9_+\-/]{1,64}$/, valueName: "zone", help: "time zone for today and the month (default: TZ, else the system's)" },
  "billing-day": { pattern: /^\d{1,2}$/, valueName: "day", help: "day of the month your billing month starts (default 1)" },
  "monthly-windows": { pattern: /^\d{1,5}$/, valueName: "count", help: "5-hour windows your plan allows a month (default 50)" },
};

export const DEFAULT_BILLING_DAY = 1;
export const DEFAULT_MONTHLY_WINDOWS = 50;

export interface Settings {
  readonly config: Config;
  readonly template?: string;
  readonly usage: UsageChoices;
  /** What was wrong with them, already on stderr. */
  readonly problems: readonly string[];
}

/**
 * config.json, the template for `compact` or `prompt` and the usage settings, each from its flag over
 * its CCPULSE_* variable over config.json over the default. Every problem is one line on stderr naming
 * the key; the next source stands in.
 */
export async function settingsFor(args: ParsedArgs, env: Env, kind?: "compact" | "prompt"): Promise<Settings> {
  const loaded = await loadConfig(env);
  const { config } = loaded;
  const problems = [...loaded.problems];
  const fromEnv = kind ? envTemplate(env, kind === "compact" ? "CCPULSE_COMPACT_TEMPLATE" : "CCPULSE_PROMPT_TEMPLATE") : {};
  if (fromEnv.problem) problems.push(fromEnv.problem);
  const pick = <T>(schema: v.GenericSchema<unknown, T>, flag: string, variable: string | undefined, asNumber: boolean): T | undefined => {
    const sources: [string, string | true | undefined][] = [[`--${flag}`, args.flags.get(flag)]];
    if (variable !== undefined && env[variable] !== "") sources.push([variable, env[variable]]);
    for (const [name, raw] of sources) {
      if (typeof raw !== "string") continue;
      if (asNumber && !/^\d+$/.test(raw)) {
        problems.push(`${name}: not a whole number; ignored`);
        continue;
      }
      const parsed = v.safeParse(schema, asNumber ? Number(raw) : raw);
      if (parsed.success) return parsed.output;
      problems.push(`${name}: ${parsed.issues[0].message}; ignored`);
    }
    return undefined;
  };
  const fromFlag = kind ? pick(TemplateSchema, "template", undefined, false) : undefined;
  const usage: UsageChoices = {
    timeZone: pick(TimeZoneSchema, "tz", "CCPULSE_TZ", false) ?? config.timeZone,
    billingDay: pick(BillingDaySchema, "billing-day", "CCPULSE_BILLING_DAY", true) ?? config.billingDay ?? DEFAULT_BILLING_DAY,
    monthlyWindows: pick(MonthlyWindowsSchema, "monthly-windows", "CCPULSE_MONTHLY_WINDOWS", true) ?? config.monthlyWindows ?? DEFAULT_MONTHLY_WINDOWS,
  };
  for (const problem of problems) console.error(`ccpulse: ${problem}`);
  return { config, template: fromFlag ?? fromEnv.template ?? (kind ? config[kind]?.template : undefined), usage, problems };
}
