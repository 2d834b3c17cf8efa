/**
 * Turns what bench/run.sh measured into one Markdown table, printed and saved with the raw hyperfine
 * JSON under bench/results/.
 *
 *   bun bench/report.ts MANIFEST OUT.md
 *
 * MANIFEST has one JSON object per line: {kind:"machine",...}, {kind:"scale",...}, {kind:"time",...},
 * {kind:"rss",...}, {kind:"fault",when,us} and {kind:"note",text}, as run.sh writes them.
 */
import { readFileSync, writeFileSync } from "node:fs";

type Mode = "warm" | "append" | "cold";

interface TimeEntry {
  kind: "time";
  scale: string;
  tool: string;
  command: string;
  mode: Mode;
  file: string;
}
interface RssEntry {
  kind: "rss";
  scale: string;
  tool: string;
  command: string;
  mode: "warm" | "cold";
  kib: number;
}
interface ScaleEntry {
  kind: "scale";
  scale: string;
  sessions: number;
  live: number;
  bytes: number;
  liveBytes: number;
}
interface NoteEntry {
  kind: "note";
  text: string;
}
interface MachineEntry {
  kind: "machine";
  [key: string]: string;
}
/** What a fresh page fault cost (µs) at the run's start or end: the VM's phase (run.sh fault_cost). */
interface FaultEntry {
  kind: "fault";
  when: "start" | "end";
  us: number | null;
}
type Entry = TimeEntry | RssEntry | ScaleEntry | NoteEntry | MachineEntry | FaultEntry;

interface HyperfineResult {
  command: string;
  mean: number;
  stddev: number | null;
  median: number;
  min: number;
  max: number;
  user: number;
  system: number;
  times?: number[];
  exit_codes?: (number | null)[];
}

const [manifestPath, outPath] = Bun.argv.slice(2);
if (manifestPath === undefined || outPath === undefined) throw new Error("usage: report.ts MANIFEST OUT.md");

const entries = readFileSync(manifestPath, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Entry);

/** Two batches of one command (run.sh times warm calls in batches) as one sample: all runs, statistics again. */
function mergeResults(a: HyperfineResult, b: HyperfineResult): HyperfineResult {
  const times = [...(a.times ?? []), ...(b.times ?? [])];
  if (times.length === 0) throw new Error(`no times to merge for ${a.command}`);
  const sorted = [...times].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  const runs = (r: HyperfineResult) => r.times?.length ?? 0;
  return {
    command: a.command,
    mean,
    stddev: times.length > 1 ? Math.sqrt(times.reduce((sum, t) => sum + (t - mean) ** 2, 0) / (times.length - 1)) : null,
    median: sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    user: (a.user * runs(a) + b.user * runs(b)) / (runs(a) + runs(b)),
    system: (a.system * runs(a) + b.system * runs(b)) / (runs(a) + runs(b)),
    times,
    exit_codes: [...(a.exit_codes ?? []), ...(b.exit_codes ?? [])],
  };
}

const raw = new Map<string, HyperfineResult>();
const rawJson: Record<string, { results: HyperfineResult[] }> = {};
/** Each batch's own median (s), in the order run.sh timed them. */
const batchMedians = new Map<string, number[]>();
for (const e of entries) {
  if (e.kind !== "time") continue;
  const result = (JSON.parse(readFileSync(e.file, "utf8")) as { results: HyperfineResult[] }).results[0];
  if (result === undefined) continue;
  const key = `${e.scale}|${e.tool}|${e.command}|${e.mode}`;
  batchMedians.set(key, [...(batchMedians.get(key) ?? []), result.median]);
  const seen = raw.get(key);
  const merged = seen === undefined ? result : mergeResults(seen, result);
  raw.set(key, merged);
  rawJson[`${e.scale} · ${e.tool} ${e.command} · ${e.mode}`] = { results: [merged] };
}
const rss = new Map<string, number>();
for (const e of entries) if (e.kind === "rss") rss.set(`${e.scale}|${e.tool}|${e.command}|${e.mode}`, e.kib);

const medianMs = (key: string): number | undefined => {
  const r = raw.get(key);
  return r === undefined ? undefined : r.median * 1000;
};
const ms = (x: number | undefined) => (x === undefined ? "—" : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const ratio = (x: number | undefined, base: number | undefined) => (x === undefined || base === undefined ? "—" : `${(x / base).toFixed(1)}×`);
const mib = (kib: number | undefined) => (kib === undefined ? "—" : (kib / 1024).toFixed(0));
const gbps = (bytes: number, msValue: number | undefined) => (msValue === undefined ? "—" : (bytes / 1e9 / (msValue / 1000)).toFixed(2));
const size = (bytes: number) => (bytes >= 1 << 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

const helloMs = medianMs("-|hello|hi|warm");
const helloRss = rss.get("-|hello|hi|warm");
const machine = entries.find((e): e is MachineEntry => e.kind === "machine") ?? ({ kind: "machine" } as MachineEntry);
const scales = entries.filter((e): e is ScaleEntry => e.kind === "scale");
const notes = entries.filter((e): e is NoteEntry => e.kind === "note").map((e) => e.text);
const faultAt = (when: FaultEntry["when"]) => entries.find((e): e is FaultEntry => e.kind === "fault" && e.when === when)?.us ?? "?";

const header = [
  "| scale | command | warm ms | after-append ms | cold ms | cold GB/s | warm ÷ hello | after-append ÷ hello | after-append ÷ bare hello | cold ÷ hello | peak RSS warm MiB | peak RSS cold MiB |",
  "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
];
/**
 * How far a ratio moves from one batch to the next: each ccpulse batch's median over that of the
 * hello-world batch timed beside it (run.sh alternates them), as the lowest and highest of those ratios.
 * The table's ratios are of the merged samples; this is the noise around them.
 */
function batchSpread(scale: string, tool: string, command: string, mode: "warm" | "append"): string | undefined {
  const calls = batchMedians.get(`${scale}|${tool}|${command}|${mode}`) ?? [];
  const hellos = batchMedians.get(`${scale}|hello|hi|${mode}`) ?? [];
  if (calls.length < 2 || calls.length !== hellos.length) return undefined;
  const ratios = calls.map((c, i) => c / (hellos[i] as number));
  return `${mode === "warm" ? "warm" : "after-append"} ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}× over ${ratios.length} batches`;
}
const startupMs = medianMs("-|ccpulse|--version|warm");
/** Under the table, per scale and ccpulse command (and the floor): batchSpread's warm and after-append lines. */
const spreads: string[] = [];
const rows: string[] = [
  `| — | Bun hello-world (\`console.log("hi")\`, same build flags) | ${ms(helloMs)} | — | — | — | 1.0× | — | — | — | ${mib(helloRss)} | — |`,
  `| — | \`ccpulse --version\` (start-up only, reads no files) | ${ms(startupMs)} | — | — | — | ${ratio(startupMs, helloMs)} | — | — | — | ${mib(rss.get("-|ccpulse|--version|warm"))} | — |`,
];
for (const s of scales) {
  const commands = [...new Set(entries.filter((e): e is TimeEntry => e.kind === "time" && e.scale === s.scale && e.tool !== "hello").map((e) => `${e.tool}|${e.command}`))];
  // Each scale's ratios are to the hello-world measured with it (run.sh), else to the first one: the
  // after-append ratios to the one timed in batches alternating with the after-append calls, after the
  // same append step (to a scratch home), and to the one timed there without it (bare).
  const scaleHello = medianMs(`${s.scale}|hello|hi|warm`);
  const appendHello = medianMs(`${s.scale}|hello|hi|append`);
  const bareHello = medianMs(`${s.scale}|hello|hi|append-bare`);
  const hello = scaleHello ?? helloMs;
  if (scaleHello !== undefined || appendHello !== undefined) {
    rows.push(`| ${s.scale} | Bun hello-world, in batches alternating with the warm calls and with the after-append ones (there after the same append step) | ${ms(scaleHello)} | ${ms(appendHello)} | — | — | 1.0× | ${appendHello === undefined ? "—" : "1.0×"} | — | — | — | — |`);
  }
  if (bareHello !== undefined) {
    rows.push(`| ${s.scale} | Bun hello-world, in the after-append batches without the append step (bare) | — | ${ms(bareHello)} | — | — | — | — | 1.0× | — | — | — |`);
  }
  for (const tc of commands) {
    const [tool, command] = tc.split("|") as [string, string];
    const key = (mode: string) => `${s.scale}|${tool}|${command}|${mode}`;
    const warm = medianMs(key("warm"));
    const append = medianMs(key("append"));
    // ccusage keeps no cache: each call is a full scan, measured once and shown as both warm and cold.
    const cold = medianMs(key("cold")) ?? (tool === "ccusage" ? warm : undefined);
    // ccpulse's compact reads the transcripts of live sessions only; json also builds the usage ledger
    // from every transcript of the last 35 days (all of a generated home), as ccusage reads every one.
    const bytesRead = tool === "ccusage" || command === "json" ? s.bytes : s.liveBytes;
    const label = `${s.scale} (${s.sessions} sessions, ${size(s.bytes)}, ${s.live} live = ${size(s.liveBytes)})`;
    const what = tool === "floor" ? `the floor: bench/floor.ts, the least work \`ccpulse ${command}\`'s figures need` : `\`${tool} ${command}\``;
    rows.push(
      `| ${label} | ${what} | ${ms(warm)} | ${ms(append)} | ${ms(cold)} | ${gbps(bytesRead, cold)} | ${ratio(warm, hello)} | ${ratio(append, appendHello ?? hello)} | ${ratio(append, bareHello)} | ${ratio(cold, hello)} | ${mib(rss.get(key("warm")))} | ${mib(rss.get(key("cold")) ?? (tool === "ccusage" ? rss.get(key("warm")) : undefined))} |`,
    );
    const spread = tool === "ccusage" ? [] : [batchSpread(s.scale, tool, command, "warm"), batchSpread(s.scale, tool, command, "append")].filter((p) => p !== undefined);
    if (spread.length > 0) spreads.push(`- ${s.scale}, ${tool === "floor" ? "the floor" : `\`ccpulse ${command}\``}: ${spread.join("; ")}`);
  }
}

const table = [...header, ...rows].join("\n");

const summary = [
  `## ccpulse benchmark, ${machine.date ?? new Date().toISOString()}`,
  "",
  `Machine: ${machine.host ?? "?"}, ${machine.nproc ?? "?"} cores (${machine.cpu ?? "?"}), ${machine.ram ?? "?"} RAM, ${machine.kernel ?? "?"}, ${machine.fs ?? "?"}.`,
  `Tools: ${machine.bun ?? "?"}, ${machine.ccpulse ?? "?"}, ${machine.hyperfine ?? "?"}${machine.ccusage ? `, ${machine.ccusage}` : ""}.`,
  `A fresh 4 KiB page fault: ${faultAt("start")} µs at the start, ${faultAt("end")} µs at the end (a Bun loop touching 64 MiB). The VM's phase: a hello-world is mostly page faults, ccpulse's calls mostly JavaScript and system calls, so every ratio below moves with it.`,
  "",
  "Medians of hyperfine runs (`--warmup 3`, `-N`: no shell). *warm*: nothing changed since the last call; *after-append*: 1 MiB of new rows",
  "appended to the live sessions' transcripts (and their probes touched) before each call; *cold*: ccpulse's offset cache",
  "(`$XDG_CACHE_HOME/ccpulse`) removed before each call, the OS page cache still warm. *cold GB/s*: bytes the tool must read",
  "(`ccpulse compact`: live sessions' transcripts and sub-agent files; `ccpulse json`, which also builds the usage ledger, and",
  "ccusage: every transcript) ÷ cold time. Peak RSS: max of 3 runs of",
  "`/usr/bin/time -v`. Ratios are to the hello-world measured with the same scale. It and the warm calls are timed in",
  "alternating batches (run.sh: WARM_BATCHES of WARM_BATCH_RUNS runs each), and so are it and the after-append calls",
  "(APPEND_BATCHES of APPEND_BATCH_RUNS), each command's batches merged into one sample, so the VM's drift between",
  "hyperfine runs falls on all of them alike. The after-append ratios are to the hello-world of the after-append batches, timed",
  "after the same append step (made to a scratch home with as many live sessions), which leaves the CPU's caches cold for",
  "whatever runs next; *bare*: to the hello-world timed there back to back with itself, as the ratio was until 2026-12-05.",
  "*The floor* (bench/floor.ts, built like ccpulse, timed in the same after-append batches on the same home): a program that",
  "does only what `compact --tmux --tokens`'s figures need after an append (probes, liveness, the new bytes of the live",
  "transcripts and sub-agent files, one state file), without ccpulse's stored answer, settings, prices, exactness checks or locks.",
  "",
  table,
  ...(spreads.length > 0
    ? ["", "Batch by batch (each batch's median ÷ that of the hello-world batch timed beside it, lowest and highest): how far the ratios above move within the run.", "", ...spreads]
    : []),
  ...(notes.length > 0 ? ["", ...notes.map((n) => `- ${n}`)] : []),
  "",
].join("\n");

process.stdout.write(`${summary}\n`);
writeFileSync(
  outPath,
  `${summary}\n<details><summary>Raw hyperfine JSON</summary>\n\n\`\`\`json\n${JSON.stringify(rawJson)}\n\`\`\`\n</details>\n`,
);
