import { jumpChoice } from "../derive/jumpTargets.ts";
import { sessionLabel } from "../render/label.ts";
import { escapeTmux } from "../render/text.ts";
import { takeSnapshot } from "../snapshot.ts";
import { insideTmux, reachableTargets, switchTo, tellClient } from "../tmuxServer.ts";
import type { Command } from "./command.ts";

const ID = /^[^\s;]{1,200}$/;

export const jump: Command = {
  name: "jump",
  summary: "switch the tmux client to the session that needs you most (asking longest, then busy, then idle)",
  usage: "ccpulse jump [--client=<tmux client>] [--from=<pane id>]",
  flags: {
    client: { pattern: ID, valueName: "client", help: "the tmux client to switch (the key binding passes #{client_name})" },
    from: { pattern: /^%\d{1,6}$/, valueName: "pane id", help: "the pane shown now: if it is the first choice, go to the next (the key cycles)" },
  },
  quietOnError: false,
  async run(args, env) {
    if (!insideTmux(env)) throw new Error("not inside tmux ($TMUX is not set)");
    const client = args.flags.get("client") as string | undefined;
    const targets = await reachableTargets((await takeSnapshot(env, { tokens: false })).sessions);
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
