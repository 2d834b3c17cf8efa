import * as v from "valibot";
import { count, lazySchema } from "../schemas.ts";
import type { Tokens } from "./tokens.ts";

// Quarter hours: every time-zone offset in use is a multiple of 15 minutes, so a local midnight (the
// start of a day or of a billing month) and every UTC hour (the start and end of a 5-hour window)
// fall on a bucket edge, and a bucket is never split by the boundaries the reports draw.
export const BUCKET_MS = 15 * 60_000;

/**
 * Usage in one quarter hour: [quarter index (ms / BUCKET_MS), first and last reply time (ms), input,
 * cache write 5m, cache write 1h, cache read, output, cost USD]. A tuple, not an object: a month of
 * buckets rides in the cache summary that every call reads. The first and last times make the 5-hour
 * gap rule exact, not rounded to the quarter.
 */
export const BucketSchema = lazySchema(() =>
  v.tuple([v.pipe(v.number(), v.safeInteger()), v.number(), v.number(), count(), count(), count(), count(), count(), v.number()]),
);
export type Bucket = v.InferOutput<typeof BucketSchema>;

export const quarterOf = (ms: number): number => Math.floor(ms / BUCKET_MS);

/**
 * Adds (sign 1) or takes back (sign -1) one reply's usage at time `at`. Buckets stay sorted by quarter;
 * replies arrive in time order, so the usual case touches only the last one. Taking back leaves the
 * first/last times alone: the reply did happen then, only its tokens are replaced.
 */
export function addToBuckets(buckets: Bucket[], at: number, tokens: Tokens, costUSD: number, sign: 1 | -1 = 1): void {
  const quarter = quarterOf(at);
  let i = buckets.length;
  while (i > 0 && (buckets[i - 1] as Bucket)[0] > quarter) i--;
  let bucket = buckets[i - 1];
  if (bucket === undefined || bucket[0] !== quarter) {
    if (sign < 0) return;
    bucket = [quarter, at, at, 0, 0, 0, 0, 0, 0];
    buckets.splice(i, 0, bucket);
  }
  if (sign > 0) {
    bucket[1] = Math.min(bucket[1], at);
    bucket[2] = Math.max(bucket[2], at);
  }
  bucket[3] = Math.max(0, bucket[3] + sign * tokens.input);
  bucket[4] = Math.max(0, bucket[4] + sign * tokens.cacheWrite5m);
  bucket[5] = Math.max(0, bucket[5] + sign * tokens.cacheWrite1h);
  bucket[6] = Math.max(0, bucket[6] + sign * tokens.cacheRead);
  bucket[7] = Math.max(0, bucket[7] + sign * tokens.output);
  bucket[8] += sign * costUSD;
}

/** One sorted list from several (a session's files, then every session): quarters summed, times widened. */
export function mergeBuckets(lists: readonly (readonly Bucket[])[]): Bucket[] {
  const byQuarter = new Map<number, Bucket>();
  for (const list of lists) {
    for (const b of list) {
      const into = byQuarter.get(b[0]);
      if (!into) {
        byQuarter.set(b[0], [...b]);
        continue;
      }
      into[1] = Math.min(into[1], b[1]);
      into[2] = Math.max(into[2], b[2]);
      for (let k = 3; k <= 8; k++) (into[k] as number) += b[k] as number;
    }
  }
  return [...byQuarter.values()].sort((a, b) => a[0] - b[0]);
}

export const bucketTokens = (b: Bucket): Tokens => ({
  input: b[3],
  cacheWrite: b[4] + b[5],
  cacheWrite5m: b[4],
  cacheWrite1h: b[5],
  cacheRead: b[6],
  output: b[7],
});
