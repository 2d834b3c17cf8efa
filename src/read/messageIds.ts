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

export class MessageIds {
  private hashes: Float64Array;
  private count: number;
  /** A sorted copy for lookups, made on the first has() after an add(). */
  private sorted?: Float64Array;

  private constructor(hashes: Float64Array, count: number) {
    this.hashes = hashes;
    this.count = count;
  }

  static empty(): MessageIds {
    return new MessageIds(new Float64Array(64), 0);
  }

  /** The set stored by encode(); a string that is not one (wrong length, not base64) yields what it can. */
  static decode(text: string): MessageIds {
    const bytes = Buffer.from(text, "base64");
    const count = Math.floor(bytes.length / 8);
    const hashes = new Float64Array(Math.max(64, count));
    new Uint8Array(hashes.buffer).set(bytes.subarray(0, count * 8));
    return new MessageIds(hashes, count);
  }

  get size(): number {
    return this.count;
  }

  add(id: string): void {
    if (this.count === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.count++] = hashOf(id);
    this.sorted = undefined;
  }

  has(id: string): boolean {
    const sorted = (this.sorted ??= this.hashes.slice(0, this.count).sort());
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
    return Buffer.from(this.hashes.buffer, 0, this.count * 8).toString("base64");
  }
}
