/**
 * The binary's entry. A status-bar or prompt call whose inputs are unchanged prints its stored answer
 * (replay/replay.ts) without loading the rest: cli.ts is a separate chunk (bun build --splitting),
 * loaded only on a miss.
 */
import { replay } from "./replay/replay.ts";

const argv = Bun.argv.slice(2);
const answer = replay(argv, process.env, Date.now());
if (answer === undefined) await import("./cli.ts");
else if (answer !== "") {
  try {
    await Bun.write(Bun.stdout, `${answer}\n`);
  } catch (error) {
    // As cli.ts does for the same commands (compact, prompt): one line, exit 0, never a stack trace.
    console.error(`ccpulse: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
  }
}
