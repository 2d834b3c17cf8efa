import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "../../src/env.ts";

export const FIXTURES = join(import.meta.dir, "..", "fixtures", "claude-code-2.1.328");
export const ROOT = join(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "ccpulse");

/** A throwaway home: HOME, CLAUDE_CONFIG_DIR and XDG_CACHE_HOME all inside one temp dir. */
export interface TestHome {
  readonly root: string;
  readonly claude: string;
  readonly cache: string;
  readonly env: Env & Record<string, string>;
}

// bun test loads this module once for all test files, so an afterAll here would only run for the first
// file; test/setup.ts (preloaded, see bunfig.toml) calls releaseAll once after every file.
const homes: string[] = [];
const sleepers: Bun.Subprocess[] = [];

export async function releaseAll(): Promise<void> {
  for (const p of sleepers.splice(0)) {
    p.kill(9);
    await p.exited;
  }
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
}

export function makeHome(fixture?: string): TestHome {
  const root = mkdtempSync(join(tmpdir(), "ccpulse-test-"));
  homes.push(root);
  const claude = join(root, ".claude");
  const cache = join(root, "cache");
  mkdirSync(join(claude, "sessions"), { recursive: true });
  mkdirSync(join(claude, "projects"), { recursive: true });
  if (fixture) {
    cpSync(join(FIXTURES, fixture), claude, { recursive: true });
    makeWritable(claude);
  }
  return { root, claude, cache, env: { HOME: root, CLAUDE_CONFIG_DIR: claude, XDG_CACHE_HOME: cache, PATH: process.env.PATH ?? "/usr/bin:/bin" } };
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of new Bun.Glob("**").scanSync({ cwd: dir, onlyFiles: false })) {
    chmodSync(join(dir, entry), 0o755);
  }
}

/** Our pid namespace as Claude Code writes it, computed independently of src/. */
export function pidDomain(): string {
  let machineId = "";
  try {
    machineId = readFileSync("/etc/machine-id", "utf8").trim();
  } catch {}
  return `linux:${machineId}:${readlinkSync("/proc/self/ns/pid")}`;
}

export function procStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
}

/** A real process for a probe to point at; killed when the test file ends. */
export interface Sleeper {
  readonly pid: number;
  readonly procStart: string;
  kill(): Promise<void>;
}

export function spawnSleeper(): Sleeper {
  const proc = Bun.spawn(["sleep", "600"], { stdio: ["ignore", "ignore", "ignore"] });
  sleepers.push(proc);
  return {
    pid: proc.pid,
    procStart: procStart(proc.pid),
    async kill() {
      proc.kill(9);
      await proc.exited;
    },
  };
}

/** Writes `sessions/<pid>.json` the way Claude Code does: compact JSON, no trailing newline. */
export function writeProbe(home: TestHome, pid: number, probe: Record<string, unknown>, configDir = home.claude): string {
  const path = join(configDir, "sessions", `${pid}.json`);
  mkdirSync(join(configDir, "sessions"), { recursive: true });
  writeFileSync(path, JSON.stringify({ pid, ...probe }));
  return path;
}

/** A probe for a live sleeper in our namespace. */
export function liveProbe(sleeper: Sleeper, fields: Record<string, unknown>): Record<string, unknown> {
  return { procStart: sleeper.procStart, pidDomain: pidDomain(), startedAt: Date.now() - 60_000, ...fields };
}

/**
 * Turns a captured fixture's probes into live ones: each gets a real sleeping process, its file is renamed
 * to the new pid and pid/procStart/pidDomain are rewritten. Returns captured pid → live pid.
 */
export function reviveProbes(home: TestHome): Map<number, number> {
  const mapping = new Map<number, number>();
  const sessions = join(home.claude, "sessions");
  for (const name of new Bun.Glob("*.json").scanSync({ cwd: sessions })) {
    if (!/^\d+\.json$/.test(name)) continue;
    const old = join(sessions, name);
    const probe = JSON.parse(readFileSync(old, "utf8"));
    const sleeper = spawnSleeper();
    rmSync(old);
    writeProbe(home, sleeper.pid, { ...probe, pid: sleeper.pid, procStart: sleeper.procStart, pidDomain: pidDomain() });
    mapping.set(Number(name.slice(0, -5)), sleeper.pid);
  }
  return mapping;
}

/** Runs the compiled binary in a test home. */
export async function runBinary(home: TestHome, args: string[], extraEnv: Record<string, string> = {}) {
  const proc = Bun.spawn([BINARY, ...args], { env: { ...home.env, ...extraEnv }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}
