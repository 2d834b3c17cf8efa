import { describe, expect, test } from "bun:test";
import { type Pane, jumpChoice, jumpTargets } from "../../src/derive/jumpTargets.ts";
import { tmuxLocation } from "../../src/derive/tmuxLocation.ts";
import { session } from "../render/snapshots.ts";

describe("tmuxLocation (Claude Code's own validator)", () => {
  test.each([
    ["work:@3.%12", { session: "work", window: "@3", pane: "%12" }],
    ["my.session-1_x:3.12", { session: "my.session-1_x", window: "@3", pane: "%12" }],
    ["bad name:@3.%12", undefined],
    ["#{session_name}:@3.%12", undefined],
    ["work:@3", undefined],
    [undefined, undefined],
  ])("%p", (field, want) => {
    expect(tmuxLocation(field)).toEqual(want as never);
  });
});

describe("jumpTargets", () => {
  const panes = new Map<string, Pane>([
    ["%1", { id: "%1", pid: 100, session: "work", window: "@1" }],
    ["%2", { id: "%2", pid: 200, session: "work", window: "@2" }],
  ]);
  const a = session({ pid: 150, tmux: "work:@1.%1", state: "asking" });
  const b = session({ pid: 250, tmux: "work:@2.%2", state: "busy" });
  const c = session({ pid: 350, tmux: "work:@2.%2", state: "idle" });
  const d = session({ pid: 450, state: "idle" });
  const e = session({ pid: 550, tmux: "other:@9.%9", state: "idle" });
  const ancestry = new Map([
    [150, [150, 120, 100, 1]],
    [250, [250, 200]],
    [350, [350, 300]],
    [450, [450]],
    [550, [550]],
  ]);
  const targets = jumpTargets([a, b, c, d, e], panes, ancestry);

  test("a pane counts only when it holds the session's process or an ancestor", () => {
    expect(targets.map((t) => ("pane" in t.reach ? t.reach.pane.id : t.reach.why))).toEqual(["%1", "%2", "other tmux server", "not in tmux", "other tmux server"]);
  });
  test("jump: the first reachable one; from there, the next", () => {
    expect(jumpChoice(targets)?.id).toBe("%1");
    expect(jumpChoice(targets, "%1")?.id).toBe("%2");
    expect(jumpChoice(targets, "%2")?.id).toBe("%1");
    expect(jumpChoice(targets.slice(0, 1), "%1")?.id).toBe("%1");
    expect(jumpChoice(targets.slice(2))).toBeUndefined();
  });
});
