/**
 * Many callers of the compiled binary at once while writers append to transcripts and rotate them:
 * truncated and rewritten in place, replaced by rename (a new inode, which ext4 soon hands out again),
 * and /clear (a new session id and file, the probe rewritten in place). Throughout, every cache file
 * on disk must be whole and valid whenever it is read; no caller may fail or print a stack trace; and
 * once the writers stop, the totals must equal an independent oracle over the final files.
 *
 * Size: CCPULSE_FAULT_CALLERS concurrent callers (default 50) × CCPULSE_FAULT_ROUNDS rounds (default
 * 10 here; `make fuzz` runs 100, i.e. 5000 runs of the binary).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { type TestHome, makeHome, runBinary } from "../helpers/home.ts";
import { scanCaches } from "../helpers/cacheFile.ts";
import { LiveSession, STACK_TRACE, fourTotals, reportedTotals } from "./sessions.ts";

const CALLERS = Number(process.env.CCPULSE_FAULT_CALLERS ?? 50);
const ROUNDS = Number(process.env.CCPULSE_FAULT_ROUNDS ?? 10);
const COMMANDS = [["json"], ["compact", "--tmux", "--tokens"]];

type Rotation = "truncate" | "rename" | "clear";

/** Appends to every session in turn; every `every` appends a session is rotated its own way. */
async function write(sessions: readonly [LiveSession, Rotation][], stop: () => boolean, counts: Record<string, number>): Promise<void> {
  let generation = 0;
  for (let step = 1; !stop(); step++) {
    for (const [session, rotation] of sessions) {
      if (step % 12 === 0) {
        counts[rotation] = (counts[rotation] ?? 0) + 1;
        if (rotation === "truncate") session.truncateAndRewrite();
        else if (rotation === "rename") session.replaceByRename();
        else session.clear(++generation);
      } else {
        await session.append();
        counts.appends = (counts.appends ?? 0) + 1;
      }
    }
    await Bun.sleep(2);
  }
}

/** Reads every cache file over and over until told to stop; returns how many reads and what was wrong. */
async function watchCaches(home: TestHome, stop: () => boolean): Promise<{ reads: number; problems: string[] }> {
  let reads = 0;
  const problems: string[] = [];
  while (!stop()) {
    const scan = scanCaches(home.cache);
    reads += scan.valid + scan.problems.length;
    problems.push(...scan.problems);
    await Bun.sleep(1);
  }
  return { reads, problems };
}

/** ROUNDS rounds of CALLERS binaries at once; what any of them did wrong. */
async function callRounds(home: TestHome): Promise<{ runs: number; failures: string[] }> {
  const failures: string[] = [];
  let runs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const calls = await Promise.all(Array.from({ length: CALLERS }, (_, i) => runBinary(home, COMMANDS[(round + i) % COMMANDS.length] as string[])));
    for (const [i, r] of calls.entries()) {
      runs++;
      const json = (round + i) % COMMANDS.length === 0;
      let problem = r.code !== 0 ? `exit ${r.code}` : r.stderr !== "" ? `stderr ${r.stderr.slice(0, 200)}` : STACK_TRACE.test(r.stdout) ? "stack trace on stdout" : undefined;
      if (!problem && json) {
        try {
          JSON.parse(r.stdout);
        } catch {
          problem = `json does not parse: ${r.stdout.slice(0, 200)}`;
        }
      }
      if (!problem && !json && !/\d/.test(r.stdout)) problem = `compact without counts: ${JSON.stringify(r.stdout)}`;
      if (problem) failures.push(`round ${round} caller ${i}: ${problem}`);
    }
  }
  return { runs, failures };
}

const measured: string[] = [];
afterAll(() => {
  if (measured.length > 0) console.log(measured.join("\n"));
});

describe("faults: concurrent callers while transcripts grow and rotate", () => {
  test(`${CALLERS} callers × ${ROUNDS} rounds: caches always whole, no failure, exact totals after`, async () => {
    const started = performance.now();
    const home = makeHome();
    const sessions: [LiveSession, Rotation][] = [
      [new LiveSession(home, "trunc", "/w/truncated"), "truncate"],
      [new LiveSession(home, "renam", "/w/renamed"), "rename"],
      [new LiveSession(home, "clear", "/w/cleared"), "clear"],
    ];
    let writing = true;
    let watching = true;
    const counts: Record<string, number> = {};
    const writer = write(sessions, () => !writing, counts);
    const watcher = watchCaches(home, () => !watching);

    let rounds: { runs: number; failures: string[] };
    try {
      rounds = await callRounds(home);
    } finally {
      // Stopped even when a round throws: the loops would otherwise keep the test process alive.
      writing = false;
      watching = false;
    }
    const { runs, failures } = rounds;
    await writer;
    const caches = await watcher;

    expect(failures).toEqual([]);
    expect(caches.problems).toEqual([]);
    expect(caches.reads).toBeGreaterThan(ROUNDS);
    for (const rotation of ["truncate", "rename", "clear"]) expect(counts[rotation] ?? 0).toBeGreaterThan(0);

    // The writers have stopped: the next call must agree with the oracle on every session.
    const reported = await reportedTotals(home);
    for (const [session] of sessions) {
      expect({ session: session.name, tokens: reported.get(session.sessionId) }).toEqual({ session: session.name, tokens: fourTotals(session.expected()) });
    }
    // And the caches it leaves are whole, with no temp file behind.
    const after = scanCaches(home.cache);
    expect(after.problems).toEqual([]);
    expect(after.others.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    measured.push(
      `faults concurrency: ${runs} binary runs (${CALLERS} × ${ROUNDS}), ${caches.reads} cache reads, ` +
        `${counts.appends ?? 0} appends, ${counts.truncate} truncations, ${counts.rename} renames, ${counts.clear} clears, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const [session] of sessions) await session.sleeper.kill();
  }, 600_000);
});
