/**
 * The warm path through the binary: an unchanged call prints the stored answer (the answer file is left
 * untouched), every kind of change is seen (the answer is rebuilt and equals a call with no stored
 * answer), and what cannot be replayed is never stored.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProjectDir } from "../src/discover/projectDir.ts";
import { answerText } from "../src/replay/record.ts";
import { type Answer, REPLAY_VERSION } from "../src/replay/replay.ts";
import { answerOfFile } from "./helpers/answerFile.ts";
import { BINARY, ROOT, type TestHome, liveProbe, makeHome, pidDomain, procStart, reviveProbes, runBinary, spawnSleeper, writeProbe } from "./helpers/home.ts";
import { assistantLine } from "./helpers/rows.ts";

beforeAll(async () => {
  if (!existsSync(BINARY)) {
    const build = Bun.spawnSync(["make", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (build.exitCode !== 0) throw new Error("make build failed");
  }
});

// Each test runs the binary 5 to 8 times, ~0.3–1 s in all; a fresh-clone CI run in a slow phase of the
// VM (hello-world outliers of 160 ms) took one past bun's 5 s default. Nothing here asserts a time.
setDefaultTimeout(20_000);

const replayDir = (home: TestHome) => join(home.cache, "ccpulse", `replay-v${REPLAY_VERSION}`);

/** The stored answers, by file name. */
function answers(home: TestHome): Map<string, Answer> {
  const dir = replayDir(home);
  if (!existsSync(dir)) return new Map();
  return new Map(readdirSync(dir).filter((n) => n.endsWith(".json")).map((n) => [n, answerOfFile(readFileSync(join(dir, n), "utf8"))]));
}

// An answer is stored only when every input is older than the call by the racy margin (50 ms).
const settle = () => Bun.sleep(80);

/** A call, and whether it printed the stored answer (which leaves the answer file as it was). */
async function call(home: TestHome, args: string[], env: Record<string, string> = {}) {
  const before = [...answers(home).values()].map((a) => a.at);
  const run = await runBinary(home, args, env);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const after = [...answers(home).values()].map((a) => a.at);
  return { out: run.stdout, replayed: before.length > 0 && JSON.stringify(before) === JSON.stringify(after) };
}

/** The same call with no stored answer: what the full pipeline prints. */
async function fresh(home: TestHome, args: string[], env: Record<string, string> = {}) {
  rmSync(replayDir(home), { recursive: true, force: true });
  const run = await runBinary(home, args, env);
  return run.stdout;
}

/** A home with the real capture of one asking, one busy and one idle session, all live. */
async function captured(): Promise<{ home: TestHome; pids: number[] }> {
  const home = makeHome("03-waiting");
  const pids = [...reviveProbes(home).values()];
  await settle();
  return { home, pids };
}

const COMPACT = ["compact", "--tokens", "--cost"];

/** The path and content of the probe of the session in `status`. */
function probeIn(home: TestHome, status: string): { path: string; probe: Record<string, unknown> & { cwd: string; sessionId: string } } {
  const dir = join(home.claude, "sessions");
  for (const name of readdirSync(dir)) {
    const probe = JSON.parse(readFileSync(join(dir, name), "utf8"));
    if (probe.status === status) return { path: join(dir, name), probe };
  }
  throw new Error(`no ${status} probe`);
}

describe("replay: an unchanged call", () => {
  test("prints the stored answer; compact and prompt each keep their own", async () => {
    const { home } = await captured();
    const first = await call(home, COMPACT);
    expect(first.replayed).toBe(false);
    expect(first.out).toMatch(/^⚠ s2-0a: permission prompt \S+  ● 1  ○ 1  Σ \S+  \$\d+\.\d\d\n$/);
    const again = await call(home, COMPACT);
    expect(again).toEqual({ out: first.out, replayed: true });

    const prompt = await call(home, ["prompt", "--shell=zsh"]);
    expect(prompt.replayed).toBe(false);
    expect(await call(home, ["prompt", "--shell=zsh"])).toEqual({ out: prompt.out, replayed: true });
    expect(answers(home).size).toBe(2);
    expect(await call(home, COMPACT)).toEqual({ out: first.out, replayed: true });
  });

  test("draws the asking session's age when it prints, not when it was stored", async () => {
    const home = makeHome();
    const sleeper = spawnSleeper();
    // Asking for 58.5 s at the first call: "58s"; replayed after the minute: "1m", from the same answer.
    const since = Date.now() - 58_500;
    writeProbe(home, sleeper.pid, liveProbe(sleeper, { sessionId: "a1", name: "asker", status: "waiting", waitingFor: "permission prompt", statusUpdatedAt: since }));
    await settle();
    const first = await call(home, ["compact"]);
    expect(first.out).toMatch(/^⚠ asker: permission prompt 5[89]s\n$/);
    await Bun.sleep(Math.max(0, since + 61_000 - Date.now()));
    expect(await call(home, ["compact"])).toEqual({ out: "⚠ asker: permission prompt 1m\n", replayed: true });
  });
});

describe("replay: every change is seen", () => {
  // Each change, then a call: it must not replay, and it must print what a call with no stored answer prints.
  const changes: [string, (home: TestHome, pids: number[]) => void | Promise<void>][] = [
    [
      "a probe rewritten in place (asking → idle)",
      (home) => {
        const { path, probe } = probeIn(home, "waiting");
        writeFileSync(path, JSON.stringify({ ...probe, status: "idle", waitingFor: undefined }));
      },
    ],
    [
      "a new session's probe",
      (home) => {
        const sleeper = spawnSleeper();
        writeProbe(home, sleeper.pid, liveProbe(sleeper, { sessionId: "new-1", name: "newcomer", status: "busy", cwd: "/tmp/x" }));
      },
    ],
    ["a probe removed (the session exited)", (home, pids) => rmSync(join(home.claude, "sessions", `${pids[0]}.json`))],
    [
      "a session's process killed and reaped",
      (home, pids) => {
        process.kill(pids[2] as number, "SIGKILL");
      },
    ],
    [
      "a transcript grew (a reply)",
      (home) => {
        const { probe } = probeIn(home, "waiting");
        const transcript = join(home.claude, "projects", encodeProjectDir(probe.cwd), `${probe.sessionId}.jsonl`);
        appendFileSync(transcript, `${assistantLine("msg_replay_1", "req_replay_1", { input: 1000, output: 2000, cacheRead: 0, cacheWrite: 0 })}\n`);
      },
    ],
    [
      "a sub-agent transcript appeared",
      (home) => {
        const { probe } = probeIn(home, "waiting");
        const dir = join(home.claude, "projects", encodeProjectDir(probe.cwd), probe.sessionId, "subagents");
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "agent-1.jsonl"), `${assistantLine("msg_sub_1", "req_sub_1", { input: 7, output: 9000, cacheRead: 0, cacheWrite: 0 })}\n`);
      },
    ],
    [
      "config.json chose other glyphs",
      (home) => {
        mkdirSync(join(home.root, ".config", "ccpulse"), { recursive: true });
        writeFileSync(join(home.root, ".config", "ccpulse", "config.json"), JSON.stringify({ glyphs: { busy: "B", idle: "I" } }));
      },
    ],
  ];

  for (const [name, change] of changes) {
    test(name, async () => {
      const { home, pids } = await captured();
      const before = (await call(home, COMPACT)).out;
      expect((await call(home, COMPACT)).replayed).toBe(true);
      await change(home, pids);
      // Dead processes are judged by /proc; let the kernel finish reaping the killed one.
      await settle();
      const after = await call(home, COMPACT);
      expect(after.replayed).toBe(false);
      expect(after.out).not.toBe(before);
      expect(after.out).toBe(await fresh(home, COMPACT));
      // And the answer to the new state is stored and replayed in turn.
      await call(home, COMPACT);
      expect(await call(home, COMPACT)).toEqual({ out: after.out, replayed: true });
    });
  }

  test("a session's process became a zombie (killed, not reaped by its parent)", async () => {
    const home = makeHome();
    // sh starts the session's process, then becomes a sleep that never reaps it.
    const parent = Bun.spawn(["sh", "-c", "sleep 600 & echo $!; exec sleep 601"], { stdout: "pipe", stdin: "ignore", stderr: "ignore" });
    try {
      const reader = parent.stdout.getReader();
      const pid = Number(new TextDecoder().decode((await reader.read()).value).trim());
      writeProbe(home, pid, { sessionId: "z1", name: "zombie-to-be", status: "busy", procStart: procStart(pid), pidDomain: pidDomain(), startedAt: Date.now() - 60_000 });
      await settle();
      expect((await call(home, ["compact"])).out).toBe("● 1\n");
      expect((await call(home, ["compact"])).replayed).toBe(true);
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "); i++) await Bun.sleep(10);
      expect(await call(home, ["compact"])).toEqual({ out: "", replayed: false });
    } finally {
      parent.kill(9);
      await parent.exited;
    }
  });

  test("an environment variable the call reads", async () => {
    const { home } = await captured();
    await call(home, ["compact"]);
    expect((await call(home, ["compact"])).replayed).toBe(true);
    const templated = await call(home, ["compact"], { CCPULSE_COMPACT_TEMPLATE: "{busy}|{idle}" });
    expect(templated).toEqual({ out: "● 1|○ 1\n", replayed: false });
    // A variable no part of the call reads does not matter.
    await call(home, ["compact"]);
    expect((await call(home, ["compact"], { SOME_OTHER_VARIABLE: "x" })).replayed).toBe(true);
  });
});

describe("replay: a reader that went away", () => {
  test("a closed pipe: one line on stderr and exit 0, replayed or not", async () => {
    const { home } = await captured();
    const closedPipe = async () => {
      // The reader has exited before ccpulse starts, so its write fails with EPIPE. (A reader that closed
      // its end while ccpulse ran raced it: on a loaded machine a replay could write first, as a fresh-clone CI run did.)
      const run = Bun.spawn(["bash", "-c", `{ sleep 0.5; "${BINARY}" compact --tokens; echo "exit $?" >&2; } | true`], { env: home.env, stdout: "ignore", stderr: "pipe" });
      const [stderr] = await Promise.all([new Response(run.stderr).text(), run.exited]);
      return stderr.trim().split("\n");
    };
    for (let i = 0; i < 2; i++) {
      const [line, exit, ...rest] = await closedPipe();
      expect(line).toMatch(/^ccpulse( compact)?: EPIPE/);
      expect({ exit, rest }).toEqual({ exit: "exit 0", rest: [] });
      // Now stored (a call that printed), so the next closed pipe meets the replay.
      await call(home, ["compact", "--tokens"]);
      expect((await call(home, ["compact", "--tokens"])).replayed).toBe(true);
    }
  });
});

describe("replay: what is never stored or never trusted", () => {
  test("outputs that change with the clock alone: cache expiry, limits, window, today", async () => {
    const { home } = await captured();
    for (const args of [["compact", "--cache"], ["compact", "--limits"], ["compact", "--template={busy} {window_left}"], ["compact", "--field=cost_today"], ["prompt", "--template={asking} {cache}"]]) {
      await call(home, args);
      await call(home, args);
    }
    expect(answers(home).size).toBe(0);
  });

  test("a call that warned on stderr (a bad config value): a replay would drop the warning", async () => {
    const { home } = await captured();
    mkdirSync(join(home.root, ".config", "ccpulse"), { recursive: true });
    writeFileSync(join(home.root, ".config", "ccpulse", "config.json"), JSON.stringify({ glyphs: { busy: "has space" } }));
    await settle();
    for (let i = 0; i < 2; i++) {
      const run = await runBinary(home, ["compact"]);
      expect(run.stderr).toContain("glyphs.busy: a glyph is 1 to 8 visible characters");
    }
    expect(answers(home).size).toBe(0);
  });

  test("a call whose inputs changed just before it ran (their state when read is not certain)", async () => {
    const { home, pids } = await captured();
    const path = join(home.claude, "sessions", `${pids[0]}.json`);
    writeFileSync(path, readFileSync(path));
    expect((await call(home, COMPACT)).replayed).toBe(false);
    expect(answers(home).size).toBe(0);
    // The same input, its mtime set back: now the answer is stored.
    const old = new Date(Date.now() - 1000);
    utimesSync(path, old, old);
    await call(home, COMPACT);
    expect(answers(home).size).toBe(1);
  });

  test("a damaged, foreign or outdated answer file is ignored: the full call prints, nothing on stderr", async () => {
    const { home } = await captured();
    const expected = (await call(home, COMPACT)).out;
    const [name, answer] = [...answers(home)][0] as [string, Answer];
    const path = join(replayDir(home), name);
    const forged = (over: Record<string, unknown>) => answerText({ ...answer, text: "FORGED", ...over } as Answer);
    const [head, ...pathLines] = forged({}).trimEnd().split("\n");
    expect(pathLines.length).toBeGreaterThanOrEqual(2);
    for (const content of [
      "",
      "{",
      "null",
      "[]",
      '"text"',
      "\u0000\u0001\u0002binary\uffff",
      "x".repeat(1 << 20),
      forged({ v: REPLAY_VERSION + 1 }),
      forged({ argv: ["compact"] }),
      forged({ env: [["HOME", "/elsewhere"]] }),
      forged({ env: "HOME" }),
      forged({ paths: [[answer.paths[0]?.[0], 1]] }),
      forged({ paths: [[answer.paths[0]?.[0], String(answer.paths[0]?.[1])]] }),
      forged({ paths: [[42, 1]] }),
      forged({ at: Date.now() - 11 * 60_000 }),
      forged({ at: Date.now() + 60_000 }),
      forged({ at: "now" }),
      forged({ text: 42 }),
      // The lines of paths: one left out, one more than the head counts, one that is not a list, a torn end.
      `${[head, ...pathLines.slice(0, -1)].join("\n")}\n`,
      `${[head, ...pathLines, "[]", '[["/etc", 1]]'].join("\n")}\n`,
      `${[head, "{}", ...pathLines.slice(1)].join("\n")}\n`,
      forged({}).trimEnd(),
      forged({}).replace("\n", ""),
    ]) {
      writeFileSync(path, content);
      const run = await runBinary(home, COMPACT);
      expect({ content: content.slice(0, 60), stdout: run.stdout, stderr: run.stderr, code: run.code }).toEqual({ content: content.slice(0, 60), stdout: expected, stderr: "", code: 0 });
    }
    // Proof that the file is read at all: an intact one with only the text changed is printed.
    writeFileSync(path, forged({}));
    expect((await runBinary(home, COMPACT)).stdout).toBe("FORGED\n");
  });
});
