/**
 * Callers killed with SIGKILL at a random moment of a rebuild: reading transcripts, holding the
 * refresh lock, writing a cache file. After each kill every cache file is absent or whole and valid;
 * the temp files killed writers leave are bounded by the kills, never read, and removed by a rebuild
 * once a minute old; a lock left by a dead caller is taken over; and the next call gives exact totals.
 *
 * Size: CCPULSE_FAULT_KILLS kills (default 30; `make fuzz` runs 200) of rebuilds of 4 sessions × 3 MB.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { processInfo } from "../../src/read/liveness.ts";
import { cacheFolder, scanCaches } from "../helpers/cacheFile.ts";
import { BINARY, makeHome } from "../helpers/home.ts";
import { Random } from "../fuzz/run.ts";
import { LiveSession, fourTotals, reportedTotals } from "./sessions.ts";

const KILLS = Number(process.env.CCPULSE_FAULT_KILLS ?? 30);
// Seeds the actions and delays; the kills still land wherever the scheduler puts them.
const SEED = Number(process.env.CCPULSE_FUZZ_SEED ?? crypto.getRandomValues(new Uint32Array(1))[0]);

const measured: string[] = [];
afterAll(() => {
  if (measured.length > 0) console.log(measured.join("\n"));
});

const listing = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

describe("faults: callers killed mid-rebuild", () => {
  test(`${KILLS} kills at random moments: caches absent or valid, locks taken over, exact totals after`, async () => {
    const started = performance.now();
    const rng = new Random(SEED);
    const home = makeHome();
    const sessions = [0, 1, 2, 3].map((i) => new LiveSession(home, `kill${i}`, `/w/kill${i}`));
    for (const s of sessions) for (let k = 0; k < 4; k++) appendFileSync(s.transcript, s.nextText(200));
    const folder = cacheFolder(home.cache);
    const wipeCaches = () => {
      for (const name of listing(folder).filter((n) => n.endsWith(".json"))) rmSync(join(folder, name));
    };

    // How long a cold rebuild takes here, so the kills spread over all of it.
    const t0 = performance.now();
    expect((await reportedTotals(home)).size).toBe(4);
    const coldMs = performance.now() - t0;

    const actions: Record<string, number> = {};
    const failures: string[] = [];
    let mostTemps = 0;
    let mostLocks = 0;
    let aimedAtWrite = 0;
    for (let k = 0; k < KILLS; k++) {
      const action = rng.pick(["cold", "cold", "append", "replace"] as const);
      actions[action] = (actions[action] ?? 0) + 1;
      const session = rng.pick(sessions);
      if (action === "cold") wipeCaches();
      else if (action === "append") appendFileSync(session.transcript, session.nextText(rng.range(1, 200)));
      else session.replaceByRename();
      const args = rng.chance(0.5) ? ["json"] : ["compact", "--tmux", "--tokens"];
      const proc = Bun.spawn([BINARY, ...args], { env: home.env, stdout: "ignore", stderr: "ignore", stdin: "ignore" });
      if (rng.chance(0.5)) await Bun.sleep(rng.int(Math.ceil(coldMs * 1.2)));
      else {
        // At the first sight of its temp file: the kill lands in a cache write (or just after it).
        const mine = `.${proc.pid}.`;
        for (const until = performance.now() + coldMs * 2; performance.now() < until; ) {
          if (listing(folder).some((n) => n.startsWith(mine))) break;
        }
        aimedAtWrite++;
      }
      proc.kill(9);
      await proc.exited;
      const scan = scanCaches(home.cache);
      failures.push(...scan.problems.map((p) => `after kill ${k} (${action}, seed ${SEED}): ${p}`));
      mostTemps = Math.max(mostTemps, scan.others.filter((n) => n.endsWith(".tmp")).length);
      mostLocks = Math.max(mostLocks, scan.others.filter((n) => n.endsWith(".lock")).length);
    }
    expect(failures).toEqual([]);

    // The next call, in whatever state the last kill left: exact.
    const temps = () => listing(folder).filter((n) => n.endsWith(".tmp"));
    const locks = () => listing(folder).filter((n) => n.endsWith(".lock"));
    const leftTemps = temps().length;
    const leftLocks = locks().length;
    const exact = async () => {
      const reported = await reportedTotals(home);
      for (const s of sessions) expect({ session: s.name, tokens: reported.get(s.sessionId) }).toEqual({ session: s.name, tokens: fourTotals(s.expected()) });
    };
    await exact();
    // Any lock still there belongs to a dead caller…
    for (const name of locks()) {
      const [pid, start] = readFileSync(join(folder, name), "utf8").split(" ");
      const info = await processInfo(Number(pid));
      expect(info === undefined || info.start !== start).toBe(true);
    }
    // …and a cold rebuild takes each over and releases it.
    wipeCaches();
    await exact();
    expect(locks()).toEqual([]);
    // A killed writer leaves at most its one temp file (never read: no ".json" name). The next cold
    // rebuild leaves young ones alone (a write may be under way) and removes those over a minute old.
    expect(leftTemps).toBeLessThanOrEqual(KILLS);
    expect(temps().length).toBe(leftTemps);
    const minutesAgo = new Date(Date.now() - 120_000);
    for (const name of temps()) utimesSync(join(folder, name), minutesAgo, minutesAgo);
    wipeCaches();
    await exact();
    expect(temps()).toEqual([]);
    expect(scanCaches(home.cache).problems).toEqual([]);

    measured.push(
      `faults kill: ${KILLS} kills (seed ${SEED}; ${Object.entries(actions).map(([a, n]) => `${n} ${a}`).join(", ")}), cold call ${coldMs.toFixed(0)} ms, ` +
        `${leftTemps} temp files and ${leftLocks} locks left by killed callers (most at once: ${mostTemps} and ${mostLocks}), ${aimedAtWrite} kills aimed at a write, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const s of sessions) await s.sleeper.kill();
  }, 600_000);
});
