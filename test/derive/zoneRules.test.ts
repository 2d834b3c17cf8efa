import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { intlZone } from "../../src/derive/timeZone.ts";
import { posixZone, tzifZone } from "../../src/derive/zoneRules.ts";

// Intl (ICU's own tz data) is the oracle: every offset read from the system's zoneinfo files and from
// the POSIX rules in their footers must agree with it, across DST changes, in both hemispheres, past
// the last transition listed in the file (where only the footer rule answers), and for :30/:45 zones.
const ZONES = ["Europe/Berlin", "America/New_York", "America/Sao_Paulo", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "Pacific/Apia", "Africa/Casablanca", "Europe/London", "America/St_Johns", "Asia/Tehran", "UTC", "Etc/GMT+5"];

// Every 19h 07m from 2015 to 2045: lands on every hour of the day and near every transition.
const instants: number[] = [];
for (let t = Date.UTC(2015, 0, 1); t < Date.UTC(2045, 0, 1); t += (19 * 60 + 7) * 60_000) instants.push(t);

describe("zoneinfo files agree with Intl", () => {
  for (const name of ZONES) {
    test(name, () => {
      const zone = tzifZone(name, readFileSync(`/usr/share/zoneinfo/${name}`));
      const oracle = intlZone(name);
      expect(zone).toBeDefined();
      expect(oracle).toBeDefined();
      const wrong = instants.filter((t) => zone?.offsetAt(t) !== oracle?.offsetAt(t));
      expect(wrong.map((t) => new Date(t).toISOString()).slice(0, 3)).toEqual([]);
    });
  }

  test("the hour around a DST change, minute by minute (Berlin, spring and autumn 2031)", () => {
    const zone = tzifZone("Europe/Berlin", readFileSync("/usr/share/zoneinfo/Europe/Berlin"));
    const oracle = intlZone("Europe/Berlin");
    for (const change of [Date.UTC(2031, 2, 30, 1), Date.UTC(2031, 9, 26, 1)]) {
      for (let t = change - 3600_000; t <= change + 3600_000; t += 60_000) expect(zone?.offsetAt(t)).toBe(oracle?.offsetAt(t) as number);
    }
  });
});

describe("POSIX TZ rules", () => {
  test("fixed offsets, west positive as POSIX writes them", () => {
    expect(posixZone("x", "<+0530>-5:30")?.offsetAt(0)).toBe(5.5 * 3600_000);
    expect(posixZone("x", "EST5")?.offsetAt(0)).toBe(-5 * 3600_000);
    expect(posixZone("x", "<-03>3")?.offsetAt(0)).toBe(-3 * 3600_000);
  });

  test("US rules: 2am local on the second Sunday of March and the first of November", () => {
    const ny = posixZone("x", "EST5EDT,M3.2.0,M11.1.0");
    expect(ny?.offsetAt(Date.UTC(2030, 2, 10, 6, 59))).toBe(-5 * 3600_000);
    expect(ny?.offsetAt(Date.UTC(2030, 2, 10, 7, 0))).toBe(-4 * 3600_000);
    expect(ny?.offsetAt(Date.UTC(2030, 10, 3, 5, 59))).toBe(-4 * 3600_000);
    expect(ny?.offsetAt(Date.UTC(2030, 10, 3, 6, 0))).toBe(-5 * 3600_000);
  });

  test("southern hemisphere: DST across the new year", () => {
    const syd = posixZone("x", "AEST-10AEDT,M10.1.0,M4.1.0/3");
    expect(syd?.offsetAt(Date.UTC(2030, 0, 15))).toBe(11 * 3600_000);
    expect(syd?.offsetAt(Date.UTC(2030, 6, 15))).toBe(10 * 3600_000);
  });

  test("not a rule: undefined, never a wrong zone", () => {
    for (const bad of ["", "E", "ESTx", "EST5EDT,M3", "EST5EDT,M3.2.0", "$(id)", "EST5EDT,M3.2.0,M11.1.0junk"]) expect(posixZone("x", bad)).toBeUndefined();
  });

  test("not a TZif file: undefined", () => {
    expect(tzifZone("x", new TextEncoder().encode("TZif2 but short"))).toBeUndefined();
    expect(tzifZone("x", new Uint8Array(100))).toBeUndefined();
  });
});
