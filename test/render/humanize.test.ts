import { expect, test } from "bun:test";
import { humanAge, humanCost, humanCount } from "../../src/render/humanize.ts";

test.each([
  [0, "0"],
  [999, "999"],
  [1000, "1.0k"],
  [12_345, "12.3k"],
  [999_949, "999.9k"],
  [999_950, "1.0M"],
  [4_567_890, "4.6M"],
  [2_000_000_000, "2.0G"],
])("humanCount(%p) = %p", (n, want) => {
  expect(humanCount(n)).toBe(want);
});

test.each([
  [-5000, "0s"],
  [0, "0s"],
  [59_999, "59s"],
  [60_000, "1m"],
  [3_599_000, "59m"],
  [3_600_000, "1h00m"],
  [3_900_000, "1h05m"],
  [86_400_000, "1d00h"],
  [90_000_000, "1d01h"],
])("humanAge(%p) = %p", (ms, want) => {
  expect(humanAge(ms)).toBe(want);
});

test.each([
  [0, false, "$0.00"],
  [0.004, false, "<$0.01"],
  [0.005, false, "$0.01"],
  [0.044354, false, "$0.04"],
  [12.345, true, "~$12.35"],
  [999.994, false, "$999.99"],
  [1234.5, false, "$1.2k"],
])("humanCost(%p, %p) = %p", (usd, estimated, want) => {
  expect(humanCost(usd, estimated)).toBe(want);
});
