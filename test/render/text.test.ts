import { describe, expect, test } from "bun:test";
import { basename, cleanText, escapeTmux, escapeZsh } from "../../src/render/text.ts";

describe("cleanText removes everything a terminal would act on", () => {
  test.each([
    ["CSI colour", "a\x1b[31mred\x1b[0m", "ared"],
    ["CSI cursor moves and erase", "x\x1b[2J\x1b[H\x1b[10;20Hy", "xy"],
    ["OSC 52 clipboard write, BEL-terminated", "pre\x1b]52;c;cm0gLXJmIH4=\x07post", "prepost"],
    ["OSC 8 link, ST-terminated", "\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\", "click"],
    ["OSC title without terminator", "ok\x1b]0;pwned", "ok"],
    ["bare ESC", "a\x1bb", "a"],
    ["8-bit CSI", "a\x9b31mb", "ab"],
    ["DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"],
    ["newlines and tabs become spaces", "one\ntwo\r\nthree\tfour", "one two three four"],
    ["NUL, BEL, backspace, DEL, C1", "a\x00b\x07c\x08d\x7fe\x85f", "abcdef"],
    ["bidi override (trojan source)", "abc\u202eevil\u202c", "abcevil"],
    ["zero-width characters", "a\u200bb\u2060c\ufeff", "abc"],
    ["lone surrogate", "a\ud800b", "a\ufffdb"],
    ["ordinary unicode kept", "café 日本 😀", "café 日本 😀"],
  ])("%s", (_, raw, want) => {
    expect(cleanText(raw)).toBe(want);
  });

  test("cut to the limit with an ellipsis, counting characters not UTF-16 units", () => {
    expect(cleanText("abcdef", 4)).toBe("abc…");
    expect(cleanText("😀😀😀😀😀", 3)).toBe("😀😀…");
    expect(cleanText("abc", 3)).toBe("abc");
  });
});

describe("per-target escaping", () => {
  test("tmux doubles every #", () => {
    expect(escapeTmux("#{session_name} #(touch x) #[fg=red] ##")).toBe("##{session_name} ##(touch x) ##[fg=red] ####");
  });
  test("zsh doubles every %", () => {
    expect(escapeZsh("%~ %F{red} 100%")).toBe("%%~ %%F{red} 100%%");
  });
  test("basename", () => {
    expect(basename("/home/u/proj/")).toBe("proj");
    expect(basename("/")).toBe("/");
    expect(basename("rel")).toBe("rel");
  });
});
