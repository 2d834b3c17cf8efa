import type { RateLimits } from "../derive/rateLimits.ts";
import type { UsageReport } from "../derive/usageReport.ts";
import type { State } from "../derive/state.ts";
import type { Snapshot } from "../snapshot.ts";
import { type Fields, sharedFields } from "./fields.ts";
import { GLYPHS } from "./glyphs.ts";
import { sessionLabel } from "./label.ts";
import { type Segment, type Target, encodeSegments } from "./segments.ts";
import { renderTemplate } from "./template.ts";

export type PromptShell = Extract<Target, "zsh" | "bash" | "fish" | "plain">;

export const DEFAULT_PROMPT_TEMPLATE = "{asking} {busy} {starting} {unknown} {idle}";

export interface PromptOptions {
  readonly template?: string;
  readonly glyphs?: Readonly<Record<State, string>>;
  readonly limits?: RateLimits;
  readonly usage?: UsageReport;
}

/** A few characters for a shell prompt: `⚠ api-server ●2 ○1`. The asking one is named when it is alone. */
export function promptSegments(snapshot: Snapshot, options: PromptOptions = {}): Segment[] {
  const { counts, sessions } = snapshot;
  const glyphs = options.glyphs ?? GLYPHS;
  const count = (state: State) => (): Segment[] => (counts[state] > 0 ? [{ text: `${glyphs[state]}${counts[state]}`, style: state }] : []);
  const alone = counts.asking === 1 ? sessions.find((s) => s.state === "asking") : undefined;
  const fields: Fields = {
    ...sharedFields(snapshot, options.limits, options.usage),
    asking: () => (alone ? [{ text: `${glyphs.asking} ${sessionLabel(alone, 20)}`, style: "asking" }] : count("asking")()),
    busy: count("busy"),
    starting: count("starting"),
    unknown: count("unknown"),
    idle: count("idle"),
  };
  return renderTemplate(options.template ?? DEFAULT_PROMPT_TEMPLATE, fields);
}

export function renderPrompt(snapshot: Snapshot, shell: PromptShell, options: PromptOptions = {}): string {
  return encodeSegments(promptSegments(snapshot, options), shell, "");
}
