/**
 * Fuzzing replay (src/replay) against the full pipeline. Each case revives a real capture and changes it
 * one random step at a time the way Claude Code and its user do: probes rewritten in place, added and
 * removed, session processes killed, transcripts and sub-agent transcripts growing, a line torn
 * mid-write, config.json and the variables a call reads changed. After each step, mostly once its
 * files are old enough for an answer to be stored, a replayable call runs (A); then the same call with
 * its stored answer removed (B, the full pipeline). A must print exactly what B prints, replayed or not;
 * and a call whose answer was stored with nothing changed since must replay, so the target cannot
 * silently stop exercising replay.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { answerPath, replay } from "../../src/replay/replay.ts";
import { type TestHome, liveProbe, makeHome, reviveProbes, runBinary, spawnSleeper, writeProbe } from "../helpers/home.ts";
import { assistantLine } from "../helpers/rows.ts";
import { type CaseLog, type Random, fuzz, fuzzTimeout } from "./run.ts";

const FILE = "test/fuzz/replay.test.ts";
// Each holds live sessions in several states, with transcripts.
const MOMENTS = ["03-waiting", "06-waiting-dialog", "07-waiting-question", "09-shell"];
const CALLS = [
  ["compact"],
  ["compact", "--tmux", "--tokens"],
  ["compact", "--tokens", "--cost"],
  ["compact", "--ansi", "--idle=hide"],
  ["compact", "--field=busy"],
  ["compact", "--field=tokens"],
  ["compact", "--field=asking"],
  ["prompt"],
  ["prompt", "--shell=zsh"],
  ["prompt", "--shell=bash"],
];
const ROUNDS = 16;
// An answer is stored only when every input is at least 50 ms older than the call (record.ts), so one
// is certain to be stored after OLD_MS; a step is followed by SETTLE_MS most of the time.
const OLD_MS = 60;
const SETTLE_MS = 80;
// Fields that do not change with the clock alone; those that do are never stored (see replay.test.ts).
const FIELDS = ["asking", "busy", "starting", "unknown", "idle", "tokens", "cost"];
const WAITING_FOR = ["permission prompt", "input needed", "dialog open"];
// "has space" is no glyph: the call warns on stderr, and a replay must not drop the warning.
const GLYPHS = ["B", "I", "!!", "▲", "⏳", "ask:", "z", "has space"];
const STYLES = ["fg=red,bold", "fg=#FF8800", "dim", "bg=blue"];
const MODELS = ["claude-opus-5-5", "claude-haiku-4-5", "claude-nonesuch-9"];
const HOUR = 3_600_000;

/** The files one case changes, and the processes it must end. */
interface Case {
  readonly home: TestHome;
  readonly rng: Random;
  /** The variables set for both calls, besides the home's. */
  readonly env: Record<string, string>;
  /**
   * When every asking session started asking: days ago and half an hour off the hour, so its age
   * ("3d00h") cannot tick over between A and B, as a fresh one would within the minute.
   */
  readonly askedAt: number;
  /** Session processes still running, by pid. */
  readonly alive: Map<number, () => Promise<void>>;
  /** Every session a probe was written for, to write its transcript. */
  readonly sessions: { sessionId: string; cwd: string }[];
  /** The rest of a line torn mid-write, by transcript: written before the next rows. */
  readonly torn: Map<string, string>;
  /** Message ids written, for sub-agent rows that repeat one (counted once). */
  readonly ids: string[];
  serial: number;
}

const sessionsDir = (c: Case) => join(c.home.claude, "sessions");
const probePaths = (c: Case) => readdirSync(sessionsDir(c)).filter((n) => /^\d+\.json$/.test(n)).map((n) => join(sessionsDir(c), n));
const transcriptOf = (c: Case, s: { sessionId: string; cwd: string }) => join(c.home.claude, "projects", encodeProjectDir(s.cwd), `${s.sessionId}.jsonl`);
const configOf = (c: Case) => join(c.env.XDG_CONFIG_HOME ?? join(c.home.root, ".config"), "ccpulse", "config.json");

/** A status as Claude Code writes it; no status is a session in its first second. */
function statusFields(c: Case): Record<string, unknown> {
  const pick = c.rng.int(6);
  if (pick < 2) return { status: "waiting", waitingFor: c.rng.pick(WAITING_FOR), statusUpdatedAt: c.askedAt, updatedAt: c.askedAt };
  return { status: ["busy", "idle", "shell", undefined][pick - 2], statusUpdatedAt: c.askedAt, updatedAt: c.askedAt };
}

function template(rng: Random): string {
  const fields = Array.from({ length: rng.range(1, 3) }, () => `{${rng.pick(FIELDS)}}`);
  return `${rng.chance(0.3) ? "cc " : ""}${fields.join(rng.pick([" ", "|", " · "]))}`;
}

function rows(c: Case, sidechain: boolean): string {
  const lines = Array.from({ length: c.rng.range(1, 3) }, () => {
    // A sub-agent row repeating a main message must count once.
    const id = sidechain && c.ids.length > 0 && c.rng.chance(0.3) ? c.rng.pick(c.ids) : `msg_fuzz_${c.serial++}`;
    if (!sidechain) c.ids.push(id);
    const usage = { input: c.rng.int(5000), output: c.rng.int(20_000), cacheRead: c.rng.int(100_000), cacheWrite: c.rng.int(10_000) };
    return assistantLine(id, `req_${id}`, usage, { sidechain, model: c.rng.pick(MODELS) });
  });
  return `${lines.join("\n")}\n`;
}

/** Appends to a transcript, first finishing a line torn there. */
function append(c: Case, path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${c.torn.get(path) ?? ""}${text}`);
  c.torn.delete(path);
}

/** Each step says what it changed, for the failure report; undefined when it changed nothing. */
type Step = (c: Case) => string | undefined | Promise<string | undefined>;

const STEPS: [weight: number, step: Step][] = [
  [8, () => undefined],
  [
    3,
    (c) => {
      const paths = probePaths(c);
      if (paths.length === 0) return undefined;
      const path = c.rng.pick(paths);
      const { status: _, waitingFor: __, ...probe } = JSON.parse(readFileSync(path, "utf8"));
      const next = statusFields(c);
      writeFileSync(path, JSON.stringify({ ...probe, ...next }));
      return `probe ${basename(path)} rewritten: ${next.status ?? "no status"} ${next.waitingFor ?? ""}`;
    },
  ],
  [
    1,
    (c) => {
      const paths = probePaths(c);
      if (paths.length === 0) return undefined;
      const path = c.rng.pick(paths);
      writeFileSync(path, readFileSync(path));
      return `probe ${basename(path)} rewritten unchanged`;
    },
  ],
  [
    2,
    (c) => {
      const sleeper = spawnSleeper();
      c.alive.set(sleeper.pid, sleeper.kill);
      const n = c.serial++;
      // Sometimes a second probe of a session already shown (a resumed session): it counts once.
      const session = c.rng.chance(0.2) && c.sessions.length > 0 ? c.rng.pick(c.sessions) : { sessionId: `0000fuzz-${String(c.rng.next()).padStart(10, "0")}`, cwd: c.rng.chance(0.5) ? `/tmp/fuzz-${n}` : "/home/dev/code/work/s1" };
      c.sessions.push(session);
      const kind = c.rng.pick(["live", "live", "live", "foreign", "restarted"]);
      // A foreign namespace's session is shown without a process check; a wrong start time is a pid reused.
      const twist = kind === "foreign" ? { pidDomain: "linux:feedface:pid:[4026531999]" } : kind === "restarted" ? { procStart: "1" } : {};
      writeProbe(c.home, sleeper.pid, { ...liveProbe(sleeper, { ...session, name: `fuzz-${n}`, ...statusFields(c) }), ...twist });
      return `new ${kind} session ${sleeper.pid} ${session.sessionId.slice(0, 8)} in ${session.cwd}`;
    },
  ],
  [
    1,
    (c) => {
      const paths = probePaths(c);
      if (paths.length === 0) return undefined;
      const path = c.rng.pick(paths);
      rmSync(path);
      return `probe ${basename(path)} removed`;
    },
  ],
  [
    1,
    async (c) => {
      if (c.alive.size === 0) return undefined;
      const pid = c.rng.pick([...c.alive.keys()]);
      await c.alive.get(pid)?.();
      c.alive.delete(pid);
      return `session process ${pid} killed`;
    },
  ],
  [
    3,
    (c) => {
      const session = c.rng.pick(c.sessions);
      append(c, transcriptOf(c, session), rows(c, false));
      return `rows appended to ${session.sessionId.slice(0, 8)}`;
    },
  ],
  [
    1,
    (c) => {
      const session = c.rng.pick(c.sessions);
      const path = transcriptOf(c, session);
      const line = rows(c, false);
      const cut = c.rng.range(1, line.length - 1);
      append(c, path, line.slice(0, cut));
      c.torn.set(path, line.slice(cut));
      return `line torn at ${cut} in ${session.sessionId.slice(0, 8)}`;
    },
  ],
  [
    2,
    (c) => {
      const session = c.rng.pick(c.sessions);
      const name = `agent-${c.rng.int(3)}.jsonl`;
      const path = join(dirname(transcriptOf(c, session)), session.sessionId, "subagents", name);
      append(c, path, rows(c, true));
      return `sub-agent ${name} of ${session.sessionId.slice(0, 8)} grew`;
    },
  ],
  [
    2,
    (c) => {
      const path = configOf(c);
      if (c.rng.chance(0.2)) {
        rmSync(path, { force: true });
        return "config.json removed";
      }
      const config: Record<string, unknown> = {};
      const states = ["asking", "busy", "starting", "unknown", "idle"];
      if (c.rng.chance(0.7)) config.glyphs = Object.fromEntries(states.filter(() => c.rng.chance(0.5)).map((s) => [s, c.rng.pick(GLYPHS)]));
      if (c.rng.chance(0.3)) config.styles = Object.fromEntries(states.filter(() => c.rng.chance(0.5)).map((s) => [s, c.rng.pick(STYLES)]));
      if (c.rng.chance(0.3)) config.compact = { template: template(c.rng) };
      if (c.rng.chance(0.3)) config.prompt = { template: template(c.rng) };
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(config));
      return `config.json: ${JSON.stringify(config)}`;
    },
  ],
  [
    2,
    (c) => {
      const name = c.rng.pick(["CCPULSE_COMPACT_TEMPLATE", "CCPULSE_PROMPT_TEMPLATE", "XDG_CONFIG_HOME", "UNREAD_VARIABLE"]);
      if (c.rng.chance(0.3)) delete c.env[name];
      else c.env[name] = name === "XDG_CONFIG_HOME" ? join(c.home.root, "other-config") : name === "UNREAD_VARIABLE" ? String(c.rng.next()) : c.rng.chance(0.1) ? "" : template(c.rng);
      return `${name}=${c.env[name] ?? "(unset)"}`;
    },
  ],
];
const TOTAL_WEIGHT = STEPS.reduce((sum, [w]) => sum + w, 0);

function pickStep(rng: Random): Step {
  let at = rng.int(TOTAL_WEIGHT);
  for (const [weight, step] of STEPS) {
    if (at < weight) return step;
    at -= weight;
  }
  throw new Error("unreachable: weights cover the range");
}

/** A revived capture with every status time moved to askedAt. */
async function startCase(rng: Random, log: CaseLog): Promise<Case> {
  const moment = rng.pick(MOMENTS);
  log.note(moment);
  const home = makeHome(moment);
  const askedAt = Date.now() - 3 * 24 * HOUR - HOUR / 2;
  const alive = new Map<number, () => Promise<void>>();
  for (const pid of reviveProbes(home).values()) alive.set(pid, () => killAndWait(pid));
  const c: Case = { home, rng, env: {}, askedAt, alive, sessions: [], torn: new Map(), ids: [], serial: 0 };
  for (const path of probePaths(c)) {
    const probe = JSON.parse(readFileSync(path, "utf8"));
    c.sessions.push({ sessionId: probe.sessionId, cwd: probe.cwd });
    writeFileSync(path, JSON.stringify({ ...probe, updatedAt: askedAt, statusUpdatedAt: askedAt }));
  }
  await Bun.sleep(SETTLE_MS);
  return c;
}

/** A revived session's process (home.ts keeps its handle), killed and gone from /proc or a zombie. */
async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) return;
    } catch {
      return;
    }
    await Bun.sleep(5);
  }
  throw new Error(`pid ${pid} still running 1 s after SIGKILL`);
}

async function endCase(c: Case): Promise<void> {
  for (const kill of c.alive.values()) await kill();
  rmSync(c.home.root, { recursive: true, force: true });
}

const readAnswer = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);

describe("fuzz: replay", () => {
  test("after any sequence of changes, a call prints what the full pipeline prints", async () => {
    let rounds = 0;
    let replayed = 0;
    let certain = 0;
    const report = await fuzz(
      "replay",
      FILE,
      async (rng, log) => {
        const c = await startCase(rng, log);
        let changedAt = Date.now();
        // Calls whose answer was stored with nothing changed since: these must replay.
        const unchanged = new Set<string>();
        try {
          let argv = rng.pick(CALLS);
          for (let round = 0; round < ROUNDS; round++) {
            const did = await pickStep(rng)(c);
            if (did !== undefined) {
              changedAt = Date.now();
              unchanged.clear();
            }
            const settled = rng.chance(0.8);
            if (settled) await Bun.sleep(SETTLE_MS);
            if (rng.chance(0.25)) argv = rng.pick(CALLS);
            const key = argv.join(" ");
            const env = { ...c.home.env, ...c.env };
            const answer = answerPath(argv, env);
            // Replayed: the stored answer was current, and the call left it as it was (a full call that
            // stores replaces it).
            const stored = readAnswer(answer);
            const current = replay(argv, env, Date.now()) !== undefined;
            const a = await runBinary(c.home, argv, c.env);
            const replays = current && stored !== undefined && readAnswer(answer) === stored;
            const must = unchanged.has(key);
            log.note(`${did ?? "nothing"}${settled ? ", settled" : ""}; ${key}: ${replays ? "replayed" : "full"}${must ? " (must replay)" : ""}`);
            rmSync(answer, { force: true });
            const started = Date.now();
            const b = await runBinary(c.home, argv, c.env);
            expect({ argv, ...a }).toEqual({ argv, ...b });
            // Only warnings ("ccpulse: <what>"), one line each; a call that warned is never stored.
            expect(b.code).toBe(0);
            expect(b.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("ccpulse: "))).toEqual([]);
            if (must) expect({ argv, replays }).toEqual({ argv, replays: true });
            if (started - changedAt >= OLD_MS && b.stderr === "") unchanged.add(key);
            rounds++;
            if (replays) replayed++;
            if (must) certain++;
          }
        } finally {
          await endCase(c);
        }
      },
      { minCases: 2 },
    );
    console.log(`fuzz replay: ${replayed} of ${rounds} calls replayed (${certain} that had to) in ${report.cases} cases`);
    // About 2 in 5 calls replay and 1 in 5 must; a case of 16 calls has none about once in 60, so the
    // two cases of a plain bun test all but never do.
    expect(certain).toBeGreaterThan(0);
  }, fuzzTimeout());
});
