import * as v from "valibot";
import { lazySchema } from "../schemas.ts";
import { writeFileAtomic } from "../atomicWrite.ts";
import { readSmallFile } from "./smallFile.ts";

/**
 * What Claude Code pipes to a `statusLine` command (format doc §3.3), the parts ccpulse uses. Every
 * field optional and lenient: the input can be partial, torn or of a newer version.
 */
const lenient = <T extends v.GenericSchema>(schema: T) => v.fallback(v.optional(schema), undefined);
const num = () => lenient(v.pipe(v.number(), v.finite()));
const text = () => lenient(v.string());
const limit = () => lenient(v.object({ used_percentage: num(), resets_at: num() }));

export const StatuslineInputSchema = lazySchema(() =>
  v.object({
    session_id: text(),
    cwd: text(),
    model: lenient(v.object({ id: text(), display_name: text() })),
    cost: lenient(v.object({ total_cost_usd: num() })),
    context_window: lenient(v.object({ total_input_tokens: num(), context_window_size: num(), used_percentage: num() })),
    // ttl: "5m"/"1h" or seconds (the format doc lists the key, not its type); expires_at in epoch seconds.
    prompt_cache: lenient(v.object({ warm: lenient(v.boolean()), ttl: lenient(v.union([v.pipe(v.number(), v.finite()), v.string()])), expires_at: num() })),
    rate_limits: lenient(v.object({ five_hour: limit(), seven_day: limit() })),
  }),
);
export type StatuslineInput = v.InferOutput<typeof StatuslineInputSchema>;

/** A recorded input: what Claude Code said, and when. */
export const StatuslineRecordSchema = lazySchema(() =>
  v.object({
    version: v.literal(1),
    recordedAt: v.number(),
    input: StatuslineInputSchema,
  }),
);
export type StatuslineRecord = v.InferOutput<typeof StatuslineRecordSchema>;

// Claude Code's input is a few KB; anything far beyond is not its output and is not parsed.
export const MAX_INPUT_BYTES = 1 << 20;

/** The input, or undefined for empty, torn, oversized or non-object input. */
export function parseStatuslineInput(raw: string): StatuslineInput | undefined {
  if (raw.length === 0 || raw.length > MAX_INPUT_BYTES) return undefined;
  try {
    const json: unknown = JSON.parse(raw);
    if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
    const parsed = v.safeParse(StatuslineInputSchema, json);
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/** Reads at most MAX_INPUT_BYTES + 1 of stdin, so a huge input costs neither time nor memory. */
export async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of Bun.stdin.stream()) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

const recordsDir = (cacheDir: string) => `${cacheDir}/statusline-v1`;

/** One file per session, replaced atomically: the latest input wins, concurrent writers never mix. */
export async function saveRecord(cacheDir: string, input: StatuslineInput, now: number): Promise<void> {
  if (input.session_id === undefined) return;
  const record: StatuslineRecord = { version: 1, recordedAt: now, input };
  const path = `${recordsDir(cacheDir)}/${Bun.hash.wyhash(input.session_id).toString(16)}.json`;
  // A record that cannot be written only costs the other views their rate limits.
  await writeFileAtomic(path, JSON.stringify(record)).catch(() => {});
}

/** Every readable record; a torn or foreign file is skipped, and so is anything but a regular file. */
export async function loadRecords(cacheDir: string): Promise<StatuslineRecord[]> {
  const dir = recordsDir(cacheDir);
  const fs = await import("node:fs");
  let names: string[];
  try {
    // readdirSync, not Bun.Glob: json reads the records on every call, and Glob's first scan in a
    // compiled binary costs ~0.8 ms even of a folder that does not exist (1.6 ms of one that does).
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".json") && !entry.name.startsWith("."))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const records: StatuslineRecord[] = [];
  for (const name of names) {
    const read = await readSmallFile(`${dir}/${name}`, MAX_INPUT_BYTES);
    if (typeof read === "string") continue;
    try {
      const parsed = v.safeParse(StatuslineRecordSchema, JSON.parse(read.text));
      if (parsed.success) records.push(parsed.output);
    } catch {
      // torn or foreign
    }
  }
  return records;
}
