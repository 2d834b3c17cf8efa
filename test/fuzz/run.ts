/**
 * The fuzz driver: a seeded PRNG and a loop that runs cases for a time budget. Every case gets its own
 * seed, printed when it fails, and `CCPULSE_FUZZ_SEED=<that seed>` makes it the first case of the next
 * run, so a failure replays exactly. The budget only decides how many cases run; nothing is timed.
 *
 *   CCPULSE_FUZZ_SECONDS  seconds per target (default 3; `make fuzz` runs 30)
 *   CCPULSE_FUZZ_SEED     the first case's seed (default: random, printed)
 *   CCPULSE_FUZZ_CASES    stop after this many cases (1 to replay one failure)
 */

import { Random as Stream } from "../../bench/home/random.ts";

/**
 * The fuzz cases' randomness: bench/gen-home's sfc32 stream, seeded from a 32-bit number (short to
 * print and to paste back), with the few draws mutations need.
 */
export class Random {
  private readonly stream: Stream;

  constructor(seed: number) {
    this.stream = new Stream(`fuzz:${seed >>> 0}`);
  }

  /** A uint32. */
  next(): number {
    return this.stream.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error("pick from an empty list");
    return list[this.int(list.length)] as T;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

export const FUZZ_SECONDS = Number(process.env.CCPULSE_FUZZ_SECONDS ?? 3);
const MAX_CASES = process.env.CCPULSE_FUZZ_CASES ? Number(process.env.CCPULSE_FUZZ_CASES) : Number.POSITIVE_INFINITY;

/** The test timeout for a target: its budget plus room for the slowest single case. */
export const fuzzTimeout = (seconds = FUZZ_SECONDS): number => seconds * 1000 + 30_000;

function firstSeed(): number {
  const given = process.env.CCPULSE_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new Error(`CCPULSE_FUZZ_SEED must be a uint32, got ${given}`);
    return n;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}

/** What one case did, so a failure names the mutations along with the seed. */
export interface CaseLog {
  readonly steps: string[];
  note(step: string): void;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly cases: number;
  readonly seconds: number;
}

/**
 * Runs `body` with a fresh Random per case until the budget is spent (at least `minCases`). A throw is
 * rethrown with the case's seed, the steps it logged and the command that replays it.
 */
export async function fuzz(
  target: string,
  file: string,
  body: (rng: Random, log: CaseLog, index: number) => Promise<void> | void,
  { seconds = FUZZ_SECONDS, minCases = 5 }: { seconds?: number; minCases?: number } = {},
): Promise<FuzzReport> {
  const seed = firstSeed();
  const seeds = new Random(seed ^ 0x5eed);
  const started = performance.now();
  let caseSeed = seed;
  let cases = 0;
  while (cases < MAX_CASES && (cases < minCases || performance.now() - started < seconds * 1000)) {
    const steps: string[] = [];
    const log: CaseLog = { steps, note: (s) => void steps.push(s) };
    try {
      await body(new Random(caseSeed), log, cases);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const failure = new Error(
        `fuzz ${target}: case ${cases} failed (run seed ${seed})\n` +
          `  replay: CCPULSE_FUZZ_SEED=${caseSeed} CCPULSE_FUZZ_CASES=1 node_modules/.bin/bun test ${file}\n` +
          `  steps: ${steps.join(" | ") || "(none)"}\n  ${message}`,
      );
      if (error instanceof Error) failure.stack = `${failure.message}\n${error.stack ?? ""}`;
      throw failure;
    }
    cases++;
    caseSeed = seeds.next();
  }
  const report = { target, seed, cases, seconds: (performance.now() - started) / 1000 };
  console.log(`fuzz ${target}: ${cases} cases in ${report.seconds.toFixed(1)} s (seed ${seed})`);
  return report;
}
