/**
 * bench/report.ts on a hand-made manifest: a command timed in several batches (run.sh times the
 * hello-world and the warm calls in alternating batches, and the hello-world and the after-append calls)
 * is one sample, its median and ratio taken over every run of every batch, not over the last batch written.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "ccpulse-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hyperfine = (name: string, times: number[], user = 0.001, system = 0.002) => {
  const file = join(dir, `${name}.json`);
  const sorted = [...times].sort((a, b) => a - b);
  // What hyperfine writes; median and mean of this batch alone, so a merge that kept them would show.
  writeFileSync(file, JSON.stringify({ results: [{ command: name, mean: times[0], stddev: 0, median: sorted[0], min: sorted[0], max: sorted.at(-1), user, system, times, exit_codes: times.map(() => 0) }] }));
  return file;
};

/** The report made from these manifest lines: report.ts must say nothing on stderr and exit 0. */
function reportOf(name: string, manifest: readonly string[]): string {
  writeFileSync(join(dir, `manifest-${name}.jsonl`), `${manifest.join("\n")}\n`);
  const out = join(dir, `report-${name}.md`);
  const run = Bun.spawnSync([process.execPath, join(ROOT, "bench", "report.ts"), join(dir, `manifest-${name}.jsonl`), out], { stdout: "pipe", stderr: "pipe" });
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
  return readFileSync(out, "utf8");
}

/** A manifest's first lines, as run.sh writes them: the machine, then one scale. */
const head = (scale: string, date: string): string[] => [
  JSON.stringify({ kind: "machine", date, host: "test" }),
  JSON.stringify({ kind: "scale", scale, sessions: 5, live: 2, bytes: 1000, liveBytes: 100 }),
];
/** A manifest line for one hyperfine file of `scale` in `mode`. */
const timed = (scale: string, mode: string) => (tool: string, command: string, file: string) => JSON.stringify({ kind: "time", scale, tool, command, mode, file });

test("a command's batches are merged: median over all their runs, ratio to the hello-world's merged median", async () => {
  const time = timed("small", "warm");
  const manifest = [
    ...head("small", "2026-11-22T00:00:00Z"),
    // Batch 1 in a fast phase, batch 2 in a slow one: 4, 4, 8, 8 ms for the hello-world (median 6),
    // 5, 5, 9, 9 ms for the warm call (median 7).
    time("hello", "hi", hyperfine("hello-1", [0.004, 0.004])),
    time("ccpulse", "compact --tmux --tokens", hyperfine("ccpulse-1", [0.005, 0.005])),
    time("hello", "hi", hyperfine("hello-2", [0.008, 0.008])),
    time("ccpulse", "compact --tmux --tokens", hyperfine("ccpulse-2", [0.009, 0.009])),
  ];
  const report = reportOf("warm", manifest);
  const row = report.split("\n").find((line) => line.includes("`ccpulse compact --tmux --tokens`"));
  const cells = row?.split("|").map((c) => c.trim());
  expect(cells?.[3]).toBe("7.00"); // warm ms
  expect(cells?.[7]).toBe("1.2×"); // 7 / 6
  expect(report).toContain("| Bun hello-world, in batches alternating with the warm calls and with the after-append ones (there after the same append step) | 6.00 |");
  // And batch by batch, each against the hello-world batch beside it: 5 / 4 and 9 / 8.
  expect(report).toContain("- small, `ccpulse compact --tmux --tokens`: warm 1.13–1.25× over 2 batches\n");
  // The raw JSON keeps every run of both batches.
  const raw = JSON.parse(report.slice(report.indexOf("```json\n") + 8, report.lastIndexOf("\n```")));
  expect(raw["small · ccpulse compact --tmux --tokens · warm"].results[0].times).toEqual([0.005, 0.005, 0.009, 0.009]);
});

test("the after-append ratio is to the hello-world timed alongside the after-append batches (and to the bare one beside it); the warm ratio to the warm batches' one", async () => {
  const time = (tool: string, command: string, mode: string, file: string) => timed("small", mode)(tool, command, file);
  const manifest = [
    ...head("small", "2026-12-05T00:00:00Z"),
    // The warm batches in a fast phase (hello-world 5 ms, warm call 6), the after-append ones in a slow
    // one (hello-world after the append step 10 and 12 ms: median 11; without it 7 and 9: median 8; the
    // call 30 and 36: median 33).
    time("hello", "hi", "warm", hyperfine("w-hello", [0.005, 0.005])),
    time("ccpulse", "compact --tmux --tokens", "warm", hyperfine("w-compact", [0.006, 0.006])),
    time("hello", "hi", "append-bare", hyperfine("a-bare-1", [0.007, 0.007])),
    time("hello", "hi", "append", hyperfine("a-hello-1", [0.01, 0.01])),
    time("ccpulse", "compact --tmux --tokens", "append", hyperfine("a-compact-1", [0.03, 0.03])),
    time("hello", "hi", "append-bare", hyperfine("a-bare-2", [0.009, 0.009])),
    time("hello", "hi", "append", hyperfine("a-hello-2", [0.012, 0.012])),
    time("ccpulse", "compact --tmux --tokens", "append", hyperfine("a-compact-2", [0.036, 0.036])),
  ];
  const report = reportOf("append", manifest);
  const cells = (needle: string) => report.split("\n").find((line) => line.includes(needle))?.split("|").map((c) => c.trim());
  const call = cells("`ccpulse compact --tmux --tokens`");
  expect([call?.[3], call?.[4], call?.[7], call?.[8], call?.[9]]).toEqual(["6.00", "33.0", "1.2×", "3.0×", "4.1×"]); // 6 / 5, 33 / 11 (not 33 / 5), 33 / 8
  const hello = cells("Bun hello-world, in batches alternating");
  expect([hello?.[3], hello?.[4]]).toEqual(["5.00", "11.0"]);
  const bare = cells("without the append step (bare)");
  expect([bare?.[3], bare?.[4], bare?.[9]]).toEqual(["—", "8.00", "1.0×"]);
  // Batch by batch: 30 / 10 and 36 / 12 after the append step; one warm batch has no spread to give.
  expect(report).toContain("- small, `ccpulse compact --tmux --tokens`: after-append 3.00–3.00× over 2 batches\n");
});

test("the report gives the page-fault cost run.sh measured at the run's start and end (the VM's phase), or ? without it", async () => {
  const base = [JSON.stringify({ kind: "machine", date: "2026-12-05T00:00:00Z", host: "test" })];
  const faults = [JSON.stringify({ kind: "fault", when: "start", us: 1.73 }), JSON.stringify({ kind: "fault", when: "end", us: 11.2 })];
  expect(reportOf("faults", [...base, ...faults])).toContain("A fresh 4 KiB page fault: 1.73 µs at the start, 11.2 µs at the end");
  expect(reportOf("no-faults", base)).toContain("A fresh 4 KiB page fault: ? µs at the start, ? µs at the end");
});

test("the floor (bench/floor.ts) has its own row in the after-append batches: its median and ratio to the same hello-world, and its batch spread", async () => {
  const time = timed("large", "append");
  const manifest = [
    ...head("large", "2026-12-05T00:00:00Z"),
    // Hello-world after the append step 4 and 5 ms (median 4.5); ccpulse 20 and 25 (22.5); the floor 12 and 14 (13).
    time("hello", "hi", hyperfine("f-hello-1", [0.004, 0.004])),
    time("ccpulse", "compact --tmux --tokens", hyperfine("f-compact-1", [0.02, 0.02])),
    time("floor", "compact --tmux --tokens", hyperfine("f-floor-1", [0.012, 0.012])),
    time("hello", "hi", hyperfine("f-hello-2", [0.005, 0.005])),
    time("ccpulse", "compact --tmux --tokens", hyperfine("f-compact-2", [0.025, 0.025])),
    time("floor", "compact --tmux --tokens", hyperfine("f-floor-2", [0.014, 0.014])),
  ];
  const report = reportOf("floor", manifest);
  const cells = (needle: string) => report.split("\n").find((line) => line.includes(needle))?.split("|").map((c) => c.trim());
  const floor = cells("the floor: bench/floor.ts");
  expect([floor?.[3], floor?.[4], floor?.[8]]).toEqual(["—", "13.0", "2.9×"]); // 13 / 4.5
  const call = cells("| `ccpulse compact --tmux --tokens` |");
  expect([call?.[4], call?.[8]]).toEqual(["22.5", "5.0×"]);
  // 12 / 4 and 14 / 5, each against the hello-world batch beside it.
  expect(report).toContain("- large, the floor: after-append 2.80–3.00× over 2 batches\n");
});
