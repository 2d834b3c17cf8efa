import { describe, expect, test } from "bun:test";
import { MAX_INPUT_BYTES, loadRecords, parseStatuslineInput, saveRecord } from "../../src/read/statusline.ts";
import { makeHome } from "../helpers/home.ts";
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FULL = {
  session_id: "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30",
  transcript_path: "/x.jsonl",
  cwd: "/w",
  model: { id: "claude-opus-5-5", display_name: "Opus 5.5" },
  cost: { total_cost_usd: 0.044354, total_duration_ms: 1 },
  context_window: { total_input_tokens: 20000, context_window_size: 1000000, used_percentage: 2 },
  prompt_cache: { warm: true, ttl: "5m", expires_at: 1795297000 },
  rate_limits: { five_hour: { used_percentage: 42.5, resets_at: 1795300000 }, seven_day: { used_percentage: 12, resets_at: 1795800000 } },
  version: "2.1.328",
};

describe("parseStatuslineInput", () => {
  test("the fields ccpulse uses", () => {
    expect(parseStatuslineInput(JSON.stringify(FULL))).toMatchObject({
      session_id: FULL.session_id,
      cost: { total_cost_usd: 0.044354 },
      rate_limits: { five_hour: { used_percentage: 42.5, resets_at: 1795300000 } },
    });
  });
  test("partial input and wrong types: what is usable is kept", () => {
    expect(parseStatuslineInput('{"session_id":"a","rate_limits":{"five_hour":{"used_percentage":"high","resets_at":5}},"cost":7}')).toEqual({
      session_id: "a",
      rate_limits: { five_hour: { used_percentage: undefined, resets_at: 5 }, seven_day: undefined },
    } as never);
  });
  test.each(["", "{", JSON.stringify(FULL).slice(0, 100), "[]", "null", "42", "\x00\x01"])("torn, empty or not an object: %p", (raw) => {
    expect(parseStatuslineInput(raw)).toBeUndefined();
  });
  test("over 1 MiB: not parsed", () => {
    expect(parseStatuslineInput(JSON.stringify({ ...FULL, pad: "x".repeat(MAX_INPUT_BYTES) }))).toBeUndefined();
  });
});

describe("records", () => {
  test("saved per session atomically, loaded back; garbage files skipped", async () => {
    const home = makeHome();
    const input = parseStatuslineInput(JSON.stringify(FULL));
    if (!input) throw new Error("unparsed");
    await saveRecord(home.cache, input, 1000);
    await saveRecord(home.cache, { ...input, cost: { total_cost_usd: 1 } }, 2000);
    await saveRecord(home.cache, { ...input, session_id: "other" }, 3000);
    mkdirSync(join(home.cache, "statusline-v1"), { recursive: true });
    writeFileSync(join(home.cache, "statusline-v1", "garbage.json"), "{torn");
    // Only regular files named *.json, not hidden: a link, a FIFO (never opened, so never waited on),
    // a folder, a hidden copy and another name all hold a record that must not be loaded.
    const record = readFileSync(join(home.cache, "statusline-v1", readdirSync(join(home.cache, "statusline-v1")).find((n) => n !== "garbage.json") as string), "utf8");
    const outside = join(home.root, "record.json");
    writeFileSync(outside, record.replace(/"recordedAt":\d+/, '"recordedAt":9000'));
    symlinkSync(outside, join(home.cache, "statusline-v1", "linked.json"));
    writeFileSync(join(home.cache, "statusline-v1", ".hidden.json"), record.replace(/"recordedAt":\d+/, '"recordedAt":9001'));
    writeFileSync(join(home.cache, "statusline-v1", "other.txt"), record.replace(/"recordedAt":\d+/, '"recordedAt":9002'));
    mkdirSync(join(home.cache, "statusline-v1", "folder.json"));
    expect(Bun.spawnSync(["mkfifo", join(home.cache, "statusline-v1", "fifo.json")]).exitCode).toBe(0);
    const records = await loadRecords(home.cache);
    expect(records.map((r) => [r.input.session_id, r.recordedAt, r.input.cost?.total_cost_usd]).sort()).toEqual([
      ["6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30", 2000, 1],
      ["other", 3000, 0.044354],
    ]);
  });
  test("an input without session id is not recorded", async () => {
    const home = makeHome();
    await saveRecord(home.cache, {}, 1);
    expect(await loadRecords(home.cache)).toEqual([]);
  });
});
