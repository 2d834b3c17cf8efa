import { configDirs } from "../discover/configDirs.ts";
import { latestRateLimits } from "../derive/rateLimits.ts";
import { type Env, cacheDir } from "../env.ts";
import { loadRecords } from "../read/statusline.ts";
import { type Paint, noPaint, renderTable } from "../render/table.ts";
import { takeSnapshot, withReportedWarmth } from "../snapshot.ts";
import { type Command, USAGE_FLAGS, settingsFor, usageFor } from "./command.ts";

export const list: Command = {
  name: "list",
  summary: "a table of live Claude Code sessions: state, what they wait for, tokens (the default command)",
  usage: "ccpulse [list] [--color=auto|always|never] [--tz=<zone>] [--billing-day=<day>] [--monthly-windows=<count>]",
  flags: {
    color: { values: ["auto", "always", "never"], help: "colour output (auto: only on a terminal, NO_COLOR honoured)" },
    "no-color": { help: "same as --color=never" },
    ...USAGE_FLAGS,
  },
  quietOnError: false,
  async run(args, env) {
    const color = args.flags.has("no-color") ? "never" : ((args.flags.get("color") as string | undefined) ?? "auto");
    const [settings, taken, searched, paint, records] = await Promise.all([
      settingsFor(args, env),
      takeSnapshot(env, { tokens: true }),
      configDirs(env),
      painter(color, env),
      loadRecords(cacheDir(env)),
    ]);
    const snapshot = withReportedWarmth(taken, records);
    const limits = latestRateLimits(records, snapshot.generatedAt);
    return renderTable(snapshot, paint, searched, limits, await usageFor(env, snapshot, settings, limits));
  },
};

/** picocolors is loaded only here: it reads process.stdout at import, which costs ~10 ms in a compiled binary. */
async function painter(color: string, env: Env): Promise<Paint> {
  if (color === "never") return noPaint;
  if (color === "auto") {
    if (env.NO_COLOR) return noPaint;
    const { isatty } = await import("node:tty");
    if (!env.FORCE_COLOR && !isatty(1)) return noPaint;
  }
  // require, not import(): Bun's minifier named the CommonJS interop helper of a dynamic import() the
  // same as the arrow parameter it generates around it ("m is not a function" in one build of the binary).
  const pc = (require("picocolors") as typeof import("picocolors")).createColors(true);
  const styles: Record<Parameters<Paint>[0], (s: string) => string> = {
    asking: (s) => pc.bold(pc.red(s)),
    busy: pc.yellow,
    starting: pc.cyan,
    unknown: pc.magenta,
    idle: pc.green,
    muted: pc.dim,
    header: (s) => pc.bold(pc.dim(s)),
    "pill-asking": (s) => pc.bold(pc.bgRed(pc.white(s))),
    "pill-busy": (s) => pc.bgYellow(pc.black(s)),
    "pill-idle": (s) => pc.bgGreen(pc.black(s)),
    "pill-other": (s) => pc.bgCyan(pc.black(s)),
  };
  return (style, text) => styles[style](text);
}
