/**
 * The floor of a call after an append: the least any program built as ccpulse is (a compiled Bun binary
 * that keeps its state in files) must do to print `compact --tmux --tokens`'s figures, and nothing else.
 * make bench times it beside ccpulse after each append step, so the table shows how much of ccpulse's
 * after-append time is the work itself and how much is ccpulse's.
 *
 *   CLAUDE_CONFIG_DIR=… XDG_CACHE_HOME=… ./floor
 *
 * It reads every probe, checks its process's start time, stats each live session's transcript and
 * sub-agent files (listing a sub-agent folder only when its mtime moved), reads only the bytes past each
 * file's stored offset, counts each assistant message once (the last of its adjacent rows), and writes
 * one state file. Left out, so it stays a floor: ccpulse's stored answer and its fallback,
 * settings, prices and cost, states and ages, the checks that a file was not rewritten under its offset,
 * locks, cache versions, and the check of sub-agent rows against the main file's message ids (a /btw side
 * question replays the parent's messages: ~0.45 ms of ccpulse's call after an append to the large bench
 * home). So its totals run over the true ones by what was replayed; it is a yardstick, not a second
 * implementation, and nothing reads its state but itself.
 */
import * as fs from "node:fs";

interface FileState {
  offset: number;
  size: number;
  mtimeMs: number;
  lastId: string;
  lastCounts: number[];
  tokens: number[];
}
interface State {
  files: Record<string, FileState>;
  folders: Record<string, { mtimeMs: number; files: string[]; folders: string[] }>;
  /** Session id to its transcript, where that is not under the probe's cwd. */
  moved: Record<string, string>;
}

const configDir = process.env.CLAUDE_CONFIG_DIR ?? `${process.env.HOME}/.claude`;
const stateDir = `${process.env.XDG_CACHE_HOME ?? `${process.env.HOME}/.cache`}/ccpulse-floor`;
const statePath = `${stateDir}/state.json`;

let old: State = { files: {}, folders: {}, moved: {} };
try {
  old = JSON.parse(fs.readFileSync(statePath, "utf8")) as State;
} catch {
  // No state yet (the first call, or a removed cache): every file is read from its start.
}
const next: State = { files: {}, folders: {}, moved: {} };

const USAGE = Buffer.from('"usage":{');
const ASSISTANT = Buffer.from('"type":"assistant"');
const ID = Buffer.from('"id":"');
const KEYS = ['"input_tokens":', '"cache_creation_input_tokens":', '"cache_read_input_tokens":', '"output_tokens":'].map((k) => Buffer.from(k));
let buf = Buffer.allocUnsafe(128 << 10);
// ccpulse's MAX_LINE_BYTES: an assistant row with a long text or tool input can run past a read.
const MAX_LINE_BYTES = 2 << 20;

function count(line: Buffer, from: number): number[] {
  return KEYS.map((key) => {
    const at = line.indexOf(key, from);
    return at < 0 ? 0 : Number.parseInt(line.toString("latin1", at + key.length, at + key.length + 12), 10) || 0;
  });
}

function catchUp(path: string, state: FileState, size: number): void {
  const fd = fs.openSync(path, "r");
  try {
    let pos = state.offset;
    let carried = 0;
    while (pos < size) {
      const n = fs.readSync(fd, buf, carried, Math.min(buf.length - carried, size - pos), pos);
      if (n <= 0) break;
      pos += n;
      const filled = carried + n;
      const last = buf.lastIndexOf(0x0a, filled - 1);
      if (last < 0) {
        // A line longer than MAX_LINE_BYTES is passed over, as ccpulse does: no assistant row comes near it.
        carried = filled === buf.length && buf.length >= MAX_LINE_BYTES ? 0 : filled;
        if (filled === buf.length && carried > 0) {
          const grown = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(grown, 0, 0, filled);
          buf = grown;
        }
        continue;
      }
      let at = 0;
      while (at <= last) {
        const hit = buf.indexOf(USAGE, at);
        if (hit < 0 || hit > last) break;
        const start = buf.lastIndexOf(0x0a, hit) + 1;
        const end = buf.indexOf(0x0a, hit);
        const line = buf.subarray(start, end);
        const idAt = line.indexOf(ID);
        if (line.indexOf(ASSISTANT) >= 0 && idAt >= 0) {
          const id = line.toString("latin1", idAt + ID.length, line.indexOf(0x22, idAt + ID.length));
          // The rows of one message repeat its usage as it stood when each was written: the last one counts.
          const counts = count(line, hit - start);
          const repeat = id === state.lastId;
          for (let i = 0; i < 4; i++) state.tokens[i] = (state.tokens[i] as number) + (counts[i] as number) - (repeat ? (state.lastCounts[i] as number) : 0);
          state.lastId = id;
          state.lastCounts = counts;
        }
        at = end + 1;
      }
      state.offset = pos - filled + last + 1;
      carried = filled - last - 1;
      if (carried > 0) buf.copyWithin(0, last + 1, filled);
    }
  } finally {
    fs.closeSync(fd);
  }
}

const sum = [0, 0, 0, 0];
function tally(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    return;
  }
  const before = old.files[path];
  const state: FileState = before
    ? { ...before, tokens: [...before.tokens] }
    : { offset: 0, size: 0, mtimeMs: 0, lastId: "", lastCounts: [0, 0, 0, 0], tokens: [0, 0, 0, 0] };
  if (stat.size < state.offset) Object.assign(state, { offset: 0, lastId: "", lastCounts: [0, 0, 0, 0], tokens: [0, 0, 0, 0] });
  if (stat.size !== state.size || stat.mtimeMs !== state.mtimeMs) {
    catchUp(path, state, stat.size);
    state.size = stat.size;
    state.mtimeMs = stat.mtimeMs;
  }
  next.files[path] = state;
  for (let i = 0; i < 4; i++) sum[i] = (sum[i] as number) + (state.tokens[i] as number);
}

// Sub-agent files sit in subagents/ and in folders under it (subagents/workflows/<run>/); a folder is
// listed again only when its mtime moved, as a new file changes only its own folder's.
function subagentFiles(folder: string, into: string[]): void {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(folder).mtimeMs;
  } catch {
    return;
  }
  const known = old.folders[folder];
  const listing = known?.mtimeMs === mtimeMs ? known : { mtimeMs, files: [] as string[], folders: [] as string[] };
  if (listing !== known) {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) listing.folders.push(entry.name);
      else if (entry.name.endsWith(".jsonl")) listing.files.push(entry.name);
    }
  }
  next.folders[folder] = listing;
  for (const name of listing.files) into.push(`${folder}/${name}`);
  for (const name of listing.folders) subagentFiles(`${folder}/${name}`, into);
}

// A session resumed from another folder writes on in the project folder it started in.
function locate(sessionId: string, primary: string): string | undefined {
  if (fs.existsSync(primary)) return primary;
  const previous = old.moved[sessionId];
  if (previous !== undefined && fs.existsSync(previous)) return (next.moved[sessionId] = previous);
  const projects = `${configDir}/projects`;
  for (const folder of fs.readdirSync(projects)) {
    const path = `${projects}/${folder}/${sessionId}.jsonl`;
    if (fs.existsSync(path)) return (next.moved[sessionId] = path);
  }
  return undefined;
}

const states: Record<string, number> = {};
const probes = `${configDir}/sessions`;
for (const name of fs.readdirSync(probes)) {
  if (!name.endsWith(".json")) continue;
  let probe: { pid: number; sessionId: string; cwd: string; procStart: string; status?: string };
  let procStat: string;
  try {
    probe = JSON.parse(fs.readFileSync(`${probes}/${name}`, "utf8"));
    procStat = fs.readFileSync(`/proc/${probe.pid}/stat`, "latin1");
  } catch {
    continue;
  }
  if (procStat.slice(procStat.lastIndexOf(")") + 2).split(" ")[19] !== probe.procStart) continue;
  const status = probe.status ?? "unknown";
  states[status] = (states[status] ?? 0) + 1;
  const transcript = locate(probe.sessionId, `${configDir}/projects/${probe.cwd.replace(/[^a-zA-Z0-9]/g, "-")}/${probe.sessionId}.jsonl`);
  if (transcript === undefined) continue;
  const base = transcript.slice(0, -".jsonl".length);
  tally(transcript);
  const files: string[] = [];
  subagentFiles(`${base}/subagents`, files);
  for (const path of files) tally(path);
}

fs.mkdirSync(stateDir, { recursive: true });
const temporary = `${statePath}.${process.pid}`;
fs.writeFileSync(temporary, JSON.stringify(next));
fs.renameSync(temporary, statePath);
console.log(`${Object.entries(states).map(([status, n]) => `${status} ${n}`).join("  ")}  Σ ${sum.reduce((a, b) => a + b, 0)}`);
process.exit(0);
