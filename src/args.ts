/** argv → command name and flags. Pure; commands say which flags they take and which values. */
export interface ParsedArgs {
  readonly command?: string;
  readonly flags: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

/** `valueFlags` take a value, written `--shell=zsh` or `--shell zsh`. */
export function parseArgs(argv: readonly string[], valueFlags: ReadonlySet<string>): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq > 0) flags.set(name, arg.slice(eq + 1));
      else if (valueFlags.has(name) && i + 1 < argv.length && !(argv[i + 1] as string).startsWith("-")) flags.set(name, argv[++i] as string);
      else flags.set(name, true);
    } else if (arg === "-h") flags.set("help", true);
    else if (arg === "-V") flags.set("version", true);
    else if (command === undefined && !arg.startsWith("-")) command = arg;
    else positionals.push(arg);
  }
  return { command, flags, positionals };
}
