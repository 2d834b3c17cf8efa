/**
 * End to end on a synthetic home from bench/gen-home.ts: the compiled binary must report exactly the
 * token totals the generator wrote down, before and after rows are appended. The home has what a
 * reader gets wrong most easily: streaming partials with lower usage, content-block rows repeating one
 * usage, sub-agent files (nested ones too), /btw replays, `usage` keys inside tool results, `<synthetic>`
 * rows, NUL-prefixed lines, a torn last line, a 10 MB line, a session resumed from another directory,
 * stale probes. Build the binary first (`make build`; `make test` does).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const BINARY = join(ROOT, "dist", "ccpulse");
const GEN_HOME = join(ROOT, "bench", "gen-home.ts");

const dir = mkdtempSync(join(tmpdir(), "ccpulse-genhome-"));
const home = join(dir, "home");
const env = { HOME: home, CLAUDE_CONFIG_DIR: join(home, ".claude"), XDG_CACHE_HOME: join(dir, "cache"), PATH: process.env.PATH ?? "/usr/bin:/bin" };

type Tokens = Record<"input" | "cacheWrite" | "cacheWrite5m" | "cacheWrite1h" | "cacheRead" | "output", number>;
interface Expected {
  totals: { live: Tokens };
  sessions: Record<string, { live: boolean; tokens: Tokens }>;
}
interface Report {
  totals: { tokens: Tokens };
  sessions: { sessionId: string; tokens: Tokens }[];
}

function genHome(...args: string[]): void {
  const run = Bun.spawnSync([process.execPath, GEN_HOME, ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: env.PATH } });
  if (run.exitCode !== 0) throw new Error(`gen-home ${args.join(" ")} failed: ${run.stderr.toString()}`);
}

async function ccpulseJson(): Promise<Report> {
  const proc = Bun.spawn([BINARY, "json"], { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`ccpulse json exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Report;
}

function expectTotalsMatch(report: Report): void {
  const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
  const live = Object.entries(expected.sessions).filter(([, s]) => s.live);
  expect(report.sessions.map((s) => s.sessionId).sort()).toEqual(live.map(([id]) => id).sort());
  for (const s of report.sessions) expect({ session: s.sessionId, tokens: s.tokens }).toEqual({ session: s.sessionId, tokens: expected.sessions[s.sessionId]?.tokens as Tokens });
  expect(report.totals.tokens).toEqual(expected.totals.live);
}

beforeAll(() => {
  genHome("--out", dir, "--sessions", "4", "--live", "2", "--bytes", "2M", "--seed", "test", "--one-huge-line", "10");
});

afterAll(() => {
  genHome("--kill", dir);
  rmSync(dir, { recursive: true, force: true });
});

test("the generator's expected.json agrees with the bytes it wrote", () => {
  genHome("--verify", dir);
});

test("a live session's last reply lands minutes before the epoch, no session's after it", () => {
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { epoch: number; configDir: string; sessions: { transcript: string; live: boolean; cwd: string }[] };
  const lastReply = (transcript: string): number => {
    const stamps = [...readFileSync(join(state.configDir, transcript), "utf8").matchAll(/"timestamp":"([^"]+)"/g)].map((m) => Date.parse(m[1] as string));
    return Math.max(...stamps);
  };
  for (const s of state.sessions) {
    const last = lastReply(s.transcript);
    // A prompt's rows may run a few minutes past the pace; a fixed step ran live sessions hours past.
    expect({ cwd: s.cwd, pastEpochUnder20Minutes: last - state.epoch < 20 * 60_000 }).toEqual({ cwd: s.cwd, pastEpochUnder20Minutes: true });
    // The one-huge-line session is a single prompt; the others ran up to the minutes before the epoch.
    if (s.live && !s.cwd.endsWith("/huge-log")) expect({ cwd: s.cwd, within30MinutesBefore: state.epoch - last < 30 * 60_000 }).toEqual({ cwd: s.cwd, within30MinutesBefore: true });
  }
});

test("ccpulse json reports the generated token totals", async () => {
  expectTotalsMatch(await ccpulseJson());
  // A second call is answered from the offset cache and must not change a number.
  expectTotalsMatch(await ccpulseJson());
});

test("ccpulse json follows appended rows", async () => {
  for (let round = 0; round < 2; round++) {
    genHome("--append", String(256 << 10), "--out", dir);
    expectTotalsMatch(await ccpulseJson());
  }
  genHome("--verify", dir);
});

// bench/floor.ts, the yardstick make bench times beside ccpulse after each append, must do the work it
// stands for: read every live session's transcript (one resumed elsewhere too) and sub-agent files
// (nested ones too), and then only their new bytes, counting each message's last row. It leaves out
// ccpulse's check of sub-agent rows against the main file's ids (a /btw side question replays the
// parent's messages), so a session's sum runs over the true one by what was replayed, never under it.
test("bench/floor.ts reads every live session's files and counts at least each session's tokens, before and after an append", () => {
  const own = mkdtempSync(join(tmpdir(), "ccpulse-floor-"));
  const ownEnv = { HOME: join(own, "home"), CLAUDE_CONFIG_DIR: join(own, "home", ".claude"), XDG_CACHE_HOME: join(own, "cache"), PATH: env.PATH };
  try {
    // Three live sessions: the third is the one resumed from another directory; seed b puts sub-agent
    // files in nested folders.
    genHome("--out", own, "--sessions", "4", "--live", "3", "--bytes", "6M", "--seed", "b");
    const check = () => {
      const run = Bun.spawnSync([process.execPath, join(ROOT, "bench", "floor.ts")], { env: ownEnv, stdout: "pipe", stderr: "pipe" });
      expect(run.stderr.toString()).toBe("");
      const state = JSON.parse(readFileSync(join(own, "cache", "ccpulse-floor", "state.json"), "utf8")) as { files: Record<string, { tokens: number[] }> };
      const expected = JSON.parse(readFileSync(join(own, "expected.json"), "utf8")) as Expected & { sessions: Record<string, { transcript: string }> };
      const live = Object.entries(expected.sessions).filter(([, e]) => e.live);
      expect(live.length).toBe(3);
      for (const [id, e] of live) {
        const transcript = join(ownEnv.CLAUDE_CONFIG_DIR, e.transcript);
        const subagents = join(transcript.slice(0, -".jsonl".length), "subagents");
        const below = existsSync(subagents) ? (readdirSync(subagents, { recursive: true }) as string[]) : [];
        const files = [transcript, ...below.filter((f) => f.endsWith(".jsonl")).map((f) => join(subagents, f))];
        expect(Object.keys(state.files).filter((f) => f.includes(id)).sort()).toEqual(files.sort());
        const read = files.reduce((sum, f) => sum + (state.files[f]?.tokens ?? []).reduce((a, b) => a + b, 0), 0);
        const truth = e.tokens.input + e.tokens.cacheWrite + e.tokens.cacheRead + e.tokens.output;
        expect({ id, over: read >= truth, near: read < truth * 1.1 }).toEqual({ id, over: true, near: true });
      }
    };
    check();
    genHome("--append", String(512 << 10), "--out", own);
    check();
  } finally {
    genHome("--kill", own);
    rmSync(own, { recursive: true, force: true });
  }
});

test("--append BYTES writes about BYTES of transcript, however many live sessions share it", () => {
  // Ten live sessions, 20 KB each of a 200 KB append: less than one turn of ~10 tool calls. Each turn
  // ran to its end, and such an append wrote 3-4.6 times what was asked.
  const many = mkdtempSync(join(tmpdir(), "ccpulse-genhome-append-"));
  try {
    genHome("--out", many, "--sessions", "10", "--live", "10", "--bytes", "2M", "--seed", "append");
    const transcriptBytes = (): number =>
      readdirSync(join(many, "home", ".claude", "projects"), { recursive: true, encoding: "utf8" })
        .filter((p) => p.endsWith(".jsonl"))
        .reduce((sum, p) => sum + statSync(join(many, "home", ".claude", "projects", p)).size, 0);
    for (let round = 0; round < 3; round++) {
      const before = transcriptBytes();
      genHome("--append", String(200 << 10), "--out", many);
      const ratio = (transcriptBytes() - before) / (200 << 10);
      expect({ round, nearAsked: ratio > 0.5 && ratio < 1.5 }).toEqual({ round, nearAsked: true });
    }
  } finally {
    genHome("--kill", many);
    rmSync(many, { recursive: true, force: true });
  }
});
