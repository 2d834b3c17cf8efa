import { choosable, moveSelection, renderPicker } from "../render/picker.ts";
import { takeSnapshot } from "../snapshot.ts";
import { insideTmux, reachableTargets, switchTo } from "../tmuxServer.ts";
import type { Command } from "./command.ts";

const ID = /^[^\s;]{1,200}$/;

export const pick: Command = {
  name: "pick",
  summary: "choose a session in a list and switch the tmux client to it (for display-popup)",
  usage: "ccpulse pick [--client=<tmux client>]",
  flags: {
    client: { pattern: ID, valueName: "client", help: "the tmux client to switch (the key binding passes #{client_name})" },
  },
  quietOnError: false,
  async run(args, env) {
    if (!insideTmux(env)) throw new Error("not inside tmux ($TMUX is not set)");
    const client = args.flags.get("client") as string | undefined;
    const snapshot = await takeSnapshot(env, { tokens: false });
    const targets = await reachableTargets(snapshot.sessions);
    const choices = choosable(targets);
    let selected = choices[0];

    const stdin = process.stdin;
    const stdout = process.stdout;
    if (!stdin.isTTY) throw new Error("pick needs a terminal (run it in display-popup -E)");
    const draw = () => stdout.write(`\x1b[H\x1b[2J${renderPicker(targets, selected, snapshot.generatedAt, stdout.columns ?? 80).join("\r\n")}`);
    stdout.write("\x1b[?25l");
    draw();
    stdin.setRawMode(true);
    const chosen = await new Promise<number | undefined>((resolve) => {
      stdin.on("data", (data: Buffer) => {
        const key = data.toString("latin1");
        if (key === "q" || key === "\x1b" || key === "\x03") return resolve(undefined);
        if (key === "\r" || key === "\n") return resolve(selected);
        if (key === "j" || key === "\x1b[B") selected = moveSelection(choices, selected, 1);
        else if (key === "k" || key === "\x1b[A") selected = moveSelection(choices, selected, -1);
        else if (/^[1-9]$/.test(key) && choices.includes(Number(key) - 1)) return resolve(Number(key) - 1);
        draw();
      });
    });
    stdin.setRawMode(false);
    stdin.pause();
    stdout.write("\x1b[?25h\x1b[H\x1b[2J");
    const target = chosen === undefined ? undefined : targets[chosen];
    if (target && "pane" in target.reach) switchTo(target.reach.pane, client);
    return "";
  },
};
