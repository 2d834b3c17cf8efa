import { describe, expect, test } from "bun:test";
import { sessionState } from "../../src/derive/state.ts";

describe("sessionState", () => {
  test.each([
    // status, waitingFor, state, background, waitingFor shown
    ["busy", undefined, "busy", false, undefined],
    ["shell", undefined, "busy", true, undefined],
    ["idle", undefined, "idle", false, undefined],
    ["waiting", "permission prompt", "asking", false, "permission prompt"],
    ["waiting", "input needed", "asking", false, "input needed"],
    ["waiting", "dialog open", "asking", false, "dialog open"],
    ["waiting", "sandbox request", "asking", false, "sandbox request"],
    ["waiting", "worker request", "asking", false, "worker request"],
    ["waiting", "goal proposal", "asking", false, "goal proposal"],
    ["waiting", "approve Bash", "asking", false, "approve Bash"],
    ["waiting", "something new in 2.2", "asking", false, "something new in 2.2"],
    ["waiting", undefined, "asking", false, undefined],
    [undefined, undefined, "starting", false, undefined],
    ["hibernating", undefined, "unknown", false, undefined],
  ] as const)("status %p waitingFor %p → %p", (status, waitingFor, state, background, shown) => {
    const s = sessionState({ status, waitingFor, statusUpdatedAt: 1000 });
    expect(s.state).toBe(state);
    expect(s.background).toBe(background);
    expect(s.waitingFor).toBe(shown);
    expect(s.status).toBe(status);
  });

  test("waitingFor is ignored unless the status is waiting (Claude Code drops the key otherwise)", () => {
    expect(sessionState({ status: "idle", waitingFor: "permission prompt" }).waitingFor).toBeUndefined();
  });

  test("since: statusUpdatedAt, else updatedAt, else startedAt", () => {
    expect(sessionState({ status: "idle", statusUpdatedAt: 3, updatedAt: 2, startedAt: 1 }).since).toBe(3);
    expect(sessionState({ status: "idle", updatedAt: 2, startedAt: 1 }).since).toBe(2);
    expect(sessionState({ startedAt: 1 }).since).toBe(1);
    expect(sessionState({}).since).toBeUndefined();
  });
});
