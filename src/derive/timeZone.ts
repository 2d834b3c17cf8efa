/**
 * Calendar arithmetic in a time zone, for "today" and the billing month. Everything here needs only a
 * zone's UTC offset at an instant, so where that comes from (Intl, or the zoneinfo files) is the
 * caller's choice. Not the process's local time: the zone is a setting (--tz).
 */

export interface LocalDate {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
}

/** A time zone as the calendar math needs it: its offset from UTC at any instant, in ms (east positive). */
export interface Zone {
  readonly name: string;
  offsetAt(at: number): number;
}

export const UTC: Zone = { name: "UTC", offsetAt: () => 0 };

/** An IANA zone through Intl, or undefined when the runtime does not know it. */
export function intlZone(name: string): Zone | undefined {
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat("en-US", { timeZone: name, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
  } catch {
    return undefined;
  }
  return {
    name,
    offsetAt(at) {
      const p: Record<string, number> = {};
      for (const part of f.formatToParts(at)) if (part.type !== "literal") p[part.type] = Number(part.value);
      const wall = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
      return wall - Math.floor(at / 1000) * 1000;
    },
  };
}

interface Wall extends LocalDate {
  readonly hour: number;
  readonly minute: number;
}

function wallClock(at: number, zone: Zone): Wall {
  const d = new Date(at + zone.offsetAt(at));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** The calendar date at instant `at` in `zone`. */
export const localDate = (at: number, zone: Zone): LocalDate => {
  const { year, month, day } = wallClock(at, zone);
  return { year, month, day };
};

const sameDate = (a: LocalDate, b: LocalDate) => a.year === b.year && a.month === b.month && a.day === b.day;

/**
 * The first instant of a calendar date in `zone`. Where a DST change skips midnight (clocks go from
 * 23:59:59 to 01:00), that is the moment of the change; where midnight happens twice, the first.
 */
export function startOfDate(date: LocalDate, zone: Zone): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  const DAY = 86_400_000;
  // The offsets in force around that day; midnight is wall time minus one of them.
  const candidates = [wall - zone.offsetAt(wall - DAY / 2), wall - zone.offsetAt(wall + DAY / 2)];
  const valid = candidates.filter((t) => sameDate(localDate(t, zone), date));
  if (valid.length > 0) return Math.min(...valid);
  // Midnight skipped: the day begins at the change, between the two candidates.
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (sameDate(localDate(mid, zone), date)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Calendar date `days` after `date` (days may be negative). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The billing month holding `date`: from `billingDay` of one month to the same day of the next. A
 * billing day past a month's end (31 in April) falls on its last day.
 */
export function billingMonth(date: LocalDate, billingDay: number): { readonly start: LocalDate; readonly end: LocalDate } {
  const dayIn = (year: number, month: number): LocalDate => {
    const y = year + Math.floor((month - 1) / 12);
    const m = ((((month - 1) % 12) + 12) % 12) + 1;
    return { year: y, month: m, day: Math.min(billingDay, daysInMonth(y, m)) };
  };
  const thisMonth = dayIn(date.year, date.month);
  const startsThisMonth = date.day >= thisMonth.day;
  const start = startsThisMonth ? thisMonth : dayIn(date.year, date.month - 1);
  const end = startsThisMonth ? dayIn(date.year, date.month + 1) : thisMonth;
  return { start, end };
}

export const isoDate = (d: LocalDate): string => `${String(d.year).padStart(4, "0")}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/** "14:05" in `zone`. */
export function localClock(at: number, zone: Zone): string {
  const w = wallClock(at, zone);
  return `${String(w.hour).padStart(2, "0")}:${String(w.minute).padStart(2, "0")}`;
}
