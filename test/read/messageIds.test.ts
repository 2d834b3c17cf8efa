import { describe, expect, test } from "bun:test";
import { IDS_PER_LINE, MessageIds } from "../../src/read/messageIds.ts";

/** encode()'s lines as text (lines given as bytes come back as bytes). */
const encoded = (ids: MessageIds): string[] => ids.encode().map((line) => (typeof line === "string" ? line : Buffer.from(line).toString("latin1")));
const msgId = (i: number) => `msg_01${i.toString(36).padStart(22, "_")}`;

describe("MessageIds", () => {
  test("holds what was added and nothing else", () => {
    const ids = MessageIds.empty();
    expect(ids.has("msg_a")).toBe(false);
    ids.add("msg_a");
    ids.add("msg_b");
    expect([ids.has("msg_a"), ids.has("msg_b"), ids.has("msg_c"), ids.has("")]).toEqual([true, true, false, false]);
    // an add after a lookup is seen by the next lookup
    ids.add("msg_c");
    expect(ids.has("msg_c")).toBe(true);
    expect(ids.size).toBe(3);
  });

  test("an id added again right after itself (a reply's rows, one per content block) is kept once; again later, twice", () => {
    const ids = MessageIds.empty();
    for (const id of ["msg_a", "msg_a", "msg_a", "msg_b", "msg_b", "msg_a"]) ids.add(id);
    expect(ids.size).toBe(3);
    expect(Buffer.from(encoded(ids)[0] as string, "base64").length).toBe(3 * 8);
    expect([ids.has("msg_a"), ids.has("msg_b"), ids.has("msg_c")]).toEqual([true, true, false]);
  });

  test("survives encode and decode, past its first growth", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 1000; i++) ids.add(msgId(i));
    const back = MessageIds.decode(encoded(ids));
    expect(back.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(back.has(msgId(i))).toBe(true);
    for (let i = 1000; i < 2000; i++) expect(back.has(msgId(i))).toBe(false);
    back.add(msgId(5000));
    expect(MessageIds.decode(encoded(back)).has(msgId(5000))).toBe(true);
  });

  // encode() keeps the stored full lines and codes the last one again with the new ids; a line's
  // bytes (8 per id) are a multiple of 3 only when full, so every count around a line's end is a case.
  test.each([0, 1, 2, 3, 4, 5, 301, IDS_PER_LINE - 1, IDS_PER_LINE, IDS_PER_LINE + 1, 2 * IDS_PER_LINE + 7])("appending to %i stored ids encodes as the whole set would", (stored) => {
    for (const more of [0, 1, 2, 3, 7, IDS_PER_LINE + 1]) {
      const first = MessageIds.empty();
      const whole = MessageIds.empty();
      for (let i = 0; i < stored; i++) [first, whole].forEach((ids) => ids.add(msgId(i)));
      const grown = MessageIds.decode(encoded(first));
      for (let i = stored; i < stored + more; i++) [grown, whole].forEach((ids) => ids.add(msgId(i)));
      const lines = encoded(grown);
      expect(lines).toEqual(encoded(whole));
      expect(lines.length).toBe(Math.ceil((stored + more) / IDS_PER_LINE));
      expect(lines.slice(0, -1).every((line) => line.length === (IDS_PER_LINE * 32) / 3 && !line.includes("="))).toBe(true);
      // The full lines stored are written again as they were.
      expect(lines.slice(0, Math.floor(stored / IDS_PER_LINE))).toEqual(encoded(first).slice(0, Math.floor(stored / IDS_PER_LINE)));
      const back = MessageIds.decode(lines);
      expect(back.size).toBe(stored + more);
      for (let i = 0; i < stored + more; i++) expect(back.has(msgId(i))).toBe(true);
      expect(back.has(msgId(stored + more))).toBe(false);
    }
  });

  test.each([
    ["no lines", []],
    ["empty", [""]],
    ["not base64", ["%%%% not base64 \u0000"]],
    ["a torn hash (5 bytes)", [Buffer.from([1, 2, 3, 4, 5]).toString("base64")]],
    ["a full line's length of garbage", ["%".repeat((IDS_PER_LINE * 32) / 3)]],
  ])("decodes %s without throwing", (_, lines) => {
    const ids = MessageIds.decode(lines);
    expect(ids.size).toBe(0);
    expect(ids.has("msg_a")).toBe(false);
    ids.add("msg_a");
    expect(ids.has("msg_a")).toBe(true);
    expect(MessageIds.decode(encoded(ids)).has("msg_a")).toBe(true);
  });

  test("a damaged line among good ones: the ids around it stay, and it is coded again from what it holds", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 2 * IDS_PER_LINE; i++) ids.add(msgId(i));
    const [full, second] = encoded(ids) as [string, string];
    const torn = second.slice(0, 100);
    const back = MessageIds.decode([full, torn]);
    expect(back.has(msgId(0))).toBe(true);
    expect(back.has(msgId(IDS_PER_LINE))).toBe(true);
    expect(back.has(msgId(2 * IDS_PER_LINE - 1))).toBe(false);
    back.add("msg_new");
    const lines = encoded(back);
    expect(lines[0]).toBe(full);
    const again = MessageIds.decode(lines);
    expect(again.size).toBe(IDS_PER_LINE + Math.floor(((100 / 4) * 3) / 8) + 1);
    expect([again.has(msgId(0)), again.has(msgId(IDS_PER_LINE)), again.has("msg_new")]).toEqual([true, true, true]);
  });

  test("lines given as the bytes they were read as: looked up as their text would be; full ones given back as those bytes", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 2 * IDS_PER_LINE + 5; i++) ids.add(msgId(i));
    const text = encoded(ids);
    const bytes = text.map((line) => new Uint8Array(Buffer.from(`x${line}y`, "latin1")).subarray(1, line.length + 1));
    const back = MessageIds.decode(bytes);
    back.add("msg_new");
    const lines = back.encode();
    expect(lines.slice(0, 2)).toEqual(bytes.slice(0, 2));
    expect(lines[0]).toBe(bytes[0] as Uint8Array);
    const fromText = MessageIds.decode(text);
    fromText.add("msg_new");
    expect(lines.slice(2)).toEqual(encoded(fromText).slice(2));
    for (const id of [msgId(0), msgId(IDS_PER_LINE), msgId(2 * IDS_PER_LINE + 4), "msg_new"]) expect(back.has(id)).toBe(true);
    expect(back.has(msgId(2 * IDS_PER_LINE + 5))).toBe(false);
  });

  test("keeps 8 bytes an id: 20,000 ids in 160,000 bytes, none taken for another", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 20_000; i++) ids.add(msgId(i));
    expect(encoded(ids).reduce((sum, line) => sum + Buffer.from(line, "base64").length, 0)).toBe(160_000);
    let falseHits = 0;
    for (let i = 20_000; i < 120_000; i++) if (ids.has(msgId(i))) falseHits++;
    expect(falseHits).toBe(0);
  });
});
