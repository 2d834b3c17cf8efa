import * as v from "valibot";
import { readSmallFile } from "./smallFile.ts";

/** An optional field that becomes undefined when it holds the wrong type, like Claude Code's own lenient reader. */
const lenient = <T extends v.GenericSchema>(schema: T) => v.fallback(v.optional(schema), undefined);
const text = lenient(v.string());
const int = lenient(v.pipe(v.number(), v.safeInteger()));

/** `sessions/<pid>.json` (format doc §1.2–1.3): every field optional, unknown keys dropped. */
export const ProbeSchema = v.object({
  pid: int,
  sessionId: text,
  cwd: text,
  startedAt: int,
  procStart: lenient(v.union([v.string(), v.pipe(v.number(), v.transform(String))])),
  version: text,
  kind: text,
  entrypoint: text,
  pidDomain: text,
  tmux: text,
  name: text,
  status: text,
  waitingFor: text,
  updatedAt: int,
  statusUpdatedAt: int,
});
export type Probe = v.InferOutput<typeof ProbeSchema>;

// Claude Code reads at most this much of a probe (zsn=262144, format doc §1.6).
export const MAX_PROBE_BYTES = 262_144;
// Claude Code rewrites probes in place; it re-reads a torn one after 25 ms (Nds=25).
const TORN_RETRY_MS = 25;

export type ProbeRead =
  | { readonly ok: true; readonly probe: Probe }
  | { readonly ok: false; readonly reason: "missing" | "too-large" | "torn" | "not-an-object" };

export function parseProbe(raw: string): ProbeRead {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "torn" };
  }
  // valibot's object() accepts arrays; a probe is always a JSON object.
  if (Array.isArray(json)) return { ok: false, reason: "not-an-object" };
  const parsed = v.safeParse(ProbeSchema, json);
  return parsed.success ? { ok: true, probe: parsed.output } : { ok: false, reason: "not-an-object" };
}

async function readOnce(path: string): Promise<ProbeRead> {
  const read = await readSmallFile(path, MAX_PROBE_BYTES);
  if (read === "missing" || read === "too-large") return { ok: false, reason: read };
  if (read === "not-a-file") return { ok: false, reason: "not-an-object" };
  return parseProbe(read.text);
}

/**
 * Reads a probe; a torn read (empty or half-written JSON) is retried once after 25 ms when `mayBeLive`
 * says the writer could still be running. A second failure skips the session for this call.
 */
export async function readProbe(path: string, mayBeLive: () => boolean): Promise<ProbeRead> {
  const first = await readOnce(path);
  if (first.ok || first.reason !== "torn" || !mayBeLive()) return first;
  await Bun.sleep(TORN_RETRY_MS);
  return readOnce(path);
}
