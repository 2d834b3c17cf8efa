/**
 * Fuzzing the probe parser with mutated real probes (fixtures/claude-code-2.1.328/*\/sessions). For each
 * case: parseProbe never throws; what it returns agrees with an independent reading of the same JSON
 * (each field kept when it has its type, dropped otherwise, nothing else kept), so no field ever has
 * the wrong type; and readProbe on the bytes written to a file returns the same (or too-large).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_PROBE_BYTES, type ProbeRead, parseProbe, readProbe } from "../../src/read/probe.ts";
import { FIXTURES, makeHome } from "../helpers/home.ts";
import { mutate } from "./mutate.ts";
import { fuzz, fuzzTimeout } from "./run.ts";

const FILE = "test/fuzz/probe.test.ts";
const INT_FIELDS = ["pid", "startedAt", "updatedAt", "statusUpdatedAt"];
const TEXT_FIELDS = ["sessionId", "cwd", "version", "kind", "entrypoint", "pidDomain", "tmux", "name", "status", "waitingFor"];

function probes(): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const moment of readdirSync(FIXTURES).filter((d) => /^\d\d-/.test(d))) {
    const dir = join(FIXTURES, moment, "sessions");
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => /^\d+\.json$/.test(n))) {
      const bytes = readFileSync(join(dir, name));
      seen.set(Bun.hash.wyhash(bytes).toString(16), bytes);
    }
  }
  return [...seen.values()];
}

/** The lenient reading, written out by hand: a field survives only with its own type. */
function expected(text: string): ProbeRead {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "torn" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, reason: "not-an-object" };
  const own = (key: string): unknown => (Object.hasOwn(json as object, key) ? (json as Record<string, unknown>)[key] : undefined);
  const probe: Record<string, unknown> = {};
  for (const f of INT_FIELDS) if (Number.isSafeInteger(own(f))) probe[f] = own(f);
  for (const f of TEXT_FIELDS) if (typeof own(f) === "string") probe[f] = own(f);
  const procStart = own("procStart");
  if (typeof procStart === "string") probe.procStart = procStart;
  else if (typeof procStart === "number") probe.procStart = String(procStart);
  return { ok: true, probe } as ProbeRead;
}

function expectTyped(read: ProbeRead): void {
  if (!read.ok) return;
  for (const [key, value] of Object.entries(read.probe)) {
    if (value === undefined) continue;
    if (INT_FIELDS.includes(key)) {
      if (!Number.isSafeInteger(value)) throw new Error(`${key} = ${String(value)} is not a safe integer`);
    } else if (TEXT_FIELDS.includes(key) || key === "procStart") {
      if (typeof value !== "string") throw new Error(`${key} is a ${typeof value}`);
    } else throw new Error(`unexpected key ${key}`);
  }
}

const SOURCES = probes();

describe("fuzz: probe parser", () => {
  test("no throw, no field of the wrong type, parseProbe = the lenient reading = readProbe", async () => {
    expect(SOURCES.length).toBeGreaterThanOrEqual(10);
    const home = makeHome();
    const path = join(home.claude, "sessions", "4242.json");
    const decoder = new TextDecoder();
    await fuzz(
      "probe",
      FILE,
      async (rng, log) => {
        let bytes = mutate(rng, rng.pick(SOURCES), log, { donors: [], focus: [...INT_FIELDS, ...TEXT_FIELDS, "procStart"] }, 5);
        if (rng.chance(0.05)) {
          // Around Claude Code's 256 KiB read limit.
          const pad = MAX_PROBE_BYTES - bytes.length + rng.range(-64, 64);
          log.note(`padded by ${pad}`);
          if (pad > 0) bytes = new TextEncoder().encode(`{"pad":"${"p".repeat(pad)}",${decoder.decode(bytes).slice(1)}`);
        }
        const text = decoder.decode(bytes);
        const parsed = parseProbe(text);
        expectTyped(parsed);
        expect(parsed).toEqual(expected(text));
        writeFileSync(path, bytes);
        const read = await readProbe(path, () => false);
        if (bytes.length > MAX_PROBE_BYTES) expect(read).toEqual({ ok: false, reason: "too-large" });
        else expect(read).toEqual(parsed);
      },
      { minCases: 50 },
    );
  }, fuzzTimeout());
});
