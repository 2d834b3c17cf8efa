import { type PromptShell, renderPrompt } from "../render/prompt.ts";
import { takeSnapshot } from "../snapshot.ts";
import type { Command } from "./command.ts";

export const prompt: Command = {
  name: "prompt",
  summary: "a very short indicator for a shell prompt",
  usage: "ccpulse prompt [--shell=zsh|bash|fish|plain]",
  flags: {
    shell: { values: ["zsh", "bash", "fish", "plain"], help: "colour syntax and escaping for this shell (default plain)" },
  },
  quietOnError: true,
  async run(args, env) {
    const shell = (args.flags.get("shell") as PromptShell | undefined) ?? "plain";
    return renderPrompt(await takeSnapshot(env, { tokens: false }), shell);
  },
};
