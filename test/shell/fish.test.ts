/** `ccpulse init fish | source` in a real interactive fish, in a real terminal (a tmux pane). */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, HOSTILE_NAMES, type ShellHome, cleanup, quoted, shellHome, wrapper, writeRc } from "./sessions.ts";
import { TIMEOUT, Terminal, WIDTH, columns, missing } from "./terminal.ts";

const skip = missing("fish");
if (skip) console.warn(`test/shell/fish.test.ts skipped: ${skip}`);

const INIT = `${quoted(BINARY)} init fish | source`;
const PROMPT = "function fish_prompt; printf 'fish> '; end";

/** A prompt line with `right` from fish_right_prompt, which fish ends at the last column. */
function withRight(left: string, right: string): string {
  return left + " ".repeat(WIDTH - columns(left) - columns(right)) + right;
}

/** config.fish in $XDG_CONFIG_HOME/fish, without the greeting. */
function fish(sh: ShellHome, config: string): Terminal {
  writeRc(join(sh.config, "fish"), "config.fish", `set -g fish_greeting\n${config}`);
  return Terminal.open(["fish", "-i"], sh.env, sh.work);
}

afterAll(cleanup);

describe.skipIf(skip !== undefined)("fish", () => {
  test("the indicator is right-aligned in fish_right_prompt, with the width fish measures for it", async () => {
    const sh = shellHome();
    sh.asking("api-server");
    const t = fish(sh, `${PROMPT}\n${INIT}\n`);
    await t.waitForPrompt(withRight("fish> ", "⚠ api-server"));
    expect(t.cursor()).toEqual({ x: 6, y: 0 });
    await t.checkWidth("fish> ");
  }, TIMEOUT);

  test("CCPULSE_NO_RIGHT_PROMPT: ccpulse_prompt in your own fish_prompt, measured right", async () => {
    const sh = shellHome();
    sh.asking("api-server");
    const t = fish(sh, `set -g CCPULSE_NO_RIGHT_PROMPT 1\n${INIT}\nfunction fish_prompt; ccpulse_prompt; printf ' fish> '; end\n`);
    await t.waitForPrompt("⚠ api-server fish> ");
    expect(t.cursor()).toEqual({ x: columns("⚠ api-server fish> "), y: 0 });
    await t.checkWidth("⚠ api-server fish> ");
  }, TIMEOUT);

  test("hostile names show literally and never run", async () => {
    const sh = shellHome();
    sh.asking("start");
    const t = fish(sh, `${PROMPT}\n${INIT}\n`);
    await t.waitForPrompt(withRight("fish> ", "⚠ start"));
    for (const name of HOSTILE_NAMES) {
      sh.asking(name);
      await t.clear();
      await t.waitForPrompt(withRight("fish> ", `⚠ ${name}`));
    }
    expect(sh.leftovers()).toEqual([]);
  }, TIMEOUT);

  test("the indicator follows state changes at each new prompt, and is gone with no session", async () => {
    const sh = shellHome();
    const t = fish(sh, `${PROMPT}\n${INIT}\n`);
    await t.waitForPrompt("fish> ");
    sh.asking("s1");
    await t.clear();
    await t.waitForPrompt(withRight("fish> ", "⚠ s1"));
    sh.busy();
    await t.clear();
    await t.waitForPrompt(withRight("fish> ", "●1"));
    sh.none();
    await t.clear();
    await t.waitForPrompt("fish> ");
  }, TIMEOUT);

  test("an existing fish_prompt and fish_right_prompt keep working, with $status and $pipestatus; a second source changes nothing", async () => {
    const sh = shellHome();
    sh.asking("api");
    const config = [
      "function fish_prompt; printf '%s fish> ' $status; end",
      "function fish_right_prompt; printf '[%s]' \"$pipestatus\"; end",
      INIT,
      INIT,
      "",
    ].join("\n");
    const t = fish(sh, config);
    await t.waitForPrompt(withRight("0 fish> ", "⚠ api [0]"));
    t.type("clear; false | true");
    t.press("Enter");
    await t.waitForPrompt(withRight("0 fish> ", "⚠ api [1 0]"));
    t.type("clear; false");
    t.press("Enter");
    await t.waitForPrompt(withRight("1 fish> ", "⚠ api [1]"));
    sh.none();
    await t.clear();
    await t.waitForPrompt(withRight("0 fish> ", "[0]"));
  }, TIMEOUT);

  test("ccpulse runs once per prompt, not again on each repaint, even sourced twice", async () => {
    const sh = shellHome();
    sh.asking("api");
    const bin = wrapper(sh);
    // The right prompt counts its own runs, so the repaints are seen to happen.
    const t = fish(sh, `set -g CCPULSE_BIN ${quoted(bin.path)}\n${PROMPT}\nfunction fish_right_prompt; set -g r (math $r + 1); printf 'r%s' $r; end\n${INIT}\n${INIT}\n`);
    await t.waitForPrompt(withRight("fish> ", "⚠ api r1"));
    const calls = bin.calls();
    for (const n of [2, 3, 4]) {
      t.press("C-l");
      await t.waitFor(`repaint ${n}`, (s) => s[0] === withRight("fish> ", `⚠ api r${n}`));
    }
    expect(bin.calls()).toBe(calls);
    await t.clear();
    await t.waitForPrompt(withRight("fish> ", "⚠ api r5"));
    expect(bin.calls()).toBe(calls + 1);
  }, TIMEOUT);

  test("a missing binary shows nothing and prints no error", async () => {
    const sh = shellHome();
    sh.asking("api");
    const t = fish(sh, `set -g CCPULSE_BIN ${quoted(join(sh.home.root, "gone"))}\n${PROMPT}\n${INIT}\n`);
    await t.waitForPrompt("fish> ");
    await t.clear();
    await t.waitForPrompt("fish> ");
  }, TIMEOUT);

  test("a binary removed while the shell runs: its last indicator goes", async () => {
    const sh = shellHome();
    const bin = wrapper(sh);
    sh.asking("api");
    const t = fish(sh, `set -g CCPULSE_BIN ${quoted(bin.path)}\n${PROMPT}\n${INIT}\n`);
    await t.waitForPrompt(withRight("fish> ", "⚠ api"));
    rmSync(bin.path);
    await t.clear();
    await t.waitForPrompt("fish> ");
  }, TIMEOUT);
});
