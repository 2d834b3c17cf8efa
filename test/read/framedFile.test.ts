import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { tempDirs } from "../helpers/tempDirs.ts";
import { framed, framedLines, hashOf, linesHash, loadFramed, loadSlots, saveSlot, slotPaths } from "../../src/read/framedFile.ts";

const tempDir = tempDirs("ccpulse-slots-");
/** `t` as a file, loaded. */
const load = async (t: string, owner = "me") => {
  const path = join(tempDir(), "framed.json");
  writeFileSync(path, t);
  return { path, file: await loadFramed(path, Head, (head) => head.owner === owner) };
};

const Head = v.object({ owner: v.string(), summaryHash: v.string(), bodyHash: v.string() });
const text = framed({ owner: "me" }, { total: 3 }, { rows: [1, 2] });
const read = async (t: string, owner = "me") => {
  const { file } = await load(t, owner);
  return { head: file.head?.owner, summary: file.summary(), body: file.body() };
};
const lines = text.split("\n");

describe("framed files", () => {
  test("read back as written", async () => {
    expect(await read(text)).toEqual({ head: "me", summary: { total: 3 }, body: { rows: [1, 2] } });
  });

  test.each([
    ["another owner's", text, "you", { head: undefined, summary: undefined, body: undefined }],
    ["a summary changed after hashing", [lines[0], '{"total":4}', lines[2], ""].join("\n"), "me", { head: "me", summary: undefined, body: { rows: [1, 2] } }],
    ["a body changed after hashing", [lines[0], lines[1], '{"rows":[]}', ""].join("\n"), "me", { head: "me", summary: { total: 3 }, body: undefined }],
    ["a head of the wrong shape", ['{"owner":"me"}', lines[1], lines[2], ""].join("\n"), "me", { head: undefined, summary: undefined, body: undefined }],
    ["torn in the head", text.slice(0, 20), "me", { head: undefined, summary: undefined, body: undefined }],
    ["torn in the body", text.slice(0, -5), "me", { head: "me", summary: { total: 3 }, body: undefined }],
    ["empty", "", "me", { head: undefined, summary: undefined, body: undefined }],
  ])("%s: only what still matches is read", async (_, t, owner, want) => {
    expect(await read(t, owner)).toEqual(want);
  });

  test("the body is read again when asked for, and only while the file still holds the version whose summary was read", async () => {
    const { path, file } = await load(text);
    writeFileSync(path, framed({ owner: "me" }, { total: 4 }, { rows: [9] }));
    expect(file.summary()).toEqual({ total: 3 });
    expect(file.body()).toBeUndefined();
    const again = await load(text);
    expect(again.file.body()).toEqual({ rows: [1, 2] });
    writeFileSync(again.path, "");
    expect(again.file.body()).toEqual({ rows: [1, 2] });
  });

  test("a FIFO or a directory at the path reads as absent, without waiting", async () => {
    const dir = tempDir();
    expect(Bun.spawnSync(["mkfifo", join(dir, "fifo")]).exitCode).toBe(0);
    for (const path of [join(dir, "fifo"), dir, join(dir, "missing")]) {
      const file = await loadFramed(path, Head, () => true);
      expect({ head: file.head, summary: file.summary(), body: file.body(), whole: file.whole() }).toEqual({ head: undefined, summary: undefined, body: undefined, whole: false });
    }
  });
});

describe("a body of several lines", () => {
  const body = ['{"own":1}', '["/a",{"n":1}]', '["/b",{"n":2}]'];
  const text = `${framedLines({ owner: "me" }, { total: 3 }, body).join("\n")}\n`;
  const linesOf = async (t: string) => (await load(t)).file.bodyLines();

  test("read back line by line, with the padding after the last one left out", async () => {
    expect(await linesOf(text)).toEqual(body);
    expect(await linesOf(`${text}${" ".repeat(300)}`)).toEqual(body);
    expect(await linesOf(`${framedLines({ owner: "me" }, { total: 3 }, ["日本 😀", "", "café"]).join("\n")}\n`)).toEqual(["日本 😀", "", "café"]);
  });

  test("read again only while the body still hashes as the head says: a body changed under the same head reads as none", async () => {
    const { path, file } = await load(text);
    writeFileSync(path, text.replace('"n":2', '"n":3'));
    // Another framed file read since: this one's bytes are no longer in the buffer, so it is read again.
    await load(text);
    expect(file.bodyLines()).toBeUndefined();
  });

  test("while no other file has been read since, the body is the one read (and hashed) with the head, as long as the file still starts with that head", async () => {
    const { path, file } = await load(text);
    writeFileSync(path, text.replace('"n":2', '"n":3'));
    expect(file.bodyLines()).toEqual(body);
    const other = await load(text);
    writeFileSync(other.path, `${framedLines({ owner: "me" }, { total: 4 }, body).join("\n")}\n`);
    expect(other.file.bodyLines()).toBeUndefined();
  });

  test("the bytes to copy a version from: read again after another file's read, else the ones held, and none once the file holds another version", async () => {
    const { path, file } = await load(text);
    const first = file.bodyBytes();
    const again = first?.again();
    expect(again?.lines).toEqual(first?.lines);
    await load(`${framedLines({ owner: "me" }, { total: 9 }, ["x", "y", "z", "w"]).join("\n")}\n`);
    const reread = again?.again();
    expect(reread?.lines.map(([a, b]) => reread.bytes.toString("utf8", a, b))).toEqual(body);
    writeFileSync(path, `${framedLines({ owner: "me" }, { total: 4 }, body).join("\n")}\n`);
    expect(reread?.again()).toBeUndefined();
  });

  test("hashed as the bytes written, the lines joined by newlines: one line hashes as the line itself", () => {
    expect(linesHash(['{"rows":[1,2]}'])).toBe(hashOf('{"rows":[1,2]}'));
    expect(linesHash(["a", "b"])).toBe(hashOf("a\nb"));
    expect(linesHash(["a", "b"])).not.toBe(linesHash(["b", "a"]));
    expect(linesHash(["ab"])).not.toBe(linesHash(["a", "b"]));
  });

  test.each([
    ["cut after a whole line", text.slice(0, text.lastIndexOf('["/b"'))],
    ["cut inside a line", text.slice(0, -5)],
    ["without its last newline", text.slice(0, -1)],
    ["two lines swapped", text.replace(body[1] as string, "X").replace(body[2] as string, body[1] as string).replace("X", body[2] as string)],
    ["a line added", `${text}["/c",{"n":3}]\n`],
  ])("%s: the body reads as absent, the summary still as written", async (_, t) => {
    const { file } = await load(t);
    expect(file.bodyLines()).toBeUndefined();
    expect(file.summary()).toEqual({ total: 3 });
  });
});

describe("a framed file kept in two slots", () => {
  const Slotted = v.object({ owner: v.string(), summaryHash: v.string(), bodyHash: v.string(), gen: v.number() });
  const setup = () => {
    const dir = tempDir();
    const path = join(dir, "cache.json");
    const load = () => loadSlots(path, Slotted, (head) => head.owner === "me");
    const save = async (total: number, rows = [total]) => {
      const { next } = await load();
      saveSlot(await import("node:fs"), path, next, { owner: "me", gen: next.gen }, { total }, [JSON.stringify({ rows })]);
    };
    return { dir, path, load, save, slots: slotPaths(path) };
  };
  const read = async (file: Awaited<ReturnType<ReturnType<typeof setup>["load"]>>) => ({ gen: file.head?.gen, summary: file.summary(), next: file.next });

  test("versions go to the slot the one they came from is not in; the newest is read", async () => {
    const { load, save, slots } = setup();
    expect(await read(await load())).toEqual({ gen: undefined, summary: undefined, next: { slot: 0, gen: 1 } });
    await save(1);
    expect(existsSync(slots[1])).toBe(false);
    expect(await read(await load())).toEqual({ gen: 1, summary: { total: 1 }, next: { slot: 1, gen: 2 } });
    await save(2);
    expect(await read(await load())).toEqual({ gen: 2, summary: { total: 2 }, next: { slot: 0, gen: 3 } });
    for (let total = 3; total <= 8; total++) {
      await save(total);
      expect(await read(await load())).toEqual({ gen: total, summary: { total }, next: { slot: total % 2 === 0 ? 0 : 1, gen: total + 1 } });
    }
  });

  test.each([
    ["cut short in its body", (t: string) => t.slice(0, t.indexOf('{"rows"') + 5)],
    ["cut short in its head", (t: string) => t.slice(0, 10)],
    ["half old, half new", (t: string) => t.replace('"total":2', '"total":1')],
    ["empty", () => ""],
  ])("the newest slot %s (a write under way, or killed): the older whole one is read, and the next version repairs it", async (_, tear) => {
    const { load, save, slots } = setup();
    await save(1);
    await save(2);
    writeFileSync(slots[1], tear(readFileSync(slots[1], "utf8")));
    expect(await read(await load())).toEqual({ gen: 1, summary: { total: 1 }, next: { slot: 1, gen: 2 } });
    await save(5);
    expect(await read(await load())).toEqual({ gen: 2, summary: { total: 5 }, next: { slot: 0, gen: 3 } });
  });

  test("rewritten in place while it fits: same file, padded with spaces to its size; by rename with room to grow when not", async () => {
    const { save, slots } = setup();
    await save(1);
    const first = statSync(slots[0]);
    const text = readFileSync(slots[0], "utf8");
    // Room after the three lines, filled with spaces.
    expect(text.length).toBeGreaterThan(text.trimEnd().length + 4000);
    expect(text.slice(text.trimEnd().length)).toMatch(/^\n +$/);
    await save(2);
    await save(3, [1, 2, 3]);
    const again = statSync(slots[0]);
    expect({ ino: again.ino, size: again.size }).toEqual({ ino: first.ino, size: first.size });
    expect(readFileSync(slots[0], "utf8").trimEnd().split("\n")[1]).toBe('{"total":3}');
    // A version larger than the file and its padding: a new file, larger.
    await save(4);
    await save(5, Array.from({ length: 3000 }, (_, i) => i));
    const grown = statSync(slots[0]);
    expect(grown.ino).not.toBe(first.ino);
    expect(grown.size).toBeGreaterThan(first.size);
  });

  test("written in place, multi-byte text comes back whole and hashed as written", async () => {
    const { load, save, slots } = setup();
    await save(1);
    const ino = statSync(slots[0]).ino;
    await save(2);
    const rows = ["日本語", "café 😀", "\u0000\u001f", "%F{red}$(id)"];
    await save(3, rows as unknown as number[]);
    expect(statSync(slots[0]).ino).toBe(ino);
    const file = await load();
    expect(file.whole()).toBe(true);
    expect(file.body()).toEqual({ rows });
    expect(readFileSync(slots[0], "utf8").trimEnd().split("\n")[2]).toBe(JSON.stringify({ rows }));
  });

  // saveSlot hashes the body from the bytes it encodes, lines given as text or as bytes; framedLines from text.
  test.each([
    ["several lines, some given as bytes", ['{"own":1}', Buffer.from('["/a",{"n":1}]'), "", Buffer.from("日本 😀")]],
    ["one line", ['{"rows":[1]}']],
    ["no lines", []],
  ])("a version of %s is written as framedLines has it, and read back whole", async (_, body: (string | Buffer)[]) => {
    const { path, slots } = setup();
    const owner = "ü/%F{red}".repeat(40);
    const text = body.map((line) => (typeof line === "string" ? line : line.toString()));
    saveSlot(await import("node:fs"), path, { slot: 0, gen: 1 }, { owner, gen: 1 }, { total: 1 }, body);
    const written = readFileSync(slots[0], "utf8");
    expect(written.trimEnd()).toBe(framedLines({ owner, gen: 1 }, { total: 1 }, text).join("\n"));
    const file = await loadSlots(path, Slotted, (head) => head.owner === owner);
    expect(file.whole()).toBe(true);
    expect(file.bodyLines()).toEqual(text);
  });

  test("a slot file far larger than the version is replaced, so it shrinks", async () => {
    const { save, slots } = setup();
    await save(1, Array.from({ length: 20_000 }, (_, i) => i));
    await save(2);
    await save(3);
    expect(statSync(slots[0]).size).toBeLessThan(10_000);
  });

  test("a symlink at a slot is replaced, never written through", async () => {
    const { dir, load, save, slots } = setup();
    const outside = join(dir, "outside");
    writeFileSync(outside, "x".repeat(100_000));
    symlinkSync(outside, slots[0]);
    await save(1);
    expect(readFileSync(outside, "utf8")).toBe("x".repeat(100_000));
    expect(lstatSync(slots[0]).isFile()).toBe(true);
    expect(await read(await load())).toEqual({ gen: 1, summary: { total: 1 }, next: { slot: 1, gen: 2 } });
  });

  test.each([
    ["rewritten with another version of the same generation", 2, { rows: [7] }, { slot: 0 as const, gen: 3 }],
    ["torn", undefined, { rows: [1] }, { slot: 1 as const, gen: 2 }],
  ])("the slot read is %s before its body is asked for: the newest whole version's body, and next follows it", async (_, gen, body, next) => {
    const { load, save, slots } = setup();
    await save(1);
    await save(2);
    const file = await load();
    expect({ summary: file.summary(), next: file.next }).toEqual({ summary: { total: 2 }, next: { slot: 0, gen: 3 } });
    // Another caller that loaded the first version finished after this load, into the same slot.
    const other = `${framedLines({ owner: "me", gen: 2 }, { total: 7 }, [JSON.stringify({ rows: [7] })]).join("\n")}\n`;
    writeFileSync(slots[1], gen === undefined ? other.slice(0, -9) : other);
    expect(file.body()).toEqual(body);
    expect(file.next).toEqual(next);
  });

  test("the newer slot is found by the heads alone; a head too long for that, by reading both", async () => {
    for (const owner of ["me", "m".repeat(3000)]) {
      const dir = tempDir();
      const path = join(dir, "cache.json");
      const load = () => loadSlots(path, Slotted, (head) => head.owner === owner);
      // Four versions: the newest in the second slot, the one a guess without heads would take.
      for (let total = 1; total <= 4; total++) {
        const { next } = await load();
        saveSlot(await import("node:fs"), path, next, { owner, gen: next.gen }, { total }, [JSON.stringify({ rows: [total] })]);
      }
      const file = await load();
      expect({ gen: file.head?.gen, summary: file.summary(), body: file.body(), next: file.next }).toEqual({ gen: 4, summary: { total: 4 }, body: { rows: [4] }, next: { slot: 0, gen: 5 } });
    }
  });

  test("a load holds its two slot files open for its reads and the write after it; the next load opens them anew; at most four are held", async () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    for (let i = 0; i < 20; i++) {
      const { save } = setup();
      for (let total = 1; total <= 3; total++) await save(total);
    }
    expect(open() - before).toBeLessThanOrEqual(4);
    // Another caller's version put at the newer slot by rename after a load: the next load reads it.
    const { dir, load, save, slots } = setup();
    await save(1);
    await save(2);
    expect(await read(await load())).toEqual({ gen: 2, summary: { total: 2 }, next: { slot: 0, gen: 3 } });
    writeFileSync(join(dir, "other"), framed({ owner: "me", gen: 3 }, { total: 9 }, { rows: [9] }));
    renameSync(join(dir, "other"), slots[0]);
    expect(await read(await load())).toEqual({ gen: 3, summary: { total: 9 }, next: { slot: 1, gen: 4 } });
  });

  test("a symlink put at a slot between the load and the write is not written through", async () => {
    const { dir, load, path, save, slots } = setup();
    await save(1);
    await save(2);
    const outside = join(dir, "outside");
    writeFileSync(outside, "x".repeat(100_000));
    const { next } = await load();
    expect(next).toEqual({ slot: 0, gen: 3 });
    renameSync(slots[0], join(dir, "moved"));
    symlinkSync(outside, slots[0]);
    saveSlot(await import("node:fs"), path, next, { owner: "me", gen: next.gen }, { total: 3 }, [JSON.stringify({ rows: [3] })]);
    expect(readFileSync(outside, "utf8")).toBe("x".repeat(100_000));
    // The symlink reads as no version, and the next write replaces it.
    expect(await read(await load())).toEqual({ gen: 2, summary: { total: 2 }, next: { slot: 0, gen: 3 } });
    await save(3);
    expect(lstatSync(slots[0]).isFile()).toBe(true);
    expect(await read(await load())).toEqual({ gen: 3, summary: { total: 3 }, next: { slot: 1, gen: 4 } });
  });

  test("another owner's slots, or one of the wrong shape, read as none", async () => {
    const { path, load, slots } = setup();
    writeFileSync(slots[0], framed({ owner: "you", gen: 7 }, { total: 1 }, {}));
    writeFileSync(slots[1], framed({ owner: "me" }, { total: 1 }, {}));
    expect(await read(await load())).toEqual({ gen: undefined, summary: undefined, next: { slot: 0, gen: 1 } });
    expect(path).toBe(slots[0]);
  });
});
