import { describe, expect, test } from "bun:test";
import { isOurs, statuslineCommand, withStatusline, withoutStatusline } from "../src/settings.ts";

const BIN = "/opt/cc pulse/ccpulse";
const OURS = `'/opt/cc pulse/ccpulse' statusline`;

describe("withStatusline / withoutStatusline", () => {
  test("no status line yet: ours, and undo removes it again", () => {
    const settings = { model: "opus", permissions: { allow: ["Bash"] } };
    const set = withStatusline(settings, BIN);
    expect(set).toEqual({ ...settings, statusLine: { type: "command", command: OURS } });
    expect(withoutStatusline(set)).toEqual(settings);
  });

  test("an existing status line is chained behind ours, with its other keys, and restored by undo", () => {
    const theirs = { type: "command", command: `printf '%s' "$(git branch --show-current)"`, padding: 2, refreshInterval: 5 };
    const set = withStatusline({ statusLine: theirs }, BIN);
    expect(set.statusLine).toEqual({ ...theirs, command: `${OURS} --chain='printf '\\''%s'\\'' "$(git branch --show-current)"'` });
    expect(withoutStatusline(set)).toEqual({ statusLine: theirs });
  });

  test("idempotent: setting up twice changes nothing, undoing twice too", () => {
    const set = withStatusline({ statusLine: { type: "command", command: "mine" } }, BIN);
    expect(withStatusline(set, BIN)).toBe(set);
    const undone = withoutStatusline(set);
    expect(withoutStatusline(undone)).toBe(undone);
  });

  test.each([
    [{}, false],
    [{ statusLine: { command: OURS } }, true],
    [{ statusLine: { command: `${OURS} --chain='x'` } }, true],
    [{ statusLine: { command: "my-ccpulse-statusline-fork" } }, false],
    [{ statusLine: "weird" }, false],
  ])("isOurs(%j) = %p", (settings, want) => {
    expect(isOurs(settings)).toBe(want);
  });

  test("statuslineCommand quotes the binary for sh", () => {
    expect(statuslineCommand("/a/it's/ccpulse")).toBe(`'/a/it'\\''s/ccpulse' statusline`);
  });
});
