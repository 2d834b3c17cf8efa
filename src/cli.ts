import pkg from "../package.json" with { type: "json" };
import { parseArgs } from "./args.ts";
import { type Command, flagError, helpText, takesValue } from "./commands/command.ts";
import { compact } from "./commands/compact.ts";
import { init } from "./commands/init.ts";
import { jump } from "./commands/jump.ts";
import { pick } from "./commands/pick.ts";
import { json } from "./commands/json.ts";
import { list } from "./commands/list.ts";
import { prompt } from "./commands/prompt.ts";
import { setup } from "./commands/setup.ts";
import { statusline } from "./commands/statusline.ts";
import { answerFor, storeAnswer, watchEnv } from "./replay/record.ts";

const COMMANDS: readonly Command[] = [list, compact, prompt, json, init, jump, pick, statusline, setup];
// Loops, not flatMap: this runs as the pipeline's chunk loads, and a process's first flatMap compiles
// that builtin (~0.3 ms).
const VALUE_FLAGS = new Set<string>();
for (const c of COMMANDS) for (const [name, spec] of Object.entries(c.flags)) if (takesValue(spec)) VALUE_FLAGS.add(name);

// Two spaces after the longest name: at a fixed 10, "statusline" ran into its summary. Made when asked
// for, not as the chunk loads: every status-bar call that misses its stored answer loads this chunk.
const usage = (): string => {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const commandLine = (name: string, summary: string) => `  ${name.padEnd(width)}${summary}`;
  return `ccpulse ${pkg.version}: which Claude Code sessions are busy, asking or idle, and what they used

Usage: ccpulse [command] [options]

Commands:
${COMMANDS.map((c) => commandLine(c.name, c.summary)).join("\n")}
${commandLine("help", "this text, or 'ccpulse help <command>'")}

Options: -h, --help   -V, --version
Reads CLAUDE_CONFIG_DIR (comma-separated), else ~/.claude and ~/.config/claude.
Cache: \${XDG_CACHE_HOME:-~/.cache}/ccpulse.`;
};

// Bun.write on fd 1, not process.stdout: touching process.stdout costs ~10 ms in a compiled binary.
const out = (text: string) => (text === "" ? undefined : Bun.write(Bun.stdout, `${text}\n`));

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, VALUE_FLAGS);
  if (args.flags.has("version")) {
    await out(pkg.version);
    return 0;
  }
  if (args.command === "help") {
    const topic = COMMANDS.find((c) => c.name === args.positionals[0]);
    await out(topic ? helpText(topic) : usage());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === (args.command ?? "list"));
  if (!command) {
    console.error(`ccpulse: unknown command '${args.command}' (see ccpulse --help)`);
    return 2;
  }
  if (args.flags.has("help")) {
    await out(args.command === undefined ? usage() : helpText(command));
    return 0;
  }
  const problem = flagError(command, args);
  if (problem) {
    console.error(`ccpulse: ${problem}`);
    return command.quietOnError ? 0 : 2;
  }
  try {
    const startedAt = Date.now();
    const watched = watchEnv(process.env);
    const result = await command.run(args, watched.env);
    const output = typeof result === "string" ? { text: result } : result;
    await out(output.text);
    if (output.replay) {
      const { template, at, inputs } = output.replay;
      const answer = await answerFor({ argv, env: watched.read(), startedAt, at, text: template }, inputs);
      if (answer) await storeAnswer(answer, process.env);
    }
    return 0;
  } catch (error) {
    // One line, never a stack trace: this output may land in a status bar or a prompt.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`ccpulse ${command.name}: ${message.split("\n")[0]}`);
    return command.quietOnError ? 0 : 1;
  }
}

// process.exit once the output is written (every write above is awaited): the natural end's teardown
// cost ~2.5 ms of a call after an append to the medium bench home (68.8 → 66.3 ms, 20 rounds).
process.exit(await main(Bun.argv.slice(2)));
