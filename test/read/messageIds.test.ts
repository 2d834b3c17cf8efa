import { describe, expect, test } from "bun:test";
import { MessageIds } from "../../src/read/messageIds.ts";

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

  test("survives encode and decode, past its first growth", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 1000; i++) ids.add(msgId(i));
    const back = MessageIds.decode(ids.encode());
    expect(back.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(back.has(msgId(i))).toBe(true);
    for (let i = 1000; i < 2000; i++) expect(back.has(msgId(i))).toBe(false);
    back.add(msgId(5000));
    expect(MessageIds.decode(back.encode()).has(msgId(5000))).toBe(true);
  });

  // encode() appends the new ids to the stored text; its last quantum is padded unless the stored
  // bytes (8 per id) are a multiple of 3, so every count modulo 3 is a different case.
  test.each([0, 1, 2, 3, 4, 5, 301])("appending to %i stored ids encodes as the whole set would", (stored) => {
    for (const more of [0, 1, 2, 3, 7]) {
      const first = MessageIds.empty();
      const whole = MessageIds.empty();
      for (let i = 0; i < stored; i++) [first, whole].forEach((ids) => ids.add(msgId(i)));
      const grown = MessageIds.decode(first.encode());
      for (let i = stored; i < stored + more; i++) [grown, whole].forEach((ids) => ids.add(msgId(i)));
      expect(grown.encode()).toBe(whole.encode());
      const back = MessageIds.decode(grown.encode());
      expect(back.size).toBe(stored + more);
      for (let i = 0; i < stored + more; i++) expect(back.has(msgId(i))).toBe(true);
      expect(back.has(msgId(stored + more))).toBe(false);
    }
  });

  test.each([
    ["empty", ""],
    ["not base64", "%%%% not base64 \u0000"],
    ["a torn hash (5 bytes)", Buffer.from([1, 2, 3, 4, 5]).toString("base64")],
  ])("decodes %s without throwing", (_, text) => {
    const ids = MessageIds.decode(text);
    expect(ids.size).toBe(0);
    expect(ids.has("msg_a")).toBe(false);
    ids.add("msg_a");
    expect(ids.has("msg_a")).toBe(true);
  });

  test("keeps 8 bytes an id: 20,000 ids in 160,000 bytes, none taken for another", () => {
    const ids = MessageIds.empty();
    for (let i = 0; i < 20_000; i++) ids.add(msgId(i));
    expect(Buffer.from(ids.encode(), "base64").length).toBe(160_000);
    let falseHits = 0;
    for (let i = 20_000; i < 120_000; i++) if (ids.has(msgId(i))) falseHits++;
    expect(falseHits).toBe(0);
  });
});
