import { messageCost } from "../derive/pricing.ts";
import { type UsageRow, usageTokens } from "../derive/tokens.ts";

// 8 MiB reads into one reused buffer: large enough that syscalls do not matter, small enough to keep RSS flat.
const CHUNK_BYTES = 8 << 20;
// A line longer than this is passed over. No assistant row comes near it (output is capped at 128k
// tokens); the lines that do are tool results and attachments, which carry no usage we count.
export const MAX_LINE_BYTES = CHUNK_BYTES;
// Only lines holding this key can carry usage. Inside a JSON string the quotes would be escaped, so a
// raw match is a key (or the rare bare string "usage"): every other line is skipped without parsing.
const MARKER = Buffer.from('"usage"');
// And a row that counts is `"type":"assistant"`: lines holding "usage" but not this string (an Agent
// tool's result in a user row, often hundreds of KB) are skipped unparsed too.
const ASSISTANT = Buffer.from('"assistant"');
const NEWLINE = 0x0a;

/**
 * Reads `path` from byte `start` to `end` and hands every assistant row's usage to `onRow`.
 * Returns the offset just after the last complete line: a line still being written (no "\n" yet) is
 * left for the next call, so it is never counted half-read.
 */
export async function scanTranscript(path: string, start: number, end: number, onRow: (row: UsageRow) => void): Promise<number> {
  if (end <= start) return start;
  // node:fs for one reused buffer (a fresh ArrayBuffer per Bun.file slice grew RSS with the bytes read).
  // Its ~3 ms import is paid only when there are new bytes, and the cache write that follows needs it too.
  const fs = await import("node:fs");
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch {
    return start;
  }
  const lease = leaseBuffer(Math.min(CHUNK_BYTES, Math.max(64 * 1024, end - start)));
  try {
    let buf = lease.buf;
    let pos = start;
    let committed = start;
    let carried = 0; // bytes of an unfinished line kept at the front of buf
    let skippingLongLine = false;
    while (pos < end) {
      if (carried === buf.length) {
        if (buf.length >= MAX_LINE_BYTES) {
          skippingLongLine = true;
          carried = 0;
        } else {
          const grown = Buffer.allocUnsafe(Math.min(MAX_LINE_BYTES, buf.length * 2));
          buf.copy(grown, 0, 0, carried);
          buf = grown;
          lease.keep(grown);
        }
      }
      const n = fs.readSync(fd, buf, carried, Math.min(buf.length - carried, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      const filled = carried + n;
      const base = pos - filled; // file offset of buf[0]
      const view = buf.subarray(0, filled);
      let from = 0;
      if (skippingLongLine) {
        const newline = view.indexOf(NEWLINE);
        if (newline < 0) {
          carried = 0;
          continue;
        }
        skippingLongLine = false;
        from = newline + 1;
        committed = base + from;
      }
      const lastNewline = view.lastIndexOf(NEWLINE);
      if (lastNewline >= from) {
        scanLines(view, from, lastNewline + 1, onRow);
        from = lastNewline + 1;
        committed = base + from;
      }
      carried = filled - from;
      if (carried > 0 && from > 0) buf.copyWithin(0, from, filled);
    }
    return committed;
  } finally {
    lease.release();
    fs.closeSync(fd);
  }
}

// One buffer for every file of a call: a new 8 MiB one per file stayed alive until the next GC, and
// a cold call over 7 sessions peaked near 100 MB. A second scan running at the same time gets its own.
let spare: Buffer | undefined;

function leaseBuffer(size: number): { buf: Buffer; keep(b: Buffer): void; release(): void } {
  let buf = spare && spare.length >= size ? spare : Buffer.allocUnsafe(size);
  spare = undefined;
  return {
    buf,
    keep(b) {
      buf = b;
    },
    release() {
      if (!spare || buf.length > spare.length) spare = buf;
    },
  };
}

// Parsed lines become garbage at once, but JSC collects lazily: without a nudge a 135 MB transcript
// peaked at 71 MB RSS; an eden collection every 2 MB parsed kept it at 58 MB for ~4% more time.
const PARSED_BYTES_PER_GC = 2 << 20;
let parsedSinceGc = 0;

/** Finds marker hits in buf[from, to) (to is just after a newline) and parses only their lines. */
function scanLines(buf: Buffer, from: number, to: number, onRow: (row: UsageRow) => void): void {
  let at = from;
  while (at < to) {
    const hit = buf.indexOf(MARKER, at);
    if (hit < 0 || hit >= to) return;
    const lineStart = Math.max(from, buf.lastIndexOf(NEWLINE, hit) + 1);
    const lineEnd = buf.indexOf(NEWLINE, hit);
    if (buf.subarray(lineStart, lineEnd).indexOf(ASSISTANT) >= 0) {
      const row = parseUsageLine(buf, lineStart, lineEnd);
      if (row) onRow(row);
      parsedSinceGc += lineEnd - lineStart;
      if (parsedSinceGc > PARSED_BYTES_PER_GC) {
        parsedSinceGc = 0;
        Bun.gc(false);
      }
    }
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
  const model = optionalString(message.model);
  const cost = messageCost(model, message.usage);
  const tokens = usageTokens(message.usage);
  return {
    messageId: optionalString(message.id),
    requestId: optionalString(json.requestId),
    model,
    sidechain: json.isSidechain === true,
    tokens,
    costUSD: cost.usd,
    estimated: cost.estimated,
    at: optionalString(json.timestamp),
    // 2.1.328 writes the TTL it asked for on every assistant row ("promptCacheRequested":"5m"); older
    // rows only show it through 1h cache writes.
    cacheTtl: json.promptCacheRequested === "1h" || tokens.cacheWrite1h > 0 ? "1h" : "5m",
  };
}
