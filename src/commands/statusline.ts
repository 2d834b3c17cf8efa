import { latestRateLimits } from "../derive/rateLimits.ts";
import { cacheDir } from "../env.ts";
import { loadRecords, parseStatuslineInput, readStdin, saveRecord } from "../read/statusline.ts";
import { defaultCompactOptions } from "../render/compact.ts";
import { renderStatusline } from "../render/statusline.ts";
import { othersThan, takeSnapshot } from "../snapshot.ts";
import type { Command } from "./command.ts";

// The status line the user had before, run with the same input; cut off if it hangs.
const CHAIN_TIMEOUT_MS = 2000;

export const statusline: Command = {
  name: "statusline",
  summary: "a status line for Claude Code itself; records the rate limits it reports for every other view",
  usage: "ccpulse statusline [--chain=<command>]   (installed by: ccpulse setup statusline)",
  flags: {
    chain: { pattern: /^[^\n]{1,4000}$/, valueName: "command", help: "also run this status line command (the one you had) and show its output after ours" },
  },
  quietOnError: true,
  async run(args, env) {
    const now = Date.now();
    const raw = await readStdin();
    const input = parseStatuslineInput(raw);
    const cache = cacheDir(env);
    if (input) await saveRecord(cache, input, now);
    const [snapshot, records] = await Promise.all([takeSnapshot(env, { tokens: false, now }), loadRecords(cache)]);
    const line = renderStatusline(othersThan(snapshot, input?.session_id), latestRateLimits(records, now), input, defaultCompactOptions);
    const chain = args.flags.get("chain");
    const theirs = typeof chain === "string" ? await runChained(chain, raw, env) : "";
    return [line, theirs].filter((part) => part !== "").join("  │ ");
  },
};

async function runChained(command: string, input: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  try {
    const proc = Bun.spawn(["sh", "-c", command], { stdin: new Blob([input]), stdout: "pipe", stderr: "ignore", env: env as Record<string, string> });
    const timer = setTimeout(() => proc.kill(9), CHAIN_TIMEOUT_MS);
    const out = await new Response(proc.stdout).text();
    // Until it exits too (the timer still bounds it): the call ends with process.exit, which would
    // otherwise leave a command that closed its output but runs on behind.
    await proc.exited;
    clearTimeout(timer);
    return out.split("\n")[0] ?? "";
  } catch {
    return "";
  }
}
