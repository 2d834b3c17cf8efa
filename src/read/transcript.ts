import { messageCost } from "../derive/pricing.ts";
import { isoUtcMs } from "../derive/cacheWarmth.ts";
import { type LimitHit, type UsageRow, usageTokens } from "../derive/tokens.ts";
import { parseJsonBytes } from "./jsonBytes.ts";

// The search keys' bytes, not Buffer.from(text): this module is loaded by every call that misses its
// stored answer, and the first Buffer.from of a string costs ~0.4 ms in a compiled binary, which a
// `compact --tmux` that reads no transcript never paid back (39.2 against 41.1 ms, medium bench home).
function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// 1 MiB reads into one reused buffer: syscalls still do not matter. Cold `json`, /usr/bin/time, 4
// runs each: the medium bench home peaked at 60.9-62.0 MiB RSS against 62.0-63.2 with 2 MiB reads, the
// large one at 62.2-62.9 against 62.7-63.7, in the same times within noise (8 MiB reads: 68 MiB, 3% slower).
const CHUNK_BYTES = 1 << 20;
// A catch-up (a read from a cursor, not from byte 0) reads at most this much at a time: it is what was
// appended since the last call, usually little, and each fresh page of the buffer costs a fault (~11 µs
// on this VM). In 1 MiB reads, a call after a 1 MiB append to the small bench home (two sessions, 512 KB
// each) faulted in 128 pages of it where 128 KB reads fault in 32; a read from 0 (a cold scan) keeps
// 1 MiB reads, whose fewer syscalls count there.
const CATCH_UP_READ_BYTES = 128 << 10;
// A line longer than this is passed over. No assistant row comes near it: Claude Code writes one row
// per content block, and a block is at most the 128k output tokens (~0.5 MB of text, ~1 MB JSON-escaped);
// the lines that do are tool results and attachments, which carry no usage we count. The buffer grows
// to it only for a line longer than one read; at 8 MiB, a 100 MB tool-result line raised a cold call's
// peak RSS from 57 to 69 MiB.
export const MAX_LINE_BYTES = 2 << 20;
// Only lines holding this key can carry usage. Inside a JSON string the quotes would be escaped, so a
// raw match is a key (or the rare bare string "usage"): every other line is skipped without parsing.
const MARKER = ascii('"usage"');
// And a row that counts is `"type":"assistant"`: lines holding "usage" but not this string (an Agent
// tool's result in a user row, often hundreds of KB) are skipped unparsed too.
const ASSISTANT = ascii('"assistant"');
const NEWLINE = 0x0a;

// The binary starts with JavaScriptCore's tier-up thresholds scaled up (main.ts); the normal policy
// is restored once a call has this many bytes to scan, where the JIT pays for itself. Restored for every
// call that missed its stored answer, the JIT's compiler threads cost more than they saved on the call
// after a 1 MiB append to the medium bench home: 168 against 193 ms for compact, 174 against 204 for
// json, 6,100 page faults against 7,600 (interleaved, 10 rounds, a slow phase of the VM); cold calls
// took the same time either way.
const JIT_AFTER_BYTES = 4 << 20;
let bytesToScan = 0;
let jitRestored = false;

/**
 * Reads the open transcript `fd` from byte `start` to `end` and hands every assistant row's usage to
 * `onRow`. Returns the offset just after the last complete line: a line still being written (no "\n"
 * yet) is left for the next call, so it is never counted half-read. Synchronous reads with node:fs into
 * one reused buffer (a fresh ArrayBuffer per Bun.file slice grew RSS with the bytes read).
 */
export function scanTranscript(fs: typeof import("node:fs"), fd: number, start: number, end: number, onRow: (row: UsageRow) => void): number {
  if (end <= start) return start;
  bytesToScan += end - start;
  if (!jitRestored && bytesToScan > JIT_AFTER_BYTES) {
    jitRestored = true;
    Bun.unsafe.setJITPolicy(1);
  }
  const lease = leaseBuffer(CHUNK_BYTES);
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
      const n = fs.readSync(fd, buf, carried, Math.min(buf.length - carried, end - pos, start > 0 ? CATCH_UP_READ_BYTES : CHUNK_BYTES), pos);
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
  }
}

// Enough of the bytes before an offset to tell whether they are still the bytes that were read: the
// end of a row holds its uuid and timestamp.
export const TAIL_BYTES = 256;

/**
 * A hash of the (up to) 256 bytes before `offset`. Device, inode and size cannot tell a file that was
 * rewritten in place, or replaced by one that got the old inode number back (ext4 hands a freed inode
 * out again at once), from one that grew: both went on from the old offset in other bytes (test/faults).
 */
export function tailHash(fs: typeof import("node:fs"), fd: number, offset: number): string {
  const length = Math.min(offset, TAIL_BYTES);
  let read = 0;
  try {
    read = fs.readSync(fd, tailBuffer, 0, length, offset - length);
  } catch {
    return "-";
  }
  return `${read}:${Bun.hash.wyhash(tailBuffer.subarray(0, read)).toString(36)}`;
}

// Read into and hashed at once (three times a file a refresh reads): one buffer for all of them. A
// buffer per hash, with a Buffer.from(buf.buffer, …) view per row in parseUsageLine (not measured
// apart), cost the call after a 1 MiB append ~120 page faults and ~2 ms in-process: large bench
// home 64.5 against 62.4 ms, medium 50.7 against 47.5 (40 and 60 interleaved rounds, slow phase).
const tailBuffer = Buffer.alloc(TAIL_BYTES);

// One buffer for every file of a call: a new 8 MiB one per file stayed alive until the next GC, and
// a cold call over 7 sessions peaked near 100 MB. A second scan running at the same time gets its own.
// Always a whole read's size: allocUnsafe leaves its pages untouched, so a small append costs only the
// pages it fills, and the next file's read lands in the same pages (sized to each file's new bytes,
// a buffer was made again whenever one session's append was larger than the last).
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
// peaked at 71 MB RSS; an eden collection every 2 MB parsed kept it at 58 MB for ~4% more time, every
// 1 MB (with 2 MiB reads) the medium bench home's cold call at 59 MiB instead of 68.
const PARSED_BYTES_PER_GC = 1 << 20;
// Eden collections leave what survived one (each session's tallies, ids and cache text) to pile up
// across the ~200 sessions a cold `json` reads for its ledger: a full collection every 64 MiB parsed
// took the large bench home from 75 to 65 MiB peak RSS (medium 66 to 63) in the same time within noise;
// every 32 MiB gained nothing more.
const PARSED_BYTES_PER_FULL_GC = 64 << 20;
let parsedSinceGc = 0;
let parsedSinceFullGc = 0;

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
        parsedSinceFullGc += parsedSinceGc;
        parsedSinceGc = 0;
        const full = parsedSinceFullGc > PARSED_BYTES_PER_FULL_GC;
        if (full) parsedSinceFullGc = 0;
        Bun.gc(full);
      }
    }
    at = lineEnd + 1;
  }
}

/**
 * An assistant row's usage, or undefined for any other line. Leading NULs are stripped as Claude Code
 * does (§2.4). The line's bytes are the caller's scratch: its content array is emptied in place.
 */
export function parseUsageLine(buf: Buffer, start: number, end: number): UsageRow | undefined {
  while (start < end && buf[start] === 0) start++;
  // The message's content (text, thinking, tool input: about half an assistant row's bytes) is never
  // read: parsing the row with it emptied halved the cold scan's JSON time. No field usageRow reads
  // lies inside an array named "content", so emptying one changes nothing it returns. One cost: a
  // row whose content is damaged but whose usage is intact is counted, where a whole-line parse
  // would drop it.
  // A view by subarray, not Buffer.from(buf.buffer, …): see tailBuffer for what the two changes saved.
  const content = contentArray(buf.subarray(start, end));
  if (content) {
    const open = start + content[0];
    const close = start + content[1];
    buf[open + 1] = CLOSE_ARRAY;
    buf.copyWithin(open + 2, close, end);
    end -= close - open - 2;
  }
  return usageRow(parseJsonBytes(buf, start, end));
}

const CONTENT_KEY = ascii('"content":[');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Where the first `"content":[…]` array of a JSON line starts and ends ([the "[", just after the "]"]),
 * or undefined when it does not close in the line. Strings are skipped with indexOf, so the bytes of
 * long texts and tool inputs are looked at by memchr, not one at a time. In valid JSON the key bytes
 * can only be a key: inside a string its quotes would be escaped.
 */
export function contentArray(line: Buffer): [number, number] | undefined {
  const key = line.indexOf(CONTENT_KEY);
  if (key < 0) return undefined;
  const open = key + CONTENT_KEY.length - 1;
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const c = line[i];
    if (c === QUOTE) {
      // To the closing quote: one not preceded by an odd run of backslashes.
      let close = line.indexOf(QUOTE, i + 1);
      while (close > 0) {
        let slashes = 0;
        while (line[close - 1 - slashes] === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        close = line.indexOf(QUOTE, close + 1);
      }
      if (close < 0) return undefined;
      i = close;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) return c === CLOSE_ARRAY ? [open, i + 1] : undefined;
    }
  }
  return undefined;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const optionalString = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

// Hand-checked instead of a valibot schema: this runs once per assistant row on the cold path, and
// each field is only ever read with a typeof check, so a schema would add cost and no safety.
export function usageRow(json: unknown): UsageRow | undefined {
  if (!isRecord(json) || json.type !== "assistant") return undefined;
  const message = json.message;
  if (!isRecord(message) || !isRecord(message.usage)) return undefined;
  const usage = message.usage;
  const model = optionalString(message.model);
  const cost = messageCost(model, usage);
  const tokens = usageTokens(usage);
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
    limit: limitHit(json),
  };
}

const MAX_EPOCH_SECONDS = 1e11;

/** A rate-limit error row's limit and reset time (format doc §4); resetsAt is in epoch seconds there. */
function limitHit(json: Record<string, unknown>): LimitHit | undefined {
  if (json.error !== "rate_limit" || !isRecord(json.quotaLimits) || typeof json.timestamp !== "string") return undefined;
  const { rateLimitType, resetsAt } = json.quotaLimits;
  const at = isoUtcMs(json.timestamp);
  // Epoch seconds of a plausible date: 1e308 would become Infinity in ms, stored as null, and the
  // summary holding it would fail its schema on every call (test/fuzz found the like for usage counts).
  if (typeof rateLimitType !== "string" || typeof resetsAt !== "number" || !(resetsAt > 0 && resetsAt < MAX_EPOCH_SECONDS) || at === undefined) return undefined;
  return { kind: rateLimitType, resetsAt: resetsAt * 1000, at };
}
