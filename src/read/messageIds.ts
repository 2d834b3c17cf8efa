/**
 * The message ids of a session's main transcript, kept so a sidechain file's replays of them (a /btw
 * side question repeats the parent's messages with another requestId) are counted once, in the main
 * file. Each id is one 53-bit hash in a growable Float64Array, stored in the offset cache as lines of
 * base64 of its bytes. Measured with /usr/bin/time: as base-36 wyhash strings joined by "\n" (one BigInt and one
 * string per id, then joined, stringified and split again) a cold `json` over the large bench home
 * peaked at 84 MiB RSS, 74 as these hashes (69 keeping no ids at all); a cold `compact` of one 400 MB
 * transcript at 67 MiB, 62.5 as these hashes.
 */
import type { Line } from "./framedFile.ts";

// Two independent 32-bit hashes make 53 bits, a double's exact integers: among a long session's ~20k
// ids a collision (which would drop one sub-agent row) has odds of about 2e-8. Both return numbers,
// not BigInts, so hashing allocates nothing.
const hashOf = (id: string): number => Bun.hash.cityHash32(id) * 2 ** 21 + (Bun.hash.murmur32v3(id) >>> 11);

// Ids a stored line: 384 ids are 3,072 bytes, a multiple of 3, so a full line is 4,096 base64 characters
// with no padding, decoded on its own. As one string, every refresh that added an id stringified,
// copied and wrote all of them again: 50 KB a session after ~120 appends to the medium bench home.
export const IDS_PER_LINE = 384;
const LINE_CHARS = (IDS_PER_LINE * 8 * 4) / 3;
const BASE64 = /^[A-Za-z0-9+/]*$/;

// The whole ids of one stored line; a line that is not base64 decodes to what it can (Buffer skips the rest).
const bytesOf = (line: Line): Buffer => {
  const bytes = Buffer.from(typeof line === "string" ? line : Buffer.from(line.buffer, line.byteOffset, line.length).toString("latin1"), "base64");
  return bytes.subarray(0, bytes.length - (bytes.length % 8));
};

/**
 * A session's stored ids plus the ones added since. A refresh after an append adds the main file's
 * new ids and usually looks none up (only sub-agent rows are checked): so the stored lines are decoded
 * only on the first has(), and encode() keeps the full ones as they were read, coding only the last,
 * partial line again with the new ids. Decoding and re-encoding every id on each refresh was ~3% of a
 * CPU profile of the call after an append (~3,000 ids a session).
 */
export class MessageIds {
  private readonly stored: readonly Line[];
  private added = new Float64Array(64);
  private addedCount = 0;
  private lastAdded?: string;
  /** Every id, sorted for lookups: made on the first has() after an add(). */
  private sorted?: Float64Array;

  private constructor(stored: readonly Line[]) {
    this.stored = stored;
  }

  static empty(): MessageIds {
    return new MessageIds([]);
  }

  /**
   * The set stored by encode(); lines that are not its (wrong length, not base64) yield what they can.
   * A line may be given as the bytes it was read as (from a cache whose hash held): those are not decoded
   * unless looked up in, and encode() gives the full ones back as they are.
   */
  static decode(lines: readonly Line[]): MessageIds {
    return new MessageIds(lines);
  }

  get size(): number {
    return this.stored.reduce((sum, line) => sum + bytesOf(line).length / 8, 0) + this.addedCount;
  }

  /** Claude Code writes a reply as one row per content block, each with its id: an id added twice in a row is kept once. */
  add(id: string): void {
    if (id === this.lastAdded) return;
    this.lastAdded = id;
    if (this.addedCount === this.added.length) {
      const grown = new Float64Array(this.added.length * 2);
      grown.set(this.added);
      this.added = grown;
    }
    this.added[this.addedCount++] = hashOf(id);
    this.sorted = undefined;
  }

  has(id: string): boolean {
    const sorted = (this.sorted ??= this.all().sort());
    const hash = hashOf(id);
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    return sorted[lo] === hash;
  }

  /** The ids as lines of IDS_PER_LINE each (the last one shorter): the stored full lines as they were. */
  encode(): Line[] {
    let kept = 0;
    while (kept < this.stored.length && isFullLine(this.stored[kept] as Line)) kept++;
    const rest = Buffer.concat([...this.stored.slice(kept).map(bytesOf), Buffer.from(this.added.buffer, 0, this.addedCount * 8)]);
    const lines = this.stored.slice(0, kept);
    for (let at = 0; at < rest.length; at += IDS_PER_LINE * 8) lines.push(rest.toString("base64", at, Math.min(rest.length, at + IDS_PER_LINE * 8)));
    return lines;
  }

  /** The stored ids (as many whole ones as each line holds) and the added ones. */
  private all(): Float64Array {
    const stored = Buffer.concat(this.stored.map(bytesOf));
    const hashes = new Float64Array(stored.length / 8 + this.addedCount);
    new Uint8Array(hashes.buffer).set(stored);
    hashes.set(this.added.subarray(0, this.addedCount), stored.length / 8);
    return hashes;
  }
}

// A line read as bytes comes from a cache whose hash held, and encode() writes only base64.
const isFullLine = (line: Line): boolean => line.length === LINE_CHARS && (typeof line !== "string" || BASE64.test(line));
