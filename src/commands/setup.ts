import { writeFileAtomic } from "../atomicWrite.ts";
import { configDirs } from "../discover/configDirs.ts";
import { type Settings, isOurs, withStatusline, withoutStatusline } from "../settings.ts";
import type { Command } from "./command.ts";

export const setup: Command = {
  name: "setup",
  summary: "make ccpulse Claude Code's status line (settings.json, with a backup; --undo to revert)",
  usage: "ccpulse setup statusline [--undo] [--config-dir=<dir>]",
  flags: {
    undo: { help: "restore the status line you had before (or none)" },
    "config-dir": { pattern: /^\/.{0,4000}$/, valueName: "absolute dir", help: "the Claude config dir whose settings.json to edit (default: the first one ccpulse reads)" },
  },
  positionals: ["statusline"],
  quietOnError: false,
  async run(args, env) {
    const fs = await import("node:fs");
    const dir = (args.flags.get("config-dir") as string | undefined) ?? (await configDirs(env))[0] ?? `${env.HOME}/.claude`;
    const path = `${dir}/settings.json`;
    let text = "";
    try {
      text = fs.readFileSync(path, "utf8");
    } catch {
      // no settings yet
    }
    let settings: Settings = {};
    if (text.trim() !== "") {
      const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ""));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${path} is not a JSON object; left untouched`);
      settings = parsed as Settings;
    }
    const undo = args.flags.has("undo");
    const next = undo ? withoutStatusline(settings) : withStatusline(settings, process.execPath);
    if (next === settings) return undo ? `ccpulse is not the status line in ${path}: nothing to undo` : `ccpulse is already the status line in ${path}`;
    const backup = `${path}.ccpulse-${Date.now()}.bak`;
    if (text !== "") await writeFileAtomic(backup, text);
    await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
    const saved = text !== "" ? ` (backup: ${backup})` : "";
    if (undo) return `Removed ccpulse from the status line in ${path}${saved}`;
    return `ccpulse is now the status line in ${path}${isOurs(settings) ? "" : saved}. Restart Claude Code sessions to see it.`;
  },
};
