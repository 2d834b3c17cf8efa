/** `eval "$(ccpulse init zsh)"` in a real interactive zsh, in a real terminal (a tmux pane). */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, HOSTILE_NAMES, type ShellHome, cleanup, quoted, shellHome, wrapper, writeRc } from "./sessions.ts";
import { TIMEOUT, Terminal, WIDTH, columns, missing } from "./terminal.ts";

const skip = missing("zsh");
if (skip) console.warn(`test/shell/zsh.test.ts skipped: ${skip}`);

const INIT = `eval "$(${quoted(BINARY)} init zsh)"`;

/** A prompt line with `right` in RPROMPT: zsh ends it one column before the edge (ZLE_RPROMPT_INDENT=1). */
function withRight(left: string, right: string): string {
  return left + " ".repeat(WIDTH - 1 - columns(left) - columns(right)) + right;
}

function zsh(sh: ShellHome, rc: string): Terminal {
  writeRc(sh.zdotdir, ".zshrc", rc);
  return Terminal.open(["zsh", "-i"], sh.env, sh.work);
}

afterAll(cleanup);

describe.skipIf(skip !== undefined)("zsh", () => {
  test("the indicator is right-aligned in RPROMPT, with the width zsh measures for it", async () => {
    const sh = shellHome();
    sh.asking("api-server");
    const t = zsh(sh, `PROMPT='zsh> '\n${INIT}\n`);
    // Right-aligned at the edge only if zsh counted %B%F{red}…%f%b as zero columns.
    await t.waitForPrompt(withRight("zsh> ", "⚠ api-server"));
    expect(t.cursor()).toEqual({ x: 5, y: 0 });
    await t.checkWidth("zsh> ");
  }, TIMEOUT);

  test("in PROMPT itself (CCPULSE_NO_RPROMPT): the cursor and a redrawn wrapped line land where they should", async () => {
    const sh = shellHome();
    sh.asking("api-server");
    const t = zsh(sh, `CCPULSE_NO_RPROMPT=1\n${INIT}\nPROMPT='\${ccpulse_prompt:+\$ccpulse_prompt }zsh> '\n`);
    await t.waitForPrompt("⚠ api-server zsh> ");
    expect(t.cursor()).toEqual({ x: columns("⚠ api-server zsh> "), y: 0 });
    await t.checkWidth("⚠ api-server zsh> ");
    sh.busy();
    await t.clear();
    await t.waitForPrompt("●1 zsh> ");
    await t.checkWidth("●1 zsh> ");
  }, TIMEOUT);

  test("hostile names show literally and never run, with prompt_bang on", async () => {
    const sh = shellHome();
    sh.asking("start");
    const t = zsh(sh, `PROMPT='zsh> '\nsetopt prompt_bang\n${INIT}\n`);
    await t.waitForPrompt(withRight("zsh> ", "⚠ start"));
    for (const name of HOSTILE_NAMES) {
      sh.asking(name);
      await t.clear();
      await t.waitForPrompt(withRight("zsh> ", `⚠ ${name}`));
    }
    expect(sh.leftovers()).toEqual([]);
  }, TIMEOUT);

  test("the indicator follows state changes at each new prompt, and is gone with no session", async () => {
    const sh = shellHome();
    const t = zsh(sh, `PROMPT='zsh> '\n${INIT}\n`);
    await t.waitForPrompt("zsh> ");
    sh.asking("s1");
    await t.clear();
    await t.waitForPrompt(withRight("zsh> ", "⚠ s1"));
    sh.busy();
    await t.clear();
    await t.waitForPrompt(withRight("zsh> ", "●1"));
    sh.idle();
    await t.clear();
    await t.waitForPrompt(withRight("zsh> ", "○1"));
    sh.none();
    await t.clear();
    await t.waitForPrompt("zsh> ");
  }, TIMEOUT);

  test("an existing PROMPT, RPROMPT, precmd and $? keep working; a second eval changes nothing", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = zsh(
      sh,
      [
        "precmd() { psvar=(mine) }", // the user's own precmd still runs
        "PROMPT='%1v %? zsh> '", // and %? still shows the command's status, not our hook's
        "RPROMPT='[R]'",
        INIT,
        INIT,
        "",
      ].join("\n"),
    );
    await t.waitForPrompt(withRight("mine 0 zsh> ", "⚠ api [R]"));
    t.type("clear; false");
    t.press("Enter");
    await t.waitForPrompt(withRight("mine 1 zsh> ", "⚠ api [R]"));
    sh.none();
    await t.clear();
    await t.waitForPrompt(withRight("mine 0 zsh> ", "[R]"));
  }, TIMEOUT);

  test("an RPROMPT set and prompt_subst turned off after the eval line (a theme loaded later): the indicator still shows", async () => {
    const sh = shellHome();
    sh.asking("api");
    // zsh's own theme system (promptinit) also turns prompt_subst off for themes that do not ask for it.
    const t = zsh(sh, `PROMPT='zsh> '\n${INIT}\nRPROMPT='[late]'\nunsetopt prompt_subst\n`);
    await t.waitForPrompt(withRight("zsh> ", "⚠ api [late]"));
  }, TIMEOUT);

  test("a redraw (Ctrl-L) shows the stored indicator without running ccpulse again", async () => {
    const sh = shellHome();
    sh.asking("api");
    const bin = wrapper(sh);
    // RPROMPT counts its own expansions, so the redraws are seen to happen.
    const t = zsh(sh, `PROMPT='zsh> '\nRPROMPT='\${ccpulse_prompt} r$((++r))'\nCCPULSE_BIN=${quoted(bin.path)}\n${INIT}\n`);
    const counter = (s: string[]) => Number(/⚠ api r(\d+)$/.exec(s[0] ?? "")?.[1] ?? Number.NaN);
    let r = counter(await t.waitFor("the first prompt", (s) => counter(s) > 0));
    const calls = bin.calls();
    for (let i = 0; i < 3; i++) {
      t.press("C-l");
      r = counter(await t.waitFor(`redraw ${i + 1}`, (s) => counter(s) > r));
    }
    expect(bin.calls()).toBe(calls);
    await t.clear();
    await t.waitFor("a new prompt", (s) => counter(s) > r && s[1] === "");
    expect(bin.calls()).toBe(calls + 1);
  }, TIMEOUT);

  test("a missing binary shows nothing and prints no error, in both modes", async () => {
    for (const mode of ["", "export CCPULSE_ASYNC=1\n"]) {
      const sh = shellHome();
      sh.asking("api");
      const t = zsh(sh, `PROMPT='zsh> '\n${mode}CCPULSE_BIN=${quoted(join(sh.home.root, "gone"))}\n${INIT}\n`);
      await t.waitForPrompt("zsh> ");
      await t.clear();
      await t.waitForPrompt("zsh> ");
      await Bun.sleep(100); // an async error would come after the prompt
      expect(t.screen().filter(Boolean)).toEqual(["zsh>"]);
    }
  }, TIMEOUT);

  test("a binary removed while the shell runs: its last indicator goes, in both modes", async () => {
    for (const mode of ["", "export CCPULSE_ASYNC=1\n"]) {
      const sh = shellHome();
      const bin = wrapper(sh);
      sh.asking("api");
      const t = zsh(sh, `PROMPT='zsh> '\n${mode}CCPULSE_BIN=${quoted(bin.path)}\n${INIT}\n`);
      await t.waitForPrompt(withRight("zsh> ", "⚠ api"));
      rmSync(bin.path);
      await t.clear();
      await t.waitForPrompt("zsh> ");
    }
  }, TIMEOUT);

  test("async mode: a prompt whose drawing the background ccpulse's exit interrupted is drawn again", async () => {
    // zsh's signal handlers do not restart system calls, and zsh drops what a write interrupted by one held:
    // a SIGCHLD landing while zle writes the prompt leaves no prompt on screen. To make that happen every
    // time, a precmd hook run after ccpulse's suspends the terminal's output (tcflow TCOOFF), so zle's write
    // of the prompt is still blocked when the background ccpulse exits; the test then resumes it (TCOON).
    const sh = shellHome();
    const bin = wrapper(sh);
    const hold = join(sh.home.root, "hold");
    sh.asking("api");
    const stop = `python3 -c 'import termios; termios.tcflow(0, termios.TCOOFF)'`;
    const t = zsh(sh, `PROMPT='zsh> '\nexport CCPULSE_ASYNC=1\nCCPULSE_BIN=${quoted(bin.path)}\n${INIT}\n_hold() { [[ -e ${quoted(hold)} ]] && ${stop} }\nprecmd_functions+=(_hold)\n`);
    await t.waitForPrompt(withRight("zsh> ", "⚠ api"));
    const pid = t.pid();
    bin.slow(true);
    writeFileSync(hold, "");
    const calls = bin.calls();
    t.press("Enter");
    await t.waitFor("ccpulse to start", () => bin.calls() > calls);
    // zsh reaps it only once its blocked write returns: until then it is a zombie.
    await t.waitFor("ccpulse to exit", () => children(pid).some(isZombie), 5000);
    tcflow(`/proc/${pid}/fd/0`, "TCOON");
    // The same answer as before, so nothing else draws the prompt again.
    await t.waitFor("the second prompt", (s) => s[0] === withRight("zsh> ", "⚠ api") && s[1] === withRight("zsh> ", "⚠ api"));
  }, TIMEOUT);

  test("async mode (CCPULSE_ASYNC=1): the old indicator stays while ccpulse runs, then the prompt redraws", async () => {
    const sh = shellHome();
    const bin = wrapper(sh);
    sh.asking("first");
    const t = zsh(sh, `PROMPT='zsh> '\nexport CCPULSE_ASYNC=1\nCCPULSE_BIN=${quoted(bin.path)}\n${INIT}\n`);
    await t.waitForPrompt(withRight("zsh> ", "⚠ first"));
    const pid = t.pid();
    const fds = () => readdirSync(`/proc/${pid}/fd`).length;
    const baseline = fds();

    bin.slow(true);
    sh.asking("second");
    await t.clear();
    const started = Date.now();
    await t.waitForPrompt(withRight("zsh> ", "⚠ first"));
    // The prompt is back before ccpulse has answered (it takes 2 s now), and takes input meanwhile.
    expect(Date.now() - started).toBeLessThan(1500);
    t.type("echo typed");
    await t.waitFor("the typed text", (s) => s[0]?.startsWith("zsh> echo typed") === true);
    // Then ccpulse answers: the prompt is redrawn in place, the typed text kept, no key pressed.
    await t.waitFor("the new indicator", (s) => s[0] === withRight("zsh> echo typed", "⚠ second"), 5000);
    t.press("C-u");

    // Holding Enter on a slow disk: at most one ccpulse at a time, and the last state wins.
    sh.asking("third");
    const calls = bin.calls();
    let most = 0;
    for (let i = 0; i < 6; i++) {
      t.press("Enter");
      await Bun.sleep(60);
      most = Math.max(most, children(pid).length);
    }
    bin.slow(false);
    await t.clear();
    await t.waitForPrompt(withRight("zsh> ", "⚠ third"), 8000);
    expect(most).toBe(1); // one ran (so the sampling sees it), never two
    expect(bin.calls() - calls).toBeLessThanOrEqual(3); // not one per Enter

    // Nothing left behind: no child (running or zombie), no open pipe. The pipe is closed by the zle -F
    // handler, which zle runs when it next looks at its fds: on a loaded machine that can come just after
    // the child is reaped (seen once in a fresh-clone run: 6 fds against 5), so it is waited for too.
    await t.waitFor("the background ccpulse to be reaped", () => children(pid).length === 0);
    await t.waitFor("its pipe to be closed", () => fds() === baseline);
    expect(fds()).toBe(baseline);
  }, TIMEOUT);

  test("async mode: the prompt is redrawn only once the background ccpulse has exited, so its SIGCHLD cannot cut the redraw short", async () => {
    // zsh drops a write that a signal interrupts; the child's SIGCHLD comes just after its output closes,
    // which is when its answer is read. This one closes its output 0.15 s before it exits, and marks its
    // exit in a file: the new indicator must not be on screen before the mark is.
    const sh = shellHome();
    const exited = join(sh.home.root, "exited");
    const bin = join(sh.home.root, "lingering-ccpulse");
    writeFileSync(bin, `#!/bin/sh\nrm -f ${quoted(exited)}\nout=$(${quoted(BINARY)} "$@")\nprintf '%s\\n' "$out"\nexec >&-\nsleep 0.15\n: > ${quoted(exited)}\n`, { mode: 0o755 });
    sh.asking("first");
    const t = zsh(sh, `PROMPT='zsh> '\nexport CCPULSE_ASYNC=1\nCCPULSE_BIN=${quoted(bin)}\n${INIT}\n`);
    await t.waitForPrompt(withRight("zsh> ", "⚠ first"));
    expect(existsSync(exited)).toBe(true);
    for (const name of ["second", "third"]) {
      sh.asking(name);
      await t.clear();
      await t.waitForPrompt(withRight("zsh> ", `⚠ ${name}`));
      expect(existsSync(exited)).toBe(true);
    }
  }, TIMEOUT);
});

/** Suspends (TCOOFF) or resumes (TCOON) a terminal's output. Ctrl-Q does not resume what TCOOFF stopped. */
function tcflow(tty: string, action: "TCOOFF" | "TCOON"): void {
  const run = Bun.spawnSync(["python3", "-c", `import os, sys, termios; termios.tcflow(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY), termios.${action})`, tty]);
  if (run.exitCode !== 0) throw new Error(`tcflow ${action}: ${run.stderr.toString()}`);
}

/** Whether a process has exited but is not reaped yet; false once it is gone. */
function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Direct children of a process, zombies included. */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${task}/children`;
    if (!existsSync(path)) continue;
    out.push(...readFileSync(path, "utf8").split(" ").filter(Boolean).map(Number));
  }
  return out;
}
