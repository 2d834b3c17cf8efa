/** `eval "$(ccpulse init bash)"` in a real interactive bash, in a real terminal (a tmux pane). */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, HOSTILE_NAMES, type ShellHome, cleanup, quoted, shellHome, wrapper, writeRc } from "./sessions.ts";
import { TIMEOUT, Terminal, columns, missing } from "./terminal.ts";

const skip = missing("bash");
if (skip) console.warn(`test/shell/bash.test.ts skipped: ${skip}`);

const INIT = `eval "$(${quoted(BINARY)} init bash)"`;

/** bash -i reads /etc/bash.bashrc, then ~/.bashrc: the rc under test. */
function bash(sh: ShellHome, rc: string): Terminal {
  writeRc(sh.home.root, ".bashrc", rc);
  return Terminal.open(["bash", "-i"], sh.env, sh.work);
}

afterAll(cleanup);

describe.skipIf(skip !== undefined)("bash", () => {
  test("the indicator leads PS1, and readline measures it as the terminal draws it", async () => {
    const sh = shellHome();
    sh.asking("api-server");
    const t = bash(sh, `PS1='bash> '\n${INIT}\n`);
    await t.waitForPrompt("⚠ api-server bash> ");
    // Readline would count the colour codes as columns without the \001 \002 around them.
    expect(t.cursor()).toEqual({ x: columns("⚠ api-server bash> "), y: 0 });
    await t.checkWidth("⚠ api-server bash> ");
    sh.idle();
    await t.clear();
    await t.waitForPrompt("○1 bash> ");
    await t.checkWidth("○1 bash> ");
  }, TIMEOUT);

  test("hostile names show literally and never run", async () => {
    const sh = shellHome();
    sh.asking("start");
    const t = bash(sh, `PS1='bash> '\n${INIT}\n`);
    await t.waitForPrompt("⚠ start bash> ");
    for (const name of HOSTILE_NAMES) {
      sh.asking(name);
      await t.clear();
      await t.waitForPrompt(`⚠ ${name} bash> `);
    }
    expect(sh.leftovers()).toEqual([]);
  }, TIMEOUT);

  test("the indicator follows state changes at each new prompt, and is gone with no session", async () => {
    const sh = shellHome();
    const t = bash(sh, `PS1='bash> '\n${INIT}\n`);
    await t.waitForPrompt("bash> ");
    sh.asking("s1");
    await t.clear();
    await t.waitForPrompt("⚠ s1 bash> ");
    sh.busy();
    await t.clear();
    await t.waitForPrompt("●1 bash> ");
    sh.none();
    await t.clear();
    await t.waitForPrompt("bash> ");
  }, TIMEOUT);

  test("a PROMPT_COMMAND string keeps working: it runs, still sees PIPESTATUS, PS1 still sees $?; a second eval changes nothing", async () => {
    const sh = shellHome();
    sh.asking("api");
    // Ends with ";", as many do: "; __ccpulse_update" appended to it would not parse.
    const t = bash(sh, `PROMPT_COMMAND='pipes="\${PIPESTATUS[*]}";'\nPS1='[$pipes] $? bash> '\n${INIT}\n${INIT}\n`);
    await t.waitForPrompt("⚠ api [0] 0 bash> ");
    t.type("clear; false | true");
    t.press("Enter");
    await t.waitForPrompt("⚠ api [1 0] 0 bash> ");
    t.type("clear; false");
    t.press("Enter");
    await t.waitForPrompt("⚠ api [1] 1 bash> ");
  }, TIMEOUT);

  test("a PROMPT_COMMAND added after the eval line (so running after ours) still sees $? of the command", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = bash(sh, `${INIT}\nPROMPT_COMMAND+=$'\\n''last=$?'\nPS1='[$last] bash> '\n`);
    await t.waitForPrompt("⚠ api [0] bash> ");
    t.type("clear; false");
    t.press("Enter");
    await t.waitForPrompt("⚠ api [1] bash> ");
  }, TIMEOUT);

  test("a PROMPT_COMMAND array (bash 5.1+) whose last element rebuilds PS1 every time still shows the indicator", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = bash(sh, `PROMPT_COMMAND=('n=$((n+1))' 'PS1="#$n bash> "')\n${INIT}\n`);
    await t.waitForPrompt("⚠ api #1 bash> ");
    sh.busy();
    await t.clear();
    await t.waitForPrompt("●1 #2 bash> ");
    await t.checkWidth("●1 #2 bash> ");
  }, TIMEOUT);

  test("CCPULSE_NO_PS1 leaves PS1 alone; ${ccpulse_prompt} in your own PS1 shows the indicator", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = bash(sh, `CCPULSE_NO_PS1=1\n${INIT}\nPS1='bash [\${ccpulse_prompt}]> '\n`);
    await t.waitForPrompt("bash [⚠ api]> ");
    await t.checkWidth("bash [⚠ api]> ");
  }, TIMEOUT);

  test("a missing binary shows nothing and prints no error", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = bash(sh, `PS1='bash> '\nCCPULSE_BIN=${quoted(join(sh.home.root, "gone"))}\n${INIT}\n`);
    await t.waitForPrompt("bash> ");
    await t.clear();
    await t.waitForPrompt("bash> ");
  }, TIMEOUT);

  test("a binary removed while the shell runs: its last indicator goes, and set -e does not end the shell", async () => {
    const sh = shellHome();
    const bin = wrapper(sh);
    sh.asking("api");
    const t = bash(sh, `PS1='bash> '\nCCPULSE_BIN=${quoted(bin.path)}\n${INIT}\nset -e\n`);
    await t.waitForPrompt("⚠ api bash> ");
    rmSync(bin.path);
    await t.clear();
    await t.waitForPrompt("bash> ");
  }, TIMEOUT);
});
