import { expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readSmallFile } from "../../src/read/smallFile.ts";
import { tempDirs } from "../helpers/tempDirs.ts";

const scratch = tempDirs("ccpulse-small-");

test("a file up to the limit is read whole, multi-byte text intact; one byte more is too large", async () => {
  const dir = scratch();
  const text = `{"name":"café 日本"}${" ".repeat(100)}`;
  const bytes = Buffer.byteLength(text);
  writeFileSync(join(dir, "f"), text);
  expect(await readSmallFile(join(dir, "f"), bytes)).toEqual({ text });
  expect(await readSmallFile(join(dir, "f"), bytes - 1)).toBe("too-large");
  writeFileSync(join(dir, "empty"), "");
  expect(await readSmallFile(join(dir, "empty"), 10)).toEqual({ text: "" });
});

test("missing, a directory, a FIFO (not waited on), a symlink to a file (followed)", async () => {
  const dir = scratch();
  expect(await readSmallFile(join(dir, "none"), 10)).toBe("missing");
  mkdirSync(join(dir, "d"));
  expect(await readSmallFile(join(dir, "d"), 10)).toBe("not-a-file");
  expect(Bun.spawnSync(["mkfifo", join(dir, "fifo")]).exitCode).toBe(0);
  expect(await readSmallFile(join(dir, "fifo"), 10)).toBe("not-a-file");
  writeFileSync(join(dir, "target"), "x");
  symlinkSync(join(dir, "target"), join(dir, "link"));
  expect(await readSmallFile(join(dir, "link"), 10)).toEqual({ text: "x" });
});

test("a /proc file, whose size reads as 0, is read to its end", async () => {
  const read = await readSmallFile(`/proc/${process.pid}/stat`, 4096);
  expect(typeof read === "string" ? read : read.text).toStartWith(`${process.pid} (`);
});

test("files read one after another, longer then shorter, each come back as they are (one buffer serves them all)", async () => {
  const dir = scratch();
  writeFileSync(join(dir, "long"), "L".repeat(5000));
  writeFileSync(join(dir, "short"), "s");
  const reads = await Promise.all([readSmallFile(join(dir, "long"), 1 << 20), readSmallFile(join(dir, "short"), 10), readSmallFile(join(dir, "long"), 6000)]);
  expect(reads).toEqual([{ text: "L".repeat(5000) }, { text: "s" }, { text: "L".repeat(5000) }]);
  expect(await readSmallFile(join(dir, "short"), 1 << 20)).toEqual({ text: "s" });
});

test("a UTF-8 byte-order mark is not part of the text, as TextDecoder reads it", async () => {
  const dir = scratch();
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')]);
  writeFileSync(join(dir, "bom"), bytes);
  expect(await readSmallFile(join(dir, "bom"), 100)).toEqual({ text: new TextDecoder().decode(bytes) });
  expect(await readSmallFile(join(dir, "bom"), 100)).toEqual({ text: '{"a":"é"}' });
});
