import { latestRateLimits } from "../derive/rateLimits.ts";
import { cacheDir } from "../env.ts";
import { loadRecords } from "../read/statusline.ts";
import { renderJson } from "../render/json.ts";
import { takeSnapshot, withReportedWarmth } from "../snapshot.ts";
import { type Command, USAGE_FLAGS, settingsFor, usageFor } from "./command.ts";

export const json: Command = {
  name: "json",
  summary: "everything ccpulse knows, as JSON for jq (schema in the README)",
  usage: "ccpulse json [--pretty] [--tz=<zone>] [--billing-day=<day>] [--monthly-windows=<count>]",
  flags: { pretty: { help: "indent the output" }, ...USAGE_FLAGS },
  quietOnError: false,
  async run(args, env) {
    const [settings, taken, records] = await Promise.all([settingsFor(args, env), takeSnapshot(env, { tokens: true }), loadRecords(cacheDir(env))]);
    const snapshot = withReportedWarmth(taken, records);
    const limits = latestRateLimits(records, snapshot.generatedAt);
    return renderJson(snapshot, args.flags.has("pretty"), await usageFor(env, snapshot, settings, limits));
  },
};
