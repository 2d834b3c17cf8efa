/** The compiled binary, end to end, in throwaway homes. */
import { beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { encodeProjectDir } from "../src/discover/projectDir.ts";
import { CACHE_VERSION } from "../src/read/tokenCache.ts";
import { BINARY, ROOT, liveProbe, makeHome, reviveProbes, runBinary, spawnSleeper, writeProbe } from "./helpers/home.ts";
import { scanCaches } from "./helpers/cacheFile.ts";
import { naiveTotals } from "./helpers/oracle.ts";
import { assistantLine, response } from "./helpers/rows.ts";

beforeAll(async () => {
  if (!existsSync(BINARY)) {
    const build = Bun.spawnSync(["make", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (build.exitCode !== 0) throw new Error("make build failed");
  }
});

describe("ccpulse binary", () => {
  test("--version and --help", async () => {
    const home = makeHome();
    expect((await runBinary(home, ["--version"])).stdout).toBe(`${pkg.version}\n`);
    const help = await runBinary(home, ["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["list", "compact", "prompt", "json"]) {
      expect(help.stdout).toContain(c);
      const sub = await runBinary(home, [c, "--help"]);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toStartWith(`ccpulse ${c}: `);
    }
    expect((await runBinary(home, ["help", "prompt"])).stdout).toContain("--shell=zsh|bash|fish|plain");
    // Every command's line: its name, at least two spaces, its summary, the summaries in one column.
    const lines = help.stdout.split("\n");
    const listed = lines.slice(lines.indexOf("Commands:") + 1, lines.indexOf("", lines.indexOf("Commands:")));
    expect(listed.map((l) => l.match(/^ {2}([a-z]+) {2,}\S/)?.[1])).toEqual(["list", "compact", "prompt", "json", "init", "jump", "pick", "statusline", "setup", "help"]);
    expect(new Set(listed.map((l) => l.match(/^ {2}[a-z]+ {2,}/)?.[0].length)).size).toBe(1);
    // Each command's options: a flag, then its help after at least two spaces, or on the next line
    // under the help column when the flag is too long for its own (compact's --field).
    for (const c of listed.map((l) => l.trim().split(" ")[0] as string).filter((c) => c !== "help")) {
      const options = (await runBinary(home, [c, "--help"])).stdout.split("\n");
      const flagLines = options.map((line, i) => [line, options[i + 1] ?? ""] as const).filter(([line]) => line.startsWith("  -"));
      expect(flagLines.length).toBeGreaterThan(0);
      for (const [line, next] of flagLines) expect(/^ {2}-\S.*? {2,}\S/.test(line) || (/^ {2}-\S+$/.test(line) && /^ {34}\S/.test(next))).toBe(true);
    }
    // The README's Usage block is this text, from "ccpulse [command]" to the options.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const opening = readme.indexOf("```\nccpulse [command] [options]\n") + 4;
    const block = readme.slice(opening, readme.indexOf("\n```", opening));
    expect(block).toBe(help.stdout.slice(help.stdout.indexOf("Usage: ") + "Usage: ".length, help.stdout.indexOf("\nReads CLAUDE_CONFIG_DIR")));
  });

  test("a real capture: 1 asking, 1 busy, 1 idle in every output", async () => {
    const home = makeHome("03-waiting");
    reviveProbes(home);
    const json = JSON.parse((await runBinary(home, ["json"])).stdout);
    expect(json.counts).toEqual({ asking: 1, busy: 1, starting: 0, unknown: 0, idle: 1 });
    expect(json.sessions[0]).toMatchObject({ name: "s2-0a", state: "asking", waitingFor: "permission prompt", tmux: "harness:@1.%1", tokens: { input: 5, cacheWrite: 1274, cacheRead: 16000, output: 61 } });

    const tmux = await runBinary(home, ["compact", "--tmux"]);
    expect(tmux.stdout).toMatch(/^#\[fg=red,bold\]⚠ s2-0a: permission prompt \S+#\[default\]  #\[fg=yellow\]● 1#\[default\]  #\[fg=green\]○ 1#\[default\]\n$/);
    expect((await runBinary(home, ["prompt", "--shell", "zsh"])).stdout).toBe("%B%F{red}⚠ s2-0a%f%b %F{yellow}●1%f %F{green}○1%f\n");
    expect((await runBinary(home, ["prompt"])).stdout).toBe("⚠ s2-0a ●1 ○1\n");

    const table = await runBinary(home, []);
    expect(table.stdout).not.toContain("\x1b");
    expect(table.stdout.split("\n")[0]).toBe(" 1 asking    1 busy    1 idle ");
    expect((await runBinary(home, ["list", "--color=always"])).stdout).toContain("\x1b[");
    expect((await runBinary(home, ["list", "--color=always", "--no-color"])).stdout).not.toContain("\x1b[");
    expect((await runBinary(home, ["list"], { FORCE_COLOR: "1" })).stdout).toContain("\x1b[");
    expect((await runBinary(home, ["list"], { FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toContain("\x1b[");
  });

  test("bad flags: one line on stderr; compact and prompt still exit 0 with nothing on stdout", async () => {
    const home = makeHome();
    const list = await runBinary(home, ["list", "--colour"]);
    expect(list.code).toBe(2);
    expect(list.stderr.trim().split("\n")).toHaveLength(1);
    for (const args of [["compact", "--bogus"], ["prompt", "--shell=tcsh"]]) {
      const r = await runBinary(home, args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect((await runBinary(home, ["frobnicate"])).code).toBe(2);
  });

  test("no sessions: compact and prompt print nothing, list says so", async () => {
    const home = makeHome();
    expect((await runBinary(home, ["compact", "--tmux"])).stdout).toBe("");
    expect((await runBinary(home, ["prompt", "--shell=bash"])).stdout).toBe("");
    expect((await runBinary(home, [])).stdout).toStartWith("No running Claude Code sessions.");
    const missing = await runBinary(home, ["json"], { CLAUDE_CONFIG_DIR: join(home.root, "nope") });
    expect(JSON.parse(missing.stdout).sessions).toEqual([]);
  });

  test("hostile names: tmux gets ## and nothing runs", async () => {
    const home = makeHome();
    const marker = join(home.root, "pwned");
    const s = spawnSleeper();
    writeProbe(home, s.pid, liveProbe(s, { sessionId: "55555555-0000-4000-8000-000000000001", status: "waiting", waitingFor: `#(touch ${marker})`, name: "#{session_name}\x1b]52;c;eA==\x07", cwd: `/tmp/$(touch ${marker})` }));
    const tmux = (await runBinary(home, ["compact", "--tmux"])).stdout;
    expect(tmux).toContain("##{session_name}: ##(touch");
    expect(tmux).not.toContain("\x1b");
    expect(existsSync(marker)).toBe(false);
  });

  test("a .env or bunfig.toml in the working directory is not loaded", async () => {
    const home = makeHome();
    const evil = join(home.root, "evil");
    mkdirSync(evil);
    writeFileSync(join(evil, ".env"), `CLAUDE_CONFIG_DIR=${home.root}/injected\n`);
    writeFileSync(join(evil, "bunfig.toml"), 'preload = ["./x.ts"]\n');
    const proc = Bun.spawn([BINARY, "json"], { cwd: evil, env: home.env, stdout: "pipe", stderr: "pipe" });
    const out = JSON.parse(await new Response(proc.stdout).text());
    expect(await proc.exited).toBe(0);
    expect(out.sessions).toEqual([]);
    expect(await new Response(proc.stderr).text()).toBe("");
  });
});

describe("concurrency", () => {
  test("20 concurrent callers while a writer appends: cache always readable, final totals exact", async () => {
    const home = makeHome();
    const sid = "66666666-0000-4000-8000-000000000001";
    const s = spawnSleeper();
    writeProbe(home, s.pid, liveProbe(s, { sessionId: sid, cwd: "/w/busy", status: "busy" }));
    const transcript = join(home.claude, "projects", encodeProjectDir("/w/busy"), `${sid}.jsonl`);
    mkdirSync(join(transcript, ".."), { recursive: true });
    writeFileSync(transcript, "");

    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing || i < 5; i++) {
        const text = `${response(`m${i}`, { input: i, cacheWrite: 10, cacheRead: 100 * i, output: i + 1 }).join("\n")}\n`;
        // Write each response in two pieces so callers see lines cut in half.
        const cut = Math.floor(text.length / 3);
        appendFileSync(transcript, text.slice(0, cut));
        await Bun.sleep(1);
        appendFileSync(transcript, text.slice(cut));
        if (i > 400) break;
      }
    })();

    const cacheDir = join(home.cache, "ccpulse", `sessions-v${CACHE_VERSION}`);
    let cacheReads = 0;
    for (let round = 0; round < 5; round++) {
      const calls = Array.from({ length: 20 }, () => runBinary(home, round % 2 ? ["json"] : ["compact", "--tokens"]));
      // Read the cache files while the callers write them: a slot may be caught mid-write, never both.
      for (let k = 0; k < 10; k++) {
        await Bun.sleep(3);
        const scan = scanCaches(home.cache);
        expect(scan.problems).toEqual([]);
        cacheReads += scan.valid;
      }
      for (const r of await Promise.all(calls)) {
        expect(r.code).toBe(0);
        expect(r.stderr).toBe("");
      }
    }
    writing = false;
    await writer;
    expect(cacheReads).toBeGreaterThan(0);
    const final = JSON.parse((await runBinary(home, ["json"])).stdout);
    const want = naiveTotals([transcript]);
    expect(final.sessions[0].tokens).toMatchObject(want);
    expect(want.output).toBeGreaterThan(0);
    // No temp files left behind.
    expect([...new Bun.Glob("*.tmp").scanSync({ cwd: cacheDir, dot: true })]).toEqual([]);
  }, 60_000);
});

async function statusline(home: ReturnType<typeof makeHome>, input: string | Uint8Array, args: string[] = []) {
  const proc = Bun.spawn([BINARY, "statusline", ...args], { env: home.env, stdin: new Blob([input]), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

describe("statusline", () => {
  const resets = () => Math.floor(Date.now() / 1000) + 7200;
  const input = (sessionId: string, used = 42.5) =>
    JSON.stringify({ session_id: sessionId, cost: { total_cost_usd: 0.044354 }, rate_limits: { five_hour: { used_percentage: used, resets_at: resets() }, seven_day: { used_percentage: 12, resets_at: resets() + 86400 } } });

  test("the prompt-cache expiry Claude Code reports wins over the transcript's, in json and {cache}", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    const sid = "88888888-0000-4000-8000-000000000003";
    const dir = join(home.claude, "projects", encodeProjectDir("/w/c"));
    mkdirSync(dir, { recursive: true });
    // The transcript says: last reply 30 s ago, 5-minute cache.
    writeFileSync(join(dir, `${sid}.jsonl`), `${assistantLine("m1", "r1", { output: 5 }, { at: new Date(Date.now() - 30_000).toISOString() })}\n`);
    writeProbe(home, s.pid, liveProbe(s, { sessionId: sid, cwd: "/w/c", status: "idle", name: "cachey" }));
    const transcriptView = JSON.parse((await runBinary(home, ["json"])).stdout).sessions[0].cache;
    expect(transcriptView).toMatchObject({ state: "warm", ttlSeconds: 300 });
    // Claude Code reports a 1-hour cache expiring in 50 minutes.
    const expires = Math.floor(Date.now() / 1000) + 3000;
    expect((await statusline(home, JSON.stringify({ session_id: sid, prompt_cache: { warm: true, ttl: "1h", expires_at: expires } }))).code).toBe(0);
    const reported = JSON.parse((await runBinary(home, ["json"])).stdout).sessions[0].cache;
    expect(reported).toEqual({ state: "warm", ttlSeconds: 3600, expiresAt: new Date(expires * 1000).toISOString() });
    expect((await runBinary(home, ["compact", "--template={cache}"])).stdout).toMatch(/^◷ cachey (49|50)m\n$/);
  });

  test("shows the other sessions, the windows and this session's cost; json then reports the windows", async () => {
    const home = makeHome();
    const [me, other] = [spawnSleeper(), spawnSleeper()];
    writeProbe(home, me.pid, liveProbe(me, { sessionId: "88888888-0000-4000-8000-000000000001", status: "busy", name: "me" }));
    writeProbe(home, other.pid, liveProbe(other, { sessionId: "88888888-0000-4000-8000-000000000002", status: "waiting", waitingFor: "permission prompt", name: "other" }));
    const r = await statusline(home, input("88888888-0000-4000-8000-000000000001"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\x1b\[1;31m⚠ other: permission prompt \S+\x1b\[0m  \x1b\[2m5h 43% ↻(1h59m|2h00m)\x1b\[0m  \x1b\[2m7d 12%\x1b\[0m  \$0\.04\n$/);
    expect(r.stdout).not.toContain("● 1");
    const json = JSON.parse((await runBinary(home, ["json"])).stdout);
    expect(json.window).toMatchObject({ usedPercent: 42.5, source: "statusline", costUSD: 0, burnTokensPerMinute: 0 });
    expect(json.window.tokens).toEqual({ input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });
    expect(json.window.minutesLeft).toBeGreaterThanOrEqual(118);
    expect(json.sevenDay).toMatchObject({ usedPercent: 12 });
  });

  test.each([
    ["empty", ""],
    ["torn", input("x").slice(0, 30)],
    ["partial", '{"session_id":"y"}'],
    ["binary junk", new Uint8Array([0, 255, 1, 2, 10, 13, 27])],
    ["10 MB", `{"session_id":"big","pad":"${"x".repeat(10 * 1024 * 1024)}"}`],
  ])("%s input: exit 0, a line, no stack trace", async (_, raw) => {
    const home = makeHome();
    const r = await statusline(home, raw);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").length).toBeLessThanOrEqual(2);
  });

  test("20 concurrent writers for one session: the record is always whole, and one of theirs", async () => {
    const home = makeHome();
    const runs = Array.from({ length: 20 }, (_, i) => statusline(home, input("same", i)));
    const dir = join(home.cache, "ccpulse", "statusline-v1");
    for (let k = 0; k < 10; k++) {
      await Bun.sleep(5);
      if (!existsSync(dir)) continue;
      for (const name of new Bun.Glob("*.json").scanSync({ cwd: dir })) expect(() => JSON.parse(readFileSync(join(dir, name), "utf8"))).not.toThrow();
    }
    await Promise.all(runs);
    const files = [...new Bun.Glob("*").scanSync({ cwd: dir, dot: true })];
    expect(files).toHaveLength(1);
    const used = JSON.parse(readFileSync(join(dir, files[0] as string), "utf8")).input.rate_limits.five_hour.used_percentage;
    expect(used).toBeGreaterThanOrEqual(0);
    expect(used).toBeLessThan(20);
  });

  test("--chain runs the status line the user had, with the same input", async () => {
    const home = makeHome();
    const r = await statusline(home, '{"session_id":"z","cost":{"total_cost_usd":1}}', ["--chain=read line; printf 'theirs:%s' \"${#line}\""]);
    expect(r.stdout).toBe("$1.00  │ theirs:46\n");
  });
});

describe("setup statusline", () => {
  test("chains an existing status line, keeps the rest, backs up, is idempotent, and --undo restores", async () => {
    const home = makeHome();
    const settingsPath = join(home.claude, "settings.json");
    const original = `${JSON.stringify({ model: "opus", statusLine: { type: "command", command: "my-line", padding: 0 } }, null, 2)}\n`;
    writeFileSync(settingsPath, original);
    const first = await runBinary(home, ["setup", "statusline"]);
    expect(first.code).toBe(0);
    const set = JSON.parse(readFileSync(settingsPath, "utf8"));
    expect(set).toEqual({ model: "opus", statusLine: { type: "command", command: `'${BINARY}' statusline --chain='my-line'`, padding: 0 } });
    const backups = [...new Bun.Glob("settings.json.ccpulse-*.bak").scanSync({ cwd: home.claude })];
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(home.claude, backups[0] as string), "utf8")).toBe(original);
    expect((await runBinary(home, ["setup", "statusline"])).stdout).toContain("already");
    expect(JSON.parse(readFileSync(settingsPath, "utf8"))).toEqual(set);
    expect((await runBinary(home, ["setup", "statusline", "--undo"])).code).toBe(0);
    expect(JSON.parse(readFileSync(settingsPath, "utf8"))).toEqual(JSON.parse(original));
    expect((await runBinary(home, ["setup", "statusline", "--undo"])).stdout).toContain("nothing to undo");
  });

  test("no settings.json yet: created with ours", async () => {
    const home = makeHome();
    expect((await runBinary(home, ["setup", "statusline"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(home.claude, "settings.json"), "utf8"))).toEqual({ statusLine: { type: "command", command: `'${BINARY}' statusline` } });
  });

  test("a settings.json that is not JSON is left untouched, with one line on stderr", async () => {
    const home = makeHome();
    const path = join(home.claude, "settings.json");
    writeFileSync(path, "{ // my comments\n");
    const r = await runBinary(home, ["setup", "statusline"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(path, "utf8")).toBe("{ // my comments\n");
  });
});

describe("configuration", () => {
  test("config.json, CCPULSE_*_TEMPLATE and --template, in that order of precedence; bad keys named on stderr", async () => {
    const home = makeHome();
    const s = spawnSleeper();
    writeProbe(home, s.pid, liveProbe(s, { sessionId: "aaaaaaaa-0000-4000-8000-000000000001", status: "waiting", waitingFor: "permission prompt", name: "api" }));
    const cfg = join(home.root, ".config", "ccpulse");
    mkdirSync(cfg, { recursive: true });
    writeFileSync(join(cfg, "config.json"), JSON.stringify({ compact: { template: "[{asking}] {idle}" }, prompt: { template: "{asking}!" }, glyphs: { asking: "A" }, colour: "red" }));
    const compact = await runBinary(home, ["compact"]);
    expect(compact.stdout).toMatch(/^\[A api: permission prompt \S+\]\n$/);
    expect(compact.stderr).toContain("colour: unknown key, ignored");
    expect(compact.code).toBe(0);
    expect((await runBinary(home, ["prompt"])).stdout).toBe("A api!\n");
    expect((await runBinary(home, ["prompt"], { CCPULSE_PROMPT_TEMPLATE: "<{asking}>" })).stdout).toBe("<A api>\n");
    expect((await runBinary(home, ["prompt", "--template={asking}|{cost}"], { CCPULSE_PROMPT_TEMPLATE: "<{asking}>" })).stdout).toBe("A api|$0.00\n");
    const bad = await runBinary(home, ["prompt", "--template={nope}"]);
    expect(bad.stdout).toBe("A api!\n");
    expect(bad.stderr).toContain("--template: a template knows only");
  });
});

describe("usage: window, today, month through the binary", () => {
  // One live session whose reply was 30 s ago (600 output tokens of claude-opus-5-5) and one ended
  // session with a reply at the same time (400): every figure below is worked out by hand from these.
  // Burn rates count at least one minute, so the 30 s keep $/h exact however slow the machine.
  function usageHome() {
    const home = makeHome();
    const s = spawnSleeper();
    const at = new Date(Date.now() - 30_000).toISOString();
    const sid = "bbbbbbbb-0000-4000-8000-000000000001";
    const dir = join(home.claude, "projects", encodeProjectDir("/w/live"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${sid}.jsonl`), `${assistantLine("m1", "r1", { output: 600 }, { at })}\n`);
    writeFileSync(join(dir, "bbbbbbbb-0000-4000-8000-000000000002.jsonl"), `${assistantLine("m2", "r2", { output: 400 }, { at })}\n`);
    writeProbe(home, s.pid, liveProbe(s, { sessionId: sid, cwd: "/w/live", status: "idle" }));
    return { home, at };
  }
  // claude-opus-5-5 output: $20 per million tokens (pricing.json), so 1000 tokens cost $0.02.
  const COST = 0.02;

  test("json: window, today and month from every session, live and ended", async () => {
    const { home, at } = usageHome();
    const r = await runBinary(home, ["json", "--tz=UTC"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.totals.tokens.output).toBe(600);
    expect(j.window).toMatchObject({ start: new Date(Math.floor(Date.parse(at) / 3600_000) * 3600_000).toISOString(), source: "inferred", usedPercent: null });
    expect(j.window.tokens.output).toBe(1000);
    expect(j.window.costUSD).toBeCloseTo(COST, 12);
    expect(j.month).toMatchObject({ windowsUsed: 1, windowsLeft: 49, windowsAllowed: 50 });
    expect(j.month.costUSD).toBeCloseTo(COST, 12);
    expect(j.timeZone).toBe("UTC");
    expect(j.today.date).toBe(at.slice(0, 10));
    expect(j.days).toEqual([{ date: at.slice(0, 10), tokens: j.month.tokens, costUSD: j.month.costUSD }]);
  });

  test("flags over CCPULSE_* over config.json over defaults; bad values named on stderr and passed over", async () => {
    const { home } = usageHome();
    const cfg = join(home.root, ".config", "ccpulse");
    mkdirSync(cfg, { recursive: true });
    writeFileSync(join(cfg, "config.json"), JSON.stringify({ timeZone: "Europe/Berlin", billingDay: 3, monthlyWindows: 20 }));
    const json = async (args: string[], env: Record<string, string> = {}) => {
      const r = await runBinary(home, ["json", ...args], env);
      return { j: JSON.parse(r.stdout), stderr: r.stderr };
    };
    const fromConfig = await json([]);
    expect([fromConfig.j.timeZone, fromConfig.j.month.windowsAllowed, fromConfig.j.month.start.slice(8)]).toEqual(["Europe/Berlin", 20, "03"]);
    const fromEnv = await json([], { CCPULSE_TZ: "Asia/Kathmandu", CCPULSE_BILLING_DAY: "31", CCPULSE_MONTHLY_WINDOWS: "7" });
    expect([fromEnv.j.timeZone, fromEnv.j.month.windowsAllowed, fromEnv.j.month.windowsLeft]).toEqual(["Asia/Kathmandu", 7, 6]);
    const fromFlags = await json(["--tz=UTC", "--billing-day=15", "--monthly-windows=0"], { CCPULSE_TZ: "Asia/Kathmandu" });
    expect([fromFlags.j.timeZone, fromFlags.j.month.start.slice(8), fromFlags.j.month.windowsLeft]).toEqual(["UTC", "15", 0]);
    const bad = await json(["--billing-day=40"], { CCPULSE_MONTHLY_WINDOWS: "lots", CCPULSE_TZ: "$(id)" });
    expect(bad.stderr.trim().split("\n").sort()).toEqual([
      "ccpulse: --billing-day: a billing day is 1 to 31; ignored",
      "ccpulse: CCPULSE_MONTHLY_WINDOWS: not a whole number; ignored",
      "ccpulse: CCPULSE_TZ: a time zone name such as Europe/Berlin or UTC; ignored",
    ]);
    expect([bad.j.timeZone, bad.j.month.start.slice(8), bad.j.month.windowsAllowed]).toEqual(["Europe/Berlin", "03", 20]);
    const unknown = await json(["--tz=Mars/Olympus_Mons"]);
    expect(unknown.stderr).toBe("ccpulse: unknown time zone 'Mars/Olympus_Mons'; using UTC\n");
    expect(unknown.j.timeZone).toBe("UTC");
  });

  test("compact and prompt templates show the usage fields; list ends with the window, today and month", async () => {
    const { home } = usageHome();
    const compact = await runBinary(home, ["compact", "--tz=UTC", "--template={idle} {window_left} {window_cost} {cost_today} {month_cost} {windows_left} {burn}"]);
    expect(compact.stderr).toBe("");
        // $0.02 in the (at least one) minute since the first reply: $1.20 an hour.
    expect(compact.stdout).toMatch(/^○ 1 ~[34]h\d\dm \$0\.02 \$0\.02 \$0\.02 49\/50 \$1\.20\/h\n$/);
    expect((await runBinary(home, ["compact", "--field=windows_left", "--monthly-windows=9"])).stdout).toBe("8/9\n");
    expect((await runBinary(home, ["prompt", "--template={tokens_today}"])).stdout).toBe("1.0k\n");
    const list = (await runBinary(home, ["list", "--tz=UTC"])).stdout.trimEnd().split("\n");
    expect(list.at(-3)).toMatch(/^window  \d\d:00–\d\d:00 · ~[34]h\d\dm left · 1\.0k tokens · \$0\.02 · \$1\.20\/h → \$\d+\.\d\d by \d\d:00 \(estimated from your replies\)$/);
    expect(list.at(-2)).toMatch(/^today   \d{4}-\d\d-\d\d · 1\.0k tokens · \$0\.02$/);
    expect(list.at(-1)).toMatch(/^month   \d{4}-\d\d-01 → \d{4}-\d\d-01 · 1\.0k tokens · \$0\.02 · 1 of 50 windows used, 49 left$/);
  });
});
