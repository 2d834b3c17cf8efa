import type { State } from "../derive/state.ts";

export const GLYPHS: Record<State, string> = {
  asking: "⚠",
  busy: "●",
  starting: "◌",
  unknown: "?",
  idle: "○",
};

export const TOKENS_GLYPH = "Σ";
