/** The whole pipeline against real processes: who is live, who is gone, one session per id. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProjectDir } from "../src/discover/projectDir.ts";
import { takeSnapshot } from "../src/snapshot.ts";
import { liveProbe, makeHome, pidDomain, spawnSleeper, writeProbe } from "./helpers/home.ts";
import { response } from "./helpers/rows.ts";

const SID = "e508dfcd-efef-48c7-b9de-a0e233458c35";

describe("liveness against real processes", () => {
  test("a live process is listed; a dead pid and a reused pid are not", async () => {
    const home = makeHome();
    const live = spawnSleeper();
    const dead = spawnSleeper();
    await dead.kill();
    const reused = spawnSleeper();
    writeProbe(home, live.pid, liveProbe(live, { sessionId: "11111111-0000-4000-8000-000000000001", status: "idle" }));
    writeProbe(home, dead.pid, { ...liveProbe(dead, {}), sessionId: "11111111-0000-4000-8000-000000000002", status: "busy" });
    writeProbe(home, reused.pid, liveProbe(reused, { sessionId: "11111111-0000-4000-8000-000000000003", status: "busy", procStart: String(Number(reused.procStart) - 1) }));
    const snapshot = await takeSnapshot(home.env, { tokens: false });
    expect(snapshot.sessions.map((s) => s.pid)).toEqual([live.pid]);
    expect(snapshot.sessions[0]?.liveness).toBe("live");
  });

  test("a probe from another pid namespace is kept and marked foreign, not judged dead", async () => {
    const home = makeHome();
    writeProbe(home, 999_999, { sessionId: "22222222-0000-4000-8000-000000000001", status: "waiting", waitingFor: "permission prompt", procStart: "1", pidDomain: "linux:0123456789abcdef:pid:[4026532000]" });
    const snapshot = await takeSnapshot(home.env, { tokens: false });
    expect(snapshot.sessions).toHaveLength(1);
    expect(snapshot.sessions[0]).toMatchObject({ liveness: "foreign", state: "asking", waitingFor: "permission prompt" });
  });

  test("kill -9 then claude --resume: two probes, one sessionId, the live one shown", async () => {
    const home = makeHome();
    const killed = spawnSleeper();
    const resumed = spawnSleeper();
    writeProbe(home, killed.pid, liveProbe(killed, { sessionId: SID, status: "busy", updatedAt: 2000 }));
    await killed.kill();
    writeProbe(home, resumed.pid, liveProbe(resumed, { sessionId: SID, status: "idle", updatedAt: 1000 }));
    const snapshot = await takeSnapshot(home.env, { tokens: false });
    expect(snapshot.sessions.map((s) => [s.pid, s.state])).toEqual([[resumed.pid, "idle"]]);
  });

  test("two live probes with one sessionId (foreign and live): one session, the live one", async () => {
    const home = makeHome();
    const live = spawnSleeper();
    writeProbe(home, live.pid, liveProbe(live, { sessionId: SID, status: "idle", updatedAt: 1 }));
    writeProbe(home, 999_998, { sessionId: SID, status: "busy", pidDomain: "linux:elsewhere:pid:[1]", updatedAt: 5 });
    const snapshot = await takeSnapshot(home.env, { tokens: false });
    expect(snapshot.sessions.map((s) => s.pid)).toEqual([live.pid]);
  });

  test("starting (no status yet), unknown status kept raw, torn probe of a live pid skipped", async () => {
    const home = makeHome();
    const a = spawnSleeper();
    const b = spawnSleeper();
    const c = spawnSleeper();
    writeProbe(home, a.pid, { procStart: a.procStart, pidDomain: pidDomain(), sessionId: "33333333-0000-4000-8000-000000000001", cwd: "/w/a" });
    writeProbe(home, b.pid, liveProbe(b, { sessionId: "33333333-0000-4000-8000-000000000002", status: "hibernating" }));
    writeFileSync(join(home.claude, "sessions", `${c.pid}.json`), `{"pid":${c.pid},"sessionId":"3333`);
    const snapshot = await takeSnapshot(home.env, { tokens: false });
    expect(snapshot.sessions.map((s) => [s.pid, s.state, s.status])).toEqual([
      [a.pid, "starting", undefined],
      [b.pid, "unknown", "hibernating"],
    ]);
    expect(snapshot.counts).toEqual({ asking: 0, busy: 0, starting: 1, unknown: 1, idle: 0 });
  });

  test("several config dirs; order: asking (longest first), busy, idle", async () => {
    const home = makeHome();
    const second = join(home.root, "work-claude");
    const [a, b, c, d] = [spawnSleeper(), spawnSleeper(), spawnSleeper(), spawnSleeper()];
    writeProbe(home, a.pid, liveProbe(a, { sessionId: "44444444-0000-4000-8000-000000000001", status: "idle", statusUpdatedAt: 1 }));
    writeProbe(home, b.pid, liveProbe(b, { sessionId: "44444444-0000-4000-8000-000000000002", status: "waiting", waitingFor: "input needed", statusUpdatedAt: 500 }), second);
    writeProbe(home, c.pid, liveProbe(c, { sessionId: "44444444-0000-4000-8000-000000000003", status: "waiting", waitingFor: "permission prompt", statusUpdatedAt: 100 }));
    writeProbe(home, d.pid, liveProbe(d, { sessionId: "44444444-0000-4000-8000-000000000004", status: "shell", statusUpdatedAt: 50 }), second);
    const snapshot = await takeSnapshot({ ...home.env, CLAUDE_CONFIG_DIR: `${home.claude},${second}` }, { tokens: false });
    expect(snapshot.sessions.map((s) => s.pid)).toEqual([c.pid, b.pid, d.pid, a.pid]);
    expect(snapshot.sessions.find((s) => s.pid === b.pid)?.configDir).toBe(second);
  });

  test("tokens are read from the session's own config dir and summed into totals", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    writeProbe(home, s.pid, liveProbe(s, { sessionId: SID, cwd: "/home/u/proj", status: "idle" }));
    const dir = join(home.claude, "projects", encodeProjectDir("/home/u/proj"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${SID}.jsonl`), `${response("m1", { input: 3, cacheWrite: 20, cacheRead: 100, output: 7, oneHour: 5 }).join("\n")}\n`);
    const snapshot = await takeSnapshot(home.env, { tokens: true });
    expect(snapshot.sessions[0]?.tokens).toEqual({ input: 3, cacheWrite: 20, cacheWrite5m: 15, cacheWrite1h: 5, cacheRead: 100, output: 7 });
    expect(snapshot.totals).toEqual(snapshot.sessions[0]?.tokens as never);
    expect(snapshot.sessions[0]?.model).toBe("claude-opus-5-5");
  });
});
