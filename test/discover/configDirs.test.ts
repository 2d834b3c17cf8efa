import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configDirs } from "../../src/discover/configDirs.ts";
import { probeFiles } from "../../src/discover/probeFiles.ts";
import { makeHome } from "../helpers/home.ts";

describe("configDirs", () => {
  test("CLAUDE_CONFIG_DIR is a comma-separated list: trimmed, empties dropped, duplicates once", async () => {
    expect(await configDirs({ HOME: "/h", CLAUDE_CONFIG_DIR: " /a/.claude , ,/b/claude/,/a/.claude" })).toEqual(["/a/.claude", "/b/claude"]);
  });
  test("without it: ~/.claude and ~/.config/claude, each only when present", async () => {
    const home = makeHome();
    expect(await configDirs({ HOME: home.root })).toEqual([home.claude]);
    mkdirSync(join(home.root, ".config", "claude"), { recursive: true });
    expect(await configDirs({ HOME: home.root })).toEqual([home.claude, join(home.root, ".config", "claude")]);
    expect(await configDirs({ HOME: home.root, CLAUDE_CONFIG_DIR: "   " })).toEqual([home.claude, join(home.root, ".config", "claude")]);
  });
  test("a home without any: none", async () => {
    expect(await configDirs({ HOME: "/nonexistent-home" })).toEqual([]);
  });
});

describe("probeFiles", () => {
  test("only <pid>.json names; .key files, heartbeats, temp files and non-canonical names ignored", async () => {
    const home = makeHome();
    const dir = join(home.claude, "sessions");
    for (const name of ["2497.json", "12.json", "2497.8d74be6e07a3ee.key", ".fleetview-heartbeat", "2497.json.tmp", "0123.json", "abc.json", ".9.json", "99999999999.json", "7.JSON"]) {
      writeFileSync(join(dir, name), "{}");
    }
    mkdirSync(join(dir, "55.json"));
    expect((await probeFiles(home.claude)).map((f) => f.pid)).toEqual([12, 2497]);
  });
  test("no sessions dir, or a file in its place", async () => {
    const home = makeHome();
    expect(await probeFiles(join(home.root, "missing"))).toEqual([]);
    writeFileSync(join(home.root, "x"), "");
    mkdirSync(join(home.root, "y"));
    writeFileSync(join(home.root, "y", "sessions"), "not a dir");
    expect(await probeFiles(join(home.root, "y"))).toEqual([]);
  });
});
