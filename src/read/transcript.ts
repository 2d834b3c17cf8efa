import { type UsageRow, usageTokens } from "../derive/tokens.ts";

// 8 MiB reads: large enough that syscalls do not matter, small enough to keep RSS flat.
const CHUNK_BYTES = 8 << 20;
// A line longer than this is passed over. No assistant row comes near it (output is capped at 128k
// tokens); the lines that do are tool results and attachments, which carry no usage we count.
export const MAX_LINE_BYTES = CHUNK_BYTES;
// Only lines holding this key can carry usage. Inside a JSON string the quotes would be escaped, so a
// raw match is a key (or the rare bare string "usage"): every other line is skipped without parsing.
const MARKER = Buffer.from('"usage"');
const NEWLINE = 0x0a;

/**
 * Reads `path` from byte `start` to `end` and hands every assistant row's usage to `onRow`.
 * Returns the offset just after the last complete line: a line still being written (no "\n" yet) is
 * left for the next call, so it is never counted half-read.
 */
export async function scanTranscript(path: string, start: number, end: number, onRow: (row: UsageRow) => void): Promise<number> {
  const file = Bun.file(path);
  let pos = start;
  let committed = start;
  let pending: Buffer | undefined;
  let skippingLongLine = false;
  while (pos < end) {
    const chunk = Buffer.from(await file.slice(pos, Math.min(end, pos + CHUNK_BYTES)).arrayBuffer());
    if (chunk.length === 0) break;
    pos += chunk.length;
    let buf = chunk;
    let from = 0;
    if (pending) {
      buf = Buffer.concat([pending, chunk]);
      pending = undefined;
    }
    if (skippingLongLine) {
      const newline = buf.indexOf(NEWLINE);
      if (newline < 0) continue;
      skippingLongLine = false;
      from = newline + 1;
      committed = pos - buf.length + from;
    }
    const lastNewline = buf.lastIndexOf(NEWLINE);
    if (lastNewline >= from) {
      scanLines(buf, from, lastNewline + 1, onRow);
      from = lastNewline + 1;
      committed = pos - buf.length + from;
    }
    const rest = buf.length - from;
    if (rest >= MAX_LINE_BYTES) skippingLongLine = true;
    else if (rest > 0) pending = buf.subarray(from);
  }
  return committed;
}

/** Finds marker hits in buf[from, to) (to is just after a newline) and parses only their lines. */
function scanLines(buf: Buffer, from: number, to: number, onRow: (row: UsageRow) => void): void {
  let at = from;
  while (at < to) {
    const hit = buf.indexOf(MARKER, at);
    if (hit < 0 || hit >= to) return;
    const lineStart = Math.max(from, buf.lastIndexOf(NEWLINE, hit) + 1);
    const lineEnd = buf.indexOf(NEWLINE, hit);
    const row = parseUsageLine(buf, lineStart, lineEnd);
    if (row) onRow(row);
    at = lineEnd + 1;
  }
}

/** An assistant row's usage, or undefined for any other line. Leading NULs are stripped as Claude Code does (§2.4). */
export function parseUsageLine(buf: Uint8Array, start: number, end: number): UsageRow | undefined {
  while (start < end && buf[start] === 0) start++;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8"));
  } catch {
    return undefined;
  }
  return usageRow(json);
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const optionalString = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

// Hand-checked instead of a valibot schema: this runs once per assistant row on the cold path, and
// each field is only ever read with a typeof check, so a schema would add cost and no safety.
export function usageRow(json: unknown): UsageRow | undefined {
  if (!isRecord(json) || json.type !== "assistant") return undefined;
  const message = json.message;
  if (!isRecord(message) || !isRecord(message.usage)) return undefined;
  return {
    messageId: optionalString(message.id),
    requestId: optionalString(json.requestId),
    model: optionalString(message.model),
    sidechain: json.isSidechain === true,
    tokens: usageTokens(message.usage),
  };
}
