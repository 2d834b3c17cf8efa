/** Real tmux servers on private sockets for tests; every one started here is killed when the tests end. */
import { readFileSync, rmSync } from "node:fs";

// Killed by test/setup.ts after all files: bun test loads this module once however many files import it.
const servers: string[] = [];
export function killServers(): void {
  const dir = `${process.env.TMUX_TMPDIR || "/tmp"}/tmux-${process.getuid?.() ?? 0}`;
  for (const name of servers.splice(0)) {
    Bun.spawnSync(["tmux", "-L", name, "kill-server"], { stdout: "ignore", stderr: "ignore" });
    // A server that exits on kill-server can leave its socket file behind.
    rmSync(`${dir}/${name}`, { force: true });
  }
}

export const hasTmux = Bun.spawnSync(["sh", "-c", "command -v tmux"]).exitCode === 0;

export class TmuxServer {
  readonly name = `ccpulse-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(readonly env: Record<string, string>, readonly cwd: string) {
    servers.push(this.name);
  }

  /** Starts the server with `conf`, one session `main` whose first pane runs `command`. */
  start(conf: string, command = "sleep 900"): void {
    this.run("-f", conf, "new-session", "-d", "-s", "main", "-x", "200", "-y", "20", command);
  }

  run(...args: string[]): string {
    const r = Bun.spawnSync(["tmux", "-L", this.name, ...args], { env: this.env, cwd: this.cwd, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  }

  option(name: string): string {
    return this.run("show-option", "-gqv", name).replace(/\n$/, "");
  }

  /** A new window running `command`; returns its pane id, pane pid and window id. */
  newWindow(command: string): { pane: string; pid: number; window: string } {
    const out = this.run("new-window", "-d", "-P", "-F", "#{pane_id} #{pane_pid} #{window_id}", "-t", "main:", command).trim();
    const [pane, pid, window] = out.split(" ");
    return { pane: pane as string, pid: Number(pid), window: window as string };
  }

  /** What each client shows: its current pane. */
  clientPanes(): string[] {
    return this.run("list-clients", "-F", "#{pane_id}").trim().split("\n").filter(Boolean);
  }
}

/**
 * A real client attached to `inner`, inside a pane of an outer server: capture-pane of the outer pane is
 * the screen a user sees, status line included, and keys sent to it reach the inner client's bindings.
 */
export class AttachedClient {
  readonly outer: TmuxServer;
  constructor(readonly inner: TmuxServer) {
    this.outer = new TmuxServer(inner.env, inner.cwd);
    this.outer.run("-f", "/dev/null", "new-session", "-d", "-s", "outer", "-x", "200", "-y", "20", `env -u TMUX tmux -L ${inner.name} attach -t main`);
  }

  screen(): string[] {
    return this.outer.run("capture-pane", "-p", "-t", "outer").split("\n");
  }

  statusLine(): string {
    return this.screen().filter((l) => l.trim() !== "").at(-1) ?? "";
  }

  keys(...keys: string[]): void {
    this.outer.run("send-keys", "-t", "outer", ...keys);
  }
}

export async function waitFor<T>(probe: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  let last: T | undefined | false;
  while (Date.now() < until) {
    last = probe();
    if (last) return last;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const startTime = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
};
