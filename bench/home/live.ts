/**
 * Live sessions need real processes: ccpulse checks /proc/<pid>/stat and the probe's procStart, so a
 * probe for a made-up pid would read as dead. Each live session gets a detached `sleep`.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or undefined when the pid is gone or a zombie. */
export function procStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === "Z" || fields[0] === "X" ? undefined : fields[19];
}

/** `linux:<machine-id>:pid:[<ns inode>]`, as Claude Code writes pidDomain. */
export function pidDomain(): string {
  let machineId = "";
  try {
    machineId = readFileSync("/etc/machine-id", "utf8").trim();
  } catch {
    // Claude Code writes an empty id too when the file is missing.
  }
  return `linux:${machineId}:${readlinkSync("/proc/self/ns/pid")}`;
}

export interface Sleeper {
  readonly pid: number;
  readonly procStart: string;
}

/**
 * A process that outlives this script (detached, its own session, no stdio) so the benchmark can time
 * many ccpulse calls against it; `--kill` ends it.
 */
export function spawnSleeper(): Sleeper {
  const child = spawn("sleep", ["100000"], { detached: true, stdio: "ignore" });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start sleep");
  // /proc/<pid>/stat can lag the fork by a moment; the start time never changes once it is there.
  for (let i = 0; i < 200; i++) {
    const start = procStart(pid);
    if (start !== undefined) return { pid, procStart: start };
    Bun.sleepSync(1);
  }
  throw new Error(`sleep ${pid} has no /proc entry`);
}

/** SIGKILL, but only if the pid still is the process we started (same start time): pids get reused. */
export function killSleeper(s: Sleeper): boolean {
  if (procStart(s.pid) !== s.procStart) return false;
  try {
    process.kill(s.pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** A pid with no process now, for a stale probe (what kill -9 leaves behind). */
export function unusedPid(from: number): number {
  for (let pid = from; pid > 300; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error("no free pid found");
}
