import { singleQuote } from "../settings.ts";
import type { Command } from "./command.ts";

// Each snippet in a chunk of its own, loaded by `init` alone: embedded in the chunk every command loads,
// the three made loading it ~0.55 ms slower for every call that misses its stored answer (3.56 against
// 2.99 ms, 17-20 page faults more; in-process, 15 interleaved runs).
const SNIPPETS = {
  zsh: () => import("../../shell/ccpulse.zsh", { with: { type: "text" } }),
  bash: () => import("../../shell/ccpulse.bash", { with: { type: "text" } }),
  fish: () => import("../../shell/ccpulse.fish", { with: { type: "text" } }),
} as const;
type Shell = keyof typeof SNIPPETS;

/** A single-quoted word for that shell: fish escapes inside quotes, POSIX shells close and reopen them. */
const shellQuote = (text: string, shell: Shell): string =>
  shell === "fish" ? `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'` : singleQuote(text);

/** The snippet, led by the path of this very binary so the prompt works even when it is not on PATH. */
export async function initScript(shell: Shell, binary: string): Promise<string> {
  const bin = shellQuote(binary, shell);
  const head = shell === "fish" ? `set -q CCPULSE_BIN; or set -g CCPULSE_BIN ${bin}` : `[[ -n \${CCPULSE_BIN-} ]] || CCPULSE_BIN=${bin}`;
  const { default: snippet } = await SNIPPETS[shell]();
  return `${head}\n${snippet}`.trimEnd();
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
