/**
 * A full disk under the cache: XDG_CACHE_HOME on a small tmpfs, filled up. Each call must still print
 * its answer (exit 0, the same output as with a healthy cache, at most one line on stderr) and leave
 * no broken cache or temp file; once space is freed, the next call writes a valid cache with exact
 * totals. Filled three times: completely (no cache yet), to within 8 KiB while a cache from before is
 * brought up to date (the write fails partway), and to within 8 KiB while a version too large for the
 * slot file it goes to is written (the write is refused).
 *
 * The tmpfs is mounted directly when we may (root), else inside `unshare -rm` (a user and mount
 * namespace); with neither the test is skipped and says why. The steps run as one bash script so that
 * both ways run the same thing; results land outside the tmpfs and are checked here.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CACHE_VERSION } from "../../src/read/tokenCache.ts";
import { cacheProblem, newestSummary } from "../helpers/cacheFile.ts";
import { BINARY, makeHome } from "../helpers/home.ts";
import { naiveTotals } from "../helpers/oracle.ts";
import { LiveSession, fourTotals } from "./sessions.ts";

const SIZE = "1m";

/** How a tmpfs can be had here: "direct" (mount works), "userns" (unshare -rm works), or why not. */
function tmpfsMode(): { mode: "direct" | "userns" } | { mode: "none"; why: string } {
  const probe = mkdtempSync(join(tmpdir(), "ccpulse-mnt-"));
  try {
    const direct = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stderr: "pipe" });
    if (direct.exitCode === 0 && process.env.CCPULSE_FAULT_USERNS !== "1") {
      Bun.spawnSync(["umount", probe]);
      return { mode: "direct" };
    }
    if (direct.exitCode === 0) Bun.spawnSync(["umount", probe]);
    const userns = Bun.spawnSync(["unshare", "-rm", "sh", "-c", `mount -t tmpfs -o size=64k tmpfs '${probe}'`], { stderr: "pipe" });
    if (userns.exitCode === 0) return { mode: "userns" };
    return { mode: "none", why: `mount: ${direct.stderr.toString().trim()}; unshare -rm: ${userns.stderr.toString().trim()}` };
  } catch (error) {
    return { mode: "none", why: String(error) };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const MODE = tmpfsMode();
if (MODE.mode === "none") console.warn(`faults diskfull: skipped, no tmpfs can be mounted here (${MODE.why})`);

// Each step: run json and compact, keep their stdout, stderr and exit code, and a copy of the cache dir.
const SCRIPT = `
set -u
[ "$MOUNT" = 1 ] && { mount -t tmpfs -o size=$SIZE tmpfs "$MNT" || exit 90; }
fill() { dd if=/dev/zero of="$MNT/filler" bs=65536 status=none 2>/dev/null; [ "$1" -gt 0 ] && truncate -s "-$1" "$MNT/filler"; sync; }
step() {
  mkdir -p "$OUT/$1"
  df -B1 --output=avail "$MNT" | tail -1 > "$OUT/$1/avail"
  "$BIN" json > "$OUT/$1/json.out" 2> "$OUT/$1/json.err"; echo $? > "$OUT/$1/json.code"
  "$BIN" compact --tmux --tokens > "$OUT/$1/compact.out" 2> "$OUT/$1/compact.err"; echo $? > "$OUT/$1/compact.code"
  XDG_CACHE_HOME="$OUT/$1/reference-cache" "$BIN" compact --tmux --tokens > "$OUT/$1/compact.want" 2>/dev/null
  [ -d "$MNT/ccpulse" ] && cp -r "$MNT/ccpulse" "$OUT/$1/cache"
  return 0
}
fill 0;    step 1-full-cold
rm -f "$MNT/filler"; step 2-freed
cat "$APPEND" >> "$TRANSCRIPT"
fill 8192; step 3-nearly-full-warm
rm -f "$MNT/filler"; step 4-freed-again
cat "$GROW" >> "$TRANSCRIPT"
fill 8192; step 5-nearly-full-growing
rm -f "$MNT/filler"; step 6-freed-grown
`;

interface Step {
  readonly avail: number;
  readonly json: { out: string; err: string; code: number };
  readonly compact: { out: string; err: string; code: number; want: string };
  /** Session cache files (name → text) and every other entry of the cache dir. */
  readonly caches: Map<string, string>;
  readonly others: string[];
}

function readStep(dir: string): Step {
  const text = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : "");
  const run = (cmd: string) => ({ out: text(`${cmd}.out`), err: text(`${cmd}.err`), code: Number(text(`${cmd}.code`)) });
  const caches = new Map<string, string>();
  const others: string[] = [];
  const sessions = join(dir, "cache", `sessions-v${CACHE_VERSION}`);
  for (const name of existsSync(sessions) ? readdirSync(sessions) : []) {
    if (/^[0-9a-f]{16}(\.1)?\.json$/.test(name)) caches.set(name, readFileSync(join(sessions, name), "utf8"));
    else others.push(name);
  }
  return { avail: Number(text("avail")), json: run("json"), compact: { ...run("compact"), want: text("compact.want") }, caches, others };
}

describe("faults: a full disk under the cache", () => {
  test.skipIf(MODE.mode === "none")(`calls answer on a full ${SIZE} tmpfs; once freed, the cache is valid and exact`, async () => {
    const home = makeHome();
    const session = new LiveSession(home, "disk", "/w/disk");
    // Enough messages that the cache file (a hash per message id) is larger than the 8 KiB left free.
    writeFileSync(session.transcript, session.nextText(1500));
    const before = fourTotals(session.expected());
    const append = join(home.root, "append.jsonl");
    writeFileSync(append, session.nextText(40));
    // 2,000 more messages: ~21 KB more message ids than the slot file and its room hold.
    const grow = join(home.root, "grow.jsonl");
    writeFileSync(grow, session.nextText(2000));
    const totalsWith = (...parts: string[]) => {
      const copy = join(home.root, `with-${parts.length}.jsonl`);
      writeFileSync(copy, [session.transcript, ...parts].map((p) => readFileSync(p, "utf8")).join(""));
      return fourTotals(naiveTotals([copy]));
    };
    const after = totalsWith(append);
    const grown = totalsWith(append, grow);
    const mnt = join(home.root, "small-cache");
    const out = join(home.root, "steps");
    mkdirSync(mnt);
    mkdirSync(out);
    const env = { ...home.env, XDG_CACHE_HOME: mnt, MNT: mnt, OUT: out, BIN: BINARY, SIZE, APPEND: append, GROW: grow, TRANSCRIPT: session.transcript };
    const script = join(home.root, "steps.sh");
    writeFileSync(script, SCRIPT);
    let mounted = false;
    try {
      if (MODE.mode === "direct") {
        const m = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${SIZE}`, "tmpfs", mnt], { stderr: "pipe" });
        expect(m.stderr.toString()).toBe("");
        mounted = m.exitCode === 0;
      }
      const argv = MODE.mode === "direct" ? ["bash", script] : ["unshare", "-rm", "bash", script];
      const run = Bun.spawn(argv, { env: { ...env, MOUNT: MODE.mode === "direct" ? "0" : "1" }, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
      expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
    } finally {
      if (mounted) {
        const u = Bun.spawnSync(["umount", mnt]);
        if (u.exitCode !== 0) Bun.spawnSync(["umount", "-l", mnt]);
      }
    }
    expect(fourTotals(session.expected())).toEqual(grown);
    expect(new Set([JSON.stringify(before), JSON.stringify(after), JSON.stringify(grown)]).size).toBe(3);

    const steps = ["1-full-cold", "2-freed", "3-nearly-full-warm", "4-freed-again", "5-nearly-full-growing", "6-freed-grown"].map((name) => ({ name, ...readStep(join(out, name)) }));
    type Named = (typeof steps)[number];
    const [fullCold, freed, nearlyFull, freedAgain, nearlyFullGrowing, freedGrown] = steps as [Named, Named, Named, Named, Named, Named];
    expect(fullCold.avail).toBe(0);
    expect(nearlyFull.avail).toBeLessThanOrEqual(8192);
    expect(nearlyFullGrowing.avail).toBeLessThanOrEqual(8192);
    for (const s of steps) {
      // Every call answers, and answers right, full disk or not.
      const want = s === fullCold || s === freed ? before : s === nearlyFull || s === freedAgain ? after : grown;
      expect({ step: s.name, code: s.json.code, tokens: fourTotals(JSON.parse(s.json.out).sessions[0].tokens) }).toEqual({ step: s.name, code: 0, tokens: want });
      expect({ step: s.name, code: s.compact.code, out: s.compact.out }).toEqual({ step: s.name, code: 0, out: s.compact.want });
      expect(s.compact.want).toMatch(/\d/);
      for (const err of [s.json.err, s.compact.err]) expect(err.split("\n").filter((l) => l !== "").length).toBeLessThanOrEqual(1);
      // Whatever cache is there is whole, and no temp file is left.
      for (const [name, text] of s.caches) expect({ step: s.name, name, problem: cacheProblem(text) }).toEqual({ step: s.name, name, problem: undefined });
      expect(s.others.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    }
    // A full disk stores nothing; freed, the cache is written and its totals are exact.
    expect(fullCold.caches.size).toBe(0);
    for (const [s, want] of [[freed, before], [freedAgain, after], [freedGrown, grown]] as const) {
      expect(new Set([...s.caches.keys()].map((name) => name.slice(0, 16))).size).toBe(1);
      expect(fourTotals(newestSummary(s.caches.values()).tokens)).toEqual(want);
    }
    // Nearly full: the cache brought up to date is either written (in place, within its slot's size: no
    // new blocks needed) or, where that slot had no room, left as it was, whole.
    const nearly = fourTotals(newestSummary(nearlyFull.caches.values()).tokens);
    expect([before, after]).toContainEqual(nearly);
    // Too large for the slot file it goes to, and no room for a larger one: both slots are as they were.
    // Freed, it is written.
    expect(nearlyFullGrowing.caches).toEqual(freedAgain.caches);
    expect(Math.max(...[...freedGrown.caches.values()].map((t) => t.length))).toBeGreaterThan(Math.max(...[...freedAgain.caches.values()].map((t) => t.length)));
    console.log(
      `faults diskfull (${MODE.mode} tmpfs of ${SIZE}): ` +
        steps.map((s) => `${s.name}: ${s.avail} B free, ${s.caches.size} cache files of ${[...s.caches.values()].map((t) => t.length).join(" and ")} B, others [${s.others.join(" ")}]`).join("; "),
    );
    await session.sleeper.kill();
  }, 60_000);
});
