/**
 * The real Claude Code in a private tmux server, in a throwaway home, pointed at the fake API: start,
 * type, read the probe, kill, and ask the compiled ccpulse what it sees. Format doc §7.1 is the recipe.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPLAY_VERSION } from "../../src/replay/replay.ts";
import { answerOfFile } from "../helpers/answerFile.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const CCPULSE = join(ROOT, "dist", "ccpulse");
const PACKAGES = join(import.meta.dir, "node_modules", "@anthropic-ai");
// The platform package's native binary first: it is there whether or not npm ran the postinstall that
// copies it over the wrapper's placeholder bin.
export const CLAUDE =
  [join(PACKAGES, `claude-code-${process.platform}-${process.arch}`, "claude"), join(PACKAGES, "claude-code", "bin", "claude.exe")].find((p) => existsSync(p)) ??
  join(PACKAGES, `claude-code-${process.platform}-${process.arch}`, "claude");
export const CLAUDE_VERSION = "2.1.328";

// Any sk-ant-… string passes the CLI's shape check; its last 20 characters are pre-approved below.
const API_KEY = "sk-ant-api03-e2e-fake-key-for-a-loopback-api-0123456789abcdefghij";

export interface Home {
  readonly root: string;
  readonly claude: string;
  /** Environment of every Claude Code and ccpulse process. */
  readonly env: Record<string, string>;
  workDir(name: string): string;
}

/** A temp home where Claude Code starts straight to its prompt: no onboarding, trust or API-key dialog. */
export function makeHome(apiUrl: string, workDirs: readonly string[]): Home {
  const root = mkdtempSync(join(tmpdir(), "ccpulse-e2e-"));
  const claude = join(root, ".claude");
  const workDir = (name: string) => join(root, "work", name);
  for (const dir of [claude, join(root, "cache"), join(root, "run"), join(root, "tmp"), ...workDirs.map(workDir)]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const projects = Object.fromEntries(workDirs.map((name) => [workDir(name), { hasTrustDialogAccepted: true }]));
  writeFileSync(
    join(claude, ".claude.json"),
    JSON.stringify({
      hasCompletedOnboarding: true,
      lastOnboardingVersion: CLAUDE_VERSION,
      theme: "dark",
      customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
      projects,
    }),
  );
  // 2.1.328 defaults to auto mode, which asks no permission; "manual" alone opens an opt-in dialog.
  writeFileSync(join(claude, "settings.json"), JSON.stringify({ permissions: { defaultMode: "manual", disableAutoMode: "disable" } }));
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    SHELL: "/bin/bash",
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    HOME: root,
    CLAUDE_CONFIG_DIR: claude,
    XDG_CACHE_HOME: join(root, "cache"),
    XDG_RUNTIME_DIR: join(root, "run"),
    // Its background tasks' output and session markers (claude-<uid>/<cwd>/<session>/tasks): without this
    // they went to os.tmpdir() and stayed there after every run. 2.1.328 reads CLAUDE_CODE_TMPDIR first.
    CLAUDE_CODE_TMPDIR: join(root, "tmp"),
    ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_BASE_URL: apiUrl,
    // Not CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC (§7.1): without it the CLI makes the side requests a
    // user's does (a session title per conversation), which ccpulse must not count. Telemetry and the
    // like go nowhere: the test runs in a network namespace with only loopback.
    DISABLE_AUTOUPDATER: "1",
  };
  return { root, claude, env, workDir };
}

/** The probe fields the test looks at; everything else is kept as read. */
export interface Probe {
  readonly pid: number;
  readonly sessionId: string;
  readonly cwd: string;
  readonly status?: string;
  readonly waitingFor?: string;
  readonly statusUpdatedAt?: number;
  readonly [key: string]: unknown;
}

export function probePath(home: Home, pid: number): string {
  return join(home.claude, "sessions", `${pid}.json`);
}

/** The probe, or undefined while it is missing or half-written (Claude Code writes it in place). */
export function readProbe(home: Home, pid: number): Probe | undefined {
  try {
    return JSON.parse(readFileSync(probePath(home, pid), "utf8")) as Probe;
  } catch {
    return undefined;
  }
}

/** Where Claude Code keeps a cwd's transcripts: every character but [A-Za-z0-9] becomes "-" (§2.1). */
export function projectDir(home: Home, cwd: string): string {
  return join(home.claude, "projects", cwd.replace(/[^a-zA-Z0-9]/g, "-"));
}

export function transcriptRows(path: string): Record<string, any>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        return {};
      }
    });
}

/** Polls `check` every 20 ms until it returns something truthy; the deadline only guards against a hang. */
export async function waitFor<T>(what: string | (() => string), check: () => T | undefined | false, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = check();
    if (got) return got;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await Bun.sleep(20);
  }
}

/** Field 3 (state) and field 22 (start time) of /proc/<pid>/stat, or undefined once it is gone. */
export function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] as string, start: fields[19] as string };
  } catch {
    return undefined;
  }
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A private tmux server (`tmux -L`); `kill()` ends it and everything running in its panes. */
export class Tmux {
  readonly socket = `ccpulse-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(readonly env: Record<string, string>) {}

  // run.sh gives each run its own socket folder (TMUX_TMPDIR), to end what a cut-short run left.
  private get clientEnv(): Record<string, string> {
    return process.env.TMUX_TMPDIR ? { ...this.env, TMUX_TMPDIR: process.env.TMUX_TMPDIR } : this.env;
  }

  run(...args: string[]): string {
    const r = Bun.spawnSync(["tmux", "-L", this.socket, "-f", "/dev/null", ...args], { env: this.clientEnv, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString().trim()}`);
    return r.stdout.toString();
  }

  /** The server with a placeholder window, so it outlives every Claude Code window that exits. */
  start(cwd: string): void {
    this.run("new-session", "-d", "-s", "e2e", "-x", "160", "-y", "50", "-c", cwd, "sleep 3600");
  }

  /** A window running `argv` (quoted for tmux's shell); returns the pane's process id. */
  window(name: string, cwd: string, argv: readonly string[]): number {
    const command = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const out = this.run("new-window", "-d", "-P", "-F", "#{pane_pid}", "-t", "e2e:", "-n", name, "-c", cwd, command);
    return Number(out.trim());
  }

  keys(window: string, ...keys: string[]): void {
    this.run("send-keys", "-t", `e2e:${window}`, ...keys);
  }

  /** Literal text, then Enter as a key of its own (a pasted newline would not submit). */
  type(window: string, text: string): void {
    this.run("send-keys", "-t", `e2e:${window}`, "-l", text);
    this.run("send-keys", "-t", `e2e:${window}`, "Enter");
  }

  screen(window: string): string {
    try {
      return this.run("capture-pane", "-p", "-t", `e2e:${window}`);
    } catch (e) {
      return String(e);
    }
  }

  kill(): void {
    Bun.spawnSync(["tmux", "-L", this.socket, "kill-server"], { env: this.clientEnv, stdout: "ignore", stderr: "ignore" });
    rmSync(join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
  }
}

/** What `ccpulse json` says about one session (only the fields the test compares). */
export interface PulseSession {
  readonly pid: number;
  readonly sessionId: string | null;
  readonly state: string;
  readonly status: string | null;
  readonly waitingFor: string | null;
  readonly background: boolean;
  readonly liveness: string;
  readonly tokens: Record<string, number>;
  readonly transcript: string | null;
}

/** ccpulse sees the sessions through the same config dir and keeps its cache in the temp home. */
export function pulseEnv(home: Home): Record<string, string> {
  return { HOME: home.root, CLAUDE_CONFIG_DIR: home.claude, XDG_CACHE_HOME: home.env.XDG_CACHE_HOME as string, PATH: home.env.PATH as string };
}

/** `ccpulse json`'s counts of live sessions by state. */
export interface PulseCounts {
  readonly asking: number;
  readonly busy: number;
  readonly starting: number;
  readonly unknown: number;
  readonly idle: number;
}

export function ccpulseJson(home: Home): { counts: PulseCounts; sessions: PulseSession[] } {
  const r = Bun.spawnSync([CCPULSE, "json"], { env: pulseEnv(home), stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ccpulse json exited ${r.exitCode}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

/** One call of the compiled ccpulse, run the way a status bar or prompt runs it: alongside others. */
export async function ccpulseCall(home: Home, args: readonly string[]): Promise<{ out: string; err: string; code: number }> {
  const call = Bun.spawn([CCPULSE, ...args], { env: pulseEnv(home), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(call.stdout).text(), new Response(call.stderr).text(), call.exited]);
  return { out, err, code };
}

/**
 * The replay answer stored for `args` (found by the argv it records, not by its file name): which
 * version of the file it is (a new answer is renamed into place, so a new inode), and whether every
 * input it records still has the size and mtime it recorded, the two stats the replay compares.
 */
export function storedAnswer(home: Home, args: readonly string[]): { version: string; current: boolean } | undefined {
  const dir = join(home.env.XDG_CACHE_HOME as string, "ccpulse", `replay-v${REPLAY_VERSION}`);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return undefined;
  }
  for (const name of names) {
    let fd: number | undefined;
    try {
      // One open file for both: a rename between a stat and a read would pair one version with another.
      fd = openSync(join(dir, name), "r");
      const stat = fstatSync(fd, { bigint: true });
      const answer = answerOfFile(readFileSync(fd, "utf8"));
      if (JSON.stringify(answer.argv) !== JSON.stringify(args)) continue;
      const current = answer.paths.every(([p, seen]) => Bun.file(p).lastModified === seen);
      return { version: `${stat.ino}:${stat.mtimeNs}`, current };
    } catch {
      // replaced between the listing and the open
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return undefined;
}

export function removeHome(home: Home): void {
  rmSync(home.root, { recursive: true, force: true });
}
