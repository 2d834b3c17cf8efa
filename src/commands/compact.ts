import { renderCompact } from "../render/compact.ts";
import type { Target } from "../render/segments.ts";
import { takeSnapshot } from "../snapshot.ts";
import type { Command } from "./command.ts";

export const compact: Command = {
  name: "compact",
  summary: "one short line for a status bar; the session asking longest comes first",
  usage: "ccpulse compact [--tmux|--ansi|--plain] [--tokens]",
  flags: {
    tmux: { help: "tmux styles (#[fg=…]); every # from data doubled" },
    ansi: { help: "ANSI colours" },
    plain: { help: "no colour codes (the default)" },
    tokens: { help: "append the total tokens of all live sessions" },
  },
  quietOnError: true,
  async run(args, env) {
    const target: Target = args.flags.has("tmux") ? "tmux" : args.flags.has("ansi") ? "ansi" : "plain";
    const tokens = args.flags.has("tokens");
    return renderCompact(await takeSnapshot(env, { tokens }), target, { tokens });
  },
};
