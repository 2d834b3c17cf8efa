import type { Zone } from "./timeZone.ts";

/**
 * Time zones from the system's compiled zoneinfo (TZif, RFC 8536) and POSIX TZ rules, without Intl:
 * creating the first Intl.DateTimeFormat costs ~9 ms in a compiled Bun binary (it loads ICU), as much
 * as a whole status-bar call. Pure: the bytes are read in read/zone.ts.
 */

/** A zone from a TZif file's bytes, or undefined when they are not one. */
export function tzifZone(name: string, bytes: Uint8Array): Zone | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (at: number) => {
    if (bytes.length < at + 44 || String.fromCharCode(...bytes.subarray(at, at + 4)) !== "TZif") return undefined;
    const count = (i: number) => view.getUint32(at + 20 + 4 * i);
    return { version: bytes[at + 4] ?? 0, isut: count(0), isstd: count(1), leap: count(2), time: count(3), type: count(4), chars: count(5) };
  };
  const first = header(0);
  if (!first) return undefined;
  const blockSize = (h: NonNullable<typeof first>, timeSize: number) => h.time * timeSize + h.time + h.type * 6 + h.chars + h.leap * (timeSize + 4) + h.isstd + h.isut;
  // Version 2 and later repeat the data with 64-bit times after the 32-bit block, then a POSIX rule.
  const v2 = first.version >= 0x32 ? header(44 + blockSize(first, 4)) : undefined;
  const h = v2 ?? first;
  const timeSize = v2 ? 8 : 4;
  let at = v2 ? 44 + blockSize(first, 4) + 44 : 44;
  if (bytes.length < at + blockSize(h, timeSize) || h.type === 0) return undefined;
  const times: number[] = [];
  for (let i = 0; i < h.time; i++) times.push(timeSize === 8 ? Number(view.getBigInt64(at + 8 * i)) : view.getInt32(at + 4 * i));
  at += h.time * timeSize;
  const indices = Array.from(bytes.subarray(at, at + h.time));
  at += h.time;
  const offsets: number[] = [];
  const dst: boolean[] = [];
  for (let i = 0; i < h.type; i++) {
    offsets.push(view.getInt32(at + 6 * i));
    dst.push(bytes[at + 6 * i + 4] === 1);
  }
  at += h.type * 6 + h.chars + h.leap * (timeSize + 4) + h.isstd + h.isut;
  let footer: Zone | undefined;
  if (v2 && bytes[at] === 0x0a) {
    const end = bytes.indexOf(0x0a, at + 1);
    if (end > at + 1) footer = posixZone(name, String.fromCharCode(...bytes.subarray(at + 1, end)));
  }
  // Before the first transition: the first standard-time type (RFC 8536 §3.2), else type 0.
  const initial = Math.max(0, dst.indexOf(false));
  return {
    name,
    offsetAt(ms) {
      const s = Math.floor(ms / 1000);
      if (times.length === 0 || s < (times[0] as number)) return (footer && times.length === 0 ? footer.offsetAt(ms) : (offsets[initial] as number) * 1000);
      if (footer && s >= (times.at(-1) as number)) return footer.offsetAt(ms);
      let lo = 0;
      let hi = times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((times[mid] as number) <= s) lo = mid;
        else hi = mid - 1;
      }
      return (offsets[indices[lo] as number] ?? 0) * 1000;
    },
  };
}

type DateRule = { kind: "M"; month: number; week: number; weekday: number } | { kind: "J"; day: number } | { kind: "n"; day: number };

/**
 * A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3` or `<+0530>-5:30` (the TZif footer, or a TZ
 * variable). Offsets there count west positive; the zone's are east positive.
 */
export function posixZone(name: string, rule: string): Zone | undefined {
  let pos = 0;
  const abbreviation = (): boolean => {
    if (rule[pos] === "<") {
      const close = rule.indexOf(">", pos);
      if (close < 0) return false;
      pos = close + 1;
      return true;
    }
    const start = pos;
    while (pos < rule.length && /[A-Za-z]/.test(rule[pos] as string)) pos++;
    return pos - start >= 3;
  };
  // [+-]hh[:mm[:ss]] in seconds; hours up to 167 for the v3 extension of rule times.
  const duration = (): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(rule.slice(pos));
    if (!m) return undefined;
    pos += m[0].length;
    const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === "-" ? -seconds : seconds;
  };
  const dateRule = (): { date: DateRule; time: number } | undefined => {
    let date: DateRule;
    const m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(rule.slice(pos));
    const j = /^J(\d{1,3})/.exec(rule.slice(pos));
    const n = /^(\d{1,3})/.exec(rule.slice(pos));
    if (m) date = { kind: "M", month: Number(m[1]), week: Number(m[2]), weekday: Number(m[3]) };
    else if (j) date = { kind: "J", day: Number(j[1]) };
    else if (n) date = { kind: "n", day: Number(n[1]) };
    else return undefined;
    pos += (m ?? j ?? n)?.[0].length ?? 0;
    let time = 7200;
    if (rule[pos] === "/") {
      pos++;
      const t = duration();
      if (t === undefined) return undefined;
      time = t;
    }
    return { date, time };
  };

  if (!abbreviation()) return undefined;
  const stdWest = duration();
  if (stdWest === undefined) return undefined;
  const std = -stdWest;
  if (pos === rule.length) return { name, offsetAt: () => std * 1000 };
  if (!abbreviation()) return undefined;
  let daylight = std + 3600;
  if (rule[pos] !== "," && pos < rule.length) {
    const west = duration();
    if (west === undefined) return undefined;
    daylight = -west;
  }
  // No rule given: POSIX leaves it to the implementation; glibc and tzcode use the US rules.
  let startRule = { date: { kind: "M", month: 3, week: 2, weekday: 0 } as DateRule, time: 7200 };
  let endRule = { date: { kind: "M", month: 11, week: 1, weekday: 0 } as DateRule, time: 7200 };
  if (rule[pos] === ",") {
    pos++;
    const s = dateRule();
    if (!s || rule[pos] !== ",") return undefined;
    pos++;
    const e = dateRule();
    if (!e) return undefined;
    startRule = s;
    endRule = e;
  }
  if (pos !== rule.length) return undefined;
  return {
    name,
    offsetAt(ms) {
      const s = Math.floor(ms / 1000);
      const year = new Date((s + std) * 1000).getUTCFullYear();
      // Transitions in UTC seconds: DST starts at its local standard time, ends at its local daylight time.
      const start = dayStart(year, startRule.date) + startRule.time - std;
      const end = dayStart(year, endRule.date) + endRule.time - daylight;
      const inDst = start < end ? s >= start && s < end : !(s >= end && s < start);
      return (inDst ? daylight : std) * 1000;
    },
  };
}

/** Seconds since the epoch of 00:00 (as UTC) on the day a rule names in `year`. */
function dayStart(year: number, rule: DateRule): number {
  const DAY = 86_400;
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (rule.kind === "J") return jan1 + (rule.day - 1 + (leap && rule.day >= 60 ? 1 : 0)) * DAY;
  if (rule.kind === "n") return jan1 + rule.day * DAY;
  const first = Date.UTC(year, rule.month - 1, 1) / 1000;
  const firstWeekday = new Date(first * 1000).getUTCDay();
  let day = 1 + ((rule.weekday - firstWeekday + 7) % 7) + (rule.week - 1) * 7;
  const days = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  while (day > days) day -= 7;
  return first + (day - 1) * DAY;
}
