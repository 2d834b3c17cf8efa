import { describe, expect, spyOn, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { cacheDir } from "../../src/env.ts";
import { StatMemo, readSessionTokens, stampOf, startTokenRead } from "../../src/read/sessionTokens.ts";
import { MISSING_MTIME, fingerprint } from "../../src/replay/replay.ts";
import { hashOf, linesHash, slotPaths } from "../../src/read/framedFile.ts";
import { IDS_PER_LINE } from "../../src/read/messageIds.ts";
import { FOLDER_VERSIONS } from "../../src/cacheFolders.ts";
import { CACHE_VERSION, CacheHeadSchema, type Cursor, OLD_VERSION_IDLE_MS, type SessionCache, SessionCacheSchema, SummarySchema, cacheLines, cachePath, loadCache, parseCacheLines } from "../../src/read/tokenCache.ts";
import * as v from "valibot";
import { type TestHome, makeHome } from "../helpers/home.ts";
import { naiveTotals } from "../helpers/oracle.ts";
import { linesOf } from "../helpers/cacheFile.ts";
import { assistantLine, metadataLines, rateLimitLine, response, taskResultLine } from "../helpers/rows.ts";

const SID = "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30";
const CWD = "/home/dev/code/work/s2";

function setup(): { home: TestHome; transcript: string; read: () => ReturnType<typeof readSessionTokens>; cacheFile: string } {
  const home = makeHome();
  const transcript = join(home.claude, "projects", encodeProjectDir(CWD), `${SID}.jsonl`);
  mkdirSync(dirname(transcript), { recursive: true });
  const read = () => readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, cacheDir(home.env));
  return { home, transcript, read, cacheFile: cachePath(cacheDir(home.env), home.claude, SID) };
}

const lines = (...rows: string[]) => rows.map((r) => `${r}\n`).join("");
/** A cache slot's head, summary and cursors (its cursor lines read back into one object). */
const cacheParts = (path: string): any[] => {
  const [head = "", summary = "", ...body] = readFileSync(path, "utf8").trimEnd().split("\n");
  return [JSON.parse(head), JSON.parse(summary), parseCacheLines(linesOf(body))?.cache];
};
/** The parts (cacheParts) of the newer of a cache's two slots. */
const newestParts = (path: string): any[] =>
  slotPaths(path)
    .filter((slot) => existsSync(slot))
    .map(cacheParts)
    .sort((a, b) => b[0].gen - a[0].gen)[0] as any[];
/** The newer of a cache's two slots. */
const newestSlot = (path: string): string => {
  const gen = newestParts(path)[0].gen;
  return slotPaths(path).find((slot) => existsSync(slot) && JSON.parse(readFileSync(slot, "utf8").split("\n")[0] as string).gen === gen) as string;
};
/** A cache slot as ccpulse frames one: a head with its generation (1, the first) and the hashes of the summary and cursor lines. */
const framed = (summary: unknown, cursors: SessionCache, head: Record<string, unknown> = {}): string => {
  const [second, body] = [JSON.stringify(summary), cacheLines(cursors).map((line) => (typeof line === "string" ? line : Buffer.from(line).toString()))];
  const s = summary as { configDir: string; sessionId: string };
  return `${[JSON.stringify({ version: CACHE_VERSION, configDir: s.configDir, sessionId: s.sessionId, summaryHash: hashOf(second), bodyHash: linesHash(body), gen: 1, ...head }), second, ...body].join("\n")}\n`;
};

describe("readSessionTokens through the offset cache", () => {
  test("append half a line, call, append the rest, call: exact", async () => {
    const { transcript, read } = setup();
    const line2 = assistantLine("m2", "r2", { input: 6, cacheWrite: 310, cacheRead: 16030, output: 19 });
    writeFileSync(transcript, lines(...metadataLines(), ...response("m1", { input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 })) + line2.slice(0, 100));
    expect((await read()).tokens).toMatchObject({ input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 });
    appendFileSync(transcript, `${line2.slice(100)}\n`);
    expect((await read()).tokens).toMatchObject({ input: 10, cacheWrite: 2130, cacheRead: 30240, output: 106 });
    expect((await read()).tokens).toMatchObject({ input: 10, cacheWrite: 2130, cacheRead: 30240, output: 106 });
  });

  test("the rows of one message split across two calls are still counted once, at their largest", async () => {
    const { transcript, read } = setup();
    const [a, b, c] = response("m1", { input: 4, output: 87 });
    writeFileSync(transcript, lines(a as string));
    expect((await read()).tokens.output).toBe(1);
    appendFileSync(transcript, lines(b as string, c as string));
    expect((await read()).tokens).toMatchObject({ input: 4, output: 87 });
  });

  test("a warm call with nothing new rewrites nothing", async () => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    await read();
    const before = statSync(cacheFile);
    await Bun.sleep(15);
    await read();
    const after = statSync(cacheFile);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  // The stamp check's stats (StatMemo) only say which files changed; the refresh reads each as it is
  // when opened, so rows appended in between count now, and only once.
  test("rows appended between the stamp check and the refresh: counted, once", async () => {
    const { home, transcript, read } = setup();
    writeFileSync(transcript, lines(...response("m1", { input: 4, cacheWrite: 1820, cacheRead: 14210, output: 87 })));
    await read();
    appendFileSync(transcript, lines(...response("m2", { input: 6, cacheWrite: 310, cacheRead: 16030, output: 19 })));
    const started = await startTokenRead({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, cacheDir(home.env));
    expect(started.current).toBeUndefined();
    appendFileSync(transcript, lines(...response("m3", { input: 1, output: 2 })));
    expect((await started.refresh()).tokens).toMatchObject({ input: 11, cacheWrite: 2130, cacheRead: 30240, output: 108 });
    expect((await read()).tokens).toMatchObject({ input: 11, cacheWrite: 2130, cacheRead: 30240, output: 108 });
    appendFileSync(transcript, lines(...response("m4", { input: 1, output: 2 })));
    expect((await read()).tokens).toMatchObject({ input: 12, cacheWrite: 2130, cacheRead: 30240, output: 110 });
  });

  // The stamp check's stat describes the file as it was; a rewrite in place before the refresh opens it
  // leaves other bytes at the path. Had the cursor kept the old size, a file that later grew back to
  // exactly that size would match the stored stamp with rows never read (the fault tests can hit it).
  test("a file rewritten shorter between the stamp check and the refresh, then grown back to its old size: every row counts", async () => {
    const { home, transcript, read } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 50 }), ...response("m2", { output: 60 })));
    expect((await read()).tokens.output).toBe(110);
    appendFileSync(transcript, lines(...response("m3", { output: 1 })));
    const checkedSize = statSync(transcript).size;
    const started = await startTokenRead({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, cacheDir(home.env));
    expect(started.current).toBeUndefined();
    writeFileSync(transcript, lines(...response("x1", { output: 7 })));
    expect((await started.refresh()).tokens.output).toBe(7);
    const more = lines(...response("x2", { output: 9 }));
    const pad = checkedSize - statSync(transcript).size - Buffer.byteLength(more) - `{"type":"user","pad":""}\n`.length;
    expect(pad).toBeGreaterThan(0);
    appendFileSync(transcript, more + lines(JSON.stringify({ type: "user", pad: "p".repeat(pad) })));
    expect(statSync(transcript).size).toBe(checkedSize);
    expect((await read()).tokens.output).toBe(16);
  });

  // Claude Code only appends, but a file rewritten in place while ccpulse reads it (truncated, written
  // again) gives the read other bytes than the tail check saw. Here the rewrite lands between the two:
  // the read of the new bytes finds the new file's rows from the old offset on, and its tail. Counted
  // as they came, the old rows stayed in the totals for good, the new file's first rows never.
  test("a file rewritten in place while it is read: the next calls count the new file, exactly", async () => {
    const { transcript, read } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 50 }), ...response("m2", { output: 60 })));
    expect((await read()).tokens.output).toBe(110);
    const offset = statSync(transcript).size;
    appendFileSync(transcript, lines(...response("m3", { output: 1 })));
    const rewritten = lines(...["x1", "x2", "x3", "x4", "x5"].flatMap((id, i) => response(id, { output: 7 + i })));
    expect(Buffer.byteLength(rewritten)).toBeGreaterThan(statSync(transcript).size);
    const fs = await import("node:fs");
    const readSync = fs.readSync;
    let rewrites = 0;
    const spy = spyOn(fs, "readSync").mockImplementation(((fd: number, buf: Uint8Array, at: number, length: number, position: number) => {
      if (position === offset && length > 256 && rewrites++ === 0) writeFileSync(transcript, rewritten);
      return readSync(fd, buf, at, length, position);
    }) as typeof fs.readSync);
    try {
      await read();
    } finally {
      spy.mockRestore();
    }
    expect(rewrites).toBe(1);
    const expected = naiveTotals([transcript]).output;
    expect(expected).toBe(45);
    expect((await read()).tokens.output).toBe(expected);
    appendFileSync(transcript, lines(...response("x6", { output: 100 })));
    expect((await read()).tokens.output).toBe(expected + 100);
  });

  test("a truncated file starts over", async () => {
    const { transcript, read } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 50 }), ...response("m2", { output: 60 })));
    expect((await read()).tokens.output).toBe(110);
    truncateSync(transcript, 0);
    appendFileSync(transcript, lines(...response("m3", { output: 7 })));
    expect((await read()).tokens.output).toBe(7);
  });

  test("a replaced file (new inode, even if larger) starts over", async () => {
    const { transcript, read } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 50 })));
    expect((await read()).tokens.output).toBe(50);
    writeFileSync(`${transcript}.new`, lines(...response("x1", { output: 3 }), ...response("x2", { output: 4 }), ...response("x3", { output: 5 })));
    renameSync(`${transcript}.new`, transcript);
    expect((await read()).tokens.output).toBe(12);
  });

  test("sub-agent transcripts count, nested ones too; a replay of a parent message does not", async () => {
    const { transcript, read } = setup();
    writeFileSync(transcript, lines(...response("p1", { input: 4, cacheRead: 1000, output: 87 }), taskResultLine()));
    expect((await read()).tokens).toMatchObject({ input: 4, cacheRead: 1000, output: 87 });
    const subDir = join(dirname(transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    writeFileSync(join(subDir, "agent-a1.meta.json"), '{"usage":{"input_tokens":5}}');
    writeFileSync(
      join(subDir, "agent-a1.jsonl"),
      lines(assistantLine("p1", "req_replayed", { input: 4, cacheRead: 1000, output: 87 }, { sidechain: true }), assistantLine("s1", "rs1", { input: 2, output: 9 }, { sidechain: true })),
    );
    expect((await read()).tokens).toMatchObject({ input: 6, cacheRead: 1000, output: 96 });
    const nested = join(subDir, "workflows", "run-1");
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(nested, "agent-b.jsonl"), lines(assistantLine("w1", "rw1", { output: 4 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(100);
    appendFileSync(join(nested, "agent-b.jsonl"), lines(assistantLine("w2", "rw2", { output: 6 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(106);
    rmSync(join(subDir, "agent-a1.jsonl"));
    expect((await read()).tokens.output).toBe(97);
  });

  test("the sub-agent folder walk: nested folders are, hidden entries and symlinked folders are not; a link's own new files do not count", async () => {
    const { home, transcript, read } = setup();
    writeFileSync(transcript, lines(...response("p1", { output: 1 })));
    const subDir = join(dirname(transcript), SID, "subagents");
    const deep = join(subDir, "workflows", "run-1", "step-2");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, "agent-d.jsonl"), lines(assistantLine("d1", "rd1", { output: 10 }, { sidechain: true })));
    mkdirSync(join(subDir, ".hidden"));
    writeFileSync(join(subDir, ".hidden", "agent-h.jsonl"), lines(assistantLine("h1", "rh1", { output: 100 }, { sidechain: true })));
    writeFileSync(join(subDir, ".agent-dot.jsonl"), lines(assistantLine("h2", "rh2", { output: 200 }, { sidechain: true })));
    const outside = join(home.root, "elsewhere");
    mkdirSync(outside);
    writeFileSync(join(outside, "agent-x.jsonl"), lines(assistantLine("x1", "rx1", { output: 1000 }, { sidechain: true })));
    symlinkSync(outside, join(subDir, "linked"));
    expect((await read()).tokens.output).toBe(11);
    // The link is watched like a folder, so a change in it is noticed, but still not walked into.
    writeFileSync(join(outside, "agent-y.jsonl"), lines(assistantLine("y1", "ry1", { output: 3000 }, { sidechain: true })));
    writeFileSync(join(deep, "agent-e.jsonl"), lines(assistantLine("e1", "re1", { output: 20 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(31);
  });

  test("a refresh stringifies again only the cursors of the files it read; the others' lines are written as read", async () => {
    const { transcript, read } = setup();
    const subDir = join(dirname(transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    const [a, b] = [join(subDir, "agent-a.jsonl"), join(subDir, "agent-b.jsonl")];
    writeFileSync(transcript, lines(...response("p1", { output: 1 })));
    writeFileSync(a, lines(assistantLine("a1", "ra1", { output: 10 }, { sidechain: true })));
    writeFileSync(b, lines(assistantLine("b1", "rb1", { output: 100 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(111);
    const stringified: string[] = [];
    const stringify = JSON.stringify;
    const spy = spyOn(JSON, "stringify").mockImplementation(((value: unknown, ...rest: []) => {
      if (Array.isArray(value) && typeof value[0] === "string") stringified.push(value[0]);
      return stringify(value, ...rest);
    }) as typeof JSON.stringify);
    try {
      appendFileSync(a, lines(assistantLine("a2", "ra2", { output: 20 }, { sidechain: true })));
      expect((await read()).tokens.output).toBe(131);
    } finally {
      spy.mockRestore();
    }
    expect(stringified).toEqual([a]);
    // Written as read, and read back right: the next appends to each file count once.
    appendFileSync(a, lines(assistantLine("a3", "ra3", { output: 40 }, { sidechain: true })));
    appendFileSync(b, lines(assistantLine("b2", "rb2", { output: 200 }, { sidechain: true })));
    appendFileSync(transcript, lines(...response("p2", { output: 2 })));
    expect((await read()).tokens.output).toBe(373);
  });

  test("replays of parent messages are caught among ids kept over several lines and appends", async () => {
    const { transcript, read, cacheFile } = setup();
    const main = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => assistantLine(`p${from + i}`, `rp${from + i}`, { output: 1 }));
    writeFileSync(transcript, lines(...main(0, IDS_PER_LINE + 10)));
    expect((await read()).tokens.output).toBe(IDS_PER_LINE + 10);
    appendFileSync(transcript, lines(...main(IDS_PER_LINE + 10, 2 * IDS_PER_LINE + 5)));
    expect((await read()).tokens.output).toBe(2 * IDS_PER_LINE + 5);
    const subDir = join(dirname(transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    const replays = [0, IDS_PER_LINE - 1, IDS_PER_LINE, 2 * IDS_PER_LINE + 4].map((i) => assistantLine(`p${i}`, `again${i}`, { output: 1000 }, { sidechain: true }));
    writeFileSync(join(subDir, "agent-a.jsonl"), lines(...replays, assistantLine("s1", "rs1", { output: 7 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(2 * IDS_PER_LINE + 12);
    // Two full lines of ids and the rest: every line but the last is written again as it was read.
    const [, , cursors] = cacheParts(cacheFile);
    expect(cursors.mainIds.map((line: string) => line.length)).toEqual([(IDS_PER_LINE * 32) / 3, (IDS_PER_LINE * 32) / 3, Buffer.alloc(5 * 8).toString("base64").length]);
  });

  test("a parent message's replay counts once the parent transcript is rewritten without it", async () => {
    const { transcript, read } = setup();
    writeFileSync(transcript, lines(...response("p1", { output: 87 })));
    const subDir = join(dirname(transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    const agent = join(subDir, "agent-a1.jsonl");
    writeFileSync(agent, lines(assistantLine("p1", "req_replayed", { output: 87 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(87);
    // Replaced by a file without p1: the ids read before are dropped with the old offset.
    writeFileSync(`${transcript}.new`, lines(...response("q1", { output: 5 })));
    renameSync(`${transcript}.new`, transcript);
    appendFileSync(agent, lines(assistantLine("s1", "rs1", { output: 9 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(14);
    // A new file read from its start checks the replay against q1 only.
    writeFileSync(join(subDir, "agent-a2.jsonl"), lines(assistantLine("p1", "req_again", { output: 87 }, { sidechain: true }), assistantLine("q1", "req_q", { output: 5 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(101);
  });

  test("a transcript left in another project dir (resumed elsewhere) is found", async () => {
    const { home, read } = setup();
    const elsewhere = join(home.claude, "projects", "-somewhere-else", `${SID}.jsonl`);
    mkdirSync(dirname(elsewhere), { recursive: true });
    writeFileSync(elsewhere, lines(...response("m1", { output: 33 })));
    const r = await read();
    expect(r.transcript).toBe(elsewhere);
    expect(r.tokens.output).toBe(33);
  });

  test("no transcript yet (no prompt so far): zero, and found once it appears", async () => {
    const { home, transcript } = setup();
    rmSync(dirname(transcript), { recursive: true });
    const read = (updatedAt: number) => readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt }, cacheDir(home.env));
    expect((await read(1)).tokens.output).toBe(0);
    mkdirSync(dirname(transcript), { recursive: true });
    writeFileSync(transcript, lines(...response("m1", { output: 8 })));
    expect((await read(2)).tokens.output).toBe(8);
  });

  test("a session id that is not a plain id is never used as a path", async () => {
    const home = makeHome();
    const r = await readSessionTokens({ configDir: home.claude, sessionId: "../../etc/passwd", cwd: CWD }, cacheDir(home.env));
    const { buckets, ...totals } = r;
    expect(totals).toEqual({ tokens: { input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 }, costUSD: 0, costEstimated: false });
    expect(buckets()).toEqual([]);
  });
});

test("a call's stats stand in for the replay's fingerprints: the same mtime for a file, a folder, a missing path", async () => {
  const home = makeHome();
  // Twenty files: a sub-millisecond part rounded instead of cut would show in about half of them.
  const files = Array.from({ length: 20 }, (_, i) => join(home.root, `f${i}.jsonl`));
  for (const file of files) writeFileSync(file, "x");
  const memo = new StatMemo(await import("node:fs"));
  const missing = join(home.root, "missing");
  const paths = [...files, home.root, missing];
  expect(paths.map((p) => memo.mtimeOf(p))).toEqual(paths.map(() => undefined));
  for (const p of paths) memo.of(p);
  expect(paths.map((p) => memo.mtimeOf(p) ?? MISSING_MTIME)).toEqual(paths.map(fingerprint));
  expect(memo.mtimeOf(missing)).toBeNull();
});

test("a session's first cache sweeps the folders of older versions (session caches, usage ledgers, stored answers) that nothing has written to for a week", async () => {
  const { home, transcript, read } = setup();
  const root = cacheDir(home.env);
  const old = new Date(Date.now() - OLD_VERSION_IDLE_MS - 60_000);
  const folder = (name: string, files: Record<string, Date>) => {
    mkdirSync(join(root, name), { recursive: true });
    for (const [file, at] of Object.entries(files)) {
      writeFileSync(join(root, name, file), "{}");
      utimesSync(join(root, name, file), at, at);
    }
  };
  folder("sessions-v3", { "a.json": old, "a.1.json": old });
  folder("sessions-v4", { "b.json": old, "c.json": new Date() });
  folder("sessions-vX", { "d.json": old });
  folder("usage-v1", { "e.json": old });
  folder("replay-v1", { "h.json": old });
  folder(`replay-v${FOLDER_VERSIONS.replay}`, { "i.json": old });
  folder(`usage-v${FOLDER_VERSIONS.usage}`, { "j.json": old });
  folder("notours-v1", { "k.json": old });
  const outside = join(home.root, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "f.json"), "{}");
  utimesSync(join(outside, "f.json"), old, old);
  symlinkSync(outside, join(root, "sessions-v5"));
  writeFileSync(transcript, lines(...response("m1", { output: 5 })));
  expect((await read()).tokens.output).toBe(5);
  expect(readdirSync(root).sort()).toEqual(["sessions-v4", "sessions-v5", `sessions-v${CACHE_VERSION}`, "sessions-vX", `replay-v${FOLDER_VERSIONS.replay}`, `usage-v${FOLDER_VERSIONS.usage}`, "notours-v1"].sort());
  expect(readdirSync(outside)).toEqual(["f.json"]);
  // Only a session's first version looks: later writes do not list the cache dir again.
  folder("sessions-v6", { "g.json": old });
  appendFileSync(transcript, lines(...response("m2", { output: 1 })));
  expect((await read()).tokens.output).toBe(6);
  expect(existsSync(join(root, "sessions-v6"))).toBe(true);
  // Nor does another session's first version in the same process: a cold call writes one for each.
  const other = "7d156c6c-6fd0-4c29-b1b1-c0e1d2a3b4c5";
  writeFileSync(join(dirname(transcript), `${other}.jsonl`), lines(...response("o1", { output: 7 })));
  expect((await readSessionTokens({ configDir: home.claude, sessionId: other, cwd: CWD }, root)).tokens.output).toBe(7);
  expect(existsSync(cachePath(root, home.claude, other))).toBe(true);
  expect(existsSync(join(root, "sessions-v6"))).toBe(true);
});

/** A cache slot with one line's text replaced, its head's body hash taken again. */
function rehash(slot: string, line: string, replacement: string): void {
  const [head = "", summary = "", ...body] = readFileSync(slot, "utf8").trimEnd().split("\n");
  const lines = body.map((l) => (l === line ? replacement : l));
  writeFileSync(slot, `${[JSON.stringify({ ...JSON.parse(head), bodyHash: linesHash(lines) }), summary, ...lines].join("\n")}\n`);
}

describe("a refresh that reads only the cursors of the files that changed (no usage report asked for)", () => {
  /** A session with two sub-agent files, read once in full; `quick` reads it as compact does without a usage field. */
  const withSubagents = async () => {
    const s = setup();
    const subDir = join(dirname(s.transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    const [a, b] = [join(subDir, "agent-a.jsonl"), join(subDir, "agent-b.jsonl")];
    writeFileSync(s.transcript, lines(...response("p1", { input: 3, cacheWrite: 500, cacheRead: 2000, output: 1 })));
    writeFileSync(a, lines(assistantLine("a1", "ra1", { output: 10 }, { sidechain: true, model: "claude-haiku-4-5" })));
    writeFileSync(b, lines(assistantLine("b1", "rb1", { input: 7, output: 100 }, { sidechain: true })));
    expect((await s.read()).tokens.output).toBe(111);
    const quick = async () => {
      const started = await startTokenRead({ configDir: s.home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, cacheDir(s.home.env), undefined, false);
      return started.current ?? started.refresh();
    };
    return { ...s, a, b, subDir, quick };
  };

  test("the sub-agent cursors are not parsed: their totals come from the summary, their lines are copied as read", async () => {
    const { transcript, cacheFile, a, quick, read } = await withSubagents();
    // A sub-agent cursor doctored (and hashed again): a refresh that parsed it would count the 1000.
    const [, summary, cursors] = cacheParts(cacheFile);
    cursors.files[a].tally.tokens.output += 1000;
    writeFileSync(cacheFile, framed(summary, cursors));
    appendFileSync(transcript, lines(...response("p2", { output: 2 })));
    expect((await quick()).tokens.output).toBe(113);
    expect(newestParts(cacheFile)[2].files[a].tally.tokens.output).toBe(1010);
    appendFileSync(transcript, lines(...response("p3", { output: 4 })));
    expect((await quick()).tokens.output).toBe(117);
    // A call that reports usage reads every cursor, the doctored one too.
    appendFileSync(transcript, lines(...response("p4", { output: 8 })));
    expect((await read()).tokens.output).toBe(1125);
  });

  test("the same totals as a full read, and a cache a full read then goes on from", async () => {
    const { home, transcript, b, quick, read } = await withSubagents();
    for (let i = 2; i <= 5; i++) {
      const usage = { input: i, cacheWrite: 100 * i, cacheRead: 3000 * i, output: i };
      appendFileSync(transcript, lines(...(i < 5 ? response(`p${i}`, usage) : [assistantLine(`p${i}`, `req_p${i}`, usage, { model: "claude-sonnet-5-1" })])));
      await quick();
    }
    const quickly = await quick();
    const fresh = await readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, join(home.root, "another-cache"));
    const { buckets: _q, watched: _w, ...q } = quickly;
    const { buckets: _f, watched: _v, ...f } = fresh;
    expect(q).toEqual(f);
    expect(q.model).toBe("claude-sonnet-5-1");
    appendFileSync(b, lines(assistantLine("b2", "rb2", { output: 1000 }, { sidechain: true })));
    appendFileSync(transcript, lines(...response("p6", { output: 6 })));
    const both = await read();
    expect(both.tokens.output).toBe(f.tokens.output + 1006);
    expect(both.buckets().reduce((sum, bucket) => sum + bucket[7], 0)).toBe(both.tokens.output);
  });

  test("a sub-agent file that grew and a new one: only their cursors are read, the others' lines copied as read", async () => {
    const { transcript, cacheFile, a, b, subDir, quick, read } = await withSubagents();
    // b's cursor doctored (and hashed again): a refresh that parsed it would count the 1000.
    const [, summary, cursors] = cacheParts(cacheFile);
    cursors.files[b].tally.tokens.output += 1000;
    writeFileSync(cacheFile, framed(summary, cursors));
    appendFileSync(a, lines(assistantLine("a2", "ra2", { output: 20 }, { sidechain: true })));
    expect((await quick()).tokens.output).toBe(131);
    writeFileSync(join(subDir, "agent-c.jsonl"), lines(assistantLine("c1", "rc1", { output: 300 }, { sidechain: true })));
    appendFileSync(transcript, lines(...response("p2", { output: 2 })));
    expect((await quick()).tokens.output).toBe(433);
    expect(newestParts(cacheFile)[2].files[b].tally.tokens.output).toBe(1100);
    appendFileSync(transcript, lines(...response("p3", { output: 4 })));
    expect((await read()).tokens.output).toBe(1437);
  });

  test("a sub-agent file removed or started over: every cursor is read", async () => {
    const { transcript, cacheFile, a, b, subDir, quick } = await withSubagents();
    const c = join(subDir, "agent-c.jsonl");
    writeFileSync(c, lines(assistantLine("c1", "rc1", { output: 1 }, { sidechain: true })));
    // b priced as an unknown model: estimated, until b is written anew.
    appendFileSync(b, lines(assistantLine("b2", "rb2", { output: 2 }, { sidechain: true, model: "claude-unreleased-9" })));
    appendFileSync(transcript, lines(...response("p2", { output: 3 })));
    expect(await quick()).toMatchObject({ tokens: { output: 117 }, costEstimated: true });
    // c's cursor in the newest slot doctored (and hashed again): a refresh that reads every cursor counts the 1000.
    const [head, summary, cursors] = newestParts(cacheFile);
    cursors.files[c].tally.tokens.output += 1000;
    writeFileSync(newestSlot(cacheFile), framed(summary, cursors, { gen: head.gen }));
    rmSync(a);
    expect(await quick()).toMatchObject({ tokens: { output: 1107 }, costEstimated: true });
    writeFileSync(b, lines(assistantLine("b9", "rb9", { output: 5 }, { sidechain: true }), assistantLine("b8", "rb8", { output: 6 }, { sidechain: true })));
    expect(await quick()).toMatchObject({ tokens: { output: 1016 }, costEstimated: false });
  });

  test("the same totals as a full read, to the last bit of the cost, as files grow and come: models, estimates, rate-limit hits", async () => {
    const { home, cacheFile, transcript, a, b, subDir, quick, read } = await withSubagents();
    const side = (id: string, output: number, model?: string) => assistantLine(id, `r${id}`, { input: 3, cacheWrite: 7, cacheRead: 1234, output }, { sidechain: true, model });
    // A file no step touches, its cursor doctored (and hashed again): 1000 more once a refresh parses every cursor.
    const still = join(subDir, "agent-s.jsonl");
    writeFileSync(still, lines(side("s1", 1)));
    await read();
    const [head, summary, cursors] = newestParts(cacheFile);
    cursors.files[still].tally.tokens.output += 1000;
    writeFileSync(newestSlot(cacheFile), framed(summary, cursors, { gen: head.gen }));
    const nested = join(subDir, "workflows", "w1", "agent-n.jsonl");
    const c = join(subDir, "agent-c.jsonl");
    const steps: [string, string[], "all cursors read"?][] = [
      [a, [side("a2", 17)]],
      // After b by path, with a model of its own: the session's sub-agent model.
      [c, [side("c1", 30, "claude-sonnet-5-1")]],
      // Before them by path: its model does not win.
      [join(subDir, "agent-0.jsonl"), [side("z1", 31, "claude-haiku-4-5")]],
      // A model the price table does not know: estimated.
      [b, [side("b2", 40, "claude-unreleased-9")]],
      [a, [rateLimitLine("2026-11-21T22:00:00.000Z", 1795300000)]],
      // As new as a's hit, in a file before it by path (but after it in the cache): which file comes first
      // by path decides, and which file the stored one is in is not stored.
      [join(subDir, "agent-0.jsonl"), [rateLimitLine("2026-11-21T22:00:00.000Z", 1795309999, "seven_day")], "all cursors read"],
      [nested, [side("n1", 50, "claude-opus-5-5"), rateLimitLine("2026-11-21T23:00:00.000Z", 1795310000)]],
      [transcript, response("p2", { input: 1, output: 9 })],
      [a, [side("a3", 3, "claude-sonnet-5-1")]],
    ];
    let doctored = 0;
    for (const [i, [file, rows, all]] of steps.entries()) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, lines(...rows));
      if (all) doctored = 1000;
      const { buckets: _q, watched: _w, ...quickly } = await quick();
      const { buckets: _f, watched: _v, ...full } = await readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, join(home.root, `full-${i}`));
      expect({ ...quickly, tokens: { ...quickly.tokens, output: quickly.tokens.output - doctored } }).toEqual(full);
    }
    expect(newestParts(cacheFile)[1].subagents).toMatchObject({ model: "claude-opus-5-5", modelFile: nested, estimated: true, limit: { kind: "five_hour", at: Date.parse("2026-11-21T23:00:00.000Z") } });
  });

  test("the ids it adds are kept over several lines, the full ones copied as read: a later replay of any is caught", async () => {
    const { transcript, cacheFile, subDir, quick, read } = await withSubagents();
    const main = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => assistantLine(`q${from + i}`, `rq${from + i}`, { output: 1 }));
    appendFileSync(transcript, lines(...main(0, IDS_PER_LINE + 10)));
    expect((await quick()).tokens.output).toBe(111 + IDS_PER_LINE + 10);
    // p1's id (its three rows share it) and these: a full line of ids and 11.
    const fullLine = newestParts(cacheFile)[2].mainIds[0];
    appendFileSync(transcript, lines(...main(IDS_PER_LINE + 10, 2 * IDS_PER_LINE + 5)));
    expect((await quick()).tokens.output).toBe(111 + 2 * IDS_PER_LINE + 5);
    const ids = newestParts(cacheFile)[2].mainIds;
    expect(ids[0]).toBe(fullLine);
    expect(ids.map((line: string) => line.length)).toEqual([(IDS_PER_LINE * 32) / 3, (IDS_PER_LINE * 32) / 3, Buffer.alloc((1 + 5) * 8).toString("base64").length]);
    const replays = [0, IDS_PER_LINE - 1, IDS_PER_LINE + 20, 2 * IDS_PER_LINE + 4].map((i) => assistantLine(`q${i}`, `again${i}`, { output: 1000 }, { sidechain: true }));
    writeFileSync(join(subDir, "agent-r.jsonl"), lines(...replays, assistantLine("s1", "rs1", { output: 7 }, { sidechain: true })));
    expect((await read()).tokens.output).toBe(111 + 2 * IDS_PER_LINE + 5 + 7);
  });

  /** A row of message `id` at quarter hour `q` after 2026-11-21T00:00Z (plus `s` seconds), with `output` tokens. */
  const at = (id: string, q: number, output: number, s = 0) => assistantLine(id, `req_${id}`, { output }, { at: new Date(Date.UTC(2026, 10, 21) + q * 900_000 + s * 1000).toISOString() });
  /** The transcript cursor's buckets in the newest slot of a cache file, and that line's text. */
  const transcriptCursor = (cacheFile: string, transcript: string) => {
    const slot = newestSlot(cacheFile);
    const line = readFileSync(slot, "utf8").split("\n").find((l) => l.startsWith(`[${JSON.stringify(transcript)},`)) as string;
    return { buckets: newestParts(cacheFile)[2].files[transcript].tally.buckets, line, slot };
  };

  test("only its newest buckets are parsed: the older ones are written back as the text they were read as", async () => {
    const { transcript, cacheFile, quick, read } = await withSubagents();
    // Six messages in six quarter hours: the last four keys go back to the third, so the first two are older.
    appendFileSync(transcript, lines(...[0, 1, 2, 3, 4, 5].map((q) => at(`m${q}`, q, 10 + q))));
    await read();
    const before = transcriptCursor(cacheFile, transcript);
    const oldest = before.buckets[0] as number[];
    // The oldest bucket's output written as 10.0: the same number, which JSON.stringify would write as 10.
    const doctored = before.line.replace(`[${oldest.join(",")}]`, `[${oldest.slice(0, 7).join(",")},10.0,${oldest[8]}]`);
    expect(doctored).not.toBe(before.line);
    rehash(before.slot, before.line, doctored);
    appendFileSync(transcript, lines(at("m6", 6, 16)));
    expect((await quick()).tokens.output).toBe(111 + 10 + 11 + 12 + 13 + 14 + 15 + 16);
    const after = transcriptCursor(cacheFile, transcript);
    expect(after.line).toContain(",10.0,");
    // Quarter hours from midnight: the six, the new one, and p1's at 21:34.
    expect(after.buckets.map((b: number[]) => [(b[0] as number) - (oldest[0] as number), b[7]])).toEqual([[0, 10], [1, 11], [2, 12], [3, 13], [4, 14], [5, 15], [6, 16], [86, 1]]);
    expect(after.line).toBe(JSON.stringify(JSON.parse(after.line)).replace(`[${oldest.join(",")}]`, `[${oldest.slice(0, 7).join(",")},10.0,${oldest[8]}]`));
  });

  test("rows out of order and a message's larger row in a later call: the same buckets as a full read", async () => {
    const { home, transcript, cacheFile, quick } = await withSubagents();
    const steps: string[][] = [
      [0, 1, 2, 3, 4, 5].map((q) => at(`m${q}`, q, 10)),
      // m5's larger row: its 10 taken back out of a bucket among the newest.
      [at("m5", 5, 50, 30), at("m6", 7, 5)],
      // Older than every bucket: merged with the older ones.
      [at("old", -3, 7)],
      // A message counted in one call and replaced by a larger row in the next.
      [at("m7", 8, 1)],
      [at("m7", 8, 70, 20), at("m8", 9, 3)],
      [at("m10", 10, 2), at("m11", 11, 6)],
      // Into the quarter of an older bucket, then one far ahead.
      [at("mid", 1, 4, 60), at("m9", 200, 9)],
    ];
    for (const [i, rows] of steps.entries()) {
      appendFileSync(transcript, lines(...rows));
      await quick();
      const other = join(home.root, `full-${i}`);
      await readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD, updatedAt: 1 }, other);
      expect(transcriptCursor(cacheFile, transcript).buckets).toEqual(transcriptCursor(cachePath(other, home.claude, SID), transcript).buckets);
    }
    const buckets = transcriptCursor(cacheFile, transcript).buckets;
    expect(buckets.reduce((sum: number, b: number[]) => sum + (b[7] as number), 0)).toBe(1 + 5 * 10 + 50 + 5 + 7 + 70 + 3 + 2 + 6 + 4 + 9);
    expect(buckets.map((b: number[]) => b[0])).toEqual([...buckets.map((b: number[]) => b[0])].sort((x, y) => x - y));
  });

  test("its usage by quarter hour was not read: asking for it is an error, not an empty list", async () => {
    const { transcript, quick } = await withSubagents();
    appendFileSync(transcript, lines(...response("p2", { output: 2 })));
    const r = await quick();
    expect(r.tokens.output).toBe(113);
    expect(() => r.buckets()).toThrow("usage buckets were not read");
  });
});

describe("the cache file", () => {
  test("lines a refresh leaves alone are copied from the version read, read again when saving; from another version, none are", async () => {
    const { home, transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    await read();
    const stored = await loadCache(cacheFile, home.claude, SID);
    const [path, cursor] = Object.entries(stored.cache().files)[0] as [string, Cursor];
    const written = readFileSync(cacheFile, "utf8").split("\n");
    const unchanged = stored.unchangedLines();
    const line = unchanged(path, cursor);
    expect(line && new TextDecoder().decode(line)).toBe(written.find((l) => l.startsWith(`[${JSON.stringify(path)},`)) as string);
    // Not for a cursor the refresh replaced, nor under another path.
    expect([unchanged(path, { ...cursor }), unchanged(`${path}x`, cursor)]).toEqual([undefined, undefined]);
    // Another writer put another version in that slot since it was read.
    writeFileSync(cacheFile, readFileSync(cacheFile, "utf8").replace('"gen":1', '"gen":3'));
    expect(stored.unchangedLines()(path, cursor)).toBeUndefined();
  });

  test("one cursor read alone: the next version's lines are the others as read, that one's as moved; from another version, none", async () => {
    const { home, transcript, read, cacheFile } = setup();
    const subDir = join(dirname(transcript), SID, "subagents");
    mkdirSync(subDir, { recursive: true });
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    const agents = ["a", "b", "c", "d"].map((name) => join(subDir, `agent-${name}.jsonl`));
    for (const [i, agent] of agents.entries()) writeFileSync(agent, lines(assistantLine(`a${i}`, `ra${i}`, { output: 10 + i }, { sidechain: true })));
    await read();
    const written = readFileSync(cacheFile, "utf8").trimEnd().split("\n").slice(2);
    const stored = await loadCache(cacheFile, home.claude, SID);
    expect(stored.cursorsOf([`${transcript}x`])).toBeUndefined();
    // The transcript's line, then a sub-agent's with cursor lines either side of it.
    for (const path of [transcript, agents[1] as string]) {
      const one = stored.cursorsOf([path]);
      expect(Object.keys(one?.cache.files ?? {})).toEqual([path]);
      const cursor = one?.cache.files[path] as Cursor;
      (one as NonNullable<typeof one>).cache.files[path] = { ...cursor, offset: cursor.offset + 1 };
      // Runs of lines left alone may come as one: compared line by line.
      const text = (piece: string | Uint8Array) => (typeof piece === "string" ? piece : new TextDecoder().decode(piece));
      const next = one?.nextLines()?.flatMap((line) => (typeof line === "string" || line instanceof Uint8Array ? text(line) : line.map(text).join("")).split("\n"));
      const moved = (line: string) => line.startsWith(`[${JSON.stringify(path)},`);
      expect(next?.filter((line) => !moved(line))).toEqual(written.filter((line) => !moved(line)));
      expect(next?.findIndex(moved)).toBe(written.findIndex(moved));
      expect(JSON.parse(next?.find(moved) as string)[1].offset).toBe(cursor.offset + 1);
    }
    const one = stored.cursorsOf([transcript]);
    writeFileSync(cacheFile, readFileSync(cacheFile, "utf8").replace('"gen":1', '"gen":3'));
    expect(one?.nextLines()).toBeUndefined();
  });

  test("lives under XDG_CACHE_HOME/ccpulse, dir 0700, file 0600, versioned: a head, a summary line, then the cursors", async () => {
    const { home, transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    await read();
    expect(cacheFile.startsWith(join(home.cache, "ccpulse", `sessions-v${CACHE_VERSION}`))).toBe(true);
    expect(statSync(join(home.cache, "ccpulse")).mode & 0o777).toBe(0o700);
    expect(statSync(dirname(cacheFile)).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
    const [head, summary, cursors] = cacheParts(cacheFile);
    expect(summary).toMatchObject({ version: CACHE_VERSION, sessionId: SID, tokens: { output: 5 }, transcript });
    expect(cursors).toMatchObject({ version: CACHE_VERSION, sessionId: SID });
    // Loads trust the summary and the cursors by their hashes, so every one written must hold to its schema.
    expect(v.safeParse(SummarySchema, summary).issues).toBeUndefined();
    expect(v.safeParse(SessionCacheSchema, cursors).issues).toBeUndefined();
    const [, second = "", ...body] = readFileSync(cacheFile, "utf8").trimEnd().split("\n");
    expect(v.parse(CacheHeadSchema, head)).toEqual({ version: CACHE_VERSION, configDir: summary.configDir, sessionId: SID, summaryHash: hashOf(second), bodyHash: linesHash(body), gen: 1 });
    expect(cursors.files[transcript].offset).toBe(Bun.file(transcript).size);
  });

  test.each([
    ["garbage", () => "\x00\xff not json"],
    ["valid JSON of the wrong shape", () => `{"version":${CACHE_VERSION},"files":"nope"}\n{"version":${CACHE_VERSION}}\n{}\n`],
    ["another version", (c: any[]) => framed({ ...c[1], version: 1 }, { ...c[2], version: 1 }, { version: 1 })],
    ["another session's cache", (c: any[]) => framed({ ...c[1], sessionId: "x" }, { ...c[2], sessionId: "x" })],
    ["totals changed after their hash was taken", (c: any[]) => `${JSON.stringify(c[0])}\n${JSON.stringify({ ...c[1], tokens: { ...c[1].tokens, output: 999 } })}\n${JSON.stringify(c[2])}\n`],
    ["a stale stamp over cursors past the end", (c: any[]) => {
      for (const f of Object.values(c[2].files) as { offset: number; size: number }[]) {
        f.offset = 1e9;
        f.size = 7;
      }
      return framed({ ...c[1], stamp: "stale" }, c[2]);
    }],
    ["a stale stamp over cursors that are not the ones hashed", (c: any[]) => framed({ ...c[1], stamp: "stale" }, c[2]).replace(/[^\n]*\n$/, `{"version":${CACHE_VERSION},"files":{"x":1}}\n`)],
    ["only the first line, torn", (c: any[]) => JSON.stringify(c[0]).slice(0, 40)],
  ])("%s: rebuilt from the transcript, totals exact", async (_, corrupt) => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { input: 3, output: 5 }), ...response("m2", { input: 1, output: 2 })));
    await read();
    writeFileSync(cacheFile, corrupt(cacheParts(cacheFile)));
    expect((await read()).tokens).toMatchObject({ input: 4, output: 7 });
    expect(cacheParts(cacheFile)[0].version).toBe(CACHE_VERSION);
    appendFileSync(transcript, lines(...response("m3", { input: 10, output: 10 })));
    expect((await read()).tokens).toMatchObject({ input: 14, output: 17 });
  });

  test("the summary answers only while every watched path is unchanged", async () => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    await read();
    // Doctor the stored totals (and their hash): while the stamp holds they are believed (no transcript is read)…
    const [, summary, cursors] = cacheParts(cacheFile);
    writeFileSync(cacheFile, framed({ ...summary, tokens: { ...summary.tokens, output: 999 } }, cursors));
    expect((await read()).tokens.output).toBe(999);
    // …and a new sub-agent folder, an append or a replaced file each send the call back to the cursors.
    mkdirSync(join(dirname(transcript), SID, "subagents"), { recursive: true });
    expect((await read()).tokens.output).toBe(5);
    appendFileSync(transcript, lines(...response("m2", { output: 1 })));
    expect((await read()).tokens.output).toBe(6);
  });

  test("the newest of the two slots torn (a write under way, or killed in it): caught up from the older one, exact", async () => {
    const { transcript, read, cacheFile } = setup();
    const [, second] = slotPaths(cacheFile);
    writeFileSync(transcript, lines(...response("m1", { input: 3, output: 5 })));
    await read();
    appendFileSync(transcript, lines(...response("m2", { input: 1, output: 2 })));
    await read();
    expect(cacheParts(second)[1].tokens).toMatchObject({ input: 4, output: 7 });
    const text = readFileSync(second, "utf8");
    writeFileSync(second, text.slice(0, text.indexOf("\n", text.indexOf("\n") + 1) + 40));
    appendFileSync(transcript, lines(...response("m3", { input: 10, output: 10 })));
    // From the first slot's offsets: m2 and m3 read, m1 not again (nothing of the transcript read at byte 0).
    const fs = await import("node:fs");
    const [openSync, readSync] = [fs.openSync, fs.readSync];
    const transcriptFds = new Set<number>();
    const positions: number[] = [];
    const spies = [
      spyOn(fs, "openSync").mockImplementation(((path: string, ...rest: [number]) => {
        const fd = openSync(path, ...rest);
        // A closed descriptor's number is handed out again.
        if (path === transcript) transcriptFds.add(fd);
        else transcriptFds.delete(fd);
        return fd;
      }) as typeof fs.openSync),
      spyOn(fs, "readSync").mockImplementation(((fd: number, buf: Uint8Array, at: number, length: number, position: number) => {
        if (transcriptFds.has(fd)) positions.push(position);
        return readSync(fd, buf, at, length, position);
      }) as typeof fs.readSync),
    ];
    try {
      expect((await read()).tokens).toMatchObject({ input: 14, output: 17 });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(positions.length).toBeGreaterThan(0);
    expect(Math.min(...positions)).toBeGreaterThan(0);
    expect(cacheParts(second)[1].tokens).toMatchObject({ input: 14, output: 17 });
    expect((await read()).tokens).toMatchObject({ input: 14, output: 17 });
  });

  test("a directory where the cache file should be: the answer is still right", async () => {
    const { transcript, read, cacheFile } = setup();
    writeFileSync(transcript, lines(...response("m1", { output: 5 })));
    mkdirSync(cacheFile, { recursive: true });
    expect((await read()).tokens.output).toBe(5);
    expect((await read()).tokens.output).toBe(5);
  });

  test("the real captures: incremental reads line by line equal one full read", async () => {
    const { transcript, read } = setup();
    const source = join(import.meta.dir, "..", "fixtures", "claude-code-2.1.328", "11-after-exit", "projects", "-home-dev-code-work-s2", `${SID}.jsonl`);
    const bytes = readFileSync(source);
    writeFileSync(transcript, "");
    // Feed it in uneven slices, cutting lines anywhere, calling after each.
    for (let at = 0; at < bytes.length; ) {
      const next = Math.min(bytes.length, at + 997 + ((at * 7) % 4093));
      appendFileSync(transcript, bytes.subarray(at, next));
      await read();
      at = next;
    }
    const want = naiveTotals([source]);
    expect((await read()).tokens).toMatchObject(want);
    expect(want).toEqual({ input: 26, cacheWrite: 5318, cacheRead: 70000, output: 183 });
  });
});

describe("the stamp", () => {
  // A row appended while a refresh reads: the refresh read up to the size it saw, so its stamp must say
  // that size, not the size after the append, or the next call would take the short totals as current.
  test("is of the files and folders as read, not as they are after", async () => {
    const home = makeHome();
    const file = join(home.root, "t.jsonl");
    const dir = join(home.root, "subagents");
    writeFileSync(file, "0123456789");
    mkdirSync(dir);
    const s = statSync(file);
    const read: v.InferOutput<typeof SessionCacheSchema> = { version: CACHE_VERSION, configDir: "", sessionId: "", dirs: { [dir]: 1 }, files: { [file]: { dev: s.dev, ino: s.ino, size: 4, offset: 4, tally: { tokens: { input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 }, costUSD: 0, estimated: false, recent: [], buckets: [] } } }, mainIds: [] };
    const fs = await import("node:fs");
    expect(stampOf([file, dir], new StatMemo(fs), read)).toBe(`${s.dev}:${s.ino}:4 d1`);
    expect(stampOf([file, dir], new StatMemo(fs))).toBe(`${s.dev}:${s.ino}:10 d${statSync(dir).mtimeMs}`);
  });
});
