import bash from "../../shell/ccpulse.bash" with { type: "text" };
import fish from "../../shell/ccpulse.fish" with { type: "text" };
import zsh from "../../shell/ccpulse.zsh" with { type: "text" };
import { singleQuote } from "../settings.ts";
import type { Command } from "./command.ts";

const SNIPPETS = { zsh, bash, fish } as const;
type Shell = keyof typeof SNIPPETS;

/** A single-quoted word for that shell: fish escapes inside quotes, POSIX shells close and reopen them. */
const shellQuote = (text: string, shell: Shell): string =>
  shell === "fish" ? `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'` : singleQuote(text);

/** The snippet, led by the path of this very binary so the prompt works even when it is not on PATH. */
export function initScript(shell: Shell, binary: string): string {
  const bin = shellQuote(binary, shell);
  const head = shell === "fish" ? `set -q CCPULSE_BIN; or set -g CCPULSE_BIN ${bin}` : `[[ -n \${CCPULSE_BIN-} ]] || CCPULSE_BIN=${bin}`;
  return `${head}\n${SNIPPETS[shell]}`.trimEnd();
}

export const init: Command = {
  name: "init",
  summary: "print the prompt hook for a shell: eval \"$(ccpulse init zsh)\"",
  usage: "ccpulse init zsh|bash|fish",
  flags: {},
  positionals: ["zsh", "bash", "fish"],
  quietOnError: false,
  async run(args) {
    return initScript(args.positionals[0] as Shell, process.execPath);
  },
};
