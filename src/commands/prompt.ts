import { type PromptShell, renderPrompt } from "../render/prompt.ts";
import { takeSnapshot, withReportedWarmth } from "../snapshot.ts";
import { latestRateLimits } from "../derive/rateLimits.ts";
import { cacheDir } from "../env.ts";
import { loadRecords } from "../read/statusline.ts";
import { LIMIT_FIELDS, TOKEN_FIELDS, USAGE_FIELDS } from "../render/fields.ts";
import { GLYPHS } from "../render/glyphs.ts";
import { templateUses } from "../render/template.ts";
import { type Command, TEMPLATE_FLAG, USAGE_FLAGS, replayInputs, settingsFor, usageFor } from "./command.ts";

export const prompt: Command = {
  name: "prompt",
  summary: "a very short indicator for a shell prompt",
  usage: "ccpulse prompt [--shell=zsh|bash|fish|plain] [--template=<template>]",
  flags: {
    shell: { values: ["zsh", "bash", "fish", "plain"], help: "colour syntax and escaping for this shell (default plain)" },
    template: TEMPLATE_FLAG,
    ...USAGE_FLAGS,
  },
  quietOnError: true,
  async run(args, env) {
    const shell = (args.flags.get("shell") as PromptShell | undefined) ?? "plain";
    const settings = await settingsFor(args, env, "prompt");
    const { config, template } = settings;
    const wantsRecords = templateUses(template, [...LIMIT_FIELDS, "cache"]);
    const wantsUsage = templateUses(template, USAGE_FIELDS);
    const inputs = replayInputs(env, settings, wantsRecords || wantsUsage);
    const [taken, records] = await Promise.all([
      takeSnapshot(env, { tokens: templateUses(template, TOKEN_FIELDS), usage: wantsUsage, inputs }),
      wantsRecords ? loadRecords(cacheDir(env)) : [],
    ]);
    const snapshot = withReportedWarmth(taken, records);
    const glyphs = { ...GLYPHS, ...Object.fromEntries(Object.entries(config.glyphs ?? {}).filter(([, g]) => g !== undefined)) };
    const limits = latestRateLimits(records, snapshot.generatedAt);
    const usage = wantsUsage ? await usageFor(env, snapshot, settings, limits) : undefined;
    const text = renderPrompt(snapshot, shell, { template, glyphs, limits, usage });
    return inputs ? { text, replay: { template: text, at: snapshot.generatedAt, inputs } } : text;
  },
};
