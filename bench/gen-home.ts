/**
 * Builds a synthetic Claude Code home for benchmarks and end-to-end tests: transcripts shaped like
 * Claude Code 2.1.328's, probes for live sessions backed by real sleeping processes, and expected.json
 * with the token totals a correct reader must report.
 *
 *   bun bench/gen-home.ts --out DIR --sessions N --live L --bytes T [--seed S] [--epoch MS] [--one-huge-line MB]
 *   bun bench/gen-home.ts --append BYTES --out DIR     appends about BYTES of rows (sub-agent files included), shared
 *                                                      by the live sessions; updates expected.json
 *   bun bench/gen-home.ts --verify DIR                 re-derives every total from the bytes on disk
 *   bun bench/gen-home.ts --kill DIR                   ends the sleepers
 *
 * Layout: DIR/home/.claude/{sessions,projects}, DIR/expected.json, DIR/pids (one per line), DIR/state.json
 * (what --append needs to carry on). Transcripts are the same bytes for the same seed, epoch and sizes;
 * pids, probes and the append count are not.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Cursor, type Identity, type AgentRunner, Conversation, newCursor } from "./home/conversation.ts";
import { type Sleeper, killSleeper, pidDomain, spawnSleeper, unusedPid } from "./home/live.ts";
import { Random } from "./home/random.ts";
import { FileSink, MemorySink } from "./home/sink.ts";
import { Pool, blob, commandOutput } from "./home/text.ts";
import { TOKEN_KEYS, type Tokens, addTokens, zeroTokens } from "./home/tokens.ts";
import { sessionTotals } from "./home/verify.ts";

const STATE_VERSION = 1;
const DEFAULT_EPOCH = Date.UTC(2026, 10, 20, 9);
const MAX_RESULT_BYTES = 420_000;
const PROJECTS = ["ccpulse", "api-server", "web_app.v2", "infra", "notes", "ml pipeline", "dotfiles", "blog"];
// Claude Code's probe statuses (format doc §1.5); live sessions cycle through them.
const STATUSES: readonly (readonly [string, string | undefined])[] = [
  ["idle", undefined],
  ["busy", undefined],
  ["waiting", "permission prompt"],
  ["idle", undefined],
  ["shell", undefined],
  ["waiting", "input needed"],
  ["busy", undefined],
];

interface SessionState {
  sessionId: string;
  /** The probe's cwd; differs from the transcript's project dir for a session resumed elsewhere. */
  cwd: string;
  /** Relative to the config dir. */
  transcript: string;
  subagents: string[];
  live: boolean;
  sleeper?: Sleeper;
  cursor: Cursor;
  tokens: Tokens;
  bytes: number;
  /** The second half of a line still being written (base64) and what it adds once complete. */
  torn?: { tail: string; tokens: Tokens };
  /** Set on sessions that end every write mid-line, as a busy session's transcript often does. */
  tears: boolean;
  identity: Identity;
}

interface State {
  version: number;
  seed: string;
  epoch: number;
  appends: number;
  home: string;
  configDir: string;
  sessions: SessionState[];
}

// ---------------------------------------------------------------- options

interface Options {
  readonly out?: string;
  readonly sessions: number;
  readonly live: number;
  readonly bytes: number;
  readonly seed: string;
  readonly epoch: number;
  readonly hugeLineMB: number;
  readonly append?: number;
  readonly kill?: string;
  readonly verify?: string;
}

const USAGE = `usage: gen-home.ts --out DIR --sessions N --live L --bytes T [--seed S] [--epoch MS] [--one-huge-line MB]
       gen-home.ts --append BYTES --out DIR | --verify DIR | --kill DIR
sizes take k, M, G suffixes (powers of 1024)`;

function size(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined) throw new Error(USAGE);
    values.set(flag.slice(2), value);
    i++;
  }
  const known = new Set(["out", "sessions", "live", "bytes", "seed", "epoch", "one-huge-line", "append", "kill", "verify"]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
  const int = (key: string, fallback: number) => (values.has(key) ? size(values.get(key) as string) : fallback);
  const opts: Options = {
    out: values.get("out"),
    sessions: int("sessions", 5),
    live: int("live", 2),
    bytes: int("bytes", 20 << 20),
    seed: values.get("seed") ?? "1",
    epoch: values.has("epoch") ? Number(values.get("epoch")) : DEFAULT_EPOCH,
    hugeLineMB: values.has("one-huge-line") ? Number(values.get("one-huge-line")) : 0,
    append: values.has("append") ? size(values.get("append") as string) : undefined,
    kill: values.get("kill"),
    verify: values.get("verify"),
  };
  if (opts.live > opts.sessions) throw new Error("--live cannot exceed --sessions");
  if (!Number.isFinite(opts.epoch)) throw new Error("--epoch takes milliseconds since 1970");
  return opts;
}

// ---------------------------------------------------------------- generation

const encodeProjectDir = (cwd: string) => cwd.replace(/[^a-zA-Z0-9]/g, "-");

/** Everything a session's rows draw on: the shared payloads and one random stream for the whole run. */
interface Generator {
  readonly rng: Random;
  readonly pool: Pool;
  readonly configDir: string;
}

/** Sub-agent transcripts of one session, each written to the end while its parent waits (format doc §2.2). */
function agentRunner(gen: Generator, s: SessionState, parent: () => Cursor): AgentRunner {
  return (prompt, cap) => {
    const { rng } = gen;
    const agentId = `a${rng.hex(16)}`;
    const base = s.transcript.slice(0, -".jsonl".length);
    const dir = rng.chance(0.1) ? `${base}/subagents/workflows/${rng.hex(12)}` : `${base}/subagents`;
    const rel = `${dir}/agent-${agentId}.jsonl`;
    const sink = FileSink.open(join(gen.configDir, rel), "create");
    const cursor = newCursor(rng, parent().clock, parent().stepMs);
    const agent = new Conversation(rng, gen.pool, sink, { ...s.identity, agentId }, cursor, s.tokens);
    const usage = agent.runAsAgent(prompt, cap);
    sink.close();
    // A sidecar that is not a transcript: readers must skip it.
    writeFileSync(join(gen.configDir, dir, `agent-${agentId}.meta.json`), JSON.stringify({ agentType: "general-purpose", description: "Investigate" }));
    s.subagents.push(rel);
    s.bytes += sink.written;
    const durationMs = cursor.clock - parent().clock;
    parent().clock = cursor.clock;
    return { agentId, usage, durationMs, toolUses: 3 };
  };
}

/** A `/btw` side question in its own sidechain file, replaying the parent's last answer first. */
function sideQuestion(gen: Generator, s: SessionState, main: Conversation): void {
  const parent = main.lastResponse;
  if (parent === undefined) return;
  const agentId = `a${gen.rng.hex(16)}`;
  const rel = `${s.transcript.slice(0, -".jsonl".length)}/subagents/agent-${agentId}.jsonl`;
  const sink = FileSink.open(join(gen.configDir, rel), "create");
  const side = new Conversation(gen.rng, gen.pool, sink, { ...s.identity, agentId }, newCursor(gen.rng, main.cursor.clock, main.cursor.stepMs), s.tokens);
  side.replay(parent);
  sink.close();
  s.subagents.push(rel);
  s.bytes += sink.written;
}

// A timestamped row every ~7.3 KB on average (measured over a generated home).
const ROW_BYTES = 7_300;

/**
 * The step between rows that spreads `bytesLeft` of rows from `clock` to `until`. A fixed step, from
 * rows taken to average 12 KB, let live sessions run up to 3.5 hours past the epoch (their caches shown
 * warm for longer than the 1-hour TTL): how far a session's clock gets depends on its mix of rows.
 */
const paceTo = (clock: number, until: number, bytesLeft: number): number =>
  Math.max(5, Math.round(((until - clock) * ROW_BYTES) / Math.max(bytesLeft, ROW_BYTES)));

// What a turn writes on average once it is told to end: ending each turn only when the budget was
// spent, a 1 MiB append to the large bench home's 20 live sessions wrote ~16 KB a session over it.
const TURN_END_BYTES = 16_000;

/**
 * Appends prompts to a session until it has grown by `budget` bytes. Sessions marked `tears` end with
 * half of one more line; the rest of it is written first on the next append. Created sessions pass
 * `until`, where their last row should land: the step is paced again before each prompt, and set back
 * after, so an append goes on at the session's own pace.
 */
function writeSession(gen: Generator, s: SessionState, budget: number, mode: "create" | "append", sessionIndex: number, until?: number): void {
  const { rng } = gen;
  const path = join(gen.configDir, s.transcript);
  const sink = FileSink.open(path, mode);
  const before = s.bytes;
  if (s.torn) {
    sink.put(Buffer.from(s.torn.tail, "base64"));
    addTokens(s.tokens, s.torn.tokens);
    s.torn = undefined;
  }
  const pace = s.cursor.stepMs;
  const main = new Conversation(rng, gen.pool, sink, s.identity, s.cursor, s.tokens, agentRunner(gen, s, () => s.cursor));
  const grown = () => s.bytes - before + sink.written;
  const left = () => budget - grown() - TURN_END_BYTES;
  let prompts = 0;
  // The first turn whenever any budget is left; the next ones while a turn's end still fits.
  while (prompts === 0 ? grown() < budget : left() > 0) {
    // Bounds one tool result so a small append stays near its size; a prompt makes up to ~10 calls.
    const cap = Math.max(1_000, Math.min(MAX_RESULT_BYTES, (budget - grown()) / 3));
    if (until !== undefined) s.cursor.stepMs = paceTo(s.cursor.clock, until, budget - grown());
    main.prompt(cap, left);
    prompts++;
    if (mode === "create" && prompts === 2 && sessionIndex % 3 === 1) main.nulNext = true;
    if (mode === "create" && prompts === 3 && rng.chance(0.3)) sideQuestion(gen, s, main);
  }
  if (until !== undefined) s.cursor.stepMs = pace;
  if (mode === "create" && !s.live) main.exitRows();
  if (s.tears) {
    const line = new MemorySink();
    const tokens = main.answerInto(line);
    const bytes = line.bytes();
    const half = Math.floor(bytes.length / 2);
    sink.put(bytes.subarray(0, half));
    s.torn = { tail: bytes.subarray(half).toString("base64"), tokens };
  }
  sink.close();
  s.bytes += sink.written;
}

function newSession(gen: Generator, index: number, projectCount: number, live: boolean, liveIndex: number, end: number, budget: number): SessionState {
  const { rng } = gen;
  const sessionId = rng.uuid();
  const name = PROJECTS[index % projectCount % PROJECTS.length] as string;
  const round = Math.floor((index % projectCount) / PROJECTS.length);
  const cwd = `/home/dev/code/${name}${round > 0 ? `-${round}` : ""}`;
  const span = rng.int(3_600_000, 8 * 3_600_000);
  const stepMs = paceTo(end - span, end, budget);
  return {
    sessionId,
    // One live session was resumed from another directory: its transcript stays in the project dir it
    // started in (format doc §2.1), so a reader must fall back to searching projects/*/<id>.jsonl.
    cwd: live && liveIndex === 2 ? `${cwd}/packages/web` : cwd,
    transcript: `projects/${encodeProjectDir(cwd)}/${sessionId}.jsonl`,
    subagents: [],
    live,
    cursor: newCursor(rng, end - span, stepMs),
    tokens: zeroTokens(),
    bytes: 0,
    tears: live && liveIndex % 2 === 1,
    identity: { sessionId, cwdJson: JSON.stringify(cwd), gitBranch: "main" },
  };
}

function writeProbe(configDir: string, s: SessionState, domain: string, status: readonly [string, string | undefined], now: number): void {
  const sleeper = s.sleeper as Sleeper;
  const started = now - 3_600_000;
  const name = `${s.cwd.split("/").at(-1)?.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-${s.sessionId.slice(0, 2)}`;
  const probe = {
    pid: sleeper.pid,
    sessionId: s.sessionId,
    cwd: s.cwd,
    startedAt: started,
    procStart: sleeper.procStart,
    version: "2.1.328",
    peerProtocol: 1,
    peerFeatures: ["notify_idle", "reply_across_default_dirs", "artifact_yield"],
    kind: "interactive",
    entrypoint: "cli",
    pidDomain: domain,
    asksForConvertedSkills: null,
    name,
    nameSource: "derived",
    nameSince: started,
    status: status[0],
    waitingFor: status[1],
    updatedAt: now,
    statusUpdatedAt: now,
  };
  const sessions = join(configDir, "sessions");
  writeFileSync(join(sessions, `${sleeper.pid}.json`), JSON.stringify(probe));
  // The messaging-socket key file next to each probe, which readers must ignore (format doc §1.7).
  const hash = createHash("sha256").update(`${sleeper.pid}.sock`).digest("hex");
  writeFileSync(join(sessions, `${sleeper.pid}.${hash}.key`), JSON.stringify({ peerToken: hash.slice(0, 32), procStart: sleeper.procStart, pidDomain: domain }));
}

/** Probes that kill -9 leaves behind: one for a pid with no process, one for a pid reused by another process. */
function writeStaleProbes(configDir: string, dead: readonly SessionState[], domain: string): void {
  const stale: [number, string][] = [[unusedPid(30_000), "118964"], [1, "1"]];
  stale.forEach(([pid, start], i) => {
    const s = dead[i];
    if (s === undefined) return;
    const probe = { pid, sessionId: s.sessionId, cwd: s.cwd, startedAt: DEFAULT_EPOCH, procStart: start, version: "2.1.328", kind: "interactive", entrypoint: "cli", pidDomain: domain, status: "busy", updatedAt: DEFAULT_EPOCH, statusUpdatedAt: DEFAULT_EPOCH };
    writeFileSync(join(configDir, "sessions", `${pid}.json`), JSON.stringify(probe));
  });
}

/** A live session whose transcript holds one tool-result line of `mb` MB, far past any read chunk. */
function hugeLineSession(gen: Generator, epoch: number, mb: number): SessionState {
  const s = newSession(gen, 0, 1, true, 0, epoch, mb << 20);
  s.cwd = "/home/dev/code/huge-log";
  s.identity = { ...s.identity, cwdJson: JSON.stringify(s.cwd) };
  s.transcript = `projects/${encodeProjectDir(s.cwd)}/${s.sessionId}.jsonl`;
  const sink = FileSink.open(join(gen.configDir, s.transcript), "create");
  const main = new Conversation(gen.rng, gen.pool, sink, s.identity, s.cursor, s.tokens);
  main.prompt(MAX_RESULT_BYTES);
  main.hugeToolResult(mb << 20, blob(commandOutput(gen.rng, 1 << 20)));
  sink.close();
  s.bytes = sink.written;
  return s;
}

function generate(opts: Options): State {
  const out = resolve(opts.out as string);
  if (existsSync(join(out, "state.json"))) kill(out);
  const home = join(out, "home");
  const configDir = join(home, ".claude");
  rmSync(home, { recursive: true, force: true });
  mkdirSync(join(configDir, "sessions"), { recursive: true, mode: 0o700 });
  mkdirSync(join(configDir, "projects"), { recursive: true });

  const gen: Generator = { rng: new Random(`sessions/${opts.seed}`), pool: new Pool(new Random(`pool/${opts.seed}`)), configDir };
  const { rng } = gen;
  // Log-normal sizes: a few long sessions hold most of the bytes, as in a real ~/.claude.
  const weights = Array.from({ length: opts.sessions }, () => Math.exp(0.9 * rng.normal()));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const projectCount = Math.max(1, Math.ceil(opts.sessions * 0.6));
  const sessions: SessionState[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const live = i < opts.live;
    const end = live ? opts.epoch - rng.int(0, 600_000) : opts.epoch - rng.int(3_600_000, 7 * 86_400_000);
    const budget = (opts.bytes * (weights[i] as number)) / weightSum;
    const s = newSession(gen, i, projectCount, live, i, end, budget);
    writeSession(gen, s, budget, "create", i, end);
    sessions.push(s);
  }
  if (opts.hugeLineMB > 0) sessions.push(hugeLineSession(gen, opts.epoch, opts.hugeLineMB));

  const domain = pidDomain();
  const now = Date.now();
  let liveIndex = 0;
  for (const s of sessions) {
    if (!s.live) continue;
    s.sleeper = spawnSleeper();
    writeProbe(configDir, s, domain, STATUSES[liveIndex++ % STATUSES.length] as [string, string | undefined], now);
  }
  writeStaleProbes(configDir, sessions.filter((s) => !s.live), domain);
  const state: State = { version: STATE_VERSION, seed: opts.seed, epoch: opts.epoch, appends: 0, home, configDir, sessions };
  save(out, state);
  return state;
}

function append(opts: Options): State {
  const out = resolve(opts.out as string);
  const state = load(out);
  const gen: Generator = { rng: new Random(`append/${state.seed}/${state.appends}`), pool: new Pool(new Random(`pool/${state.seed}`)), configDir: state.configDir };
  const live = state.sessions.filter((s) => s.live);
  const now = Date.now();
  live.forEach((s, i) => {
    writeSession(gen, s, (opts.append as number) / live.length, "append", i);
    // Claude Code rewrites the probe on every status change, so a turn also touches it.
    const probePath = join(state.configDir, "sessions", `${s.sleeper?.pid}.json`);
    if (existsSync(probePath)) {
      const probe = JSON.parse(readFileSync(probePath, "utf8"));
      writeFileSync(probePath, JSON.stringify({ ...probe, updatedAt: now, statusUpdatedAt: now }));
    }
  });
  state.appends++;
  save(out, state);
  return state;
}

// ---------------------------------------------------------------- state, expected.json, pids

function save(out: string, state: State): void {
  writeFileSync(join(out, "state.json"), JSON.stringify(state));
  writeFileSync(join(out, "pids"), state.sessions.flatMap((s) => (s.sleeper ? [`${s.sleeper.pid}\n`] : [])).join(""));
  writeFileSync(join(out, "expected.json"), `${JSON.stringify(expected(state), null, 2)}\n`);
}

function load(out: string): State {
  const state = JSON.parse(readFileSync(join(out, "state.json"), "utf8")) as State;
  if (state.version !== STATE_VERSION) throw new Error(`${out}/state.json is from another gen-home version; generate again`);
  return state;
}

function expected(state: State) {
  const live = zeroTokens();
  const all = zeroTokens();
  const bytes = { all: 0, live: 0 };
  const sessions: Record<string, unknown> = {};
  for (const s of state.sessions) {
    addTokens(all, s.tokens);
    bytes.all += s.bytes;
    if (s.live) {
      addTokens(live, s.tokens);
      bytes.live += s.bytes;
    }
    sessions[s.sessionId] = {
      live: s.live,
      pid: s.sleeper?.pid ?? null,
      cwd: s.cwd,
      transcript: s.transcript,
      subagents: s.subagents.length,
      bytes: s.bytes,
      tokens: s.tokens,
    };
  }
  return {
    version: STATE_VERSION,
    seed: state.seed,
    appends: state.appends,
    home: state.home,
    configDir: state.configDir,
    bytes,
    totals: { live, all },
    sessions,
  };
}

function kill(out: string): void {
  const state = load(resolve(out));
  let killed = 0;
  for (const s of state.sessions) if (s.sleeper && killSleeper(s.sleeper)) killed++;
  rmSync(join(out, "pids"), { force: true });
  console.error(`gen-home: ended ${killed} sleeper(s) of ${out}`);
}

function verify(out: string): boolean {
  const state = load(resolve(out));
  let ok = true;
  for (const s of state.sessions) {
    const got = sessionTotals(join(state.configDir, s.transcript), s.subagents.map((f) => join(state.configDir, f)));
    const bad = TOKEN_KEYS.filter((k) => got[k] !== s.tokens[k]);
    if (bad.length > 0) {
      ok = false;
      console.error(`gen-home: ${s.sessionId}: ${bad.map((k) => `${k} on disk ${got[k]}, expected ${s.tokens[k]}`).join("; ")}`);
    }
  }
  console.error(`gen-home: ${state.sessions.length} sessions ${ok ? "match" : "DO NOT match"} expected.json`);
  return ok;
}

// ---------------------------------------------------------------- main

function main(argv: readonly string[]): number {
  const opts = parseOptions(argv);
  if (opts.kill !== undefined) {
    kill(opts.kill);
    return 0;
  }
  if (opts.verify !== undefined) return verify(opts.verify) ? 0 : 1;
  if (opts.out === undefined) throw new Error(USAGE);
  const started = performance.now();
  const state = opts.append !== undefined ? append(opts) : generate(opts);
  const seconds = (performance.now() - started) / 1000;
  const bytes = expected(state).bytes;
  const written = opts.append ?? bytes.all;
  if (opts.append === undefined) {
    console.error(
      `gen-home: ${state.sessions.length} sessions (${state.sessions.filter((s) => s.live).length} live), ${(bytes.all / 2 ** 20).toFixed(1)} MiB (${(bytes.live / 2 ** 20).toFixed(1)} MiB live) in ${seconds.toFixed(2)} s, ${(written / 2 ** 20 / seconds).toFixed(0)} MiB/s`,
    );
  }
  return 0;
}

try {
  process.exitCode = main(Bun.argv.slice(2));
} catch (error) {
  console.error(`gen-home: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
