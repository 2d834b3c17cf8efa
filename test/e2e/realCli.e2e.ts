/**
 * End to end with the real Claude Code (issue #6). Three sessions run in a private tmux server against
 * the fake API (fakeApi.ts) and are driven through every state; after each step the compiled
 * `ccpulse json` must show every live session's state within 1 s of the probe change, and token totals
 * equal to the usage the fake API sent; the status-bar counts (`compact --field`), which may be replayed
 * answers, must agree with it. Run with `make e2e`: run.sh puts it in a network namespace
 * that has only loopback. Not named *.test.ts, so a plain `bun test` leaves it out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type FakeApi, type Reply, type Sent, startFakeApi } from "./fakeApi.ts";
import {
  CCPULSE,
  CLAUDE,
  type Home,
  type Probe,
  type PulseCounts,
  type PulseSession,
  Tmux,
  ccpulseCall,
  ccpulseJson,
  childPids,
  makeHome,
  probePath,
  procStat,
  projectDir,
  readProbe,
  removeHome,
  storedAnswer,
  transcriptRows,
  waitFor,
} from "./realCli.ts";

// What a prompt asks the fake model to do; the rest of the prompt is for whoever reads the screen.
const SLOW = "[[slow]]";
const BASH = "[[bash]]";
const ASK = "[[ask]]";
const BACKGROUND = "[[background]]";
// The TUI shows streamed text a whole line at a time: the newline makes it appear at once.
const HELD_TEXT = "Thinking it over slowly.";

/** The state Claude Code writes to the probe, as status and waitingFor. */
type Want = "idle" | "busy" | "shell" | { readonly waiting: string };

interface Live {
  readonly window: string;
  /** claude's parent shell: stopped, it leaves a killed claude a zombie (see launch). */
  readonly wrapper: number;
  readonly pid: number;
  want: Want;
}

let api: FakeApi;
let home: Home;
let tmux: Tmux;
let releaseFile: string;
const live = new Map<string, Live>();
// Every process the test started, with its start time: killed by pid only while that pid is still it.
const started: { pid: number; start: string }[] = [];
function track(pid: number): number {
  started.push({ pid, start: procStat(pid)?.start ?? "" });
  return pid;
}
const timings: { step: string; lagMs: number; callMs: number; tokensMs: number }[] = [];

// The status-bar counts, one bare number each; busy includes starting and unknown (render/compact.ts).
const COUNT_FIELDS = ["asking", "busy", "idle"] as const;
const countArgs = (field: (typeof COUNT_FIELDS)[number]) => ["compact", `--field=${field}`];
// Other calls whose answers are stored and replayed (replay/), one of them each round.
const REPLAYABLE = [["compact", "--tmux", "--tokens"], ["prompt"], ["prompt", "--template={asking} {busy} {idle}"]];

type Answered = "replayed" | "stored" | "full";
const answered = { statusLines: { replayed: 0, stored: 0, full: 0 }, checks: { replayed: 0, stored: 0, full: 0 } };

/**
 * A replayable call, counted by how it was answered: replayed (the stored answer's inputs looked the
 * same before and after the call, and the file stayed in place), stored (a full call replaced the
 * answer), or full (nothing stored: an input had changed within 50 ms, replay/record.ts). Its output;
 * a status-bar command exits 0 on failure, so anything on stderr is a failure too.
 */
async function replayable(args: readonly string[], by: keyof typeof answered): Promise<{ out: string; how: Answered }> {
  const before = storedAnswer(home, args);
  const { out, err, code } = await ccpulseCall(home, args);
  const after = storedAnswer(home, args);
  const how: Answered = before?.current && after?.current && after.version === before.version ? "replayed" : after && after.version !== before?.version ? "stored" : "full";
  answered[by][how]++;
  if (code !== 0 || err !== "") throw new Error(`ccpulse ${args.join(" ")}: exit ${code}, stderr ${JSON.stringify(err)}`);
  return { out, how };
}

// Other readers of the same cache, as tmux status lines and shell prompts are: a call that lands in
// the middle of Claude Code's appends is where a cache goes stale, or a replayed answer is stored from
// a half-seen state, so the checks run among these. Each round asks for the checks' counts too, so
// that the checks meet answers stored here, most of them from before the change the check is about.
const statusLines = { stop: false, calls: 0, replayable: 0, errors: [] as string[], done: Promise.resolve() };
async function runStatusLines(): Promise<void> {
  for (let i = 0; !statusLines.stop; i++) {
    const { out, code } = await ccpulseCall(home, ["json"]);
    statusLines.calls++;
    try {
      if (code !== 0) throw new Error(`exit ${code}`);
      JSON.parse(out);
    } catch (e) {
      statusLines.errors.push(String(e));
    }
    for (const args of [...COUNT_FIELDS.map(countArgs), REPLAYABLE[i % REPLAYABLE.length] as string[]]) {
      try {
        const { out } = await replayable(args, "statusLines");
        statusLines.replayable++;
        if (args[1]?.startsWith("--field=") && !/^\d+\n$/.test(out)) throw new Error(`ccpulse ${args.join(" ")}: ${JSON.stringify(out)}, not a count`);
      } catch (e) {
        statusLines.errors.push(String(e));
      }
    }
    await Bun.sleep(100);
  }
}

let failed = false;
function script(prompt: string | undefined): Reply {
  if (prompt === undefined) return { kind: "text", text: "Done." };
  if (prompt.includes(SLOW)) return { kind: "held", text: `${HELD_TEXT}\n\n` };
  // touch is not read-only, so manual mode asks; a read-only command such as echo runs unasked.
  if (prompt.includes(BASH)) return { kind: "tool", name: "Bash", input: { command: "touch approved.txt", description: "Create a marker file" } };
  if (prompt.includes(ASK)) {
    const options = [
      { label: "Red", description: "A warm colour" },
      { label: "Blue", description: "A cool colour" },
    ];
    return { kind: "tool", name: "AskUserQuestion", input: { questions: [{ question: "Which colour do you prefer?", header: "Colour", multiSelect: false, options }] } };
  }
  if (prompt.includes(BACKGROUND)) {
    const command = `while [ ! -e '${releaseFile}' ]; do sleep 0.1; done`;
    return { kind: "tool", name: "Bash", input: { command, description: "Wait for the release file", run_in_background: true } };
  }
  return { kind: "text", text: `You said: ${prompt}` };
}

beforeAll(() => {
  const netDevices = readFileSync("/proc/self/net/dev", "utf8").split("\n").slice(2).map((l) => l.split(":")[0]?.trim()).filter(Boolean);
  if (netDevices.join() !== "lo") throw new Error(`run this through test/e2e/run.sh (make e2e): it needs a network namespace with only loopback, here: ${netDevices.join(", ")}`);
  if (!existsSync(CLAUDE)) throw new Error(`${CLAUDE} is missing: make e2e installs it (npm install --prefix test/e2e)`);
  if (!existsSync(CCPULSE)) throw new Error(`${CCPULSE} is missing: run make build`);
  api = startFakeApi({ reply: script });
  home = makeHome(api.url, ["s1", "s2", "s3", ...EXTRA_SESSIONS]);
  releaseFile = join(home.root, "release-background-command");
  tmux = new Tmux(home.env);
  tmux.start(home.root);
  track(Number(tmux.run("display-message", "-p", "#{pid}").trim()));
  statusLines.done = runStatusLines();
});

afterAll(async () => {
  await cleanUp();
  // A failed run keeps its home (probes, transcripts, ccpulse's cache) for a look afterwards.
  if (failed || process.env.CCPULSE_E2E_KEEP) console.log(`kept ${home.root}`);
  else if (home) removeHome(home);
});

let cleanedUp = false;
/** Ends every process the test started; safe to call twice, and run even when a step failed. */
async function cleanUp(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  statusLines.stop = true;
  await statusLines.done;
  if (releaseFile) writeFileSync(releaseFile, "");
  const ours = () => started.filter((p) => procStat(p.pid)?.start === p.start);
  // A stopped shell would hold on to the kill step's zombie.
  for (const { pid } of ours()) signal(pid, "SIGCONT");
  tmux?.kill();
  for (const { pid } of ours()) signal(pid, "SIGKILL");
  await api?.stop();
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}

/** Processes still carrying this test's config dir in their environment: whatever Claude Code left. */
function strayProcesses(): number[] {
  const marker = `CLAUDE_CONFIG_DIR=${home.claude}\0`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (procStat(Number(entry))?.state === "Z") continue;
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {}
  }
  return found;
}

function probeOf(s: Live): Probe | undefined {
  return readProbe(home, s.pid);
}

const describeWant = (w: Want): string => (typeof w === "string" ? w : `waiting/${w.waiting}`);

function probeIs(p: Probe | undefined, want: Want): boolean {
  if (!p) return false;
  if (typeof want === "string") return p.status === want && p.waitingFor === undefined;
  return p.status === "waiting" && p.waitingFor === want.waiting;
}

/** Waits for `s`'s probe to show `want`; returns when that was first seen. */
async function untilProbe(s: Live, want: Want, also: () => boolean = () => true): Promise<number> {
  s.want = want;
  const what = () => `${s.window}: probe ${describeWant(want)} (it has ${probeOf(s)?.status}/${probeOf(s)?.waitingFor})`;
  return waitFor(what, () => probeIs(probeOf(s), want) && also() && Date.now());
}

function expectedFields(want: Want) {
  if (want === "shell") return { state: "busy", status: "shell", waitingFor: null, background: true };
  if (typeof want === "string") return { state: want, status: want, waitingFor: null, background: false };
  return { state: "asking", status: "waiting", waitingFor: want.waiting, background: false };
}

/** What is wrong with a ccpulse snapshot, given the live sessions and their wanted states ("" if nothing). */
function stateDiff(sessions: readonly PulseSession[]): string {
  const problems: string[] = [];
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  for (const s of live.values()) {
    const got = byPid.get(s.pid);
    byPid.delete(s.pid);
    const want = { pid: s.pid, sessionId: probeOf(s)?.sessionId, liveness: "live", ...expectedFields(s.want) };
    const seen = got && { pid: got.pid, sessionId: got.sessionId, liveness: got.liveness, state: got.state, status: got.status, waitingFor: got.waitingFor, background: got.background };
    if (JSON.stringify(seen) !== JSON.stringify(want)) problems.push(`${s.window}: want ${JSON.stringify(want)}, got ${JSON.stringify(seen ?? null)}`);
  }
  for (const extra of byPid.values()) problems.push(`listed but not live: pid ${extra.pid} (${extra.state})`);
  return problems.join("\n");
}

/**
 * The one timed check: a ccpulse call started within 1 s of the probe change must show every
 * state. Returns how long after the change that call started and how long it ran: on a loaded machine
 * a call can take longer than its start lag (a cold start of the 100 MB binary).
 */
async function expectStates(step: string, changedAt: number): Promise<{ lagMs: number; callMs: number }> {
  let problems = "";
  for (let startedAt = Date.now(); startedAt - changedAt <= 1000; startedAt = Date.now()) {
    problems = stateDiff(ccpulseJson(home).sessions);
    if (problems === "") return { lagMs: startedAt - changedAt, callMs: Date.now() - startedAt };
    await Bun.sleep(20);
  }
  throw new Error(`${step}: no ccpulse json call started within 1 s of the probe change showed every state:\n${problems}`);
}

/** One session's fields in ccpulse json within 1 s of `since`, whatever the other sessions do. */
async function expectOne(s: Live, want: Partial<PulseSession>, since: number): Promise<void> {
  let got: PulseSession | undefined;
  do {
    got = ccpulseJson(home).sessions.find((p) => p.pid === s.pid);
    if (got && Object.entries(want).every(([k, v]) => got?.[k as keyof PulseSession] === v)) return;
    await Bun.sleep(20);
  } while (Date.now() - since <= 1000);
  throw new Error(`${s.window}: want ${JSON.stringify(want)} within 1 s, got ${JSON.stringify(got ?? null)}`);
}

/** A usage object as ccpulse's four categories, computed here, independently of src/. */
function tokensOf(usage: Sent["usage"]) {
  const oneHour = usage.cache_creation.ephemeral_1h_input_tokens;
  return {
    input: usage.input_tokens,
    cacheWrite: usage.cache_creation_input_tokens,
    cacheWrite5m: usage.cache_creation_input_tokens - oneHour,
    cacheWrite1h: oneHour,
    cacheRead: usage.cache_read_input_tokens,
    output: usage.output_tokens,
  };
}

/**
 * A turn of the conversation, as opposed to a side request such as the session title, which the CLI
 * sends with no tools, under the same session id, and does not write to the transcript (checked in the
 * last test): ccpulse cannot see those, so they are not part of the expected totals.
 */
const isTurn = (r: Sent): boolean => r.hasTools;

/**
 * The usage the fake API sent for one conversation's turns. A response still streaming is left out: Claude Code
 * writes its rows only when a block ends, or, when the stream is cut, one partial row with the usage of
 * message_start (checked against the transcripts in the last test).
 */
function sentTokens(sessionId: string | undefined) {
  const sum = { input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 };
  for (const s of api.sent) {
    if (s.session !== sessionId || !isTurn(s) || !(s.finished || s.aborted)) continue;
    const t = tokensOf(s.usage);
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t[k];
  }
  return sum;
}

/**
 * Token totals may trail the probe a little (the transcript is a separate write), so they are polled
 * for up to 10 s rather than timed. Returns how long after the probe change the first right call started.
 */
async function expectTokens(step: string, changedAt: number): Promise<number> {
  for (;;) {
    const startedAt = Date.now();
    const sessions = ccpulseJson(home).sessions;
    const problems: string[] = [];
    for (const s of live.values()) {
      const want = sentTokens(probeOf(s)?.sessionId);
      const got = sessions.find((p) => p.pid === s.pid)?.tokens;
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${s.window}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
    if (problems.length === 0) return startedAt - changedAt;
    if (Date.now() - changedAt > 10_000) throw new Error(`${step}: token totals still differ from what the fake API sent after 10 s:\n${problems.join("\n")}`);
    await Bun.sleep(50);
  }
}

// Long enough for a real change between the counts and the json after them to settle; a replayed
// answer that outlived a state change stays wrong until its inputs change again (up to 10 minutes).
const COUNTS_MS = 2000;
// Disagreements that a retry cleared, for the report. One where json said the same before and after
// the counts is marked: no change explains it, and with a replayed count among them it would be a
// stale replay that some later write happened to end.
const passingDisagreements: string[] = [];

/**
 * The status-bar counts (`compact --field`, replayed whenever their answers are current) agree with
 * `ccpulse json`, which is never replayed, from right after them.
 */
async function expectCounts(step: string): Promise<void> {
  const until = Date.now() + COUNTS_MS;
  for (;;) {
    const before = ccpulseJson(home).counts;
    const fields: string[] = [];
    for (const field of COUNT_FIELDS) {
      const { out, how } = await replayable(countArgs(field), "checks");
      fields.push(`${field} ${out.trim()}${how === "replayed" ? " (replayed)" : ""}`);
    }
    const after = ccpulseJson(home).counts;
    const json = (c: PulseCounts) => `asking ${c.asking}, busy ${c.busy + c.starting + c.unknown}, idle ${c.idle}`;
    const got = fields.join(", ");
    if (got.replaceAll(" (replayed)", "") === json(after)) return;
    const unexplained = json(before) === json(after) ? " (json unchanged around them)" : "";
    const problem = `${step}: compact --field said ${got}; ccpulse json before them ${json(before)}, after them ${json(after)}${unexplained}`;
    if (Date.now() > until) throw new Error(`${problem}; still disagreeing after ${COUNTS_MS} ms`);
    passingDisagreements.push(problem);
    await Bun.sleep(20);
  }
}

async function check(step: string, changedAt: number): Promise<void> {
  const { lagMs, callMs } = await expectStates(step, changedAt);
  const tokensMs = await expectTokens(step, changedAt);
  timings.push({ step, lagMs, callMs, tokensMs });
  await expectCounts(step);
}

/**
 * Starts claude in a new window as pane shell → wrapper shell → claude. tmux sends SIGCONT to a pane
 * process that stops, so the shell the kill step stops (to keep claude a zombie) is not the pane's own.
 */
async function launch(name: string, window: string, args: readonly string[] = []): Promise<Live> {
  const inner = ["sh", "-c", '"$@"; echo "claude exited: $?"', "sh", CLAUDE, ...args];
  const pane = track(tmux.window(window, home.workDir(name), ["sh", "-c", '"$@"; exec sleep 3600', "sh", ...inner]));
  const wrapper = track(await waitFor(`${window}: the wrapper shell`, () => childPids(pane)[0]));
  const pid = track(await waitFor(`${window}: claude under its shell`, () => childPids(wrapper)[0]));
  const s: Live = { window, wrapper, pid, want: "idle" };
  live.set(window, s);
  return s;
}

function session(window: string): Live {
  const s = live.get(window);
  if (!s) throw new Error(`no live session ${window}`);
  return s;
}

const responsesOf = (s: Live) => api.sent.filter((r) => isTurn(r) && r.session === probeOf(s)?.sessionId);
const allDone = (s: Live, count: number) => () => {
  const mine = responsesOf(s);
  return mine.length === count && mine.every((r) => r.finished || r.aborted);
};

/** On failure, what each window showed: the quickest way to see which dialog got in the way. */
function screens(): string {
  return [...live.values()].map((s) => `--- ${s.window} (pid ${s.pid}, probe ${JSON.stringify(probeOf(s) ?? null)})\n${tmux.screen(s.window).trimEnd()}`).join("\n");
}

async function step(name: string, body: () => Promise<void>): Promise<void> {
  // Each step starts from where the previous one left the sessions; after a failure that is unknown.
  if (failed) throw new Error(`not run: an earlier step failed`);
  try {
    await body();
  } catch (e) {
    failed = true;
    console.error(`step "${name}" failed; screens:\n${screens()}`);
    throw e;
  }
}

/**
 * Presses `key` until the probe leaves `from`: a key can be swallowed, by the input guard of a prompt
 * that just opened (§7.1) or, in /config, by the panel's own search field. Returns when it left.
 */
async function pressUntilLeft(s: Live, key: string, from: Want): Promise<void> {
  for (let tries = 0; tries < 5; tries++) {
    tmux.keys(s.window, key);
    const left = await waitFor(`${s.window}: probe to leave ${describeWant(from)}`, () => !probeIs(probeOf(s), from), 3000).catch(() => false);
    if (left) return;
  }
  throw new Error(`${s.window}: ${key} pressed 5 times, probe still ${describeWant(from)}`);
}

/**
 * A probe is written without status and gets one on the first render, 0.1–1.4 s later (§7). Stopping
 * the process in that window holds the probe there long enough to check `starting`: each session caught
 * so is checked, then let go. Returns the windows caught.
 */
async function catchStarting(sessions: readonly Live[]): Promise<string[]> {
  const caught: string[] = [];
  const pending = new Set(sessions);
  for (const until = Date.now() + 30_000; pending.size > 0; await Bun.sleep(5)) {
    if (Date.now() > until) throw new Error(`no probe from ${[...pending].map((s) => s.window).join(", ")}`);
    for (const s of pending) {
      if (!probeOf(s)) continue;
      pending.delete(s);
      if (probeOf(s)?.status !== undefined) continue;
      process.kill(s.pid, "SIGSTOP");
      // The signal lands asynchronously: only a stopped process cannot write its status any more.
      await waitFor(`${s.window} to stop`, () => procStat(s.pid)?.state === "T");
      // Stopped between truncating and writing the file (Claude Code writes in place) is not this case.
      const held = probeOf(s);
      if (held && held.status === undefined) caught.push(s.window);
      else process.kill(s.pid, "SIGCONT");
    }
  }
  for (const window of caught) {
    const s = session(window);
    try {
      await expectOne(s, { state: "starting", status: null, waitingFor: null, liveness: "live" }, Date.now());
      await expectCounts(`${window} starting`);
    } finally {
      process.kill(s.pid, "SIGCONT");
    }
  }
  return caught;
}

// Started only when none of s1-s3 could be caught starting (see that step).
const EXTRA_SESSIONS = ["x1", "x2", "x3"];

/** Ends a session the later steps do not follow: claude killed (its shell reaps it), its probe removed. */
async function endSession(s: Live): Promise<void> {
  signal(s.pid, "SIGKILL");
  await waitFor(`${s.window}: claude to be reaped`, () => procStat(s.pid) === undefined);
  live.delete(s.window);
  rmSync(probePath(home, s.pid), { force: true });
}

const STEP_MS = 60_000;

describe("the real Claude Code, watched by ccpulse json", () => {
  test(
    "starting, then idle",
    () =>
      step("idle", async () => {
        const sessions = [await launch("s1", "s1"), await launch("s2", "s2"), await launch("s3", "s3")];
        const caught = await catchStarting(sessions);
        // Claude Code does not always leave that window open: 17 of 102 starts were never seen without a
        // status, and in the run where none of the three was, each probe's statusUpdatedAt was 175-200 ms
        // before its startedAt. Then more sessions are started, one at a time, until one is caught.
        for (const extra of EXTRA_SESSIONS) {
          if (caught.length > 0) break;
          const x = await launch(extra, extra);
          caught.push(...(await catchStarting([x])));
          await endSession(x);
        }
        console.log(`starting: ${caught.length} probes caught without status (${caught.join(", ")})`);
        expect(caught.length).toBeGreaterThan(0);
        let last = 0;
        for (const s of sessions) last = Math.max(last, await untilProbe(s, "idle"));
        await check("idle after start", last);
        for (const s of sessions) expect(ccpulseJson(home).sessions.find((p) => p.pid === s.pid)?.transcript).toBeNull();
      }),
    STEP_MS,
  );

  test(
    "busy: a slow stream",
    () =>
      step("busy", async () => {
        const s1 = session("s1");
        tmux.type("s1", `${SLOW} take your time`);
        const at = await untilProbe(s1, "busy", () => tmux.screen("s1").includes(HELD_TEXT));
        await check("busy (slow stream)", at);
        expect(api.streaming()).toBe(1);
      }),
    STEP_MS,
  );

  test(
    "waiting: a permission prompt, then approved",
    () =>
      step("permission", async () => {
        const s2 = session("s2");
        tmux.type("s2", `${BASH} create the marker file`);
        const prompt = { waiting: "permission prompt" };
        await check("waiting / permission prompt", await untilProbe(s2, prompt));
        // Enter within a few ms of the prompt appearing is swallowed by an input guard (§7.1).
        await Bun.sleep(1000);
        await pressUntilLeft(s2, "Enter", prompt);
        await check("idle after approving", await untilProbe(s2, "idle", allDone(s2, 2)));
        expect(existsSync(join(home.workDir("s2"), "approved.txt"))).toBe(true);
      }),
    STEP_MS,
  );

  test(
    "the slow stream ends",
    () =>
      step("release", async () => {
        const s1 = session("s1");
        api.release();
        await check("idle after the slow stream", await untilProbe(s1, "idle", allDone(s1, 1)));
      }),
    STEP_MS,
  );

  test(
    "waiting: AskUserQuestion needs input, then answered",
    () =>
      step("input needed", async () => {
        const s2 = session("s2");
        tmux.type("s2", `${ASK} ask me which colour`);
        const question = { waiting: "input needed" };
        await check("waiting / input needed", await untilProbe(s2, question));
        await Bun.sleep(1000);
        await pressUntilLeft(s2, "Enter", question);
        await check("idle after answering", await untilProbe(s2, "idle", allDone(s2, 4)));
      }),
    STEP_MS,
  );

  test(
    "waiting: a dialog (/config), then closed",
    () =>
      step("dialog open", async () => {
        const s3 = session("s3");
        tmux.type("s3", "/config");
        const dialog = { waiting: "dialog open" };
        await check("waiting / dialog open", await untilProbe(s3, dialog));
        // The first Escape is often taken by the panel's search field (the fixture run needed two too).
        await pressUntilLeft(s3, "Escape", dialog);
        await check("idle after closing /config", await untilProbe(s3, "idle"));
      }),
    STEP_MS,
  );

  test(
    "shell: a background Bash command, then it ends",
    () =>
      step("shell", async () => {
        const s3 = session("s3");
        tmux.type("s3", `${BACKGROUND} start the waiting command`);
        await check("shell (background Bash)", await untilProbe(s3, "shell", allDone(s3, 2)));
        writeFileSync(releaseFile, "");
        // The finished task comes back to the model as a notification: one more request, then idle.
        await check("idle after the background command", await untilProbe(s3, "idle", allDone(s3, 3)));
        // The command's output file is Claude Code's: it lands in the test's home (CLAUDE_CODE_TMPDIR), and
        // nothing of this run in the machine's temp folder, where every earlier run left a folder behind.
        const ownTemp = `claude-${process.getuid?.() ?? 0}`;
        expect(readdirSync(join(home.root, "tmp", ownTemp)).length).toBeGreaterThan(0);
        const shared = join(tmpdir(), ownTemp);
        expect(existsSync(shared) ? readdirSync(shared).filter((d) => d.includes(basename(home.root))) : []).toEqual([]);
      }),
    STEP_MS,
  );

  test(
    "/clear starts a new conversation in the same process",
    () =>
      step("/clear", async () => {
        const s1 = session("s1");
        const before = probeOf(s1)?.sessionId;
        tmux.type("s1", "/clear");
        const at = await waitFor("s1: a new sessionId in the probe", () => {
          const p = probeOf(s1);
          return p?.sessionId !== undefined && p.sessionId !== before && probeIs(p, "idle") && Date.now();
        });
        await check("/clear", at);
        expect(ccpulseJson(home).sessions.find((p) => p.pid === s1.pid)?.sessionId).not.toBe(before ?? null);
      }),
    STEP_MS,
  );

  let killed: { pid: number; sessionId: string } | undefined;
  test(
    "kill -9: the stale probe is not a live session, zombie or reaped",
    () =>
      step("kill -9", async () => {
        const s2 = session("s2");
        const sessionId = probeOf(s2)?.sessionId as string;
        killed = { pid: s2.pid, sessionId };
        // Its parent is stopped, so the killed claude stays a zombie until the parent runs again.
        process.kill(s2.wrapper, "SIGSTOP");
        await waitFor("s2's shell to stop", () => procStat(s2.wrapper)?.state === "T");
        process.kill(s2.pid, "SIGKILL");
        live.delete("s2");
        const zombieAt = await waitFor("s2 to be a zombie", () => procStat(s2.pid)?.state === "Z" && Date.now());
        expect(readProbe(home, s2.pid)).toMatchObject({ pid: s2.pid, status: "idle" });
        await check("kill -9 (zombie)", zombieAt);
        process.kill(s2.wrapper, "SIGCONT");
        const goneAt = await waitFor("s2 to be reaped", () => procStat(s2.pid) === undefined && Date.now());
        expect(existsSync(probePath(home, s2.pid))).toBe(true);
        await check("kill -9 (reaped)", goneAt);
      }),
    STEP_MS,
  );

  test(
    "claude --resume of the killed session",
    () =>
      step("resume", async () => {
        if (!killed) throw new Error("the kill step did not run");
        const s2 = await launch("s2", "s2-resumed", ["--resume", killed.sessionId]);
        expect(s2.pid).not.toBe(killed.pid);
        await check("resumed, idle", await untilProbe(s2, "idle", () => probeOf(s2)?.sessionId === killed?.sessionId));
        tmux.type("s2-resumed", "say something short");
        await check("resumed, idle after a reply", await untilProbe(s2, "idle", allDone(s2, 5)));
      }),
    STEP_MS,
  );

  test(
    "Escape during a stream",
    () =>
      step("escape", async () => {
        const s1 = session("s1");
        tmux.type("s1", `${SLOW} this one gets interrupted`);
        await check("busy before Escape", await untilProbe(s1, "busy", () => tmux.screen("s1").includes(HELD_TEXT)));
        await pressUntilLeft(s1, "Escape", "busy");
        await check("idle after Escape", await untilProbe(s1, "idle", allDone(s1, 1)));
        expect(responsesOf(s1).map((r) => r.aborted)).toEqual([true]);
      }),
    STEP_MS,
  );

  test(
    "/exit",
    () =>
      step("/exit", async () => {
        const leaving = [...live.values()];
        for (const s of leaving) tmux.type(s.window, "/exit");
        let at = 0;
        for (const s of leaving) {
          at = Math.max(at, await waitFor(`${s.window}: probe removed`, () => !existsSync(probePath(home, s.pid)) && Date.now()));
          live.delete(s.window);
        }
        await check("/exit", at);
        expect(ccpulseJson(home).sessions).toEqual([]);
        const stale = killed && existsSync(probePath(home, killed.pid));
        console.log(`exit: the killed session's stale probe is ${stale ? "still on disk, and not listed" : "gone"}`);
      }),
    STEP_MS,
  );

  test("what the fake API sent is exactly what the transcripts record", () =>
    step("transcripts", async () => {
      expect(api.strays.filter((r) => r.path !== "/api/hello")).toEqual([]);
      expect(api.streaming()).toBe(0);
      for (const r of api.sent) expect(r.bodySession).toBe(r.session as string);
      const transcripts = new Map<string, string>();
      for (const name of ["s1", "s2", "s3"]) {
        const dir = projectDir(home, home.workDir(name));
        for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) transcripts.set(f.slice(0, -6), join(dir, f));
      }
      const size = (u: Sent["usage"]) => u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
      let repeated = 0;
      const recordedIds = new Set<string>();
      const lines: string[] = [];
      for (const [sessionId, path] of transcripts) {
        const rows = transcriptRows(path);
        const best = new Map<string, { requestId: string; usage: Sent["usage"]; rows: number }>();
        for (const row of rows.filter((r) => r.type === "assistant")) {
          recordedIds.add(row.message.id);
          const seen = best.get(row.message.id);
          if (!seen || size(row.message.usage) > size(seen.usage)) best.set(row.message.id, { requestId: row.requestId, usage: row.message.usage, rows: (seen?.rows ?? 0) + 1 });
          else seen.rows++;
        }
        const turns = api.sent.filter((r) => r.session === sessionId && isTurn(r));
        expect([...best.keys()].sort()).toEqual(turns.map((r) => r.messageId).sort());
        for (const r of turns) {
          const recorded = best.get(r.messageId);
          expect(recorded?.requestId).toBe(r.requestId);
          expect(tokensOf(recorded?.usage as Sent["usage"])).toEqual(tokensOf(r.usage));
          if ((recorded?.rows ?? 0) > 1) repeated++;
        }
        // Claude Code's own total at exit or /clear, for the report: it counts the side requests too.
        const costState = rows.findLast((r) => r.type === "cost-state");
        const ownOutput = Object.values((costState?.modelUsage ?? {}) as Record<string, { outputTokens: number }>).reduce((a, m) => a + m.outputTokens, 0);
        const side = api.sent.filter((r) => r.session === sessionId && !isTurn(r));
        lines.push(`${sessionId.slice(0, 8)}: ${turns.length} turns (output ${sentTokens(sessionId).output}), ${side.length} side (output ${side.reduce((a, r) => a + r.usage.output_tokens, 0)}), cost-state output ${costState ? ownOutput : "none"}`);
      }
      console.log(`per conversation: turns and side requests sent, and Claude Code's cost-state\n${lines.join("\n")}`);
      // Every turn landed in some transcript; no side request did.
      expect(api.sent.filter((r) => isTurn(r) && !recordedIds.has(r.messageId))).toEqual([]);
      expect(api.sent.filter((r) => !isTurn(r) && recordedIds.has(r.messageId)).map((r) => r.n)).toEqual([]);
      expect(api.sent.some((r) => !isTurn(r))).toBe(true);
      // Responses with a text and a tool_use block are written as two rows with one usage: the case
      // ccpulse's dedupe is for. Without it the totals above would have proved less.
      expect(repeated).toBeGreaterThan(0);
    }));

  test("ccpulse calls alongside all steps all answered", () => {
    console.log(`status lines: ${statusLines.calls} ccpulse json calls and ${statusLines.replayable} replayable ones alongside the checks`);
    expect(statusLines.errors).toEqual([]);
    expect(statusLines.calls).toBeGreaterThan(0);
    // Without replays the counts checked against json would only have been full calls.
    expect(answered.statusLines.replayed + answered.checks.replayed).toBeGreaterThan(0);
  });

  test("leaves no process behind", async () => {
    const row = (t: (typeof timings)[number]) => `${t.step.padEnd(34)} ${String(t.lagMs).padStart(4)} ms ${String(t.callMs).padStart(5)} ms ${String(t.tokensMs).padStart(6)} ms`;
    console.log(`${"step".padEnd(34)} a call showing every state: started after, took; one with right tokens started after\n${timings.map(row).join("\n")}`);
    const how = (a: Record<Answered, number>) => `${a.replayed} replayed, ${a.stored} stored a new answer, ${a.full} full without storing`;
    console.log(`replayable calls: alongside ${how(answered.statusLines)}; counts at the checks ${how(answered.checks)}`);
    if (passingDisagreements.length > 0) console.log(`counts that disagreed with json until a retry:\n${passingDisagreements.join("\n")}`);
    await cleanUp();
    const ended = () => started.every((p) => procStat(p.pid)?.start !== p.start || procStat(p.pid)?.state === "Z") && strayProcesses().length === 0;
    await waitFor("every process to end", ended, 5000).catch(() => {});
    const stray = strayProcesses();
    for (const pid of stray) signal(pid, "SIGKILL");
    expect(stray).toEqual([]);
    expect(ended()).toBe(true);
  });
});
