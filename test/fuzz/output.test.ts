/**
 * Fuzzing what the compiled binary prints: a live session whose probe and transcript are mutated real
 * captures (hostile text, wrong types, huge numbers, torn JSON, invalid UTF-8 in any field). Every
 * command must exit 0 with nothing on stderr and no control character in its output (colour codes
 * aside), json must parse with every token count a non-negative safe integer and every cost finite.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { FIXTURES, liveProbe, makeHome, runBinary, spawnSleeper } from "../helpers/home.ts";
import { MUTATIONS, mutate, splitLines } from "./mutate.ts";
import { fuzz, fuzzTimeout } from "./run.ts";

const FILE = "test/fuzz/output.test.ts";
const MOMENT = join(FIXTURES, "10-idle-after-shell");
const CWD = "/home/dev/code/work/s2";
const SID = "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30";
const PROBE = JSON.parse(readFileSync(join(MOMENT, "sessions", "2507.json"), "utf8"));
const TRANSCRIPT = readFileSync(join(MOMENT, "projects", encodeProjectDir(CWD), `${SID}.jsonl`));
const DONORS = splitLines(TRANSCRIPT).filter((l) => l.length > 0 && l.length < 20_000);

// C0 but \t and \n, DEL, the C1 CSI/OSC introducers, and the bidi override.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b\x9d\u202e]/;
const SGR = /\x1b\[[0-9;]*m/g;
const COMMANDS = [["json"], ["compact", "--tmux", "--tokens", "--cost"], ["list"], ["prompt", "--shell=zsh"]];
const TOKEN_KEYS = new Set(["input", "cacheWrite", "cacheWrite5m", "cacheWrite1h", "cacheRead", "output"]);

/** Every token count in the JSON is a non-negative safe integer, every cost a finite non-negative number. */
function checkNumbers(value: unknown, path = ""): void {
  if (Array.isArray(value)) value.forEach((v, i) => checkNumbers(v, `${path}[${i}]`));
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      const at = `${path}.${key}`;
      if (path.endsWith(".tokens") && TOKEN_KEYS.has(key) && (!Number.isSafeInteger(v) || (v as number) < 0)) throw new Error(`${at} = ${v}`);
      if (/costUSD$/i.test(key) && v !== null && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) throw new Error(`${at} = ${v}`);
      checkNumbers(v, at);
    }
  }
}

describe("fuzz: what the binary prints", () => {
  test("mutated probe and transcript of a live session: exit 0, no stderr, no control characters, sane JSON", async () => {
    const home = makeHome();
    const sleeper = spawnSleeper();
    const probePath = join(home.claude, "sessions", `${sleeper.pid}.json`);
    let listed = 0;
    const report = await fuzz(
      "output",
      FILE,
      async (rng, log, index) => {
        // A new session id per case: each case starts from a cold cache of its own.
        const sessionId = `${SID.slice(0, -6)}${String(index).padStart(6, "0")}`;
        const base = new TextEncoder().encode(JSON.stringify({ ...PROBE, ...liveProbe(sleeper, { pid: sleeper.pid, sessionId }) }));
        // Mostly JSON-aware edits, so the session often stays live and its fields reach the renderers.
        const focus = { donors: [], focus: ["name", "status", "waitingFor", "cwd", "tmux", "sessionId", "version", "kind", "updatedAt"] };
        const probe = rng.chance(0.15) ? mutate(rng, base, log, focus, 2) : rng.chance(0.9) ? MUTATIONS.editJson!(rng, base, log, focus) : base;
        const transcript = mutate(rng, TRANSCRIPT, log, { donors: DONORS, focus: ["usage", "model", "timestamp", "id", "requestId"] });
        const dir = join(home.claude, "projects", encodeProjectDir(CWD));
        mkdirSync(dir, { recursive: true });
        const transcriptPath = join(dir, `${sessionId}.jsonl`);
        writeFileSync(transcriptPath, transcript);
        writeFileSync(probePath, probe);
        try {
          const results = await Promise.all(COMMANDS.map((args) => runBinary(home, args)));
          for (const [i, r] of results.entries()) {
            const what = (COMMANDS[i] as string[]).join(" ");
            if (r.code !== 0 || r.stderr !== "") throw new Error(`${what}: exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}`);
            const bad = r.stdout.replace(SGR, "").split("\n").find((line) => CONTROL.test(line));
            if (bad !== undefined) throw new Error(`${what}: control character in ${JSON.stringify(bad.slice(0, 200))}`);
          }
          const json = JSON.parse((results[0] as { stdout: string }).stdout);
          checkNumbers(json);
          if (json.sessions.length > 0) listed++;
        } finally {
          rmSync(transcriptPath, { force: true });
        }
      },
      { minCases: 10 },
    );
    // Enough cases must reach the renderers with a live session, or the target tests little (~3 in 4 do).
    console.log(`fuzz output: ${listed} of ${report.cases} cases with the session listed`);
    expect(listed).toBeGreaterThan(report.cases / 3);
    await sleeper.kill();
  }, fuzzTimeout());
});
