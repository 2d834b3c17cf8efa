/** The TPM plugin in a real tmux server: options rewritten, keys bound, what the status line shows, jumps. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ROOT, type TestHome, makeHome, pidDomain, writeProbe } from "../helpers/home.ts";
import { AttachedClient, TmuxServer, hasTmux, startTime, waitFor } from "./server.ts";

const PLUGIN = join(ROOT, "ccpulse.tmux");
const Q = `'${BINARY}'`;

function serverFor(home: TestHome): TmuxServer {
  // PATH without ccpulse: the plugin must find the binary through @ccpulse_bin or its own dist/.
  return new TmuxServer({ ...home.env, PATH: "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" }, home.root);
}

function conf(home: TestHome, lines: string[], plugin = PLUGIN): string {
  const path = join(home.root, "tmux.conf");
  writeFileSync(path, [...lines, `run-shell '${plugin}'`, ""].join("\n"));
  return path;
}

/** A fake claude: a pane whose process is a sleeper, and a probe for it that names the pane. */
function claudeIn(server: TmuxServer, home: TestHome, fields: Record<string, unknown>) {
  const w = server.newWindow("exec sleep 900");
  writeProbe(home, w.pid, {
    sessionId: crypto.randomUUID(),
    procStart: startTime(w.pid),
    pidDomain: pidDomain(),
    tmux: `main:${w.window}.${w.pane}`,
    statusUpdatedAt: Date.now(),
    ...fields,
  });
  return w;
}

describe.skipIf(!hasTmux)("tmux plugin", () => {
  setDefaultTimeout(20_000);
  test("placeholders become #() jobs in status-right and status-left; keys are bound", () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`, "set -g status-right '#{ccpulse} | #{ccpulse_asking}/#{ccpulse_busy}/#{ccpulse_idle} #{ccpulse_tokens} #{ccpulse_cost} %H:%M'", "set -g status-left '[#S] #{ccpulse_asking}'"]));
    expect(server.option("status-right")).toBe(
      `#(${Q} compact --tmux) | #(${Q} compact --tmux --field=asking)/#(${Q} compact --tmux --field=busy)/#(${Q} compact --tmux --field=idle) #(${Q} compact --tmux --field=tokens) #(${Q} compact --tmux --field=cost) %H:%M`,
    );
    expect(server.option("status-left")).toBe(`[#S] #(${Q} compact --tmux --field=asking)`);
    expect(server.run("list-keys", "-T", "prefix", "a")).toContain(`${Q} jump --client '#{client_name}' --from '#{pane_id}'`);
    const pickKey = server.run("list-keys", "-T", "prefix", "A");
    expect(pickKey).toContain("display-popup -c '#{client_name}' -E");
    expect(pickKey).toContain(`pick --client`);
  });

  test("usage placeholders: time left in the window, today's and the month's cost, windows left", () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`, "set -g status-right '#{ccpulse_window_left} #{ccpulse_window} #{ccpulse_today}/#{ccpulse_month} #{ccpulse_windows_left}'"]));
    expect(server.option("status-right")).toBe(
      `#(${Q} compact --tmux --field=window_left) #(${Q} compact --tmux --window=#{window_id}) #(${Q} compact --tmux --field=cost_today)/#(${Q} compact --tmux --field=month_cost) #(${Q} compact --tmux --field=windows_left)`,
    );
  });

  test("options become flags; keys can be moved or turned off", () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(
      conf(home, [
        `set -g @ccpulse_bin '${BINARY}'`,
        "set -g status-right '#{ccpulse}'",
        "set -g @ccpulse_tokens on",
        "set -g @ccpulse_cost on",
        "set -g @ccpulse_cache on",
        "set -g @ccpulse_limits on",
        "set -g @ccpulse_show_idle off",
        "set -g @ccpulse_hide_empty off",
        "set -g @ccpulse_glyph_busy 'B'",
        "set -g @ccpulse_style_asking 'fg=#FF0000,bold'",
        "set -g @ccpulse_glyph_idle '$(id)'",
        "set -g @ccpulse_jump_key off",
        "set -g @ccpulse_pick_key C-p",
      ]),
    );
    // The unsafe glyph is dropped; # in the style is doubled for tmux's format expansion of #().
    expect(server.option("status-right")).toBe(`#(${Q} compact --tmux --style-asking='fg=##FF0000,bold' --glyph-busy='B' --idle=hide --empty=show --tokens --cost --cache --limits)`);
    expect(server.run("list-keys", "-T", "prefix")).not.toContain(" jump ");
    expect(server.run("list-keys", "-T", "prefix", "C-p")).toContain("pick");
  });

  test("no binary anywhere: a short hint instead of the segment, no bindings", () => {
    const home = makeHome();
    const copy = join(home.root, "plugin");
    mkdirSync(join(copy, "tmux"), { recursive: true });
    cpSync(PLUGIN, join(copy, "ccpulse.tmux"));
    cpSync(join(ROOT, "tmux"), join(copy, "tmux"), { recursive: true });
    const server = serverFor(home);
    server.start(conf(home, ["set -g status-right '#{ccpulse} | %H:%M'"], join(copy, "ccpulse.tmux")));
    expect(server.option("status-right")).toBe(`ccpulse: run make -C ${copy} | %H:%M`);
    expect(server.run("list-keys", "-T", "prefix")).not.toContain("ccpulse");
  });

  test("without @ccpulse_bin and not on PATH: the plugin's own dist/ccpulse", () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, ["set -g status-right '#{ccpulse}'"]));
    expect(server.option("status-right")).toBe(`#(${Q} compact --tmux)`);
  });

  test("the status line an attached client shows; hostile names stay literal and run nothing", async () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`, "set -g status-interval 1", "set -g status-right-length 150", "set -g status-right '<#{ccpulse}> #{ccpulse_asking}'"]));
    claudeIn(server, home, { name: "#{session_name}", cwd: "/tmp/#(touch pwned-cwd)", status: "waiting", waitingFor: "#(touch pwned)" });
    claudeIn(server, home, { name: "worker", cwd: "/w", status: "busy" });
    const client = new AttachedClient(server);
    // tmux draws each #() job's output when that job returns: the segment can show before the count.
    const line = await waitFor(() => {
      const l = client.statusLine();
      return l.includes("<⚠") && /> \S/.test(l) && l;
    }, "the ccpulse segment and the asking count");
    expect(line).toMatch(/<⚠ #\{session_name\}: #\(touch pwned\) \d+s  ● 1> 1\s*$/);
    expect(existsSync(join(home.root, "pwned"))).toBe(false);
    expect(existsSync(join(home.root, "pwned-cwd"))).toBe(false);
  });

  test("window marks: ⚠ on the window holding an asking session", async () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`, "set -g status-interval 1", "set -g @ccpulse_window_marks on", "set -g status-right ''"]));
    expect(server.option("window-status-format")).toContain(`#(${Q} compact --tmux --window=#{window_id})`);
    const w = claudeIn(server, home, { name: "api", status: "waiting", waitingFor: "permission prompt" });
    const client = new AttachedClient(server);
    const index = server.run("display", "-p", "-t", w.pane, "#{window_index}").trim();
    await waitFor(() => new RegExp(` ${index}:\\S+ ?⚠`).test(client.statusLine()), "a mark on the window");
    expect(client.statusLine()).not.toMatch(/ 0:\S+ ?⚠/);
  });

  test("prefix a jumps to the session asking longest, and again cycles on", async () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`]));
    const idle = claudeIn(server, home, { name: "idle", status: "idle", statusUpdatedAt: Date.now() - 900_000 });
    const newer = claudeIn(server, home, { name: "newer", status: "waiting", waitingFor: "input needed", statusUpdatedAt: Date.now() - 5_000 });
    const older = claudeIn(server, home, { name: "older", status: "waiting", waitingFor: "permission prompt", statusUpdatedAt: Date.now() - 60_000 });
    const client = new AttachedClient(server);
    await waitFor(() => server.clientPanes().length === 1, "the client");
    expect(server.clientPanes()).toEqual(["%0"]);
    client.keys("C-b", "a");
    await waitFor(() => server.clientPanes()[0] === older.pane, "the jump to the oldest asking session");
    client.keys("C-b", "a");
    await waitFor(() => server.clientPanes()[0] === newer.pane, "the next asking session");
    expect(idle.pane).not.toBe(server.clientPanes()[0]);
  });

  test("a pane id that exists but holds another process is not jumped to", async () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`]));
    const decoy = server.newWindow("exec sleep 900");
    const elsewhere = Bun.spawn(["sleep", "900"], { stdio: ["ignore", "ignore", "ignore"] });
    try {
      // A session of another tmux server whose pane id happens to exist here too.
      writeProbe(home, elsewhere.pid, { sessionId: crypto.randomUUID(), procStart: startTime(elsewhere.pid), pidDomain: pidDomain(), tmux: `main:${decoy.window}.${decoy.pane}`, status: "waiting", waitingFor: "permission prompt" });
      const client = new AttachedClient(server);
      await waitFor(() => server.clientPanes().length === 1, "the client");
      client.keys("C-b", "a");
      await Bun.sleep(700);
      expect(server.clientPanes()).toEqual(["%0"]);
    } finally {
      elsewhere.kill(9);
    }
  });

  test("prefix A opens the picker in a popup; choosing switches to that pane", async () => {
    const home = makeHome();
    const server = serverFor(home);
    server.start(conf(home, [`set -g @ccpulse_bin '${BINARY}'`]));
    claudeIn(server, home, { name: "first", status: "waiting", waitingFor: "permission prompt", statusUpdatedAt: Date.now() - 60_000 });
    const second = claudeIn(server, home, { name: "second", status: "busy" });
    const client = new AttachedClient(server);
    await waitFor(() => server.clientPanes().length === 1, "the client");
    client.keys("C-b", "A");
    await waitFor(() => client.screen().some((l) => l.includes("Claude Code sessions")), "the picker", 4000).catch((e) => {
      throw new Error(`${e.message}\n${client.screen().join("\n")}`);
    });
    const screen = client.screen().join("\n");
    expect(screen).toMatch(/1\s+⚠\s+first\s+asking\s+permission prompt/);
    expect(screen).toMatch(/2\s+●\s+second\s+busy/);
    client.keys("j");
    await Bun.sleep(150);
    client.keys("Enter");
    await waitFor(() => server.clientPanes()[0] === second.pane, "the switch to the chosen pane");
    await waitFor(() => !client.screen().some((l) => l.includes("Claude Code sessions")), "the popup to close");
  });
});
