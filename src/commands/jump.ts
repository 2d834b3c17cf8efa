import { jumpChoice } from "../derive/jumpTargets.ts";
import { sessionLabel } from "../render/label.ts";
import { escapeTmux } from "../render/text.ts";
import { switchTo, tellClient, tmuxTargets } from "../tmuxServer.ts";
import { CLIENT_FLAG, type Command } from "./command.ts";

export const jump: Command = {
  name: "jump",
  summary: "switch the tmux client to the session that needs you most (asking longest, then busy, then idle)",
  usage: "ccpulse jump [--client=<tmux client>] [--from=<pane id>]",
  flags: {
    client: CLIENT_FLAG,
    from: { pattern: /^%\d{1,6}$/, valueName: "pane id", help: "the pane shown now: if it is the first choice, go to the next (the key cycles)" },
  },
  quietOnError: false,
  async run(args, env) {
    const client = args.flags.get("client") as string | undefined;
    const { targets } = await tmuxTargets(env);
    const pane = jumpChoice(targets, args.flags.get("from") as string | undefined);
    if (!pane) {
      tellClient("ccpulse: no Claude Code session in this tmux server", client);
      return "";
    }
    if (!switchTo(pane, client)) throw new Error(`tmux could not switch to ${pane.id}`);
    const session = targets.find((t) => "pane" in t.reach && t.reach.pane.id === pane.id)?.session;
    if (session) tellClient(escapeTmux(`ccpulse: ${sessionLabel(session)} (${session.state})`), client);
    return "";
  },
};
