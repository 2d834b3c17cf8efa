import { describe, expect, test } from "bun:test";
import { encodeProjectDir, javaHashCode } from "../../src/discover/projectDir.ts";

describe("encodeProjectDir (format doc §2.1 vectors, checked against Claude Code's own JS)", () => {
  test.each([
    ["/home/u/my_proj.v2", "-home-u-my-proj-v2"],
    ["/x/😀", "-x---"],
    ["/home/dev/code/work/s1", "-home-dev-code-work-s1"],
    ["/a b/c-d/é", "-a-b-c-d--"],
    ["", ""],
  ])("%p → %p", (cwd, want) => {
    expect(encodeProjectDir(cwd)).toBe(want);
  });

  test("over 200 characters: first 200, a dash, base36 of |Java hashCode| of the original", () => {
    const cwd = `/${"a".repeat(250)}`;
    expect(encodeProjectDir(cwd)).toBe(`-${"a".repeat(199)}-feo44x`);
  });

  test("exactly 200 is kept whole", () => {
    const cwd = `/${"b".repeat(199)}`;
    expect(encodeProjectDir(cwd)).toBe(`-${"b".repeat(199)}`);
  });

  test("hashCode wraps like Java's int32", () => {
    expect(javaHashCode("hello")).toBe(99162322);
    expect(javaHashCode("polygenelubricants")).toBe(-2147483648);
    // |−2^31| is 2147483648 in JS, as Math.abs gives Claude Code.
    expect(Math.abs(javaHashCode("polygenelubricants")).toString(36)).toBe("zik0zk");
  });
});
