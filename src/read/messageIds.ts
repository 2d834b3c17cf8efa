/**
 * The message ids of a session's main transcript, kept so a sidechain file's replays of them (a /btw
 * side question repeats the parent's messages with another requestId) are counted once, in the main
 * file. Each id is one 53-bit hash in a growable Float64Array, stored in the offset cache as base64 of
 * its bytes. Measured with /usr/bin/time: as base-36 wyhash strings joined by "\n" (one BigInt and one
 * string per id, then joined, stringified and split again) a cold `json` over the large bench home
 * peaked at 84 MiB RSS, 74 as these hashes (69 keeping no ids at all); a cold `compact` of one 400 MB
 * transcript at 67 MiB, 62.5 as these hashes.
 */

// Two independent 32-bit hashes make 53 bits, a double's exact integers: among a long session's ~20k
// ids a collision (which would drop one sub-agent row) has odds of about 2e-8. Both return numbers,
// not BigInts, so hashing allocates nothing.
const hashOf = (id: string): number => Bun.hash.cityHash32(id) * 2 ** 21 + (Bun.hash.murmur32v3(id) >>> 11);

// Whether a text has the length of an encode()d one: base64 of a whole number of 8-byte ids.
function wholeIds(text: string): boolean {
  const bytes = (text.length / 4) * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);
  return text.length % 4 === 0 && bytes % 8 === 0;
}

/**
 * A session's stored ids plus the ones added since. A refresh after an append adds the main file's
 * new ids and usually looks none up (only sub-agent rows are checked): so the stored text is decoded
 * only on the first has(), and encode() appends the new ids' base64 to it. Decoding and re-encoding
 * every id on each refresh was ~3% of a CPU profile of the call after an append (~3,000 ids a session).
 */
export class MessageIds {
  private readonly stored: string;
  private added = new Float64Array(64);
  private addedCount = 0;
  /** Every id, sorted for lookups: made on the first has() after an add(). */
  private sorted?: Float64Array;

  private constructor(stored: string) {
    this.stored = stored;
  }

  static empty(): MessageIds {
    return new MessageIds("");
  }

  /** The set stored by encode(); a string that is not one (wrong length, not base64) yields what it can. */
  static decode(text: string): MessageIds {
    return new MessageIds(text);
  }

  get size(): number {
    return Math.floor(Buffer.from(this.stored, "base64").length / 8) + this.addedCount;
  }

  add(id: string): void {
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

  encode(): string {
    if (!wholeIds(this.stored)) return Buffer.from(this.all().buffer).toString("base64");
    if (this.addedCount === 0) return this.stored;
    // Base64 codes 3 bytes at a time: the stored text's last, padded quantum (1 or 2 bytes) is coded
    // again with the new bytes; everything before it stays as it is.
    const padded = this.stored.endsWith("=");
    const keep = padded ? this.stored.slice(0, -4) : this.stored;
    const carry = padded ? Buffer.from(this.stored.slice(-4), "base64") : Buffer.alloc(0);
    return keep + Buffer.concat([carry, Buffer.from(this.added.buffer, 0, this.addedCount * 8)]).toString("base64");
  }

  /** The stored ids (as many whole ones as the text holds) and the added ones. */
  private all(): Float64Array {
    const bytes = Buffer.from(this.stored, "base64");
    const count = Math.floor(bytes.length / 8);
    const hashes = new Float64Array(count + this.addedCount);
    new Uint8Array(hashes.buffer).set(bytes.subarray(0, count * 8));
    hashes.set(this.added.subarray(0, this.addedCount), count);
    return hashes;
  }
}
