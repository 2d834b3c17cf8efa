import { choosable, moveSelection, renderPicker } from "../render/picker.ts";
import { switchTo, tmuxTargets } from "../tmuxServer.ts";
import { CLIENT_FLAG, type Command } from "./command.ts";

export const pick: Command = {
  name: "pick",
  summary: "choose a session in a list and switch the tmux client to it (for display-popup)",
  usage: "ccpulse pick [--client=<tmux client>]",
  flags: {
    client: CLIENT_FLAG,
  },
  quietOnError: false,
  async run(args, env) {
    const client = args.flags.get("client") as string | undefined;
    const { snapshot, targets } = await tmuxTargets(env);
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
