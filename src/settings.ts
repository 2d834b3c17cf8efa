/**
 * Edits of Claude Code's settings.json for `ccpulse setup statusline`, as pure functions over the parsed
 * object: every other key is kept as it is.
 */
export type Settings = Record<string, unknown>;

const MARK = " statusline";
const CHAIN = /--chain='((?:[^']|'\\'')*)'$/;

export const singleQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** Our command, as written into settings: the binary, quoted, then `statusline`. */
export const statuslineCommand = (binary: string): string => `${singleQuote(binary)}${MARK}`;

function statusLineOf(settings: Settings): Record<string, unknown> | undefined {
  const value = settings.statusLine;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function isOurs(settings: Settings): boolean {
  const command = statusLineOf(settings)?.command;
  return typeof command === "string" && /ccpulse'? statusline( --chain=|$)/.test(command);
}

/**
 * settings with ccpulse as the status line; a status line the user already had keeps running, chained
 * behind ours (`--chain='<their command>'`), with its padding and refresh settings. Already ours: as is.
 */
export function withStatusline(settings: Settings, binary: string): Settings {
  if (isOurs(settings)) return settings;
  const current = statusLineOf(settings);
  const theirs = typeof current?.command === "string" && current.command.trim() !== "" ? current.command : undefined;
  const command = theirs ? `${statuslineCommand(binary)} --chain=${singleQuote(theirs)}` : statuslineCommand(binary);
  return { ...settings, statusLine: { ...(current ?? {}), type: "command", command } };
}

/** settings as before setup: the chained status line restored, or none. Not ours: as is. */
export function withoutStatusline(settings: Settings): Settings {
  if (!isOurs(settings)) return settings;
  const current = statusLineOf(settings) ?? {};
  const chained = CHAIN.exec(String(current.command));
  const { statusLine: _, ...rest } = settings;
  if (!chained) return rest;
  return { ...rest, statusLine: { ...current, command: (chained[1] as string).replaceAll(`'\\''`, "'") } };
}
