/** When a full call's answer may be stored for replay, and what replay compares. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inputs, answerFor, storeAnswer, watchEnv } from "../../src/replay/record.ts";
import { answerOfFile } from "../helpers/answerFile.ts";
import { spawnSleeper } from "../helpers/home.ts";
import { humanAge } from "../../src/render/humanize.ts";
import { MAX_ANSWER_AGE_MS, REPLAY_VERSION, ageMark, answerPath, drawAges, fingerprint, replay } from "../../src/replay/replay.ts";

function dir(): string {
  return mkdtempSync(join(tmpdir(), "ccpulse-replay-"));
}

const call = (startedAt: number) => ({ argv: ["compact"], env: [["HOME", "/h"]] as [string, string | null][], startedAt, at: startedAt, text: "● 1" });

describe("watchEnv", () => {
  test("records each variable read, unset ones as null; listing them all makes the call unstorable", () => {
    const watched = watchEnv({ HOME: "/h", CLAUDE_CONFIG_DIR: "/c", UNREAD: "x" });
    expect(watched.env.HOME).toBe("/h");
    expect(watched.env.TZ).toBeUndefined();
    expect("CLAUDE_CONFIG_DIR" in watched.env).toBe(true);
    expect(watched.read()).toEqual([["HOME", "/h"], ["TZ", null], ["CLAUDE_CONFIG_DIR", "/c"]]);
    expect(Object.keys(watched.env)).toContain("UNREAD");
    expect(watched.read()).toBeUndefined();
  });
});

describe("answerFor", () => {
  test("stores each path's fingerprint when all are older than the call by the margin; missing paths too", async () => {
    const root = dir();
    const file = join(root, "probe.json");
    writeFileSync(file, "{}");
    const old = new Date(Date.now() - 5000);
    utimesSync(file, old, old);
    const inputs = new Inputs();
    inputs.add(file, join(root, "absent"), "");
    const answer = await answerFor(call(Date.now()), inputs);
    expect(answer?.paths).toEqual([
      [process.execPath, fingerprint(process.execPath)],
      [file, old.getTime()],
      [join(root, "absent"), fingerprint(join(root, "absent"))],
    ]);
    expect(answer).toMatchObject({ argv: ["compact"], env: [["HOME", "/h"]], text: "● 1" });
    rmSync(root, { recursive: true });
  });

  test("nothing is stored when a path changed within 50 ms of the call's start, or after it", async () => {
    const root = dir();
    const file = join(root, "probe.json");
    writeFileSync(file, "{}");
    const inputs = new Inputs();
    inputs.add(file);
    const startedAt = Date.now();
    utimesSync(file, new Date(startedAt - 30), new Date(startedAt - 30));
    expect(await answerFor(call(startedAt), inputs)).toBeUndefined();
    utimesSync(file, new Date(startedAt + 5), new Date(startedAt + 5));
    expect(await answerFor(call(startedAt), inputs)).toBeUndefined();
    // 60 ms back, but off the whole second a coarse filesystem would round to.
    const back = startedAt - 60 - (startedAt % 1000 === 60 ? 1 : 0);
    utimesSync(file, new Date(back), new Date(back));
    expect(await answerFor(call(startedAt), inputs)).toBeDefined();
    // A whole-second mtime may stand for any time in the next two seconds (FAT, some network mounts).
    const whole = Math.ceil((startedAt - 1500) / 1000) * 1000;
    utimesSync(file, new Date(whole), new Date(whole));
    expect(await answerFor(call(startedAt), inputs)).toBeUndefined();
    utimesSync(file, new Date(whole - 2000), new Date(whole - 2000));
    expect(await answerFor(call(startedAt), inputs)).toBeDefined();
    // Whole in ms but not in ns (500 ns past it): what one write in a thousand leaves on ext4 or tmpfs.
    utimesSync(file, whole / 1000 + 5e-7, whole / 1000 + 5e-7);
    expect(fingerprint(file) % 1000).toBe(0);
    expect(await answerFor(call(startedAt), inputs)).toBeDefined();
    rmSync(root, { recursive: true });
  });

  test("a process judged live whose exe is gone, unsettled totals, or a listed environment: nothing is stored", async () => {
    // A process started just now: its /proc entry is made as it is first looked at, so its time is
    // within the margin of the call. /proc times say nothing of the process: exempt.
    const sleeper = spawnSleeper();
    const live = new Inputs();
    live.add(`/proc/${sleeper.pid}`, `/proc/${sleeper.pid}/exe`);
    live.present.add(`/proc/${sleeper.pid}/exe`);
    const answer = await answerFor(call(Date.now()), live);
    expect(answer?.paths.find(([p]) => p === `/proc/${sleeper.pid}`)?.[1]).toBeGreaterThan(Date.now() - 5000);
    const gone = new Inputs();
    gone.add("/proc/999999999/exe");
    expect(await answerFor(call(Date.now()), gone)).toBeDefined();
    gone.present.add("/proc/999999999/exe");
    expect(await answerFor(call(Date.now()), gone)).toBeUndefined();
    const unsettled = new Inputs();
    unsettled.settled = false;
    expect(await answerFor(call(Date.now()), unsettled)).toBeUndefined();
    expect(await answerFor({ ...call(Date.now()), env: undefined }, new Inputs())).toBeUndefined();
  });
});

describe("ages", () => {
  test("a marked age is drawn as of the time of printing; text without marks is left alone", () => {
    const since = 1_000_000;
    const text = `⚠ s2: permission prompt ${ageMark(since)} +1  ## 100%`;
    expect(drawAges(text, since + 59_999)).toBe("⚠ s2: permission prompt 59s +1  ## 100%");
    expect(drawAges(text, since + 3_600_000)).toBe("⚠ s2: permission prompt 1h00m +1  ## 100%");
    expect(drawAges("● 1  ○ 2", 5)).toBe("● 1  ○ 2");
  });

  test("drawn as the mark's pattern would be: any text around, stray NULs, signs and lengths", () => {
    const pattern = /\u0000(-?\d{1,16})\u0000/g;
    const byPattern = (text: string, now: number) => text.replace(pattern, (_, since: string) => humanAge(now - Number(since)));
    const parts = ["\u0000", "-", "7", "1234567890123456", "12345678901234567", "a", " ", "⚠", "--1", "\u0000\u0000"];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: Math.floor(next() * 9) }, () => parts[Math.floor(next() * parts.length)]).join("");
      expect(drawAges(text, 10_000_000)).toBe(byPattern(text, 10_000_000));
    }
    expect(drawAges(`a${ageMark(9_000_000)}b${ageMark(-5)}c`, 10_000_000)).toBe(`a${humanAge(1_000_000)}b${humanAge(10_000_005)}c`);
  });
});

describe("storeAnswer", () => {
  test("past 64 answers, those too old to be replayed and abandoned temp files are swept; fresh ones stay", async () => {
    const root = dir();
    const env = { HOME: root, XDG_CACHE_HOME: join(root, "cache") };
    const folder = join(root, "cache", "ccpulse", `replay-v${REPLAY_VERSION}`);
    mkdirSync(folder, { recursive: true });
    const now = Date.now();
    const old = new Date(now - MAX_ANSWER_AGE_MS - 1000);
    for (let i = 0; i < 70; i++) {
      writeFileSync(join(folder, `old${i}.json`), "{}");
      utimesSync(join(folder, `old${i}.json`), old, old);
    }
    writeFileSync(join(folder, "fresh.json"), "{}");
    writeFileSync(join(folder, ".123.abc.tmp"), "");
    utimesSync(join(folder, ".123.abc.tmp"), old, old);
    const answer = { v: REPLAY_VERSION, argv: ["compact", "--window=@7"], env: [], paths: [], at: now, text: "●" };
    await storeAnswer(answer, env, now);
    expect(readdirSync(folder).sort()).toEqual([answerPath(answer.argv, env).slice(folder.length + 1), "fresh.json"].sort());
    rmSync(root, { recursive: true });
  });

  test("the file is all ASCII, and replays the text it was given: symbols, emoji, a lone surrogate, NUL age marks", async () => {
    const root = dir();
    const env = { HOME: root, XDG_CACHE_HOME: join(root, "cache") };
    const now = Date.now();
    const text = `⚠ ünïcode 🔥 \ud800 "q" \\ ${ageMark(now - 5000)} ● ○ Σ`;
    const answer = { v: REPLAY_VERSION, argv: ["compact"], env: [["HOME", root]] as [string, string | null][], paths: [["/é/ß", 7]] as [string, number][], at: now, text };
    await storeAnswer(answer, env, now);
    const bytes = readFileSync(answerPath(answer.argv, env));
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(answerOfFile(bytes.toString("utf8"))).toEqual({ ...answer, pathCount: 1 });
    expect(replay(["compact"], env, now)).toBe(undefined); // /é/ß is missing now, so its fingerprint differs
    const noPaths = { ...answer, paths: [] };
    await storeAnswer(noPaths, env, now);
    expect(replay(["compact"], env, now)).toBe(drawAges(text, now));
    rmSync(root, { recursive: true });
  });

  test("the paths are stored newest first, missing ones last, in lines of 8, 16, 32, …; a replay checks every line", async () => {
    const root = dir();
    const env = { HOME: root, XDG_CACHE_HOME: join(root, "cache") };
    const now = Date.now();
    const files = Array.from({ length: 40 }, (_, i) => join(root, `f${i}`));
    // Shuffled times, so that the stored order is not the order given.
    files.forEach((file, i) => {
      writeFileSync(file, "");
      const at = (now - 3_600_000 + ((i * 7) % 40) * 60_000) / 1000;
      utimesSync(file, at, at);
    });
    const missing = [join(root, "gone1"), join(root, "gone2")];
    const paths = [missing[0], ...files, missing[1]].map((p) => [p, fingerprint(p as string)] as [string, number]);
    const answer = { v: REPLAY_VERSION, argv: ["compact"], env: [] as [string, string | null][], paths, at: now, text: "● 40" };
    await storeAnswer(answer, env, now);
    const [, ...lines] = readFileSync(answerPath(answer.argv, env), "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as [string, number][]);
    expect(lines.map((line) => line.length)).toEqual([8, 16, 18]);
    const stored = lines.flat();
    expect(stored.slice(0, 40).map(([, mtime]) => mtime)).toEqual(files.map(fingerprint).sort((a, b) => b - a));
    expect(stored.slice(40).map(([p]) => p).sort()).toEqual(missing);
    expect(replay(["compact"], env, now)).toBe("● 40");
    // The path stored last but for the missing ones: a change there is seen too.
    const oldest = stored[39]?.[0] as string;
    utimesSync(oldest, now / 1000 - 10, now / 1000 - 10);
    expect(replay(["compact"], env, now)).toBe(undefined);
    rmSync(root, { recursive: true });
  });

  test("64 answers or fewer: nothing is swept", async () => {
    const root = dir();
    const env = { HOME: root, XDG_CACHE_HOME: join(root, "cache") };
    const folder = join(root, "cache", "ccpulse", `replay-v${REPLAY_VERSION}`);
    mkdirSync(folder, { recursive: true });
    const old = new Date(Date.now() - MAX_ANSWER_AGE_MS - 1000);
    writeFileSync(join(folder, "old.json"), "{}");
    utimesSync(join(folder, "old.json"), old, old);
    await storeAnswer({ v: REPLAY_VERSION, argv: ["prompt"], env: [], paths: [], at: Date.now(), text: "" }, env);
    expect(existsSync(join(folder, "old.json"))).toBe(true);
    rmSync(root, { recursive: true });
  });
});
