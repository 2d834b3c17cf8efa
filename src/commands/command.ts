import * as v from "valibot";
import type { ParsedArgs } from "../args.ts";
import type { Env } from "../env.ts";
import { type Config, TemplateSchema, envTemplate, loadConfig } from "../read/config.ts";

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
  run(args: ParsedArgs, env: Env): Promise<string>;
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
    return `${left.padEnd(34)}${spec.help}`;
  });
  return [`ccpulse ${command.name}: ${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...flags, `${"  -h, --help".padEnd(34)}show this help`].join("\n");
}

/** `--client`: the tmux client that pressed the key; the bindings pass #{client_name}. */
export const CLIENT_FLAG: FlagSpec = { pattern: /^[^\s;]{1,200}$/, valueName: "client", help: "the tmux client to switch (the key binding passes #{client_name})" };

/** `--template`: a format template for compact or prompt (README: Configuration). */
export const TEMPLATE_FLAG: FlagSpec = { pattern: /^[^\n]{1,400}$/, valueName: "template", help: "format template, e.g. '{asking} {busy} | {cost}' (fields in the README)" };

/**
 * config.json and the template for `compact` or `prompt`: --template over CCPULSE_<KIND>_TEMPLATE over
 * config.json. Every problem is one line on stderr naming the key; the defaults stand in.
 */
export async function settingsFor(args: ParsedArgs, env: Env, kind: "compact" | "prompt"): Promise<{ config: Config; template?: string }> {
  const loaded = await loadConfig(env);
  const { config } = loaded;
  const problems = [...loaded.problems];
  const fromEnv = envTemplate(env, kind === "compact" ? "CCPULSE_COMPACT_TEMPLATE" : "CCPULSE_PROMPT_TEMPLATE");
  let fromFlag: string | undefined;
  const flag = args.flags.get("template");
  if (typeof flag === "string") {
    const parsed = v.safeParse(TemplateSchema, flag);
    if (parsed.success) fromFlag = parsed.output;
    else problems.push(`--template: ${parsed.issues[0].message}; ignored`);
  }
  for (const problem of [...problems, ...(fromEnv.problem ? [fromEnv.problem] : [])]) console.error(`ccpulse: ${problem}`);
  return { config, template: fromFlag ?? fromEnv.template ?? config[kind]?.template };
}
