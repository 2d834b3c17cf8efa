/**
 * A generated corpus of broken and hostile homes: every case runs the whole pipeline and every
 * renderer. Nothing may throw, hang or print a control character, and the offset cache must come out
 * valid (the next call agrees with a call from scratch).
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProjectDir } from "../src/discover/projectDir.ts";
import { renderCompact, defaultCompactOptions } from "../src/render/compact.ts";
import { renderJson } from "../src/render/json.ts";
import { renderPrompt } from "../src/render/prompt.ts";
import { noPaint, renderTable } from "../src/render/table.ts";
import type { UsageReport } from "../src/derive/usageReport.ts";
import { takeSnapshot, takeUsage } from "../src/snapshot.ts";
import { type TestHome, liveProbe, makeHome, runBinary, spawnSleeper, writeProbe } from "./helpers/home.ts";
import { assistantLine, response } from "./helpers/rows.ts";

const SID = "abababab-0000-4000-8000-000000000001";
const CWD = "/w/hostile";

interface Case {
  readonly name: string;
  /** Builds the broken home; a live sleeper is there for probes to point at. */
  build(home: TestHome, pid: number, probe: Record<string, unknown>): void;
}

const transcriptPath = (home: TestHome) => join(home.claude, "projects", encodeProjectDir(CWD), `${SID}.jsonl`);
const writeTranscript = (home: TestHome, content: string | Uint8Array) => {
  mkdirSync(join(transcriptPath(home), ".."), { recursive: true });
  writeFileSync(transcriptPath(home), content);
};
const rawProbe = (home: TestHome, pid: number, content: string | Uint8Array) => writeFileSync(join(home.claude, "sessions", `${pid}.json`), content);

const WRONG_VALUES: unknown[] = [null, true, 0, -1, 1.5, 1e308, "", "x".repeat(5000), [], [1, 2], {}, { a: { b: {} } }, "\x1b[31m\x07"];
const PROBE_FIELDS = ["pid", "sessionId", "cwd", "startedAt", "procStart", "version", "kind", "entrypoint", "pidDomain", "tmux", "name", "status", "waitingFor", "updatedAt", "statusUpdatedAt"];
const HOSTILE_TEXT = ["#(touch pwned)", "#{session_name}", "%F{red}%~", "$(id)", "`id`", "\\", "\x1b]52;c;eA==\x07", "\x1b[2J", "\u202e", "\n\r", "\x00", "🙂".repeat(300)];

const deep = (n: number): string => "[".repeat(n) + "]".repeat(n);

const cases: Case[] = [
  // Probes: every field with every wrong type.
  ...PROBE_FIELDS.flatMap((field) =>
    WRONG_VALUES.map((value) => ({
      name: `probe ${field} = ${JSON.stringify(value)?.slice(0, 30)}`,
      build: (home: TestHome, pid: number, probe: Record<string, unknown>) => {
        writeProbe(home, pid, { ...probe, [field]: value });
      },
    })),
  ),
  // Probes: hostile text in every text field.
  ...["name", "cwd", "waitingFor", "status", "tmux", "sessionId", "version", "kind"].flatMap((field) =>
    HOSTILE_TEXT.map((text) => ({
      name: `probe ${field} hostile ${JSON.stringify(text).slice(0, 20)}`,
      build: (home: TestHome, pid: number, probe: Record<string, unknown>) => {
        writeProbe(home, pid, { ...probe, status: "waiting", [field]: text });
      },
    })),
  ),
  // Probes: torn, junk, huge, nested.
  ...[
    ["empty probe", ""],
    ["torn probe", '{"pid":1,"sessionId":"ab'],
    ["binary probe", new Uint8Array([0, 159, 146, 150, 255, 254, 10, 13])],
    ["invalid UTF-8 inside a string", Buffer.concat([Buffer.from('{"status":"idle","name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])],
    ["NUL-prefixed probe", `\x00\x00{"status":"idle"}`],
    ["deeply nested probe", `{"status":"idle","x":${deep(5000)}}`],
    ["probe over 256 KiB", JSON.stringify({ status: "idle", pad: "y".repeat(300_000) })],
    ["probe is an array", "[1,2,3]"],
    ["probe is a number", "42"],
  ].map(([name, content]) => ({ name: name as string, build: (home: TestHome, pid: number) => rawProbe(home, pid, content as string) })),
  // The filesystem.
  { name: "sessions is a file", build: (home) => { rmSync(join(home.claude, "sessions"), { recursive: true }); writeFileSync(join(home.claude, "sessions"), "x"); } },
  { name: "no config dir at all", build: (home) => rmSync(home.claude, { recursive: true }) },
  { name: "probe is a symlink to /dev/zero", build: (home, pid) => symlinkSync("/dev/zero", join(home.claude, "sessions", `${pid}.json`)) },
  { name: "probe is a fifo", build: (home, pid) => Bun.spawnSync(["mkfifo", join(home.claude, "sessions", `${pid}.json`)]) },
  { name: "probe is a directory", build: (home, pid) => mkdirSync(join(home.claude, "sessions", `${pid}.json`)) },
  { name: "probe symlink loop", build: (home, pid) => { const p = join(home.claude, "sessions", `${pid}.json`); symlinkSync(p, p); } },
  // Transcripts, behind a good probe.
  ...[
    ["transcript of binary junk", new Uint8Array(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 256))],
    ["transcript with NULs at line starts", `\x00\x00\x00${response("m1", { output: 3 }).join("\n\x00")}\n`],
    ["transcript with a torn last line", `${response("m1", { output: 3 }).join("\n")}\n${assistantLine("m2", "r2", { output: 4 }).slice(0, 100)}`],
    ["transcript with one 12 MB line", `${"z".repeat(12 << 20)}\n${assistantLine("m1", "r1", { output: 3 })}\n`],
    ["transcript with deeply nested JSON", `{"type":"assistant","message":{"usage":${deep(20000)}}}\n`],
    ["transcript rows with wrong types", `${JSON.stringify({ type: "assistant", message: { id: 5, model: [], usage: { input_tokens: "9", output_tokens: -4, cache_creation: 7 } }, requestId: {} })}\n`],
    ["transcript row with a hostile model", `${assistantLine("m1", "r1", { output: 1 }, { model: "\x1b]52;c;eA==\x07#(touch pwned)" })}\n`],
    ["transcript of invalid UTF-8", Buffer.concat([Buffer.from(assistantLine("m1", "r1", { output: 2 })), Buffer.from([10, 0xff, 0xfe, 0xc3, 10])])],
  ].map(([name, content]) => ({
    name: name as string,
    build: (home: TestHome, pid: number, probe: Record<string, unknown>) => {
      writeProbe(home, pid, probe);
      writeTranscript(home, content as string);
    },
  })),
  { name: "transcript is a symlink to /dev/zero", build: (home, pid, probe) => { writeProbe(home, pid, probe); mkdirSync(join(transcriptPath(home), ".."), { recursive: true }); symlinkSync("/dev/zero", transcriptPath(home)); } },
  { name: "transcript is a fifo", build: (home, pid, probe) => { writeProbe(home, pid, probe); mkdirSync(join(transcriptPath(home), ".."), { recursive: true }); Bun.spawnSync(["mkfifo", transcriptPath(home)]); } },
  { name: "transcript symlink loop", build: (home, pid, probe) => { writeProbe(home, pid, probe); mkdirSync(join(transcriptPath(home), ".."), { recursive: true }); symlinkSync(transcriptPath(home), transcriptPath(home)); } },
  { name: "transcript is a directory", build: (home, pid, probe) => { writeProbe(home, pid, probe); mkdirSync(transcriptPath(home), { recursive: true }); } },
  { name: "subagents is a file", build: (home, pid, probe) => { writeProbe(home, pid, probe); writeTranscript(home, `${response("m1", { output: 1 }).join("\n")}\n`); mkdirSync(join(transcriptPath(home), "..", SID), { recursive: true }); writeFileSync(join(transcriptPath(home), "..", SID, "subagents"), "x"); } },
  { name: "transcript symlinked from outside the config dir", build: (home, pid, probe) => { writeProbe(home, pid, probe); const outside = join(home.root, "outside.jsonl"); writeFileSync(outside, `${response("m1", { output: 9 }).join("\n")}\n`); mkdirSync(join(transcriptPath(home), ".."), { recursive: true }); symlinkSync(outside, transcriptPath(home)); } },
  { name: "subagent symlink to /dev/zero", build: (home, pid, probe) => { writeProbe(home, pid, probe); writeTranscript(home, `${response("m1", { output: 1 }).join("\n")}\n`); const d = join(transcriptPath(home), "..", SID, "subagents"); mkdirSync(d, { recursive: true }); symlinkSync("/dev/zero", join(d, "agent-z.jsonl")); } },
  { name: "cache dir is a file", build: (home, pid, probe) => { writeProbe(home, pid, probe); writeTranscript(home, `${response("m1", { output: 1 }).join("\n")}\n`); mkdirSync(home.cache, { recursive: true }); writeFileSync(join(home.cache, "ccpulse"), "not a dir"); } },
];

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b\x9d\u202e]/;

function outputs(snapshot: Awaited<ReturnType<typeof takeSnapshot>>, report?: UsageReport): string[] {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m|\x01|\x02/g, "");
  return [
    renderJson(snapshot, false, report),
    renderTable(snapshot, noPaint, [], {}, report),
    strip(renderCompact(snapshot, "tmux", { ...defaultCompactOptions, tokens: true, cost: true, cache: true })),
    strip(renderCompact(snapshot, "ansi", defaultCompactOptions)),
    ...(["zsh", "bash", "fish", "plain"] as const).map((shell) => strip(renderPrompt(snapshot, shell))),
  ];
}

describe("hostile and broken homes", () => {
  test("the corpus has at least 200 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });
  for (const c of cases) {
    test(c.name, async () => {
      const home = makeHome();
      const s = spawnSleeper();
      c.build(home, s.pid, liveProbe(s, { sessionId: SID, cwd: CWD, status: "idle", name: "hostile" }));
      const first = await takeSnapshot(home.env, { tokens: true });
      // The usage report too: the ledger reads every transcript in the config dir, hostile ones included.
      const { report } = await takeUsage(home.env, first, { billingDay: 1, monthlyWindows: 50 }, {});
      for (const out of outputs(first, report)) {
        for (const line of out.split("\n")) expect(line).not.toMatch(CONTROL);
      }
      // JSON stays parseable; a second call (through whatever cache the first left) agrees.
      JSON.parse(renderJson(first, false));
      const again = await takeSnapshot(home.env, { tokens: true });
      expect(again.sessions.map((x) => [x.pid, x.state, x.tokens, x.costUSD])).toEqual(first.sessions.map((x) => [x.pid, x.state, x.tokens, x.costUSD]));
      const reportAgain = (await takeUsage(home.env, again, { billingDay: 1, monthlyWindows: 50 }, {})).report;
      expect([reportAgain.month.tokens, reportAgain.month.costUSD]).toEqual([report.month.tokens, report.month.costUSD]);
      await s.kill();
    }, 20_000);
  }
});

describe("the compiled binary on a sample of them", () => {
  // Every 16th case: enough to cover probes, transcripts and the filesystem, in a few seconds.
  for (const c of cases.filter((_, i) => i % 16 === 0)) {
    test(c.name, async () => {
      const home = makeHome();
      const s = spawnSleeper();
      c.build(home, s.pid, liveProbe(s, { sessionId: SID, cwd: CWD, status: "idle", name: "hostile" }));
      for (const args of [["compact", "--tmux", "--tokens", "--cost"], ["prompt", "--shell=zsh"], ["json"], ["list"]]) {
        const r = await runBinary(home, args);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe("");
        if (args[0] === "json") JSON.parse(r.stdout);
        expect(r.stdout.split("\n").filter((l) => CONTROL.test(l.replace(/\x1b\[[0-9;]*m/g, "")))).toEqual([]);
      }
      await s.kill();
    }, 20_000);
  }
});

describe("hostile time zones", () => {
  // TZ and --tz become file paths below the zoneinfo dir and text in the output.
  for (const tz of ["$(id)", "%F{red}", "#(touch /tmp/ccpulse-pwned)", "../../../etc/passwd", ":/dev/zero", ":/etc/passwd", "\u001b]52;c;aGk=\u0007", "EST5EDT,M3.2.0,M11.1.0"]) {
    test(JSON.stringify(tz), async () => {
      const home = makeHome();
      for (const args of [["json"], ["compact", "--tmux", "--template={cost_today} {month_cost}"], ["list"]]) {
        const r = await runBinary(home, args, { TZ: tz });
        expect(r.code).toBe(0);
        expect(r.stderr.split("\n").filter((l) => l !== "").length).toBeLessThanOrEqual(1);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(CONTROL);
        if (args[0] === "json") expect(typeof JSON.parse(r.stdout).timeZone).toBe("string");
      }
      expect(await Bun.file("/tmp/ccpulse-pwned").exists()).toBe(false);
      // As a flag it is a usage error (exit 2) or a zone not found (exit 0, UTC): one line either way.
      const flag = await runBinary(home, ["json", `--tz=${tz}`]);
      expect([0, 2]).toContain(flag.code);
      expect(flag.stderr.split("\n").filter((l) => l !== "").length).toBeLessThanOrEqual(1);
    });
  }
});
