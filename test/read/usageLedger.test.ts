import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { cacheDir } from "../../src/env.ts";
import { FULL_CHECK_MS, LedgerSchema, ledgerPath } from "../../src/read/usageLedger.ts";
import { takeSnapshot, takeUsage } from "../../src/snapshot.ts";
import { FIXTURES, type TestHome, liveProbe, makeHome, spawnSleeper, writeProbe } from "../helpers/home.ts";
import { naiveTotals } from "../helpers/oracle.ts";
import { assistantLine, rateLimitLine } from "../helpers/rows.ts";

const CHOICES = { timeZone: "UTC", billingDay: 1, monthlyWindows: 50 };
const T = (iso: string) => Date.parse(iso);

async function usageAt(home: TestHome, now: number) {
  const snapshot = await takeSnapshot(home.env, { tokens: true, now });
  const { report, problem } = await takeUsage(home.env, snapshot, CHOICES, {});
  expect(problem).toBeUndefined();
  return report;
}

const line = (id: string, output: number, at: string, cost?: { input: number }) => `${assistantLine(id, `req_${id}`, { output, ...cost }, { at })}\n`;

function transcript(home: TestHome, project: string, sessionId: string, text: string): string {
  const dir = join(home.claude, "projects", project);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${sessionId}.jsonl`);
  writeFileSync(path, text);
  return path;
}

const ID = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

describe("the usage ledger", () => {
  test("the real capture after exit: the month is what the API sent and costs what Claude Code said at exit", async () => {
    const home = makeHome("11-after-exit");
    const text = readFileSync(join(FIXTURES, "tokens.txt"), "utf8");
    const costs = [...text.matchAll(/last cost-state\s+: totalCostUSD=([0-9.]+)/g)].map((m) => Number(m[1]));
    expect(costs).toHaveLength(3);
    const files = readdirSync(join(home.claude, "projects"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".jsonl"))
      .map((e) => join(e.parentPath, e.name));
    const want = naiveTotals(files);
    // The first reply, found independently: the window starts at its hour.
    const times = files.flatMap((f) => readFileSync(f, "utf8").split("\n").filter((l) => l.includes('"type":"assistant"')).map((l) => JSON.parse(l).timestamp as string));
    const first = Math.min(...times.map(T));
    const last = Math.max(...times.map(T));
    const now = last + 60_000;

    const r = await usageAt(home, now);
    expect(r.month.tokens).toMatchObject(want);
    expect(r.month.costUSD).toBeCloseTo(costs.reduce((a, b) => a + b, 0), 12);
    expect(r.window?.source).toBe("inferred");
    expect(r.window?.start).toBe(Math.floor(first / 3600_000) * 3600_000);
    expect(r.window?.tokens).toEqual(r.month.tokens);
    expect(r.month.windowsUsed).toBe(1);
    expect(r.days.reduce((a, d) => a + d.costUSD, 0)).toBeCloseTo(r.month.costUSD, 12);
  });

  test("live sessions come from the snapshot, ended ones from the ledger, none twice", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    const live = transcript(home, "-w-live", ID(1), line("a1", 100, "2026-11-21T10:05:00Z"));
    transcript(home, "-w-ended", ID(2), line("b1", 20, "2026-11-21T09:30:00Z"));
    writeProbe(home, s.pid, liveProbe(s, { sessionId: ID(1), cwd: "/w/live", status: "busy" }));
    const now = T("2026-11-21T10:30:00Z");
    expect((await usageAt(home, now)).month.tokens.output).toBe(120);
    // The live one writes more: seen at once (its transcript is read on every call anyway).
    appendFileSync(live, line("a2", 3, "2026-11-21T10:20:00Z"));
    expect((await usageAt(home, now + 1000)).month.tokens.output).toBe(123);
    await s.kill();
  });

  test("a session that ends is read once more, so replies after the last call still count", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    const path = transcript(home, "-w-a", ID(1), line("a1", 100, "2026-11-21T10:05:00Z"));
    const probe = writeProbe(home, s.pid, liveProbe(s, { sessionId: ID(1), cwd: "/w/a", status: "busy" }));
    const now = T("2026-11-21T10:30:00Z");
    expect((await usageAt(home, now)).month.tokens.output).toBe(100);
    appendFileSync(path, line("a2", 7, "2026-11-21T10:31:00Z"));
    await s.kill();
    rmSync(probe);
    expect((await usageAt(home, now + 2000)).month.tokens.output).toBe(107);
  });

  test("a session seen ending is listed as ended for an hour, its prompt cache with it", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    transcript(home, "-w-a", ID(1), line("a1", 100, "2026-11-21T10:28:00Z"));
    const probe = writeProbe(home, s.pid, liveProbe(s, { sessionId: ID(1), cwd: "/w/a", status: "idle" }));
    const now = T("2026-11-21T10:30:00Z");
    expect((await usageAt(home, now)).ended).toEqual([]);
    await s.kill();
    rmSync(probe);
    const r = await usageAt(home, now + 1000);
    expect(r.ended).toEqual([{ sessionId: ID(1), transcript: expect.stringContaining(`${ID(1)}.jsonl`), endedAt: now + 1000, cache: { state: "ended", ttlSeconds: 300, expiresAt: T("2026-11-21T10:33:00Z") } }]);
    expect((await usageAt(home, now + 1000 + 3600_000 - 1)).ended).toHaveLength(1);
    expect((await usageAt(home, now + 1000 + 3600_000)).ended).toEqual([]);
    // A transcript that was never seen live (found by the full check) did not end while we watched.
    transcript(home, "-w-b", ID(2), line("b1", 1, "2026-11-21T11:40:00Z"));
    expect((await usageAt(home, now + 2 * 3600_000)).ended).toEqual([]);
  });

  test("a warm call reads no ended transcript; the check once a minute does", async () => {
    const home = makeHome();
    const path = transcript(home, "-w-a", ID(1), line("a1", 100, "2026-11-21T10:05:00Z"));
    const now = T("2026-11-21T10:30:00Z");
    expect((await usageAt(home, now)).month.tokens.output).toBe(100);
    // Nothing with a probe writes here, so until the next full check the ledger stands as it is.
    appendFileSync(path, line("a2", 5, "2026-11-21T10:32:00Z"));
    expect((await usageAt(home, now + FULL_CHECK_MS - 1)).month.tokens.output).toBe(100);
    expect((await usageAt(home, now + FULL_CHECK_MS)).month.tokens.output).toBe(105);
  });

  test("a warm call needs only the ledger's first two lines; the groups below are read to change something", async () => {
    const home = makeHome();
    transcript(home, "-w-a", ID(1), line("a1", 100, "2026-11-21T10:05:00Z"));
    const now = T("2026-11-21T10:30:00Z");
    await usageAt(home, now);
    const path = ledgerPath(cacheDir(home.env), home.claude);
    const [head, summary] = readFileSync(path, "utf8").split("\n");
    const broken = `${head}\n${summary}\n{"not":"the groups"}\n`;
    writeFileSync(path, broken);
    expect((await usageAt(home, now + 1000)).month.tokens.output).toBe(100);
    expect(readFileSync(path, "utf8")).toBe(broken);
    // At the minute's check the groups are needed, found broken, and rebuilt from the transcripts.
    expect((await usageAt(home, now + FULL_CHECK_MS)).month.tokens.output).toBe(100);
    expect(v.safeParse(LedgerSchema, ledger(home)).success).toBe(true);
  });

  test("a transcript written with no probe (claude -p) is found at the next check; an old one is not", async () => {
    const home = makeHome();
    transcript(home, "-w-a", ID(1), line("a1", 1, "2026-11-21T10:05:00Z"));
    const now = T("2026-11-21T10:30:00Z");
    await usageAt(home, now);
    transcript(home, "-w-b", ID(2), line("b1", 40, "2026-11-21T10:40:00Z"));
    const old = transcript(home, "-w-c", ID(3), line("c1", 9000, "2026-09-01T10:40:00Z"));
    utimesSync(old, new Date("2026-09-01T11:00:00Z"), new Date("2026-09-01T11:00:00Z"));
    const later = await usageAt(home, now + FULL_CHECK_MS);
    expect(later.month.tokens.output).toBe(41);
    expect(Object.keys(ledger(home).groups).sort()).toEqual([ID(1), ID(2)]);
  });

  test("sessions with nothing in the last 35 days are dropped from the ledger", async () => {
    const home = makeHome();
    transcript(home, "-w-a", ID(1), line("a1", 1, "2026-11-21T10:05:00Z"));
    await usageAt(home, T("2026-11-21T10:30:00Z"));
    expect(Object.keys(ledger(home).groups)).toEqual([ID(1)]);
    const r = await usageAt(home, T("2026-12-27T10:30:00Z"));
    expect(r.month.tokens.output).toBe(0);
    expect(ledger(home).groups).toEqual({});
  });

  test("a rate-limit row in an ended session sets the window by its reset time", async () => {
    const home = makeHome();
    const reset = T("2026-11-21T14:00:00Z") / 1000;
    transcript(home, "-w-a", ID(1), line("a1", 10, "2026-11-21T10:05:00Z") + `${rateLimitLine("2026-11-21T10:20:00.000Z", reset)}\n`);
    const r = await usageAt(home, T("2026-11-21T10:30:00Z"));
    expect(r.window).toMatchObject({ source: "limit", start: T("2026-11-21T09:00:00Z"), end: T("2026-11-21T14:00:00Z"), usedPercent: 100 });
    expect(r.window?.tokens.output).toBe(10);
  });

  test("a garbage or foreign ledger is rebuilt with the same answer; every ledger written is valid", async () => {
    const home = makeHome();
    transcript(home, "-w-a", ID(1), line("a1", 33, "2026-11-21T10:05:00Z"));
    const now = T("2026-11-21T10:30:00Z");
    expect((await usageAt(home, now)).month.tokens.output).toBe(33);
    const path = ledgerPath(cacheDir(home.env), home.claude);
    expect(v.safeParse(LedgerSchema, ledger(home)).success).toBe(true);
    for (const junk of ["", "{", "\u0000\u0001binary", `${readFileSync(path, "utf8").split("\n")[0]}\n{"buckets":[]}\n{"groups":{}}\n`]) {
      writeFileSync(path, junk);
      expect((await usageAt(home, now + 1)).month.tokens.output).toBe(33);
      expect(v.safeParse(LedgerSchema, ledger(home)).success).toBe(true);
    }
    rmSync(path);
    mkdirSync(path);
    expect((await usageAt(home, now + 2)).month.tokens.output).toBe(33);
  });
});

function ledger(home: TestHome) {
  const text = readFileSync(ledgerPath(cacheDir(home.env), home.claude), "utf8");
  return JSON.parse(text.split("\n")[2] as string);
}
