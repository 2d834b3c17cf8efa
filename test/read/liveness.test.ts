import { describe, expect, test } from "bun:test";
import { judgeLiveness, ownPidDomain, parseProcStat, processAncestry, processInfo } from "../../src/read/liveness.ts";
import { pidDomain, spawnSleeper } from "../helpers/home.ts";

const stat = (comm: string, state: string, start: string) =>
  `4242 (${comm}) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe("parseProcStat", () => {
  test.each([
    ["claude", "S", "118972"],
    ["a b) (c", "R", "5"],
    [")", "Z", "77"],
  ])("comm %p", (comm, state, start) => {
    expect(parseProcStat(stat(comm, state, start))).toEqual({ state, start, ppid: 1 });
  });
  test("garbage", () => {
    expect(parseProcStat("nothing here")).toBeUndefined();
    expect(parseProcStat("1 (x) S")).toBeUndefined();
  });
});

describe("judgeLiveness", () => {
  const ours = "linux:abc:pid:[1]";
  const alive = { state: "S", start: "100", ppid: 1 };
  test.each([
    ["same start, our domain", { pidDomain: ours, procStart: "100" }, alive, "live"],
    ["no pidDomain recorded", { procStart: "100" }, alive, "live"],
    ["no procStart recorded: the pid alone", { pidDomain: ours }, alive, "live"],
    ["pid gone", { pidDomain: ours, procStart: "100" }, undefined, "dead"],
    ["pid reused: other start time", { pidDomain: ours, procStart: "99" }, alive, "dead"],
    ["zombie after kill -9", { pidDomain: ours, procStart: "100" }, { state: "Z", start: "100", ppid: 1 }, "dead"],
    ["another pid namespace: cannot judge", { pidDomain: "linux:other:pid:[2]", procStart: "100" }, undefined, "foreign"],
  ] as const)("%s", (_, probe, info, want) => {
    expect(judgeLiveness(probe, ours, info)).toBe(want);
  });
});

describe("against real processes", () => {
  test("ownPidDomain is what Claude Code writes", async () => {
    expect(await ownPidDomain()).toBe(pidDomain());
  });
  test("processInfo of a live process, then after it is killed and reaped", async () => {
    const sleeper = spawnSleeper();
    const info = await processInfo(sleeper.pid);
    expect(info?.start).toBe(sleeper.procStart);
    expect(["R", "S"]).toContain(info?.state as string);
    await sleeper.kill();
    expect(await processInfo(sleeper.pid)).toBeUndefined();
  });
});

test("processAncestry: a child, its parent (this test), up towards init", async () => {
  const sleeper = spawnSleeper();
  const chain = await processAncestry(sleeper.pid);
  expect(chain[0]).toBe(sleeper.pid);
  expect(chain[1]).toBe(process.pid);
  expect(chain).not.toContain(1);
  await sleeper.kill();
  expect(await processAncestry(sleeper.pid)).toEqual([sleeper.pid]);
});
