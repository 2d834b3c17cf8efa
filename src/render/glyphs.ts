import type { State } from "../derive/state.ts";

export const GLYPHS: Record<State, string> = {
  asking: "⚠",
  busy: "●",
  starting: "◌",
  unknown: "?",
  idle: "○",
};

export const TOKENS_GLYPH = "Σ";

/** Marks the idle session whose prompt cache expires next. */
export const CACHE_GLYPH = "◷";
