import { latestRateLimits } from "../derive/rateLimits.ts";
import { cacheDir } from "../env.ts";
import { loadRecords } from "../read/statusline.ts";
import { renderJson } from "../render/json.ts";
import { takeSnapshot } from "../snapshot.ts";
import type { Command } from "./command.ts";

export const json: Command = {
  name: "json",
  summary: "everything ccpulse knows, as JSON for jq (schema in the README)",
  usage: "ccpulse json [--pretty]",
  flags: { pretty: { help: "indent the output" } },
  quietOnError: false,
  async run(args, env) {
    const [snapshot, records] = await Promise.all([takeSnapshot(env, { tokens: true }), loadRecords(cacheDir(env))]);
    return renderJson(snapshot, args.flags.has("pretty"), latestRateLimits(records, snapshot.generatedAt));
  },
};
