/**
 * Fuzzing the transcript reader with mutated real transcripts (fixtures/claude-code-2.1.328). Two
 * families of cases, each for CCPULSE_FUZZ_SECONDS (see run.ts):
 *
 * - any mutation: the reader never throws; totals are non-negative safe integers and the cost a finite
 *   non-negative number; reading the file through the offset cache in random slices (lines cut
 *   anywhere, a call after each) gives exactly what one read gives; the cache files it leaves are whole
 *   and hold to their schemas, and a warm call answers the same.
 * - mutations that must not change the totals (blank, junk, NUL-prefixed and CRLF lines, damage to lines
 *   that carry no usage, an assistant row repeated in place, a torn last line) of the complete captures:
 *   totals equal tokens.txt (what the API sent) and the cost Claude Code's own cost-state, both in one
 *   read and in slices.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { cacheDir } from "../../src/env.ts";
import { type SessionTokens, readSessionTokens } from "../../src/read/sessionTokens.ts";
import { cachePath } from "../../src/read/tokenCache.ts";
import { cacheProblem } from "../helpers/cacheFile.ts";
import { FIXTURES, makeHome } from "../helpers/home.ts";
import { naiveTotals } from "../helpers/oracle.ts";
import { joinLines, mutate, splitLines, MUTATIONS } from "./mutate.ts";
import { type CaseLog, type Random, fuzz, fuzzTimeout } from "./run.ts";

const FILE = "test/fuzz/transcript.test.ts";
const CWD = "/fuzz/work";

/** Every distinct transcript of the captures (later moments are longer versions of earlier ones). */
function captures(): { name: string; bytes: Uint8Array }[] {
  const seen = new Map<string, { name: string; bytes: Uint8Array }>();
  for (const moment of readdirSync(FIXTURES).filter((d) => /^\d\d-/.test(d))) {
    const projects = join(FIXTURES, moment, "projects");
    if (!existsSync(projects)) continue;
    for (const rel of new Bun.Glob("*/*.jsonl").scanSync({ cwd: projects })) {
      const bytes = readFileSync(join(projects, rel));
      seen.set(Bun.hash.wyhash(bytes).toString(16), { name: `${moment}/${rel.split("/")[1]?.slice(0, 8)}`, bytes });
    }
  }
  return [...seen.values()];
}

interface Truth {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly tokens: { input: number; cacheWrite: number; cacheRead: number; output: number };
  readonly costUSD: number;
}

/** The complete transcripts of 11-after-exit with the usage the fake API sent and Claude Code's cost-state. */
function truths(): Truth[] {
  const text = readFileSync(join(FIXTURES, "tokens.txt"), "utf8");
  const out: Truth[] = [];
  for (const block of text.split(/\n(?=session )/).filter((b) => b.startsWith("session "))) {
    const m = /^session (\S+) \((\S+)\)[\s\S]*?transcript records : (\{.*\})[\s\S]*?totalCostUSD=([\d.e-]+)/.exec(block);
    if (!m) throw new Error(`tokens.txt block not understood: ${block.slice(0, 80)}`);
    const [, sid, dir, records, cost] = m as unknown as [string, string, string, string, string];
    const r = JSON.parse(records);
    out.push({
      name: sid.slice(0, 8),
      bytes: readFileSync(join(FIXTURES, "11-after-exit", "projects", dir, `${sid}.jsonl`)),
      tokens: { input: r.input_tokens, cacheWrite: r.cache_creation_input_tokens, cacheRead: r.cache_read_input_tokens, output: r.output_tokens },
      costUSD: Number(cost),
    });
  }
  return out;
}

const SOURCES = captures();
const TRUTHS = truths();
const DONORS = SOURCES.flatMap((s) => splitLines(s.bytes)).filter((l) => l.length > 0 && l.length < 20_000);

/** One temp home for a target; each case uses two fresh session ids and removes its files after. */
function workspace() {
  const home = makeHome();
  const cache = cacheDir(home.env);
  const projectDir = join(home.claude, "projects", encodeProjectDir(CWD));
  mkdirSync(projectDir, { recursive: true });
  let next = 0;
  return {
    session() {
      const sessionId = `fuzz-${next++}`;
      const transcript = join(projectDir, `${sessionId}.jsonl`);
      const cacheFile = cachePath(cache, home.claude, sessionId);
      return {
        transcript,
        cacheFile,
        read: () => readSessionTokens({ configDir: home.claude, sessionId, cwd: CWD, updatedAt: 1 }, cache),
        remove() {
          rmSync(transcript, { force: true });
          rmSync(cacheFile, { force: true });
        },
      };
    },
  };
}
type Session = ReturnType<ReturnType<typeof workspace>["session"]>;

const TOKEN_KEYS = ["input", "cacheWrite", "cacheWrite5m", "cacheWrite1h", "cacheRead", "output"] as const;

function expectSane(r: SessionTokens): void {
  for (const key of TOKEN_KEYS) {
    const n = r.tokens[key];
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`tokens.${key} = ${n}, not a non-negative safe integer`);
  }
  if (r.tokens.cacheWrite !== r.tokens.cacheWrite5m + r.tokens.cacheWrite1h) throw new Error(`cacheWrite ${r.tokens.cacheWrite} ≠ 5m + 1h`);
  if (!Number.isFinite(r.costUSD) || r.costUSD < 0) throw new Error(`costUSD = ${r.costUSD}`);
}

// Fields that name the file or stamp its inode: two sessions' differ however they were read.
const PATH_DEPENDENT = new Set(["transcript", "watched"]);

/** Everything that must not depend on how the file was read, the quarter-hour buckets merged. */
const comparable = (r: SessionTokens) => ({ ...Object.fromEntries(Object.entries(r).filter(([key]) => !PATH_DEPENDENT.has(key))), buckets: r.buckets() });

function expectCacheWhole(s: Session): void {
  const problem = cacheProblem(readFileSync(s.cacheFile, "utf8"));
  if (problem) throw new Error(`cache ${s.cacheFile}: ${problem}`);
}

/** Reads `bytes` in one go, then again warm; the same answer, sane, and a whole cache behind it. */
async function readWhole(s: Session, bytes: Uint8Array): Promise<SessionTokens> {
  mkdirSync(dirname(s.transcript), { recursive: true });
  writeFileSync(s.transcript, bytes);
  const first = await s.read();
  expectSane(first);
  expectCacheWhole(s);
  expect(comparable(await s.read())).toEqual(comparable(first));
  return first;
}

/** Appends `bytes` in random slices with a call after each, as Claude Code's writes and status calls interleave. */
async function readInSlices(rng: Random, s: Session, bytes: Uint8Array, log: CaseLog): Promise<SessionTokens> {
  writeFileSync(s.transcript, "");
  const cuts = new Set<number>();
  const n = rng.range(1, 24);
  for (let i = 0; i < n; i++) {
    // Some cuts just before or after a newline, where an off-by-one would show.
    const at = rng.int(bytes.length + 1);
    const newline = bytes.indexOf(0x0a, at);
    cuts.add(rng.chance(0.3) && newline >= 0 ? newline + rng.int(2) : at);
  }
  const sorted = [...cuts].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  log.note(`slices at ${sorted.length > 8 ? `${sorted.slice(0, 8).join(",")},…` : sorted.join(",")}`);
  let last: SessionTokens | undefined;
  let from = 0;
  for (const cut of [...sorted, bytes.length]) {
    appendFileSync(s.transcript, bytes.subarray(from, cut));
    from = cut;
    last = await s.read();
    expectSane(last);
  }
  expectCacheWhole(s);
  return last as SessionTokens;
}

// ---------------------------------------------------------------- mutations that keep the totals

const NUL = /^\0+/;

/** A complete line the oracle would count: an assistant row with a usage object. */
function carriesUsage(line: Uint8Array): boolean {
  try {
    const row = JSON.parse(Buffer.from(line).toString("utf8").replace(NUL, ""));
    return row?.type === "assistant" && typeof row.message?.usage === "object" && row.message.usage !== null;
  } catch {
    return false;
  }
}

/**
 * Edits that a correct reader must not see in its totals. Lines are the file split on "\n" (the last
 * element is what follows the final newline, empty for a complete file) and are edited in place.
 */
const KEEPING: Record<string, (rng: Random, lines: Uint8Array[], log: CaseLog) => void> = {
  nothing() {},
  blankLine(rng, lines, log) {
    const at = rng.int(lines.length);
    log.note(`blank line at ${at}`);
    lines.splice(at, 0, new Uint8Array(0));
  },
  junkLine(rng, lines, log) {
    // \x01 first: no JSON text starts with it, whatever follows.
    const junk = Uint8Array.from([0x01, ...[...rng.bytes(rng.range(0, 300))].map((b) => (b === 0x0a ? 0x20 : b))]);
    const at = rng.int(lines.length);
    log.note(`junk line at ${at}`);
    lines.splice(at, 0, junk);
  },
  nulPrefix(rng, lines, log) {
    const i = rng.int(lines.length - 1);
    log.note(`NULs before line ${i}`);
    lines[i] = Uint8Array.from([...new Uint8Array(rng.range(1, 40)), ...(lines[i] as Uint8Array)]);
  },
  crlf(rng, lines, log) {
    const i = rng.int(lines.length - 1);
    log.note(`CR at end of line ${i}`);
    lines[i] = Uint8Array.from([...(lines[i] as Uint8Array), 0x0d]);
  },
  damageOther(rng, lines, log) {
    const others = lines.slice(0, -1).flatMap((l, i) => (carriesUsage(l) ? [] : [i]));
    if (others.length === 0) return;
    const i = rng.pick(others);
    const sub: CaseLog = { steps: [], note: (s) => void sub.steps.push(s) };
    const name = rng.pick(["flipBits", "setByte", "truncate", "insert", "deleteRange", "editJson"]);
    const damaged = (MUTATIONS[name] as (typeof MUTATIONS)[string])(rng, lines[i] as Uint8Array, sub, { donors: [], focus: ["usage", "type"] });
    // Only if every line it became still carries no usage (a flip could turn "user" into a row that counts).
    const parts = splitLines(damaged);
    if (parts.some(carriesUsage)) return;
    log.note(`damage line ${i}: ${sub.steps.join(", ")}`);
    lines.splice(i, 1, ...parts);
  },
  repeatRow(rng, lines, log) {
    // Claude Code writes a row per content block; the same row twice in a row is the same message.
    const rows = lines.slice(0, -1).flatMap((l, i) => (carriesUsage(l) ? [i] : []));
    if (rows.length === 0) return;
    const i = rng.pick(rows);
    log.note(`repeat row ${i}`);
    lines.splice(i + 1, 0, lines[i] as Uint8Array);
  },
  repeatOther(rng, lines, log) {
    const others = lines.slice(0, -1).flatMap((l, i) => (carriesUsage(l) ? [] : [i]));
    if (others.length === 0) return;
    const i = rng.pick(others);
    const at = rng.int(lines.length);
    log.note(`copy line ${i} to ${at}`);
    lines.splice(at, 0, lines[i] as Uint8Array);
  },
  dropOther(rng, lines, log) {
    const others = lines.slice(0, -1).flatMap((l, i) => (carriesUsage(l) ? [] : [i]));
    if (others.length === 0) return;
    const i = rng.pick(others);
    log.note(`drop line ${i}`);
    lines.splice(i, 1);
  },
  swapOthers(rng, lines, log) {
    const others = lines.slice(0, -1).flatMap((l, i) => (carriesUsage(l) ? [] : [i]));
    if (others.length < 2) return;
    const [i, j] = [rng.pick(others), rng.pick(others)];
    log.note(`swap lines ${i} ${j}`);
    [lines[i], lines[j]] = [lines[j] as Uint8Array, lines[i] as Uint8Array];
  },
};

/** A strict prefix of some line with no "\n" after it: a write still in progress. */
function tornTail(rng: Random, lines: Uint8Array[], log: CaseLog): void {
  const full = lines.slice(0, -1).filter((l) => l.length > 1);
  const line = rng.pick(full);
  const cut = rng.range(1, line.length - 1);
  log.note(`torn tail of ${cut}/${line.length} bytes`);
  lines[lines.length - 1] = line.subarray(0, cut);
}

describe("fuzz: transcript reader", () => {
  test("any mutation: no throw, sane totals, slices through the cache = one read, caches whole", async () => {
    const ws = workspace();
    await fuzz(
      "transcript",
      FILE,
      async (rng, log) => {
        const source = rng.pick(SOURCES);
        log.note(`source ${source.name}`);
        const bytes = mutate(rng, source.bytes, log, { donors: DONORS, focus: ["usage", "message", "type", "model", "requestId", "isSidechain", "timestamp"] });
        const [whole, sliced] = [ws.session(), ws.session()];
        try {
          const once = await readWhole(whole, bytes);
          const inSlices = await readInSlices(rng, sliced, bytes, log);
          expect(comparable(inSlices)).toEqual(comparable(once));
        } finally {
          whole.remove();
          sliced.remove();
        }
      },
      { minCases: 20 },
    );
  }, fuzzTimeout());

  test("mutations that keep the totals: the captures still equal tokens.txt, in one read and in slices", async () => {
    expect(TRUTHS).toHaveLength(3);
    const ws = workspace();
    const names = Object.keys(KEEPING);
    await fuzz(
      "transcript-keeping",
      FILE,
      async (rng, log) => {
        const truth = rng.pick(TRUTHS);
        log.note(`source ${truth.name}`);
        const lines = splitLines(truth.bytes);
        expect((lines.at(-1) as Uint8Array).length).toBe(0);
        const n = rng.int(6);
        for (let i = 0; i < n; i++) (KEEPING[rng.pick(names)] as (typeof KEEPING)[string])(rng, lines, log);
        if (rng.chance(0.3)) tornTail(rng, lines, log);
        const bytes = joinLines(lines);
        const [whole, sliced] = [ws.session(), ws.session()];
        try {
          mkdirSync(dirname(whole.transcript), { recursive: true });
          // The independent oracle agrees the edits kept the totals (else the test, not the reader, is wrong).
          writeFileSync(whole.transcript, bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1));
          expect(naiveTotals([whole.transcript])).toEqual(truth.tokens);
          for (const r of [await readWhole(whole, bytes), await readInSlices(rng, sliced, bytes, log)]) {
            expect({ input: r.tokens.input, cacheWrite: r.tokens.cacheWrite, cacheRead: r.tokens.cacheRead, output: r.tokens.output }).toEqual(truth.tokens);
            expect(r.costUSD).toBeCloseTo(truth.costUSD, 12);
            expect(r.costEstimated).toBe(false);
          }
        } finally {
          whole.remove();
          sliced.remove();
        }
      },
      { minCases: 20 },
    );
  }, fuzzTimeout());
});
