import { expect, test } from "bun:test";
import { cacheWarmth, isoUtcMs } from "../../src/derive/cacheWarmth.ts";

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

test.each(["2026-11-21 21:34:09Z", "2026-11-21T21:34:09+01:00", "2026-13-01T00:00:00Z", "", "x"])("isoUtcMs(%p) is undefined", (text) => {
  expect(isoUtcMs(text)).toBeUndefined();
});
