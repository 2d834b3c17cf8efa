/**
 * Real interactive shells in real terminals: each shell runs in a pane of a private tmux server
 * (`tmux -L ccpulse-shell-<random> -f /dev/null`), and tests read the screen and the cursor from tmux, the
 * way a person would see them. Each test file calls killTerminals() in its afterAll.
 */
import { rmSync } from "node:fs";

export const WIDTH = 72;
export const HEIGHT = 12;
/** Per test: a shell start and a few prompts take well under a second; this only bounds a hang. */
export const TIMEOUT = 20_000;
const WAIT_MS = 10_000;

/** Why this test file cannot run here, or undefined when it can. */
export function missing(...programs: string[]): string | undefined {
  const absent = ["tmux", ...programs].filter((p) => !Bun.which(p));
  return absent.length > 0 ? `${absent.join(", ")} not installed` : undefined;
}

/** The visible width tmux gives a line of our prompts; none of their characters is wide or zero-width. */
export const columns = (text: string): number => Array.from(text).length;

/**
 * The server of this test file, started by the first Terminal.open. bun runs every test file in one
 * process and evaluates this module once, so an afterAll registered here would run for the first file only.
 */
let server: { name: string; path: string } | undefined;

/** Kills the tmux server (and with it every shell it runs) and removes its socket. */
export function killTerminals(): void {
  if (!server) return;
  tmux(server.name, ["kill-server"], true);
  rmSync(server.path, { force: true });
  server = undefined;
}

function tmux(socket: string, args: string[], quiet = false): string {
  // The server takes its environment from the first client: only what a pane needs, never the caller's TMUX.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" };
  const run = Bun.spawnSync(["tmux", "-L", socket, "-f", "/dev/null", ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0 && !quiet) throw new Error(`tmux ${args.join(" ")}: ${run.stderr.toString().trim()}`);
  return run.stdout.toString();
}

let counter = 0;

export class Terminal {
  private constructor(
    private readonly socket: string,
    readonly target: string,
  ) {}

  /** Starts `argv` with exactly `env` (nothing inherited) in a new WIDTH × HEIGHT pane. */
  static open(argv: string[], env: Record<string, string>, cwd: string): Terminal {
    const socket = server?.name ?? `ccpulse-shell-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const name = `t${++counter}`;
    const vars = Object.entries({ TERM: "screen", LANG: "C.UTF-8", ...env }).map(([k, v]) => `${k}=${v}`);
    tmux(socket, ["new-session", "-d", "-s", name, "-x", String(WIDTH), "-y", String(HEIGHT), "-c", cwd, "--", "env", "-i", ...vars, ...argv]);
    server ??= { name: socket, path: tmux(socket, ["display-message", "-p", "#{socket_path}"]).trim() };
    return new Terminal(socket, `${name}:0.0`);
  }

  /** The screen as text lines, without trailing spaces. */
  screen(): string[] {
    return tmux(this.socket, ["capture-pane", "-p", "-t", this.target]).replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
  }

  cursor(): { x: number; y: number } {
    const [x, y] = tmux(this.socket, ["display-message", "-p", "-t", this.target, "#{cursor_x} #{cursor_y}"]).trim().split(" ").map(Number);
    return { x: x ?? -1, y: y ?? -1 };
  }

  /** The pid of the program the pane runs (env execs the shell, so the shell's). */
  pid(): number {
    return Number(tmux(this.socket, ["display-message", "-p", "-t", this.target, "#{pane_pid}"]).trim());
  }

  /** Types text literally. */
  type(text: string): void {
    tmux(this.socket, ["send-keys", "-t", this.target, "-l", text]);
  }

  /** Presses keys by tmux name: Enter, C-a, C-l… */
  press(...keys: string[]): void {
    tmux(this.socket, ["send-keys", "-t", this.target, ...keys]);
  }

  /**
   * Runs `clear`, so the next prompt is drawn alone on line 0. Enter is pressed once the shell has echoed
   * the word: until the new prompt comes, line 0 then reads `… clear`, which no expected prompt matches.
   */
  async clear(): Promise<void> {
    this.type("clear");
    await this.waitFor("clear to be echoed", (s) => s[this.cursor().y]?.includes("clear") === true);
    this.press("Enter");
  }

  /**
   * Polls the screen until `check` returns true; on timeout fails with the screen attached. 10 s: a
   * fresh-clone CI run in a slow phase of the VM waited 5 s for bash's first prompt to be drawn at all
   * (3 of 3 reruns of that file passed). Nothing here asserts a time.
   */
  async waitFor(what: string, check: (screen: string[]) => boolean, timeoutMs = WAIT_MS): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen.map((l) => `|${l}`).join("\n")}`);
      await Bun.sleep(20);
    }
  }

  /** Waits for a fresh prompt on line 0 (after clear) whose text, without input, is `line`. */
  async waitForPrompt(line: string, timeoutMs = WAIT_MS): Promise<void> {
    await this.waitFor(`the prompt ${JSON.stringify(line)}`, (s) => s[0] === line.trimEnd() && s.slice(1).every((l) => l === "") && this.cursor().y === 0, timeoutMs);
  }

  /**
   * Proves the shell measures `prompt` (the visible text left of the cursor) as the terminal draws it. Just
   * after a prompt is printed the cursor sits where the terminal put it, whatever the shell believes; the
   * shell's own count shows when it must move the cursor itself: a line that wraps, then Ctrl-A and an
   * insert, which makes it redraw the rest of the line from where it thinks the input starts. A prompt with
   * a colour code counted as visible (a missing \001 \002 or %{ %}) leaves the cursor and the text
   * displaced. The line is then erased and the screen cleared.
   */
  async checkWidth(prompt: string): Promise<void> {
    const command = `echo ${"x".repeat(WIDTH)}`;
    this.type(command);
    this.press("C-a");
    this.type("ZZ");
    const full = `${prompt}ZZ${command}`;
    const chars = Array.from(full);
    const rows: string[] = [];
    for (let i = 0; i < chars.length; i += WIDTH) rows.push(chars.slice(i, i + WIDTH).join(""));
    const at = { x: columns(prompt) + 2, y: 0 };
    try {
      await this.waitFor(`the wrapped line redrawn after ${JSON.stringify(prompt)}`, (s) => rows.every((row, i) => s[i] === row.trimEnd()) && this.cursor().x === at.x && this.cursor().y === at.y);
    } finally {
      this.press("C-e", "C-u");
      await this.clear();
    }
  }

  close(): void {
    tmux(this.socket, ["kill-session", "-t", this.target.split(":")[0] as string], true);
  }
}
