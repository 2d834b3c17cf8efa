import { describe, expect, test } from "bun:test";
import { type Warmth, cacheWarmth, isoUtcMs, preferReported } from "../../src/derive/cacheWarmth.ts";

const at = "2026-11-21T10:00:00.000Z";
const t0 = Date.UTC(2026, 10, 21, 10, 0, 0);

test.each([
  // ttl, now, state, expiresAt
  ["5m", t0, "warm", t0 + 300_000],
  ["5m", t0 + 299_999, "warm", t0 + 300_000],
  ["5m", t0 + 300_000, "expired", t0 + 300_000],
  ["1h", t0 + 300_000, "warm", t0 + 3_600_000],
  ["1h", t0 + 3_600_000, "expired", t0 + 3_600_000],
] as const)("ttl %s, %p ms: %s", (ttl, now, state, expiresAt) => {
  expect(cacheWarmth({ at, ttl }, now)).toEqual({ state, ttlSeconds: ttl === "5m" ? 300 : 3600, expiresAt });
});

test("no reply yet, or an unreadable time: unknown", () => {
  expect(cacheWarmth(undefined, t0)).toBeUndefined();
  expect(cacheWarmth({ at: "yesterday-ish", ttl: "5m" }, t0)).toBeUndefined();
});

test.each([
  "2026-11-21T21:34:09.915Z",
  "2026-11-21T21:34:09Z",
  "2026-11-21T21:34:09.9Z",
  "2024-02-29T00:00:00.000Z",
  "1999-12-31T23:59:59.999Z",
])("isoUtcMs(%p) agrees with Date.parse", (text) => {
  expect(isoUtcMs(text)).toBe(Date.parse(text));
});

test("isoUtcMs agrees with Date.parse on 2000 toISOString() times, 1970 to 2100", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 2000; i++) {
    const text = new Date(Math.floor(random() * Date.UTC(2100, 0, 1))).toISOString();
    expect(isoUtcMs(text)).toBe(Date.parse(text));
  }
});

test.each([
  "2026-11-21 21:34:09Z",
  "2026-11-21T21:34:09+01:00",
  "2026-13-01T00:00:00Z",
  "",
  "x",
  // the 24-character shape toISOString() writes, with something wrong in it
  "2026-11-21T21:34:09.9a5Z",
  "2026-11-21T24:00:00.000Z",
  "2026-00-21T21:34:09.915Z",
  "2026-11-21T21:60:09.915Z",
  "-026-11-21T21:34:09.915Z",
  "2026-11-21T21:34:09.915z",
  "2026-11-21T21:34:09,915Z",
])("isoUtcMs(%p) is undefined", (text) => {
  expect(isoUtcMs(text)).toBeUndefined();
});

describe("warmth Claude Code reported (statusline prompt_cache)", () => {
  const NOW = Date.UTC(2026, 10, 21, 12, 0);
  const record = (recordedAt: number, prompt_cache: Record<string, unknown>, session_id = "s1") => ({ version: 1 as const, recordedAt, input: { session_id, prompt_cache } });
  // The transcript's view: last reply 11:58, 5-minute TTL, so warm until 12:03.
  const session: { sessionId: string; cache: Warmth } = { sessionId: "s1", cache: { state: "warm", ttlSeconds: 300, expiresAt: NOW + 3 * 60_000 } };

  test("a fresh report after the last reply wins: its expiry and TTL", () => {
    const [s] = preferReported([session], [record(NOW - 60_000, { ttl: "1h", expires_at: (NOW + 59 * 60_000) / 1000 })], NOW);
    expect(s?.cache).toEqual({ state: "warm", ttlSeconds: 3600, expiresAt: NOW + 59 * 60_000 });
    const [seconds] = preferReported([session], [record(NOW - 60_000, { ttl: 600, expires_at: (NOW - 1000) / 1000 })], NOW);
    expect(seconds?.cache).toEqual({ state: "expired", ttlSeconds: 600, expiresAt: NOW - 1000 });
  });

  test("a report older than the last reply, stale (over 10 minutes), of another session or without expires_at: the transcript's", () => {
    for (const r of [record(NOW - 3 * 60_000, { expires_at: 1 }), record(NOW - 11 * 60_000, { expires_at: 1 }), record(NOW, { expires_at: 1 }, "s2"), record(NOW, { ttl: "1h" })]) {
      expect(preferReported([session], [r], NOW)[0]).toBe(session);
    }
  });
});
