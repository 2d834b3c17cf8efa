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
    return renderJson(await takeSnapshot(env, { tokens: true }), args.flags.has("pretty"));
  },
};
