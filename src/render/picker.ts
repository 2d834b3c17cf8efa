import type { JumpTarget } from "../derive/jumpTargets.ts";
import { GLYPHS } from "./glyphs.ts";
import { humanAge } from "./humanize.ts";
import { sessionLabel, waitingLabel } from "./label.ts";
import { cleanText } from "./text.ts";

const SGR = { reverse: "\x1b[7m", dim: "\x1b[2m", bold: "\x1b[1m", red: "\x1b[31m", reset: "\x1b[0m" };

/** Only reachable sessions can be chosen; the others are listed, dimmed, with why. */
export const choosable = (targets: readonly JumpTarget[]): number[] => targets.flatMap((t, i) => ("pane" in t.reach ? [i] : []));

/** The picker screen: a title, then one line per session; the selected one in reverse video. */
export function renderPicker(targets: readonly JumpTarget[], selected: number | undefined, now: number, width: number): string[] {
  const title = `${SGR.bold}Claude Code sessions${SGR.reset}${SGR.dim}   ↑↓/jk move · enter switch · 1-9 pick · q quit${SGR.reset}`;
  if (targets.length === 0) return [title, "", "  No running Claude Code sessions."];
  const rows = targets.map(({ session: s, reach }, i) => {
    const what = s.state === "asking" ? waitingLabel(s, 28) : s.background ? "background shell" : "";
    const age = s.since !== undefined ? humanAge(now - s.since) : "";
    const where = "pane" in reach ? cleanText(`${reach.pane.session}:${reach.pane.window}.${reach.pane.id}`, 40) : `(${reach.why})`;
    const key = i < 9 ? String(i + 1) : " ";
    const cells = [key, GLYPHS[s.state], sessionLabel(s, 24).padEnd(24), s.state.padEnd(8), what.padEnd(28), age.padStart(6), where];
    const line = ` ${cells.join("  ")}`;
    const fitted = Array.from(line).slice(0, Math.max(20, width - 1)).join("");
    if (i === selected) return `${SGR.reverse}${fitted}${SGR.reset}`;
    if (!("pane" in reach)) return `${SGR.dim}${fitted}${SGR.reset}`;
    return s.state === "asking" ? `${SGR.red}${fitted}${SGR.reset}` : fitted;
  });
  return [title, "", ...rows];
}

/** Moves the selection among choosable rows, wrapping around. */
export function moveSelection(choices: readonly number[], selected: number | undefined, step: 1 | -1): number | undefined {
  if (choices.length === 0) return undefined;
  const at = selected === undefined ? -1 : choices.indexOf(selected);
  return choices[(at + step + choices.length) % choices.length];
}
