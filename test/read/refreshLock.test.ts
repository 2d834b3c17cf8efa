import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { cacheDir } from "../../src/env.ts";
import { LOCK_TTL_MS, tryLock } from "../../src/read/refreshLock.ts";
import { readSessionTokens } from "../../src/read/sessionTokens.ts";
import { cachePath } from "../../src/read/tokenCache.ts";
import { makeHome, procStart, spawnSleeper } from "../helpers/home.ts";
import { response } from "../helpers/rows.ts";

describe("tryLock", () => {
  test("one holder at a time; free again once released", async () => {
    const file = join(makeHome().cache, "x.json");
    const first = await tryLock(file);
    expect(first).toBeDefined();
    expect(await tryLock(file)).toBeUndefined();
    first?.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(await tryLock(file)).toBeDefined();
  });

  test.each([
    ["its owner was killed", async () => {
      const s = spawnSleeper();
      await s.kill();
      return `${s.pid} ${s.procStart} ${Date.now()}`;
    }],
    ["its pid now belongs to another process", async () => `${process.pid} 1 ${Date.now()}`],
    ["it is older than the TTL", async () => `${process.pid} ${procStart(process.pid)} ${Date.now() - LOCK_TTL_MS - 1}`],
    ["it is garbage", async () => "\x00garbage"],
  ])("an abandoned lock is taken over: %s", async (_, content) => {
    const file = join(makeHome().cache, "x.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, await content());
    const lock = await tryLock(file);
    expect(lock).toBeDefined();
    expect(readFileSync(`${file}.lock`, "utf8")).toStartWith(`${process.pid} `);
  });
});

describe("single flight in readSessionTokens", () => {
  const SID = "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30";
  function setup() {
    const home = makeHome();
    const transcript = join(home.claude, "projects", encodeProjectDir("/w/p"), `${SID}.jsonl`);
    mkdirSync(dirname(transcript), { recursive: true });
    const read = () => readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: "/w/p" }, cacheDir(home.env));
    return { transcript, read, cacheFile: cachePath(cacheDir(home.env), home.claude, SID) };
  }

  test("while another process rebuilds, the previous totals are shown, then the new ones", async () => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, `${response("m1", { output: 5 }).join("\n")}\n`);
    expect((await read()).tokens.output).toBe(5);
    appendFileSync(transcript, `${response("m2", { output: 7 }).join("\n")}\n`);
    const lock = await tryLock(cacheFile);
    const before = readFileSync(cacheFile, "utf8");
    // Marked stale: an answer built on them is not stored for replay (replay/record.ts).
    expect(await read()).toMatchObject({ tokens: { output: 5 }, stale: true });
    expect(readFileSync(cacheFile, "utf8")).toBe(before);
    lock?.release();
    const after = await read();
    expect(after.tokens.output).toBe(12);
    expect(after.stale).toBeUndefined();
  });

  test("with no previous totals, a caller waits for the rebuild instead of doing it too", async () => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, `${response("m1", { output: 5 }).join("\n")}\n`);
    const lock = await tryLock(cacheFile);
    const started = performance.now();
    setTimeout(() => lock?.release(), 150);
    // That "rebuild" left no totals behind, so the caller read the transcript itself: not stale.
    const read1 = await read();
    expect(read1.tokens.output).toBe(5);
    expect(read1.stale).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
