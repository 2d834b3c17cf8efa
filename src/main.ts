/**
 * The binary's entry. A status-bar or prompt call whose inputs are unchanged prints its stored answer
 * (replay/replay.ts) without loading the rest: cli.ts is a separate chunk (bun build --splitting),
 * loaded only on a miss.
 *
 * The binary starts with JavaScriptCore's tier-up thresholds scaled up (the Makefile's
 * --compile-jit-policy): a replay otherwise started a JIT worker and an allocator thread on every call,
 * whose compiled code never paid back (perf stat, an answer of 366 paths: 0.7 ms of CPU, 60 page
 * faults, 0.2-0.3 ms of wall time). A miss keeps them too, until its scans have megabytes to read
 * (read/transcript.ts restores the normal policy then).
 */
import { replay } from "./replay/replay.ts";

const argv = Bun.argv.slice(2);
const answer = replay(argv, process.env, Date.now());
if (answer === undefined) {
  await import("./cli.ts");
} else if (answer !== "") {
  try {
    await Bun.write(Bun.stdout, `${answer}\n`);
  } catch (error) {
    // As cli.ts does for the same commands (compact, prompt): one line, exit 0, never a stack trace.
    console.error(`ccpulse: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
  }
}
// Exit at once, not at the natural end: Bun's teardown after the last await cost ~2.3 ms of a replay
// (warm compact on the medium bench home 28.8 → 26.5 ms, 30 rounds; the hello-world took 21 ms then).
process.exit(0);
