import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { framed, readFramed } from "../../src/read/framedFile.ts";

const Head = v.object({ owner: v.string(), summaryHash: v.string(), bodyHash: v.string() });
const text = framed({ owner: "me" }, { total: 3 }, { rows: [1, 2] });
const read = (t: string, owner = "me") => {
  const file = readFramed(t, Head, (head) => head.owner === owner);
  return { head: file.head?.owner, summary: file.summary(), body: file.body() };
};
const lines = text.split("\n");

describe("framed files", () => {
  test("read back as written", () => {
    expect(read(text)).toEqual({ head: "me", summary: { total: 3 }, body: { rows: [1, 2] } });
  });

  test.each([
    ["another owner's", text, "you", { head: undefined, summary: undefined, body: undefined }],
    ["a summary changed after hashing", [lines[0], '{"total":4}', lines[2], ""].join("\n"), "me", { head: "me", summary: undefined, body: { rows: [1, 2] } }],
    ["a body changed after hashing", [lines[0], lines[1], '{"rows":[]}', ""].join("\n"), "me", { head: "me", summary: { total: 3 }, body: undefined }],
    ["a head of the wrong shape", ['{"owner":"me"}', lines[1], lines[2], ""].join("\n"), "me", { head: undefined, summary: undefined, body: undefined }],
    ["torn in the head", text.slice(0, 20), "me", { head: undefined, summary: undefined, body: undefined }],
    ["torn in the body", text.slice(0, -5), "me", { head: "me", summary: { total: 3 }, body: undefined }],
    ["empty", "", "me", { head: undefined, summary: undefined, body: undefined }],
  ])("%s: only what still matches is read", (_, t, owner, want) => {
    expect(read(t, owner)).toEqual(want);
  });
});
