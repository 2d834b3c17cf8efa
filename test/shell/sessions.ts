/** A throwaway home for an interactive shell, and one live Claude Code session whose state a test sets. */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killTerminals } from "./terminal.ts";
import { BINARY, type Sleeper, type TestHome, liveProbe, makeHome, spawnSleeper, writeProbe } from "../helpers/home.ts";

export { BINARY };

export interface ShellHome {
  readonly home: TestHome;
  /** The shell's working directory: empty, so a name that ran `touch pwned` would leave a file here. */
  readonly work: string;
  readonly zdotdir: string;
  readonly config: string;
  /** Everything the shell gets: nothing from the caller but PATH. */
  readonly env: Record<string, string>;
  /** Sets the session's state; each call is a new status write, as Claude Code does. */
  asking(name: string): void;
  busy(): void;
  idle(): void;
  /** No session running: the probe is removed. */
  none(): void;
  /** Files a hostile name would have created in `work`. */
  leftovers(): string[];
}

const homes: string[] = [];
const sleepers: Sleeper[] = [];

/**
 * For each test file's afterAll: kills the terminals (so no shell runs), then the sleepers, and removes the
 * homes. Done here rather than left to test/helpers/home.ts, whose afterAll, registered when the module is
 * first evaluated, runs after the first test file of a `bun test` run only.
 */
export async function cleanup(): Promise<void> {
  killTerminals();
  await Promise.all(sleepers.splice(0).map((s) => s.kill()));
  for (const root of homes.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function shellHome(): ShellHome {
  const home = makeHome();
  homes.push(home.root);
  const work = join(home.root, "work");
  const zdotdir = join(home.root, "zdotdir");
  const config = join(home.root, "config");
  for (const dir of [work, zdotdir, config, join(home.root, "data")]) mkdirSync(dir, { recursive: true });
  // fish keeps its universal variables' notifier there, without it in /tmp/fish.<user>; it wants 0700.
  mkdirSync(join(home.root, "run"), { mode: 0o700 });
  const env = {
    HOME: home.root,
    ZDOTDIR: zdotdir,
    XDG_CONFIG_HOME: config,
    XDG_DATA_HOME: join(home.root, "data"),
    XDG_RUNTIME_DIR: join(home.root, "run"),
    XDG_CACHE_HOME: home.cache,
    CLAUDE_CONFIG_DIR: home.claude,
    PATH: process.env.PATH ?? "/usr/bin:/bin",
  };
  let sleeper: Sleeper | undefined;
  let probePath: string | undefined;
  const write = (fields: Record<string, unknown>) => {
    if (!sleeper) {
      sleeper = spawnSleeper();
      sleepers.push(sleeper);
    }
    probePath = writeProbe(home, sleeper.pid, liveProbe(sleeper, { sessionId: "0a1b2c3d-0000-4000-8000-000000000001", cwd: work, statusUpdatedAt: Date.now(), ...fields }));
  };
  return {
    home,
    work,
    zdotdir,
    config,
    env,
    asking: (name) => write({ name, status: "waiting", waitingFor: "permission prompt" }),
    busy: () => write({ name: "worker", status: "busy" }),
    idle: () => write({ name: "worker", status: "idle" }),
    none: () => {
      if (probePath && existsSync(probePath)) rmSync(probePath);
    },
    leftovers: () => readdirSync(work),
  };
}

/**
 * A stand-in for ccpulse on a slow disk, and a witness of how often the shell runs it: it logs each call,
 * sleeps 2 s while the file `slow` exists, then runs the real binary.
 */
export interface Wrapper {
  readonly path: string;
  calls(): number;
  slow(on: boolean): void;
}

export function wrapper(sh: ShellHome): Wrapper {
  const path = join(sh.home.root, "ccpulse-wrapper");
  const log = join(sh.home.root, "calls");
  const slow = join(sh.home.root, "slow");
  writeFileSync(path, `#!/bin/sh\necho >> ${quoted(log)}\n[ -e ${quoted(slow)} ] && sleep 2\nexec ${quoted(BINARY)} "$@"\n`);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").length : 0),
    slow: (on) => (on ? writeFileSync(slow, "") : rmSync(slow, { force: true })),
  };
}

/** Writes an rc file; `dir` is created when needed. */
export function writeRc(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A single-quoted word for sh, bash, zsh and fish (our paths hold no quote or backslash). */
export function quoted(path: string): string {
  if (/['\\]/.test(path)) throw new Error(`unexpected quote in ${path}`);
  return `'${path}'`;
}

/**
 * Names that would run, expand or recolour something if any layer evaluated them; each must show on screen
 * exactly as written. At most 20 characters: the prompt cuts longer names with …, which would break the
 * commands in them and prove nothing.
 */
export const HOSTILE_NAMES: readonly string[] = [
  "$(touch pwned1)",
  "`touch pwned2`",
  "${HOME}$((6*7))",
  "%n%~%F{red}%%\\u\\w",
  "\\$(touch pwned3)\\",
  "#{pane_id}#(id)!!",
];
