/**
 * Live sessions for the fault tests: a real sleeping process per session with a probe Claude Code
 * would write for it, a transcript the test grows, rotates or replaces, and the totals an independent
 * oracle gives for it.
 */
import { appendFileSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { type Sleeper, type TestHome, liveProbe, runBinary, spawnSleeper, writeProbe } from "../helpers/home.ts";
import { type Totals, naiveTotals } from "../helpers/oracle.ts";
import { metadataLines, response, taskResultLine } from "../helpers/rows.ts";

export class LiveSession {
  readonly sleeper: Sleeper;
  sessionId: string;
  private responses = 0;

  constructor(
    readonly home: TestHome,
    readonly name: string,
    readonly cwd: string,
  ) {
    this.sleeper = spawnSleeper();
    this.sessionId = sessionIdFor(name, 0);
    this.writeProbe();
    mkdirSync(dirname(this.transcript), { recursive: true });
    writeFileSync(this.transcript, `${metadataLines().join("\n")}\n`);
  }

  get transcript(): string {
    return join(this.home.claude, "projects", encodeProjectDir(this.cwd), `${this.sessionId}.jsonl`);
  }

  /** In place, as Claude Code writes probes: a reader can catch it empty or half-written. */
  writeProbe(): void {
    writeProbe(this.home, this.sleeper.pid, liveProbe(this.sleeper, { sessionId: this.sessionId, cwd: this.cwd, status: "busy", name: this.name, updatedAt: Date.now() }));
  }

  /** The text of a few API responses (3 rows each) and, now and then, a large tool result. */
  nextText(responses = 1): string {
    const lines: string[] = [];
    for (let i = 0; i < responses; i++) {
      const n = ++this.responses;
      lines.push(...response(`msg_${this.name}_${this.sessionId.slice(-4)}_${n}`, { input: n % 7, cacheWrite: 100 + n, cacheRead: 1000 * n, output: 10 + (n % 50), oneHour: n % 3 === 0 ? 50 : 0 }));
      if (n % 4 === 0) lines.push(taskResultLine(), JSON.stringify({ type: "user", message: { role: "user", content: "x".repeat(4000 + n) } }));
    }
    return `${lines.join("\n")}\n`;
  }

  /** Appends one response in pieces cut mid-line, yielding between them so callers see torn lines. */
  async append(): Promise<void> {
    const text = this.nextText();
    const cuts = [Math.floor(text.length / 3), Math.floor((2 * text.length) / 3)];
    appendFileSync(this.transcript, text.slice(0, cuts[0]));
    await Bun.sleep(0);
    appendFileSync(this.transcript, text.slice(cuts[0], cuts[1]));
    await Bun.sleep(0);
    appendFileSync(this.transcript, text.slice(cuts[1]));
  }

  /**
   * Other content of about the current size (half to one and a half times): shorter, a reader's offset
   * is past the end; longer, only the bytes before the offset can tell the file is not the one it read.
   */
  private rewriteText(): string {
    const target = Math.min(200_000, statSync(this.transcript).size) * (0.5 + (this.responses % 11) / 10);
    let text = "";
    while (text.length < target) text += this.nextText();
    return text;
  }

  /** Truncates the transcript to nothing and writes new content into the same inode. */
  truncateAndRewrite(): void {
    writeFileSync(this.transcript, this.rewriteText());
  }

  /** Writes new content beside the transcript and renames it over (a new inode; ext4 reuses old ones). */
  replaceByRename(): void {
    const temp = `${this.transcript}.${this.responses}.tmp`;
    writeFileSync(temp, this.rewriteText());
    renameSync(temp, this.transcript);
  }

  /** As /clear does: a new session id, a new transcript in the same folder, the probe rewritten. */
  clear(generation: number): void {
    this.sessionId = sessionIdFor(this.name, generation);
    writeFileSync(this.transcript, `${metadataLines().join("\n")}\n${this.nextText()}`);
    this.writeProbe();
  }

  expected(): Totals {
    return naiveTotals([this.transcript]);
  }
}

/** A UUID-shaped id that says which session and generation it is. */
const sessionIdFor = (name: string, generation: number): string =>
  `${Bun.hash.wyhash(name).toString(16).padStart(16, "0").slice(0, 8)}-0000-4000-8000-${String(generation).padStart(12, "0")}`;

export const fourTotals = (t: Totals) => ({ input: t.input, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead, output: t.output });

/** `ccpulse json`'s tokens per session id. */
export async function reportedTotals(home: TestHome, env: Record<string, string> = {}): Promise<Map<string, Totals>> {
  const r = await runBinary(home, ["json"], env);
  if (r.code !== 0 || r.stderr !== "") throw new Error(`json: exit ${r.code}, stderr ${r.stderr}`);
  const out = new Map<string, Totals>();
  for (const s of JSON.parse(r.stdout).sessions) out.set(s.sessionId, fourTotals(s.tokens));
  return out;
}

/** A line a crashing Bun binary would print: a stack frame or an uncaught error banner. */
export const STACK_TRACE = /^\s+at |\berror: |Uncaught|panic|Segmentation|Bun v\d/m;
