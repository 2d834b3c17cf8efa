import type { ParsedArgs } from "../args.ts";
import type { Env } from "../env.ts";

/** What a flag accepts: nothing (a switch) or one of a few words. */
export type FlagSpec = { readonly values?: readonly string[]; readonly help: string };

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
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
    if (!spec.values && value !== true) return `--${name} takes no value`;
  }
  if (args.positionals.length > 0) return `unexpected argument '${args.positionals[0]}' for '${command.name}'`;
  return undefined;
}

export function helpText(command: Command): string {
  const flags = Object.entries(command.flags).map(([name, spec]) => {
    const left = `  --${name}${spec.values ? `=${spec.values.join("|")}` : ""}`;
    return `${left.padEnd(34)}${spec.help}`;
  });
  return [`ccpulse ${command.name}: ${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...flags, `${"  -h, --help".padEnd(34)}show this help`].join("\n");
}
