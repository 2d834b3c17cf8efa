import * as v from "valibot";
import { count } from "../schemas.ts";
import { writeFileAtomicWith } from "../atomicWrite.ts";
import { readOpenFile, readRegularFile, reusedBuffer } from "./smallFile.ts";

/** wyhash of a line (as text or as its bytes), as the head of a framed file records it. */
export const hashOf = (line: string | Uint8Array): string => Bun.hash.wyhash(line).toString(36);

/** A line of a framed file, as text or as the bytes it was read as. */
export type Line = string | Uint8Array;

/** A line of a body to write, whole or in pieces written back to back. */
export type BodyLine = Line | readonly Line[];

/**
 * wyhash of a body's lines as they are written: joined by newlines (the last one's is not part of it),
 * so a reader hashes the body's bytes in one call. A body of one line hashes as hashOf(line). Hashed
 * line by line, each seeded with the hash before it, every pass over a cache (four a refreshed session)
 * made a view and a BigInt per line: one hash of the bytes took the loads and refreshes of a call after
 * an append to the large bench home from 31.8 to 30.8 ms in-process (12 interleaved rounds).
 */
export const linesHash = (lines: readonly string[]): string => hashOf(lines.join("\n"));

export interface FrameHashes {
  readonly summaryHash: string;
  readonly bodyHash: string;
}

/** The head's entries for FrameHashes, for the schema of each kind of framed file's head. */
export const frameHashEntries = () => ({ summaryHash: v.string(), bodyHash: v.string() });

export interface FramedFile<H> {
  readonly head?: H;
  summary<T>(): T | undefined;
  /** The body's lines as bytes, as read or read again (see framedFile), and only while the file still holds this version. */
  bodyBytes(): BodyBytes | undefined;
  /** The body's lines, decoded (as bodyBytes). */
  bodyLines(): readonly string[] | undefined;
  /** A body of one line, parsed (as bodyLines). */
  body<T>(): T | undefined;
  /** The head is ours and the lines below it hash as it says. */
  whole(): boolean;
}

const NEWLINE = 0x0a;

/** Lines as byte ranges ([start, end), without the newline) of a buffer. */
export interface LinesOf {
  readonly bytes: Buffer;
  readonly lines: readonly (readonly [number, number])[];
}

/**
 * A body's lines in the buffer every framed file is read into, so valid only until the next read of
 * one: decoding the body of each cache a refresh reads into one string cost ~0.75 ms per 250 KB on this
 * VM, most of it page faults for the string, where the lines a refresh parses can be parsed from the
 * bytes and the lines it leaves alone copied as bytes into the next version.
 */
export interface BodyBytes extends LinesOf {
  /** The same version's lines, read again (they may have been overwritten since); undefined when the file no longer holds it. */
  again(): BodyBytes | undefined;
}

/** The lines of bytes[start, end], end being the last line's newline. */
export function lineRanges(bytes: Uint8Array, start: number, end: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let at = start; at <= end; ) {
    const newline = bytes.indexOf(NEWLINE, at);
    const stop = newline < 0 || newline > end ? end : newline;
    ranges.push([at, stop]);
    at = stop + 1;
  }
  return ranges;
}

// One buffer for every framed file a call reads; each read is synchronous and parsed before the next.
// A file read into a buffer of its own and decoded whole made two copies of every cache slot (~130 KB
// each on the medium bench home, both slots of 8 sessions), where a call needs the summaries and the
// bodies of the sessions it refreshes: on this VM every fresh page costs ~10 µs.
const readBuffer = reusedBuffer();
// Counts the reads into readBuffer: the bytes of a read not followed by another are still there.
let reads = 0;

/**
 * The slot files of the caches loaded last, each opened once for its load, the reads again that follow
 * and the write into it: opened by path for each of those, a refreshed session's cache took six opens
 * (two heads, the chosen slot, its head twice again, the slot written), each with an fstat and a close;
 * loading, reading again and writing the large bench home's 20 caches in a loop took 314 µs a cache
 * that way, 247 this way. Opened anew by every loadSlots, so a descriptor is never older than the load
 * it serves; another writer that replaces a slot by rename since leaves it on the replaced file, a whole
 * version still (what a reader takes from it, and a write into it, are lost work, never a wrong total).
 * At most SLOT_FILES are held, the oldest closed first; any other file is read and written by path.
 */
const SLOT_FILES = 4;
const slotFiles = new Map<string, number>();

function release(fs: typeof import("node:fs"), path: string): void {
  const fd = slotFiles.get(path);
  if (fd === undefined) return;
  slotFiles.delete(path);
  fs.closeSync(fd);
}

/** Holds the slot file at `path` open for reading and writing in place (O_NOFOLLOW, as saveSlot writes); nothing when it cannot be. */
function holdSlot(fs: typeof import("node:fs"), path: string): void {
  release(fs, path);
  try {
    slotFiles.set(path, fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK));
  } catch {
    // missing, or not ours to write into: read and written by path
    return;
  }
  for (const [oldest] of slotFiles) {
    if (slotFiles.size <= SLOT_FILES) break;
    release(fs, oldest);
  }
}

/** The regular file at `path`, in readBuffer (good until the next read); undefined when missing or not one. */
function readWhole(fs: typeof import("node:fs"), path: string): Buffer | undefined {
  reads++;
  const fd = slotFiles.get(path);
  const bytes = fd === undefined ? readRegularFile(fs, path, readBuffer) : readOpenFile(fs, fd, readBuffer);
  return typeof bytes === "string" ? undefined : bytes;
}

/**
 * Where a framed file's lines are in its bytes: the head line's end, the summary's, and the body (every
 * line after the summary) from its first byte to its last line's newline, which is not part of it: the
 * spaces a slot is padded with come after that. A body of no lines is none.
 */
interface Layout {
  readonly headEnd: number;
  readonly summaryEnd: number;
  readonly body?: readonly [start: number, lastNewline: number];
}

function layoutOf(bytes: Buffer): Layout {
  const firstEnd = bytes.indexOf(NEWLINE);
  const secondEnd = firstEnd < 0 ? -1 : bytes.indexOf(NEWLINE, firstEnd + 1);
  const lastNewline = bytes.lastIndexOf(NEWLINE);
  return {
    headEnd: firstEnd < 0 ? bytes.length : firstEnd,
    summaryEnd: secondEnd < 0 ? bytes.length : secondEnd,
    body: secondEnd >= 0 && lastNewline > secondEnd ? [secondEnd + 1, lastNewline] : undefined,
  };
}

/** Whether the body's bytes hash as the head says (linesHash). */
const bodyHolds = (bytes: Buffer, { body }: Layout, head: FrameHashes): boolean =>
  head.bodyHash === hashOf(body ? bytes.subarray(body[0], body[1]) : "");

/** The body's lines: `known`, the ranges of the same version read before, or found again. */
const bodyLinesOf = (bytes: Buffer, { body }: Layout, known?: LinesOf): LinesOf => ({
  bytes,
  lines: known?.lines ?? (body ? lineRanges(bytes, body[0], body[1]) : []),
});

/** What one read of a framed file found: its head (as text and parsed), its summary's text if that holds, whether its body holds. */
interface Reading<H> {
  readonly headLine: string;
  readonly head?: H;
  readonly summary?: string;
  readonly bodyHolds: boolean;
}

const nothingRead: Reading<never> = { headLine: "", bodyHolds: false };

function readingOf<H extends FrameHashes>(bytes: Buffer, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): Reading<H> {
  const layout = layoutOf(bytes);
  const { headEnd, summaryEnd } = layout;
  const headLine = bytes.toString("utf8", 0, headEnd);
  const head = headOf(headLine, schema, belongs);
  if (head === undefined) return { ...nothingRead, headLine };
  const summaryStart = Math.min(bytes.length, headEnd + 1);
  const summaryHolds = head.summaryHash === hashOf(bytes.subarray(summaryStart, summaryEnd));
  return { headLine, head, summary: summaryHolds ? bytes.toString("utf8", summaryStart, summaryEnd) : undefined, bodyHolds: bodyHolds(bytes, layout, head) };
}

/**
 * The body's lines in `bytes` when they hold the version whose head line and head are given: the same
 * head line (which names the version's generation and hashes) and a body that still hashes as it says.
 * The head was held to its schema when first read, so it is not again. The same version is the same
 * bytes: its lines, `known` from a read before, are where they were.
 */
function bodyOfVersion(bytes: Buffer, headLine: string, head: FrameHashes, known?: LinesOf): LinesOf | undefined {
  const layout = layoutOf(bytes);
  return bytes.toString("utf8", 0, layout.headEnd) === headLine && bodyHolds(bytes, layout, head) ? bodyLinesOf(bytes, layout, known) : undefined;
}

/**
 * Whether the file at `path` still starts with `headLine`, from its first bytes only; undefined when
 * they do not hold a whole first line (a head longer than HEAD_BYTES). A head names its version's
 * generation and the hashes of the lines below it, so another version has another head.
 */
function startsWith(fs: typeof import("node:fs"), path: string, headLine: string): boolean | undefined {
  const line = firstLine(fs, path);
  return line === null ? undefined : line === headLine;
}

/** The head a first line holds, when it is one of `schema`'s that `belongs`. */
function headOf<H>(line: string, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): H | undefined {
  try {
    const parsed = v.safeParse(schema, JSON.parse(line));
    return parsed.success && belongs(parsed.output) ? parsed.output : undefined;
  } catch {
    // a torn or garbage first line
    return undefined;
  }
}

// A head line is ~170 bytes; one longer than this is read with the whole file.
const HEAD_BYTES = 1024;
const headBuffer = Buffer.alloc(HEAD_BYTES);

/** The first bytes of the open file `fd`, as many as `buf` holds. */
function readStart(fs: typeof import("node:fs"), fd: number, buf: Buffer): Buffer | "missing" {
  try {
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return "missing";
  }
}

/**
 * The generation in the head of the file at `path`, from its first bytes only; undefined when it has
 * none. Only to choose which slot to read first: the one read is held to the schema (readingOf), and
 * a head that fails it sends the choice to the other slot. So valibot, ~50 µs a head here, is not run.
 */
function generationOf<H extends { gen: number }>(fs: typeof import("node:fs"), path: string, belongs: (head: H) => boolean): number | undefined {
  const line = firstLine(fs, path);
  try {
    const head = typeof line === "string" ? JSON.parse(line) : undefined;
    return typeof head === "object" && head !== null && Number.isSafeInteger(head.gen) && belongs(head) ? head.gen : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first line of the file at `path`, from its first HEAD_BYTES; null when they hold no whole line,
 * undefined when it is missing or not a file. A held slot's without an fstat: the size does not matter,
 * and anything but a regular file fails the read (a FIFO) or holds no head.
 */
function firstLine(fs: typeof import("node:fs"), path: string): string | null | undefined {
  const fd = slotFiles.get(path);
  const bytes = fd === undefined ? readRegularFile(fs, path, () => headBuffer) : readStart(fs, fd, headBuffer);
  if (typeof bytes === "string" || bytes === undefined) return undefined;
  const end = bytes.indexOf(NEWLINE);
  return end < 0 ? null : bytes.toString("utf8", 0, end);
}

const parseJson = <T>(text: string | undefined): T | undefined => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

/** A body of one line, parsed. */
const oneLine = <T>(lines: readonly string[] | undefined): T | undefined => (lines?.length === 1 ? parseJson<T>(lines[0]) : undefined);

/**
 * ccpulse's own cache files (session caches, the usage ledger): a small head checked against its
 * schema, then a summary line and the body's lines, trusted when they hash as the head says. Both are
 * ours and written atomically, so a matching hash stands in for validating them field by field, which
 * costs milliseconds for a watch list or a month of buckets. Anything torn, foreign or mismatched reads
 * as absent.
 *
 * Read synchronously (a call that gets here has node:fs loaded) into a shared buffer: the head and the
 * summary are decoded at once, the body only when asked for, and only while the file still starts with
 * the same head: from the bytes read, when nothing has been read into the buffer since, else from a
 * second read whose body must still hash as the head says (a file rewritten in between reads as no body).
 */
export async function loadFramed<H extends FrameHashes>(path: string, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): Promise<FramedFile<H>> {
  return framedFile(await import("node:fs"), path, schema, belongs);
}

function framedFile<H extends FrameHashes>(fs: typeof import("node:fs"), path: string, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): FramedFile<H> {
  const bytes = readWhole(fs, path);
  const read = reads;
  const reading: Reading<H> = bytes ? readingOf(bytes, schema, belongs) : nothingRead;
  // The body as the read numbered `at` left it in readBuffer, and how to have it again. While no other
  // file has been read into the buffer since, those bytes (hashed when read) are still there, and only
  // the file's head is read to see that it still holds this version; otherwise the file is read again
  // and its body hashed. A session refreshed after an append read its cache three times, and hashed
  // its body each time: loaded, then for the cursors it moves, then to copy the rest into the next
  // version.
  const held = (at: number, from: Buffer | undefined, known?: LinesOf): BodyBytes | undefined => {
    const head = reading.head as H;
    if (reads === at && from) {
      const same = startsWith(fs, path, reading.headLine);
      if (same !== undefined) return same ? withAgain(known ?? bodyLinesOf(from, layoutOf(from)), at) : undefined;
    }
    const again = readWhole(fs, path);
    const body = again && bodyOfVersion(again, reading.headLine, head, known);
    return body && withAgain(body, reads);
  };
  const withAgain = (body: LinesOf, at: number): BodyBytes => ({ ...body, again: () => held(at, body.bytes, body) });
  const bodyBytes = (): BodyBytes | undefined => (reading.head === undefined || !reading.bodyHolds ? undefined : held(read, bytes));
  let lines: readonly string[] | undefined;
  const bodyLines = () => (lines ??= decoded(bodyBytes()));
  return {
    head: reading.head,
    whole: () => reading.summary !== undefined && reading.bodyHolds,
    summary: () => parseJson(reading.summary),
    bodyBytes,
    bodyLines,
    body: () => oneLine(bodyLines()),
  };
}

const decoded = (body: LinesOf | undefined): string[] | undefined => body?.lines.map(([start, end]) => body.bytes.toString("utf8", start, end));

/** The lines of a framed file: `head` with the hashes of the summary and body lines below it (saveSlot writes the same from bytes). */
export function framedLines(head: object, summary: unknown, body: readonly string[]): readonly string[] {
  const second = JSON.stringify(summary);
  return [JSON.stringify({ ...head, summaryHash: hashOf(second), bodyHash: linesHash(body) }), second, ...body];
}

/** The text of a framed file with a body of one line (framedLines, each ended by a newline). */
export const framed = (head: object, summary: unknown, body: unknown): string => `${framedLines(head, summary, [JSON.stringify(body)]).join("\n")}\n`;

/**
 * Where the next version of a file kept in two slots goes: the slot the loaded version is not in, one
 * generation on.
 */
export interface NextSlot {
  readonly slot: 0 | 1;
  readonly gen: number;
}

/** The head's entries for a file kept in two slots: FrameHashes and the version's generation. */
export const slotEntries = () => ({ ...frameHashEntries(), gen: count() });

/** The two files a slotted framed file is kept in: `<name>.json` and `<name>.1.json`. */
export const slotPaths = (path: string): readonly [string, string] => [path, `${path.replace(/\.json$/, "")}.1.json`];

/** A framed file kept in two slots (loadSlots). */
export interface SlottedFile<H> extends FramedFile<H> {
  /** Where the version derived from this one goes (from the version bodyLines() fell back to, if it did). */
  readonly next: NextSlot;
}

/**
 * A framed file kept in two slots, for files rewritten on most calls (the session caches). Replacing a
 * file by rename made and freed an inode each time: after a 1 MiB append to the medium bench home, the
 * 8 caches' renames took 0.3–6.5 ms each (ext4 frees the old file's blocks and starts writing back the
 * new one), 20 ms of a 65–79 ms call in a slow phase of the VM, where overwriting a file in place takes
 * ~0.02 ms. In place, a reader could catch a write half done, or a killed writer leave one; so each
 * version goes to the slot the version it was derived from is not in, and a reader takes the newest
 * slot that is whole. A slot torn by a write in progress, a kill or a full disk costs the next call a
 * re-read from the older version's offsets, never a wrong total.
 *
 * The body is read again when asked for (loadFramed). If another writer has rewritten that slot since
 * (two callers refreshing from the same older version, one of them finishing after this load), the
 * slots are chosen again and the body of the newest whole version is used, with `next` following it:
 * its cursors and totals travel together, so the caller derives from a whole version either way.
 */
export async function loadSlots<H extends FrameHashes & { gen: number }>(
  path: string,
  schema: v.GenericSchema<unknown, H>,
  belongs: (head: H) => boolean,
): Promise<SlottedFile<H>> {
  const fs = await import("node:fs");
  const paths = slotPaths(path);
  for (const p of paths) holdSlot(fs, p);
  const choice = (slot: 0 | 1, file: FramedFile<H>) => ({ file, next: file.head === undefined ? { slot: 0 as const, gen: 1 } : { slot: slot === 0 ? (1 as const) : (0 as const), gen: file.head.gen + 1 } });
  const choose = () => {
    // The newest whole slot; failing that, the newest whose head holds (its summary may still be good).
    // Usually the newer by its head is whole: the older is then not read beyond its head (reading and
    // hashing both slots' bodies was ~0.15 ms a session, most of the loads of a call after an append).
    const [g0, g1] = paths.map((p) => generationOf(fs, p, belongs));
    const first: 0 | 1 = g0 !== undefined && g1 !== undefined && g1 > g0 ? 1 : 0;
    const likely = framedFile(fs, paths[first], schema, belongs);
    // Both heads read from their first bytes: otherwise (one slot so far, or a head longer than that)
    // both are read whole, as the generation of one is not known.
    if (g0 !== undefined && g1 !== undefined && likely.whole()) return choice(first, likely);
    const other = framedFile(fs, paths[first === 0 ? 1 : 0], schema, belongs);
    const [a, b] = first === 0 ? [likely, other] : [other, likely];
    const newer = (x: FramedFile<H>, y: FramedFile<H>) => x.head !== undefined && (y.head === undefined || x.whole() > y.whole() || (x.whole() === y.whole() && x.head.gen > y.head.gen));
    return newer(b, a) ? choice(1, b) : choice(0, a);
  };
  const first = choose();
  let used = first;
  let decided = false;
  // The version is chosen on the first call; later ones read that version again or get nothing.
  const bodyBytes = () => {
    if (!decided) {
      decided = true;
      const body = first.file.bodyBytes();
      if (body !== undefined || !first.file.whole()) return body;
      used = choose();
    }
    return used.file.whole() ? used.file.bodyBytes() : undefined;
  };
  let lines: readonly string[] | undefined;
  const bodyLines = () => (lines ??= decoded(bodyBytes()));
  return {
    head: first.file.head,
    summary: () => first.file.summary(),
    whole: () => first.file.whole(),
    get next() {
      return used.next;
    },
    bodyBytes,
    bodyLines,
    body: <T>() => oneLine<T>(bodyLines()),
  };
}

// Room left after a version written by rename, so the versions after it (a session's cache grows by
// a few hundred bytes a call) are written in place for a while: spaces after the last line, which
// no reader looks at.
const reserveFor = (bytes: number): number => Math.ceil(bytes / 4) + 4096;
const SPACE = 0x20;

// One buffer for every slot a call writes (no await comes between filling it and the write): a new
// one per slot made each write fault in fresh pages.
const scratch = reusedBuffer();

const isPieces = (line: BodyLine): line is readonly Line[] => Array.isArray(line);
const byteLength = (piece: Line): number => (typeof piece === "string" ? Buffer.byteLength(piece) : piece.length);

/** Puts `piece` into `bytes` at `at`; returns where it ends. */
function putPiece(bytes: Buffer, piece: Line, at: number): number {
  if (typeof piece === "string") return at + bytes.write(piece, at);
  bytes.set(piece, at);
  return at + piece.length;
}

// The longest hash a head can hold: a 64-bit wyhash in base 36.
const LONGEST_HASH = (2n ** 64n - 1n).toString(36);

/**
 * Writes a version into its slot: in place, padded to the slot file's size, when it fits and one write
 * puts it all (through the descriptor its load holds, holdSlot, while it is held); else as a new file by
 * rename, with room to grow. Throws as writeFileAtomic does.
 *
 * The lines are encoded one by one into a Buffer, never joined into one string: joining made a rope
 * that JavaScriptCore copied into a flat string before encoding it, and the padding made a second one.
 * Traced after a 1 MiB append to the medium bench home (caches of 200-390 KB in all, slow phase), the
 * two copies took 1.1-3.4 ms and 1.8-3.5 ms of a call's 7-8 cache writes. The body goes first, after
 * room for the longest head line, so that its hash (linesHash) is taken from the bytes as written; the
 * head and summary then go just before it. Lines given as bytes may be views into the buffer framed
 * files are read into (BodyBytes), and every version is encoded into one buffer a call reuses: so all
 * of it is synchronous. A first version written by rename into a buffer of its own made a cold `json`
 * fault in ~1.5 MB of fresh pages for the medium bench home.
 */
export function saveSlot(fs: typeof import("node:fs"), path: string, next: NextSlot, head: object, summary: unknown, body: readonly BodyLine[]): void {
  const target = slotPaths(path)[next.slot];
  const summaryLine = JSON.stringify(summary);
  const summaryHash = hashOf(summaryLine);
  const summaryBytes = Buffer.byteLength(summaryLine);
  // Loops, not reduce and a closure a line: these two passes over a session's lines (its ids and cursors,
  // ~60 of them) run for every cache a call writes, in the interpreter.
  let bodyBytes = 0;
  for (const line of body) {
    if (isPieces(line)) for (const piece of line) bodyBytes += byteLength(piece);
    else bodyBytes += byteLength(line);
    bodyBytes++;
  }
  const room = Buffer.byteLength(JSON.stringify({ ...head, summaryHash, bodyHash: LONGEST_HASH })) + 1 + summaryBytes + 1;
  // Enough for the padding of any slot file written in place (below) or by rename.
  const bytes = scratch(room + bodyBytes + 2 * reserveFor(room + bodyBytes));
  let end = room;
  for (const line of body) {
    if (isPieces(line)) for (const piece of line) end = putPiece(bytes, piece, end);
    else end = putPiece(bytes, line, end);
    bytes[end++] = NEWLINE;
  }
  const bodyHash = hashOf(bytes.subarray(room, Math.max(room, end - 1)));
  const headLine = JSON.stringify({ ...head, summaryHash, bodyHash });
  const start = room - (Buffer.byteLength(headLine) + 1 + summaryBytes + 1);
  let at = start + bytes.write(headLine, start);
  bytes[at++] = NEWLINE;
  at += bytes.write(summaryLine, at);
  bytes[at] = NEWLINE;
  const length = end - start;
  // The version, then spaces to `size` bytes.
  const padded = (size: number): Buffer => bytes.fill(SPACE, end, start + size).subarray(start, start + size);
  let fd = slotFiles.get(target);
  const opened = fd === undefined;
  try {
    // O_NOFOLLOW: a symlink put at the path is replaced by the rename below, never written through.
    fd ??= fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    // none yet, or not ours to write into
  }
  if (fd !== undefined) {
    try {
      const stat = fs.fstatSync(fd);
      // Within the file's size the write needs no new blocks, so a full disk cannot cut it short.
      if (stat.isFile() && stat.size >= length && stat.size <= length + 2 * reserveFor(length)) {
        const file = padded(stat.size);
        if (fs.writeSync(fd, file, 0, file.length, 0) === file.length) return;
      }
    } catch {
      // torn or unwritable: replaced by rename below
    } finally {
      if (opened) fs.closeSync(fd);
    }
  }
  writeFileAtomicWith(fs, target, padded(length + reserveFor(length)));
  // The path names the new file now.
  release(fs, target);
}
