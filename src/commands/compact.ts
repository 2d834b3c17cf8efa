import type { ParsedArgs } from "../args.ts";
import { latestRateLimits } from "../derive/rateLimits.ts";
import { STATES, type State } from "../derive/state.ts";
import { cacheDir } from "../env.ts";
import { ageMark, drawAges } from "../replay/replay.ts";
import { loadRecords } from "../read/statusline.ts";
import { COMPACT_FIELDS, type CompactField, type CompactOptions, defaultCompactOptions, renderCompact, renderField, renderWindowMark } from "../render/compact.ts";
import { GLYPH, TMUX_STYLE, type Target, type TmuxStyles, safeTmuxStyle } from "../render/segments.ts";
import { cleanText } from "../render/text.ts";
import { takeSnapshot, withReportedWarmth } from "../snapshot.ts";
import { type Command, type FlagSpec, TEMPLATE_FLAG, USAGE_FLAGS, replayInputs, settingsFor, usageFor } from "./command.ts";
import type { Config } from "../read/config.ts";
import { LIMIT_FIELDS, TOKEN_FIELDS, USAGE_FIELDS } from "../render/fields.ts";
import { templateUses } from "../render/template.ts";

const GLYPH_FLAG: FlagSpec = { pattern: GLYPH, valueName: "glyph", help: "" };
const STYLE_FLAG: FlagSpec = { pattern: TMUX_STYLE, valueName: "tmux style", help: "" };

// A loop, not Object.fromEntries: this runs as the pipeline's chunk loads, and a process's first
// fromEntries compiles that builtin (~0.4 ms).
const perState = (spec: FlagSpec, prefix: string, what: string): Record<string, FlagSpec> => {
  const flags: Record<string, FlagSpec> = {};
  for (const s of STATES) flags[`${prefix}-${s}`] = { ...spec, help: `${what} for ${s} sessions` };
  return flags;
};

export const compact: Command = {
  name: "compact",
  summary: "one short line for a status bar; the session asking longest comes first",
  usage: "ccpulse compact [--tmux|--ansi|--plain] [--tokens] [--cost] [--cache] [--limits] [--field=…|--window=@N] [options]",
  flags: {
    tmux: { help: "tmux styles (#[fg=…]); every # from data doubled" },
    ansi: { help: "ANSI colours" },
    plain: { help: "no colour codes (the default)" },
    tokens: { help: "append the total tokens of all live sessions" },
    cost: { help: "append what the live sessions cost so far (as Claude Code prices it)" },
    cache: { help: "append the idle session whose warm prompt cache expires first, and when" },
    limits: { help: "append the 5-hour and 7-day windows as Claude Code last reported them (needs ccpulse setup statusline)" },
    idle: { values: ["show", "hide"], help: "count idle sessions (default show)" },
    empty: { values: ["hide", "show"], help: "with no session: print nothing (default) or ○ 0" },
    field: { values: COMPACT_FIELDS, help: "print one bare value: a count, tokens, cost, the cache expiring first, or a usage field" },
    window: { pattern: /^@\d{1,6}$/, valueName: "@window-id", help: "the mark of one tmux window: the glyph of its most urgent session" },
    template: TEMPLATE_FLAG,
    ...USAGE_FLAGS,
    ...perState(GLYPH_FLAG, "glyph", "glyph"),
    ...perState(STYLE_FLAG, "style", "tmux style (e.g. fg=red,bold)"),
  },
  quietOnError: true,
  async run(args, env) {
    const target: Target = args.flags.has("tmux") ? "tmux" : args.flags.has("ansi") ? "ansi" : "plain";
    const field = args.flags.get("field") as CompactField | undefined;
    const settings = await settingsFor(args, env, "compact");
    const { config, template } = settings;
    const options = compactOptions(args, config, template);
    const uses = (fields: readonly string[]) => (field !== undefined && fields.includes(field)) || templateUses(template, fields);
    const wantsLimits = args.flags.has("limits") || uses(LIMIT_FIELDS);
    // The records also hold Claude Code's own prompt-cache expiry, which {cache} prefers.
    const wantsCache = options.cache || uses(["cache"]);
    const wantsUsage = uses(USAGE_FIELDS);
    const inputs = replayInputs(env, settings, wantsLimits || wantsCache || wantsUsage);
    const [taken, records] = await Promise.all([
      takeSnapshot(env, { tokens: options.tokens || options.cost || options.cache || uses(TOKEN_FIELDS), usage: wantsUsage, inputs }),
      wantsLimits || wantsCache ? loadRecords(cacheDir(env)) : [],
    ]);
    const snapshot = wantsCache ? withReportedWarmth(taken, records) : taken;
    const limits = wantsLimits ? latestRateLimits(records, snapshot.generatedAt) : undefined;
    const usage = wantsUsage ? await usageFor(env, snapshot, settings, limits ?? {}) : undefined;
    const window = args.flags.get("window");
    const render = (age?: (since: number) => string) => {
      if (field) return renderField(snapshot, field, limits, usage);
      if (typeof window === "string") return renderWindowMark(snapshot, window, target, options);
      return renderCompact(snapshot, target, { ...options, limits, usage, age });
    };
    if (!inputs) return render();
    const marked = render(ageMark);
    return { text: drawAges(marked, snapshot.generatedAt), replay: { template: marked, at: snapshot.generatedAt, inputs } };
  },
};

/** Flags over the environment over config.json over the defaults. */
function compactOptions(args: ParsedArgs, config: Config, template: string | undefined): CompactOptions {
  const glyphs = { ...defaultCompactOptions.glyphs } as Record<State, string>;
  const tmuxStyles: TmuxStyles = {};
  for (const state of STATES) {
    const glyph = args.flags.get(`glyph-${state}`) ?? config.glyphs?.[state];
    if (typeof glyph === "string") glyphs[state] = cleanText(glyph, 8);
    const style = args.flags.get(`style-${state}`) ?? config.styles?.[state];
    if (typeof style === "string") tmuxStyles[state] = safeTmuxStyle(style);
  }
  return {
    tokens: args.flags.has("tokens"),
    cost: args.flags.has("cost"),
    cache: args.flags.has("cache"),
    showIdle: args.flags.get("idle") !== "hide",
    showEmpty: args.flags.get("empty") === "show",
    glyphs,
    tmuxStyles,
    template,
  };
}
