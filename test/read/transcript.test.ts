import { describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UsageRow } from "../../src/derive/tokens.ts";
import { MAX_LINE_BYTES, contentArray, parseUsageLine, scanTranscript, usageRow } from "../../src/read/transcript.ts";
import { FIXTURES, makeHome } from "../helpers/home.ts";
import { assistantLine, metadataLines, rateLimitLine, taskResultLine } from "../helpers/rows.ts";

async function scan(path: string, start = 0): Promise<{ rows: UsageRow[]; offset: number }> {
  const rows: UsageRow[] = [];
  const size = Bun.file(path).size;
  const fd = openSync(path, "r");
  try {
    return { rows, offset: scanTranscript(await import("node:fs"), fd, start, size, (r) => rows.push(r)) };
  } finally {
    closeSync(fd);
  }
}

function file(content: string): string {
  const path = join(makeHome().root, "t.jsonl");
  writeFileSync(path, content);
  return path;
}

describe("scanTranscript", () => {
  test("only assistant rows; a usage key in a tool result or a string does not count", async () => {
    const lines = [...metadataLines(), taskResultLine(), assistantLine("m1", "r1", { input: 4, output: 87 }), "not json with \"usage\" in it"];
    const { rows, offset } = await scan(file(`${lines.join("\n")}\n`));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ messageId: "m1", requestId: "r1", model: "claude-opus-5-5", sidechain: false });
    expect(rows[0]?.tokens).toMatchObject({ input: 4, output: 87 });
    expect(offset).toBe(Buffer.byteLength(`${lines.join("\n")}\n`));
  });

  test("a line still being written is left for the next call", async () => {
    const whole = `${assistantLine("m1", "r1", { output: 1 })}\n`;
    const half = assistantLine("m2", "r2", { output: 2 }).slice(0, 200);
    const { rows, offset } = await scan(file(whole + half));
    expect(rows.map((r) => r.messageId)).toEqual(["m1"]);
    expect(offset).toBe(Buffer.byteLength(whole));
  });

  test("leading NUL bytes on a line are stripped (Claude Code's reader does the same)", async () => {
    const { rows } = await scan(file(`\x00\x00\x00${assistantLine("m1", "r1", { output: 5 })}\n`));
    expect(rows[0]?.tokens.output).toBe(5);
  });

  test("starting mid-file reads only what follows", async () => {
    const first = `${assistantLine("m1", "r1", { output: 1 })}\n`;
    const path = file(`${first}${assistantLine("m2", "r2", { output: 2 })}\n`);
    const { rows } = await scan(path, Buffer.byteLength(first));
    expect(rows.map((r) => r.messageId)).toEqual(["m2"]);
  });

  // A read from byte 0 reads 1 MiB at a time, a catch-up from a cursor 128 KB at a time.
  test.each([["from byte 0", false], ["from a cursor", true]])("rows across read boundaries, multi-byte text included: %s", async (_, fromCursor) => {
    const path = join(makeHome().root, "big.jsonl");
    const head = `${JSON.stringify({ type: "attachment", text: "x" })}\n`;
    writeFileSync(path, head);
    let expected = 0;
    let n = 0;
    while (Bun.file(path).size < 20 * 1024 * 1024) {
      const filler = JSON.stringify({ type: "attachment", text: "日本語😀".repeat(5000 + (n % 7) * 997) });
      appendFileSync(path, `${filler}\n${assistantLine(`m${n}`, `r${n}`, { output: n + 1 })}\n`);
      expected += n + 1;
      n++;
    }
    const { rows, offset } = await scan(path, fromCursor ? Buffer.byteLength(head) : 0);
    expect(rows).toHaveLength(n);
    expect(rows.reduce((a, r) => a + r.tokens.output, 0)).toBe(expected);
    expect(offset).toBe(Bun.file(path).size);
  });

  test.each([["from byte 0", false], ["from a cursor", true]])("a row longer than one read but within the limit is counted (the buffer grows for it): %s", async (_, fromCursor) => {
    const first = `${assistantLine("m1", "r1", { output: 1 })}\n`;
    const long = assistantLine("m2", "r2", { output: 2 }, { block: "z".repeat(MAX_LINE_BYTES * 0.75) });
    const path = file(`${first}${long}\n${assistantLine("m3", "r3", { output: 3 })}\n`);
    const { rows, offset } = await scan(path, fromCursor ? Buffer.byteLength(first) : 0);
    expect(Buffer.byteLength(long)).toBeGreaterThan(1 << 20);
    expect(rows.map((r) => [r.messageId, r.tokens.output])).toEqual([...(fromCursor ? [] : [["m1", 1]]), ["m2", 2], ["m3", 3]]);
    expect(offset).toBe(Bun.file(path).size);
  });

  test.each([["from byte 0", false], ["from a cursor", true]])("a line longer than the limit is passed over; rows around it count: %s", async (_, fromCursor) => {
    const first = `${assistantLine("m0", "r0", { output: 1 })}\n`;
    const path = file(
      `${first}${assistantLine("m1", "r1", { output: 1 })}\n${JSON.stringify({ type: "user", usage: 1, pad: "x".repeat(MAX_LINE_BYTES + 100) })}\n${assistantLine("m2", "r2", { output: 2 })}\n`,
    );
    const { rows, offset } = await scan(path, fromCursor ? Buffer.byteLength(first) : 0);
    expect(rows.map((r) => r.messageId)).toEqual([...(fromCursor ? [] : ["m0"]), "m1", "m2"]);
    expect(offset).toBe(Bun.file(path).size);
  });

  test("an over-long line still being written is not consumed", async () => {
    const head = `${assistantLine("m1", "r1", { output: 1 })}\n`;
    const path = file(`${head}${"y".repeat(MAX_LINE_BYTES + 10)}`);
    const { offset } = await scan(path);
    expect(offset).toBe(Buffer.byteLength(head));
  });

  test("empty file and empty range", async () => {
    expect(await scan(file(""))).toEqual({ rows: [], offset: 0 });
  });
});

describe("rate-limit rows", () => {
  const row = (resetsAt: unknown) => usageRow(JSON.parse(rateLimitLine("2026-11-21T10:20:00.000Z", 0).replace('"resetsAt":0', `"resetsAt":${JSON.stringify(resetsAt)}`)));
  test("their limit and reset time are read, in ms", () => {
    expect(row(1795320000)?.limit).toEqual({ kind: "five_hour", resetsAt: 1795320000_000, at: Date.UTC(2026, 10, 21, 10, 20) });
  });
  test("a reset time that is no date (huge, negative, a string) is no limit, and never Infinity in the cache", () => {
    for (const bad of [1e308, -5, 0, "1795320000", null]) expect(row(bad)?.limit).toBeUndefined();
  });
});

describe("absurd usage numbers", () => {
  // A row of a model with long-prompt rates, whose cost is priced by iteration when they add up.
  const usage = {
    input_tokens: 10,
    output_tokens: 20,
    cache_read_input_tokens: 30,
    cache_creation_input_tokens: 40,
    cache_creation: { ephemeral_1h_input_tokens: 15, ephemeral_5m_input_tokens: 25 },
    server_tool_use: { web_search_requests: 2 },
    iterations: [
      { type: "message", input_tokens: 4, output_tokens: 5, cache_read_input_tokens: 6, cache_creation_input_tokens: 7, cache_creation: { ephemeral_1h_input_tokens: 3, ephemeral_5m_input_tokens: 4 } },
      { type: "message", input_tokens: 6, output_tokens: 15, cache_read_input_tokens: 24, cache_creation_input_tokens: 33, cache_creation: { ephemeral_1h_input_tokens: 1, ephemeral_5m_input_tokens: 32 } },
    ],
  };
  const rowWith = (change: (u: any) => void) => {
    const u = structuredClone(usage) as any;
    change(u);
    return usageRow({ type: "assistant", message: { id: "m", model: "claude-haiku-5-5", usage: u }, requestId: "r", timestamp: "2026-11-21T10:20:00.000Z" });
  };
  const fields: [string, (u: any, x: number) => void][] = [
    ["input_tokens", (u, x) => (u.input_tokens = x)],
    ["output_tokens", (u, x) => (u.output_tokens = x)],
    ["cache_read_input_tokens", (u, x) => (u.cache_read_input_tokens = x)],
    ["cache_creation_input_tokens", (u, x) => (u.cache_creation_input_tokens = x)],
    ["cache_creation.ephemeral_1h_input_tokens", (u, x) => (u.cache_creation.ephemeral_1h_input_tokens = x)],
    ["server_tool_use.web_search_requests", (u, x) => (u.server_tool_use.web_search_requests = x)],
    ["an iteration's output_tokens and the total (the iterations still add up)", (u, x) => ((u.iterations[0].output_tokens = 0), (u.iterations[1].output_tokens = x), (u.output_tokens = x))],
    ["an iteration's 1h cache writes", (u, x) => (u.iterations[0].cache_creation.ephemeral_1h_input_tokens = x)],
    ["an iteration's 5m cache writes", (u, x) => (u.iterations[1].cache_creation.ephemeral_5m_input_tokens = x)],
  ];
  test.each(fields)("%s above a billion counts as 0, as a 0 there would (tokens and cost)", (_, set) => {
    const zero = rowWith((u) => set(u, 0));
    expect(zero?.costUSD).toBeGreaterThan(0);
    for (const absurd of [1e308, 2e9, 1_000_000_001]) expect(rowWith((u) => set(u, absurd))).toEqual(zero);
    // A billion itself is a count like any other.
    expect(rowWith((u) => set(u, 1e9))).not.toEqual(zero);
  });
});

describe("a row is parsed with its content emptied", () => {
  const region = (line: string) => {
    const found = contentArray(Buffer.from(line));
    return found && Buffer.from(line).subarray(...found).toString();
  };

  test("the array ends at its own bracket: brackets and quotes inside strings, escapes, nesting", () => {
    expect(region('{"message":{"content":[{"type":"text","text":"a ] b [ } {"}],"usage":{}}}')).toBe('[{"type":"text","text":"a ] b [ } {"}]');
    expect(region('{"content":["say \\"hi\\" ]", "back\\\\", "x\\\\\\"]\\"]"]}')).toBe('["say \\"hi\\" ]", "back\\\\", "x\\\\\\"]\\"]"]');
    expect(region('{"content":[[1,[2]],{"a":[3]}],"x":1}')).toBe('[[1,[2]],{"a":[3]}]');
    expect(region('{"content":[]}')).toBe("[]");
    // A content string, a content that never closes, a mismatched close: left to the whole-line parse.
    expect(region('{"content":"text","usage":{}}')).toBeUndefined();
    expect(region('{"content":[{"text":"cut off')).toBeUndefined();
    expect(region('{"content":[{"a":1}}')).toBeUndefined();
  });

  test("damaged or odd lines: the same verdict as a whole-line parse, and the row's bytes outside the line untouched", () => {
    const row = assistantLine("m1", "r1", { input: 4, output: 87 });
    const cut = row.indexOf('"usage"');
    const variants = [
      row,
      `${row} trailing`,
      `${row}${row}`,
      `  ${row}\r`,
      row.replace('"role"', '"cwd":"/home/zoë/ünïcode ⚠ 🔥","role"'),
      row.slice(0, cut),
      row.replace('"content":[', '"content":[{"type":"text","text":"] } [ {\\" \\\\"},'),
      row.replace('"content":[', '"content":"not an array","was":['),
      "[]",
      "",
    ];
    for (const line of variants) {
      let whole: UsageRow | undefined;
      try {
        whole = usageRow(JSON.parse(line));
      } catch {
        whole = undefined;
      }
      const bytes = Buffer.from(`<${line}>`);
      expect(parseUsageLine(bytes, 1, bytes.length - 1)).toEqual(whole);
      expect([bytes[0], bytes[bytes.length - 1]]).toEqual([0x3c, 0x3e]);
    }
    // Invalid UTF-8 in a string is read as U+FFFD, as toString("utf8") would.
    const [before, after] = row.replace('"role"', '"cwd":"/x@","role"').split("@") as [string, string];
    const bad = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xc3]), Buffer.from(after)]);
    expect(parseUsageLine(Buffer.from(bad), 0, bad.length)).toEqual(usageRow(JSON.parse(bad.toString("utf8"))));
    expect(usageRow(JSON.parse(bad.toString("utf8")))?.tokens).toMatchObject({ input: 4, output: 87 });
  });

  test("every assistant row of every real capture gives what a whole-line parse gives", () => {
    let rows = 0;
    for (const path of new Bun.Glob("*/projects/**/*.jsonl").scanSync({ cwd: FIXTURES, absolute: true })) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (!line.includes('"usage"')) continue;
        const bytes = Buffer.from(line);
        let whole: UsageRow | undefined;
        try {
          whole = usageRow(JSON.parse(line.replace(/^\u0000+/, "")));
        } catch {
          whole = undefined;
        }
        expect(parseUsageLine(bytes, 0, bytes.length)).toEqual(whole);
        if (whole) rows++;
      }
    }
    expect(rows).toBeGreaterThan(50);
  });
});
