import type { StatuslineRecord } from "../read/statusline.ts";
import { FRESH_MS } from "./rateLimits.ts";
import type { CacheTtl } from "./tokens.ts";

/**
 * Whether a session's prompt cache is still warm: the next message then reads the context from cache
 * instead of paying to re-process all of it. A cache lives for its TTL after its last use, which is
 * the last main-chain reply: 5 minutes, or 1 hour when the request asked for it.
 */
export interface Warmth {
  /** ended: the session's process is gone (its cache may still be warm for a `claude --resume`). */
  readonly state: "warm" | "expired" | "ended";
  readonly ttlSeconds: number;
  /** ms since epoch */
  readonly expiresAt: number;
}

const TTL_SECONDS: Record<CacheTtl, number> = { "5m": 300, "1h": 3600 };

export function cacheWarmth(lastReply: { readonly at: string; readonly ttl: CacheTtl } | undefined, now: number, ended = false): Warmth | undefined {
  if (!lastReply) return undefined;
  const at = isoUtcMs(lastReply.at);
  if (at === undefined) return undefined;
  const ttlSeconds = TTL_SECONDS[lastReply.ttl];
  const expiresAt = at + ttlSeconds * 1000;
  return { state: ended ? "ended" : now < expiresAt ? "warm" : "expired", ttlSeconds, expiresAt };
}

const TTL_WORDS: Record<string, number> = { "5m": 300, "1h": 3600 };

/**
 * Sessions' warmth as Claude Code itself reported it to `ccpulse statusline` (its prompt_cache
 * expires_at and ttl), where that report is fresh and not older than the last reply the transcript
 * shows; otherwise as derived from the transcript.
 */
export function preferReported<S extends { readonly sessionId?: string; readonly cache?: Warmth }>(sessions: readonly S[], records: readonly StatuslineRecord[], now: number): S[] {
  const newest = new Map<string, StatuslineRecord>();
  for (const r of records) {
    const id = r.input.session_id;
    if (id === undefined || r.input.prompt_cache?.expires_at === undefined || now - r.recordedAt > FRESH_MS) continue;
    if ((newest.get(id)?.recordedAt ?? -1) < r.recordedAt) newest.set(id, r);
  }
  return sessions.map((s) => {
    const r = s.sessionId === undefined ? undefined : newest.get(s.sessionId);
    const pc = r?.input.prompt_cache;
    if (!r || pc?.expires_at === undefined) return s;
    const lastReply = s.cache ? s.cache.expiresAt - s.cache.ttlSeconds * 1000 : undefined;
    if (lastReply !== undefined && r.recordedAt < lastReply) return s;
    const expiresAt = pc.expires_at * 1000;
    const ttlSeconds = typeof pc.ttl === "number" ? pc.ttl : (TTL_WORDS[pc.ttl ?? ""] ?? s.cache?.ttlSeconds ?? 300);
    return { ...s, cache: { state: now < expiresAt ? "warm" : "expired", ttlSeconds, expiresAt } };
  });
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)?Z$/;

/**
 * Milliseconds of an ISO 8601 UTC time as Claude Code writes them (`toISOString()`). By hand rather than
 * Date.parse, which cost ~0.8 ms per call in a compiled Bun binary (it loads time-zone data).
 */
export function isoUtcMs(text: string): number | undefined {
  const fast = toIsoStringMs(text);
  if (fast !== undefined) return fast;
  const m = ISO_UTC.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, Number((m[7] ?? "0").padEnd(3, "0")));
}

const ZERO = 48;

/** `n` decimal digits of `text` from `at` as a number; NaN if any is not a digit. */
function digitsAt(text: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

// The exact shape toISOString() writes, "2026-11-22T05:16:33.322Z", read by character: every assistant
// row's time goes through here on the cold path, where the regex, its match array and Number() of each
// part took 9% of a cold call's CPU profile (40 of 436 ms sampled, medium bench home). Anything else is
// left to the regex.
function toIsoStringMs(text: string): number | undefined {
  if (text.length !== 24 || text[4] !== "-" || text[7] !== "-" || text[10] !== "T" || text[13] !== ":" || text[16] !== ":" || text[19] !== "." || text[23] !== "Z") return undefined;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const s = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  // NaN fails every comparison: a non-digit anywhere goes to the regex, which turns it down.
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60 && y >= 0 && ms >= 0)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}
