import { describe, expect, test } from "bun:test";
import { defaultCompactOptions, renderCompact, renderField, renderWindowMark } from "../../src/render/compact.ts";
import { renderJson } from "../../src/render/json.ts";
import { renderPrompt } from "../../src/render/prompt.ts";
import { noPaint, renderTable } from "../../src/render/table.ts";
import { cleanText } from "../../src/render/text.ts";
import { HOSTILE, NOW, session, snapshotOf } from "./snapshots.ts";

const fleet = snapshotOf([
  session({ pid: 1, name: "web", state: "idle" }),
  session({ pid: 2, name: "api", state: "asking", status: "waiting", waitingFor: "permission prompt", since: NOW - 125_000 }),
  session({ pid: 3, name: "docs", state: "busy", status: "busy" }),
  session({ pid: 4, name: "etl", state: "asking", status: "waiting", waitingFor: "input needed", since: NOW - 5_000 }),
  session({ pid: 5, name: "ops", state: "busy", status: "shell", background: true }),
]);

describe("compact", () => {
  test("asking first, naming the one that has waited longest, then counts", () => {
    expect(renderCompact(fleet, "plain", defaultCompactOptions)).toBe("⚠ api: permission prompt 2m +1  ● 2  ○ 1");
  });
  test("tmux styles, each closed with #[default]", () => {
    expect(renderCompact(fleet, "tmux", defaultCompactOptions)).toBe(
      "#[fg=red,bold]⚠ api: permission prompt 2m +1#[default]  #[fg=yellow]● 2#[default]  #[fg=green]○ 1#[default]",
    );
  });
  test("ANSI", () => {
    expect(renderCompact(fleet, "ansi", defaultCompactOptions)).toBe("\x1b[1;31m⚠ api: permission prompt 2m +1\x1b[0m  \x1b[33m● 2\x1b[0m  \x1b[32m○ 1\x1b[0m");
  });
  test("cost on request; ~ marks an estimate", () => {
    const s = snapshotOf([session({ pid: 1, costUSD: 1.234 }), session({ pid: 2, costUSD: 0.5, costEstimated: true })]);
    expect(renderCompact(s, "plain", { ...defaultCompactOptions, cost: true })).toBe("○ 2  ~$1.73");
  });
  test("tokens on request", () => {
    const s = snapshotOf([session({ tokens: { input: 10, cacheWrite: 2000, cacheWrite5m: 2000, cacheWrite1h: 0, cacheRead: 1_500_000, output: 300 } })]);
    expect(renderCompact(s, "plain", { ...defaultCompactOptions, tokens: true })).toBe("○ 1  Σ 1.5M");
  });
  test("idle hidden, custom glyphs and tmux styles", () => {
    const options = { ...defaultCompactOptions, showIdle: false, glyphs: { ...defaultCompactOptions.glyphs, busy: "B" }, tmuxStyles: { busy: "fg=#ff8800" } };
    expect(renderCompact(fleet, "tmux", options)).toBe("#[fg=red,bold]⚠ api: permission prompt 2m +1#[default]  #[fg=#ff8800]B 2#[default]");
  });
  test("empty shown on request", () => {
    expect(renderCompact(snapshotOf([]), "plain", { ...defaultCompactOptions, showEmpty: true })).toBe("○ 0");
  });
  test("fields for tmux placeholders", () => {
    expect(["asking", "busy", "idle", "tokens", "cost"].map((f) => renderField(fleet, f as never))).toEqual(["2", "2", "1", "0", "$0.00"]);
  });
  test("window marks: the most urgent session of that window", () => {
    const s = snapshotOf([
      session({ pid: 1, tmux: "work:@3.%12", state: "idle" }),
      session({ pid: 2, tmux: "work:@3.%13", state: "asking", status: "waiting", waitingFor: "x" }),
      session({ pid: 3, tmux: "work:@4.%14", state: "busy", status: "busy" }),
      session({ pid: 4, tmux: "work:@5.%15", state: "idle" }),
    ]);
    expect(renderWindowMark(s, "@3", "tmux", defaultCompactOptions)).toBe("#[fg=red,bold]⚠#[default]");
    expect(renderWindowMark(s, "@4", "plain", defaultCompactOptions)).toBe("●");
    expect(renderWindowMark(s, "@5", "plain", defaultCompactOptions)).toBe("○");
    expect(renderWindowMark(s, "@5", "plain", { ...defaultCompactOptions, showIdle: false })).toBe("");
    expect(renderWindowMark(s, "@9", "plain", defaultCompactOptions)).toBe("");
  });
  test("the idle session whose warm cache expires first, on request", () => {
    const warm = (ms: number) => ({ state: "warm" as const, ttlSeconds: 300, expiresAt: NOW + ms });
    const s = snapshotOf([
      session({ pid: 1, name: "later", cache: warm(240_000) }),
      session({ pid: 2, name: "soon", cache: warm(65_000) }),
      session({ pid: 3, name: "busy", state: "busy", status: "busy", cache: warm(1_000) }),
      session({ pid: 4, name: "cold", cache: { state: "expired", ttlSeconds: 300, expiresAt: NOW - 1 } }),
    ]);
    expect(renderCompact(s, "plain", { ...defaultCompactOptions, cache: true })).toBe("● 1  ○ 3  ◷ soon 1m");
    expect(renderField(s, "cache")).toBe("soon 1m");
    expect(renderField(snapshotOf([session({})]), "cache")).toBe("");
  });
  test("the windows Claude Code reported, on request; red from 90%", () => {
    const limits = { fiveHour: { usedPercent: 91.2, resetsAt: NOW + 7_140_000, recordedAt: NOW }, sevenDay: { usedPercent: 12, resetsAt: NOW + 9e8, recordedAt: NOW } };
    expect(renderCompact(fleet, "tmux", { ...defaultCompactOptions, showIdle: false, limits })).toEndWith("#[fg=red,bold]5h 91% ↻1h59m#[default]  #[dim]7d 12%#[default]");
    expect(renderField(fleet, "limits", limits)).toBe("5h 91% ↻1h59m 7d 12%");
    expect(renderField(fleet, "limits")).toBe("");
    expect(renderTable(fleet, noPaint, [], limits).split("\n").at(-1)).toBe("usage as Claude Code last reported it: 5h 91% ↻1h59m  7d 12%");
  });
  test("nothing at all without sessions", () => {
    expect(renderCompact(snapshotOf([]), "tmux", { ...defaultCompactOptions, tokens: true })).toBe("");
  });
});

describe("prompt", () => {
  const one = snapshotOf([session({ pid: 2, name: "api", state: "asking", status: "waiting", waitingFor: "permission prompt" }), session({ pid: 3, state: "busy", status: "busy" })]);
  test.each([
    ["plain", "⚠ api ●1"],
    ["zsh", "%B%F{red}⚠ api%f%b %F{yellow}●1%f"],
    ["bash", "\x01\x1b[1;31m\x02⚠ api\x01\x1b[0m\x02 \x01\x1b[33m\x02●1\x01\x1b[0m\x02"],
    ["fish", "\x1b[1;31m⚠ api\x1b[0m \x1b[33m●1\x1b[0m"],
  ] as const)("%s", (shell, want) => {
    expect(renderPrompt(one, shell)).toBe(want);
  });
  test("several asking: a count", () => {
    expect(renderPrompt(fleet, "plain")).toBe("⚠2 ●2 ○1");
  });
  test("no sessions: empty", () => {
    expect(renderPrompt(snapshotOf([]), "zsh")).toBe("");
  });
});

/** What tmux shows for a format: fails on any # that is not ## or one of our own styles. */
function visibleTmux(format: string): string {
  let shown = "";
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "#") {
      shown += format[i];
      continue;
    }
    if (format[i + 1] === "#") {
      shown += "#";
      i++;
      continue;
    }
    const style = /^#\[(fg=red,bold|default)\]/.exec(format.slice(i));
    if (!style) throw new Error(`tmux would expand ${format.slice(i, i + 12)}`);
    i += style[0].length - 1;
  }
  return shown;
}

/** What zsh shows for a prompt: fails on any % escape that is not %% or one of our own. */
function visibleZsh(prompt: string): string {
  let shown = "";
  for (let i = 0; i < prompt.length; i++) {
    if (prompt[i] !== "%") {
      shown += prompt[i];
      continue;
    }
    if (prompt[i + 1] === "%") {
      shown += "%";
      i++;
      continue;
    }
    const escape = /^%(B|b|f|F\{(red|yellow|green|cyan|magenta)\})/.exec(prompt.slice(i));
    if (!escape) throw new Error(`zsh would expand ${prompt.slice(i, i + 8)}`);
    i += escape[0].length - 1;
  }
  return shown;
}

describe("hostile names render inert in every target", () => {
  for (const name of HOSTILE) {
    const s = snapshotOf([session({ name, cwd: `/tmp/${name}`, state: "asking", status: "waiting", waitingFor: name })]);
    test(JSON.stringify(name), () => {
      const tmux = renderCompact(s, "tmux", defaultCompactOptions);
      expect(visibleTmux(tmux)).toContain(cleanText(name, 24).replaceAll("…", ""));
      const zsh = renderPrompt(s, "zsh");
      expect(visibleZsh(zsh)).toContain(cleanText(name, 20).replaceAll("…", ""));
      for (const out of [tmux, zsh, renderPrompt(s, "bash"), renderPrompt(s, "fish"), renderPrompt(s, "plain"), renderCompact(s, "ansi", defaultCompactOptions), renderTable(s, noPaint, [])]) {
        // Our own SGR codes only; no ESC from data, no newline inside a line, no BEL/OSC.
        expect(out.replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x1b\x07\x9b\x9d]/);
        expect(out.split("\n").every((l) => !l.includes("\r"))).toBe(true);
      }
      const json = JSON.parse(renderJson(s, false));
      expect(JSON.stringify(json)).not.toMatch(/\\u001b|\\u0007|\\n/);
    });
  }

  test("literal text survives: $(id), backticks, backslash shown as typed", () => {
    const s = snapshotOf([session({ name: "$(id) `id` a\\b", state: "asking", status: "waiting", waitingFor: "x" })]);
    expect(renderPrompt(s, "plain")).toBe("⚠ $(id) `id` a\\b");
    expect(renderCompact(s, "tmux", defaultCompactOptions)).toContain("$(id) `id` a\\b");
  });
});

describe("table", () => {
  test("pills, one line per session asking first, a total", () => {
    const lines = renderTable(fleet, noPaint, []).split("\n");
    expect(lines[0]).toBe(" 2 asking    2 busy    1 idle ");
    expect(lines[1]).toMatch(/^\s+SESSION\s+STATE\s+FOR\s+NAME\s+MODEL\s+CACHE\s+INPUT\s+C\.WRITE\s+C\.READ\s+OUTPUT\s+COST$/);
    expect(lines.slice(2, 7).map((l) => l.split(/\s{2,}/)[2])).toEqual(["asking", "asking", "busy", "busy", "idle"]);
    expect(lines[2]).toContain("permission prompt · 2m");
    expect(lines[5]).toContain("background shell");
    expect(lines[7]).toMatch(/TOTAL\s+5 sessions/);
  });
  test("no sessions: says so and where it looked", () => {
    expect(renderTable(snapshotOf([]), noPaint, ["/h/.claude"])).toBe("No running Claude Code sessions.\nlooked in: /h/.claude");
  });
});

describe("json", () => {
  test("schema: version, counts, totals, sessions with ISO times", () => {
    const j = JSON.parse(renderJson(fleet, true));
    expect(j.version).toBe(1);
    expect(j.generatedAt).toBe("2026-11-21T12:00:00.000Z");
    expect(j.counts).toEqual({ asking: 2, busy: 2, starting: 0, unknown: 0, idle: 1 });
    expect(Object.keys(j.totals.tokens)).toEqual(["input", "cacheWrite", "cacheWrite5m", "cacheWrite1h", "cacheRead", "output"]);
    expect(j.sessions[0]).toMatchObject({ pid: 2, state: "asking", status: "waiting", waitingFor: "permission prompt", since: "2026-11-21T11:57:55.000Z", sinceSeconds: 125, background: false, liveness: "live" });
    expect(j.sessions.find((s: { pid: number }) => s.pid === 5).background).toBe(true);
    expect(j.sessions[0].cache).toBeNull();
    const warm = JSON.parse(renderJson(snapshotOf([session({ cache: { state: "warm", ttlSeconds: 3600, expiresAt: NOW + 60_000 } })]), false));
    expect(warm.sessions[0].cache).toEqual({ state: "warm", ttlSeconds: 3600, expiresAt: "2026-11-21T12:01:00.000Z" });
  });
});

test("json: a time past what a Date can hold (a probe's statusUpdatedAt of 2^53 - 1) is null, not a crash", () => {
  const j = JSON.parse(renderJson(snapshotOf([session({ since: Number.MAX_SAFE_INTEGER, startedAt: -Number.MAX_SAFE_INTEGER })]), false));
  expect([j.sessions[0].since, j.sessions[0].startedAt]).toEqual([null, null]);
});
