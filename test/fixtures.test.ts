/**
 * The real Claude Code 2.1.328 captures: every state is reported as status.txt says it was, and token
 * totals equal tokens.txt (the usage the API sent, which Claude Code's own cost-state agrees with).
 */
import { describe, expect, test } from "bun:test";
import { cpSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { takeSnapshot } from "../src/snapshot.ts";
import { FIXTURES, makeHome, reviveProbes } from "./helpers/home.ts";
import { naiveTotals } from "./helpers/oracle.ts";

const STATE_FOLDERS = readdirSync(FIXTURES).filter((d) => /^\d\d-/.test(d) && d !== "11-after-exit");

interface Truth {
  name: string;
  pid: number;
  status: string;
  waitingFor?: string;
}

function readStatus(folder: string): Truth[] {
  return readFileSync(join(FIXTURES, folder, "status.txt"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(\S+) pid=(\d+) (\S+) ?(.*)$/.exec(line);
      if (!m) throw new Error(`bad status line ${line}`);
      const rest = m[4] as string;
      return { name: m[1] as string, pid: Number(m[2]), status: m[3] as string, waitingFor: rest === "-" || rest === "" ? undefined : rest };
    });
}

const expectedState = (status: string) => ({ idle: "idle", busy: "busy", shell: "busy", waiting: "asking" })[status];

describe("real captures", () => {
  for (const folder of STATE_FOLDERS) {
    test(`${folder}: states and tokens`, async () => {
      const home = makeHome(folder);
      const pids = reviveProbes(home);
      const snapshot = await takeSnapshot(home.env, { tokens: true });
      const truth = readStatus(folder);
      expect(snapshot.sessions).toHaveLength(truth.length);
      for (const t of truth) {
        const s = snapshot.sessions.find((x) => x.pid === pids.get(t.pid));
        expect(s, `${t.name} listed`).toBeDefined();
        if (!s) continue;
        expect(s.state).toBe(expectedState(t.status) as never);
        expect(s.status).toBe(t.status);
        expect(s.waitingFor).toBe(t.waitingFor);
        expect(s.background).toBe(t.status === "shell");
        const transcripts = s.transcript ? [s.transcript] : [];
        const want = naiveTotals(transcripts);
        expect({ input: s.tokens.input, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead, output: s.tokens.output }).toEqual(want);
      }
      expect(snapshot.counts.asking).toBe(truth.filter((t) => t.status === "waiting").length);
    });
  }

  test("11-after-exit: no probes left, nothing listed", async () => {
    const home = makeHome("11-after-exit");
    const snapshot = await takeSnapshot(home.env, { tokens: true });
    expect(snapshot.sessions).toHaveLength(0);
  });

  test("final transcripts total exactly what tokens.txt says the API sent", async () => {
    // 10-idle-after-shell's probes (all three alive) over the transcripts as they were at exit.
    const home = makeHome("10-idle-after-shell");
    rmSync(join(home.claude, "projects"), { recursive: true });
    cpSync(join(FIXTURES, "11-after-exit", "projects"), join(home.claude, "projects"), { recursive: true });
    reviveProbes(home);
    const snapshot = await takeSnapshot(home.env, { tokens: true });

    const text = readFileSync(join(FIXTURES, "tokens.txt"), "utf8");
    const blocks = [...text.matchAll(/session (\S+) .*\n.*\n\s+transcript records : (\{.*\})/g)];
    expect(blocks).toHaveLength(3);
    for (const [, sessionId, json] of blocks) {
      const want = JSON.parse(json as string);
      const s = snapshot.sessions.find((x) => x.sessionId === sessionId);
      expect(s?.tokens).toMatchObject({
        input: want.input_tokens,
        cacheWrite: want.cache_creation_input_tokens,
        cacheRead: want.cache_read_input_tokens,
        output: want.output_tokens,
      });
      expect(s?.model).toBe("claude-opus-5-5");
      // Claude Code's own total at exit (cost-state), from tokens.txt.
      const costState = new RegExp(`session ${sessionId}[\\s\\S]*?totalCostUSD=([0-9.]+)`).exec(text);
      expect(s?.costUSD).toBeCloseTo(Number(costState?.[1]), 9);
      expect(s?.costEstimated).toBe(false);
      // Every reply asked for the 5-minute cache ("promptCacheRequested":"5m"); the last one was at exit.
      expect(s?.cache).toMatchObject({ state: "expired", ttlSeconds: 300 });
    }
    const sum = (k: string) => blocks.reduce((acc, [, , json]) => acc + JSON.parse(json as string)[k], 0);
    expect(snapshot.totals).toMatchObject({ input: sum("input_tokens"), cacheWrite: sum("cache_creation_input_tokens"), cacheRead: sum("cache_read_input_tokens"), output: sum("output_tokens") });
  });
});
