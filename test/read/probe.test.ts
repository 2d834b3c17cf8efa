import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_PROBE_BYTES, parseProbe, readProbe } from "../../src/read/probe.ts";
import { makeHome } from "../helpers/home.ts";

describe("parseProbe: every field optional, wrong types dropped, unknown keys ignored", () => {
  test("a real probe", () => {
    const r = parseProbe(
      '{"pid":2507,"sessionId":"6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30","cwd":"/home/dev/code/work/s2","startedAt":1795296843389,"procStart":"118972","version":"2.1.328","peerProtocol":1,"kind":"interactive","entrypoint":"cli","pidDomain":"linux:0123:pid:[4026531836]","asksForConvertedSkills":null,"tmux":"harness:@1.%1","name":"s2-0a","status":"waiting","updatedAt":1795296850137,"statusUpdatedAt":1795296850137,"waitingFor":"permission prompt"}',
    );
    expect(r).toEqual({
      ok: true,
      probe: {
        pid: 2507,
        sessionId: "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30",
        cwd: "/home/dev/code/work/s2",
        startedAt: 1795296843389,
        procStart: "118972",
        version: "2.1.328",
        kind: "interactive",
        entrypoint: "cli",
        pidDomain: "linux:0123:pid:[4026531836]",
        tmux: "harness:@1.%1",
        name: "s2-0a",
        status: "waiting",
        updatedAt: 1795296850137,
        statusUpdatedAt: 1795296850137,
        waitingFor: "permission prompt",
      },
    });
  });

  test.each([
    ["{}", {}],
    ['{"status":7,"name":["x"],"cwd":null,"pid":"12","updatedAt":1.5}', {}],
    ['{"procStart":118972}', { procStart: "118972" }],
    ['{"status":"idle","extra":{"deep":[1,2,3]}}', { status: "idle" }],
  ])("%s", (raw, want) => {
    const r = parseProbe(raw);
    expect(r.ok).toBe(true);
    if (r.ok) expect(Object.fromEntries(Object.entries(r.probe).filter(([, v]) => v !== undefined))).toEqual(want);
  });

  test.each(["", '{"pid":1,"sessionId":"abc', "\x00\x00\x00", "not json"])("torn %p", (raw) => {
    expect(parseProbe(raw)).toEqual({ ok: false, reason: "torn" });
  });
  test.each(["[]", "null", '"text"', "42"])("not an object %p", (raw) => {
    expect(parseProbe(raw)).toEqual({ ok: false, reason: "not-an-object" });
  });
});

describe("readProbe", () => {
  test("a torn read of a live writer is retried once and then succeeds", async () => {
    const home = makeHome();
    const path = join(home.claude, "sessions", "123.json");
    writeFileSync(path, '{"pid":123,"status":"bu');
    setTimeout(() => writeFileSync(path, '{"pid":123,"status":"busy"}'), 5);
    const r = await readProbe(path, () => true);
    expect(r.ok && r.probe.status).toBe("busy");
  });
  test("still torn after the retry: skipped for this call", async () => {
    const home = makeHome();
    const path = join(home.claude, "sessions", "124.json");
    writeFileSync(path, "");
    expect(await readProbe(path, () => true)).toEqual({ ok: false, reason: "torn" });
  });
  test("no retry when the pid is gone", async () => {
    const home = makeHome();
    const path = join(home.claude, "sessions", "125.json");
    writeFileSync(path, "{");
    const started = performance.now();
    expect(await readProbe(path, () => false)).toEqual({ ok: false, reason: "torn" });
    expect(performance.now() - started).toBeLessThan(20);
  });
  test("over 256 KiB: skipped, never parsed", async () => {
    const home = makeHome();
    const path = join(home.claude, "sessions", "126.json");
    writeFileSync(path, JSON.stringify({ status: "idle", pad: "x".repeat(MAX_PROBE_BYTES) }));
    expect(await readProbe(path, () => true)).toEqual({ ok: false, reason: "too-large" });
  });
  test("missing file", async () => {
    expect(await readProbe("/nonexistent/1.json", () => true)).toEqual({ ok: false, reason: "missing" });
  });
});
