import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configPath, envTemplate, loadConfig, validateConfig } from "../../src/read/config.ts";
import { makeHome } from "../helpers/home.ts";

describe("validateConfig", () => {
  test("a full valid config", () => {
    const json = { compact: { template: "{asking} {busy} | {cost}" }, prompt: { template: "{asking}" }, glyphs: { asking: "!", busy: "*" }, styles: { asking: "fg=#FF0000,bold" } };
    expect(validateConfig(json, "c")).toEqual({ config: json, problems: [] });
  });
  test.each([
    [{ colour: true }, "c: colour: unknown key, ignored"],
    [{ glyphs: { asking: "!", bussy: "*" } }, "c: glyphs.bussy: unknown key, ignored"],
    [{ glyphs: { asking: "two words" } }, "c: glyphs.asking: a glyph is 1 to 8 visible characters without spaces; using the default"],
    [{ styles: { idle: "#{session_name}" } }, "c: styles.idle: a tmux style such as fg=red,bold or fg=#ff8800 (no #{…}, #(…) or ##); using the default"],
    [{ compact: { template: "{asking} {bogus}" } }, "c: compact.template:"],
    [{ prompt: "x" }, "c: prompt:"],
  ])("%j: one line naming the key, the rest kept", (json, line) => {
    const { config, problems } = validateConfig({ ...json, glyphs: { ...(json as { glyphs?: object }).glyphs, idle: "o" } }, "c");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith(line);
    expect(config.glyphs?.idle).toBe("o");
  });
  test("several problems, several lines", () => {
    expect(validateConfig({ a: 1, b: 2, glyphs: { busy: "" } }, "c").problems).toHaveLength(3);
  });
  test("not an object", () => {
    expect(validateConfig([1], "c")).toEqual({ config: {}, problems: ["c: not a JSON object; using the defaults"] });
  });
});

describe("loadConfig", () => {
  test("missing: defaults, no problem; invalid JSON or over 1 MiB: one line", async () => {
    const home = makeHome();
    expect(await loadConfig(home.env)).toEqual({ config: {}, problems: [] });
    const path = configPath(home.env);
    expect(path).toBe(join(home.root, ".config", "ccpulse", "config.json"));
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, "{ oops");
    expect((await loadConfig(home.env)).problems).toEqual([`${path}: not valid JSON; using the defaults`]);
    writeFileSync(path, `{"timeZone":"UTC"${" ".repeat(1 << 20)}}`);
    expect(await loadConfig(home.env)).toEqual({ config: {}, problems: [`${path}: larger than 1 MiB; using the defaults`] });
    expect(configPath({ ...home.env, XDG_CONFIG_HOME: "/x/cfg" })).toBe("/x/cfg/ccpulse/config.json");
  });
  test("env templates are checked too", () => {
    expect(envTemplate({ CCPULSE_PROMPT_TEMPLATE: "{idle}" }, "CCPULSE_PROMPT_TEMPLATE")).toEqual({ template: "{idle}" });
    expect(envTemplate({ CCPULSE_PROMPT_TEMPLATE: "{nope}" }, "CCPULSE_PROMPT_TEMPLATE").problem).toStartWith("CCPULSE_PROMPT_TEMPLATE: a template knows only");
  });
});
