/**
 * A transcript replaced between two calls by other bytes that reach past the cached offset: device,
 * inode and size all look like an append. Found by concurrency.test.ts (the totals after the writers
 * stopped were short); these are the single-caller cases, one call before and one after.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeProjectDir } from "../../src/discover/projectDir.ts";
import { cacheDir } from "../../src/env.ts";
import { readSessionTokens } from "../../src/read/sessionTokens.ts";
import { makeHome } from "../helpers/home.ts";
import { response } from "../helpers/rows.ts";

const SID = "70707070-0000-4000-8000-000000000001";
const CWD = "/w/rotated";

// Messages of the first file count 100 each, later ones 1000: a read from the wrong offset shows.
const rows = (...ids: string[]) => `${ids.flatMap((id) => response(id, { output: id.startsWith("old") ? 100 : 1000 })).join("\n")}\n`;

function setup() {
  const home = makeHome();
  const transcript = join(home.claude, "projects", encodeProjectDir(CWD), `${SID}.jsonl`);
  mkdirSync(dirname(transcript), { recursive: true });
  const output = async () => (await readSessionTokens({ configDir: home.claude, sessionId: SID, cwd: CWD }, cacheDir(home.env))).tokens.output;
  const replace = (text: string) => {
    writeFileSync(`${transcript}.new`, text);
    renameSync(`${transcript}.new`, transcript);
  };
  return { transcript, output, replace };
}

describe("faults: a transcript replaced between calls by longer bytes", () => {
  test("rewritten in place (truncate, then write): read again from byte 0", async () => {
    const { transcript, output } = setup();
    writeFileSync(transcript, rows("old1"));
    expect(await output()).toBe(100);
    writeFileSync(transcript, rows("new1", "new2"));
    expect(await output()).toBe(2000);
    appendFileSync(transcript, rows("new3"));
    expect(await output()).toBe(3000);
  });

  test("replaced by rename twice, the second time into the first file's inode number if the filesystem reuses it", async () => {
    const { transcript, output, replace } = setup();
    writeFileSync(transcript, rows("old1"));
    expect(await output()).toBe(100);
    // ext4 gives the second replacement the first file's inode number back; tmpfs does not (an easy case).
    replace(rows("new1"));
    replace(rows("new2", "new3", "new4"));
    expect(await output()).toBe(3000);
  });

  test("rewritten in place while only the last row changes", async () => {
    const { transcript, output } = setup();
    writeFileSync(transcript, rows("old1", "old2"));
    expect(await output()).toBe(200);
    const text = rows("old1", "new2");
    writeFileSync(transcript, `${text}${rows("new3")}`);
    expect(await output()).toBe(2100);
  });
});
