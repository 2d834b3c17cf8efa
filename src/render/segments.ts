import { escapeTmux, escapeZsh } from "./text.ts";

export type Style = "asking" | "busy" | "starting" | "unknown" | "idle" | "muted";

/** A piece of a status line: clean text (see cleanText) and how to colour it. */
export interface Segment {
  readonly text: string;
  readonly style?: Style;
}

/** Where a line is printed; each needs its own colour syntax and its own escaping of data. */
export type Target = "tmux" | "ansi" | "plain" | "zsh" | "bash" | "fish";

const TMUX: Record<Style, string> = {
  asking: "fg=red,bold",
  busy: "fg=yellow",
  starting: "fg=cyan",
  unknown: "fg=magenta",
  idle: "fg=green",
  muted: "dim",
};
const SGR: Record<Style, string> = {
  asking: "\x1b[1;31m",
  busy: "\x1b[33m",
  starting: "\x1b[36m",
  unknown: "\x1b[35m",
  idle: "\x1b[32m",
  muted: "\x1b[2m",
};
const ZSH: Record<Style, [string, string]> = {
  asking: ["%B%F{red}", "%f%b"],
  busy: ["%F{yellow}", "%f"],
  starting: ["%F{cyan}", "%f"],
  unknown: ["%F{magenta}", "%f"],
  idle: ["%F{green}", "%f"],
  muted: ["%F{8}", "%f"],
};
const SGR_RESET = "\x1b[0m";

// A user style lands inside #[…] in text tmux expands again: a # only as a hex colour, so no #{…}, #(…) or ##.
export const TMUX_STYLE = /^(?:[A-Za-z0-9=,_ -]|#[0-9A-Fa-f]{6}){1,40}$/;
// A glyph: a few visible characters, no spaces.
export const GLYPH = /^[^\s]{1,8}$/u;

// tmux reads #D, #F, #H, #I, #P, #S, #T, #W as formats even inside a style: hex colours go lower-case.
export const safeTmuxStyle = (style: string): string => style.replace(/#[0-9A-F]{6}/gi, (hex) => hex.toLowerCase());

/** tmux style strings the user chose per style, e.g. `fg=#ff5f5f,bold` (checked by the compact command's flags). */
export type TmuxStyles = Partial<Record<Style, string>>;

function encodeOne(segment: Segment, target: Target, tmuxStyles: TmuxStyles): string {
  const { text, style } = segment;
  switch (target) {
    case "plain":
      return text;
    case "tmux":
      return style ? `#[${tmuxStyles[style] ?? TMUX[style]}]${escapeTmux(text)}#[default]` : escapeTmux(text);
    case "zsh": {
      if (!style) return escapeZsh(text);
      const [open, close] = ZSH[style];
      return `${open}${escapeZsh(text)}${close}`;
    }
    case "bash":
      // readline needs \001 \002 around invisible bytes; bash does not decode \[ \] in command output.
      return style ? `\x01${SGR[style]}\x02${text}\x01${SGR_RESET}\x02` : text;
    case "ansi":
    case "fish":
      return style ? `${SGR[style]}${text}${SGR_RESET}` : text;
  }
}

export function encodeSegments(segments: readonly Segment[], target: Target, separator = " ", tmuxStyles: TmuxStyles = {}): string {
  return segments.map((s) => encodeOne(s, target, tmuxStyles)).join(target === "tmux" ? escapeTmux(separator) : separator);
}
