import { expect, test } from "bun:test";
import { messageCost, snapshotJson, takeSnapshot } from "../src/index.ts";
import { liveProbe, makeHome, spawnSleeper, writeProbe } from "./helpers/home.ts";

test("the library API gives the snapshot the commands render", async () => {
  const home = makeHome();
  const s = spawnSleeper();
  writeProbe(home, s.pid, liveProbe(s, { sessionId: "99999999-0000-4000-8000-000000000001", status: "idle", name: "lib" }));
  const snapshot = await takeSnapshot(home.env, { tokens: true });
  expect(snapshotJson(snapshot).sessions.map((x) => [x.name, x.state])).toEqual([["lib", "idle"]]);
  expect(messageCost("claude-opus-5-5", { input_tokens: 1_000_000 }).usd).toBe(4);
});
