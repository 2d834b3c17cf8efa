/**
 * Everything shown comes from files anyone can write: a cwd, a session name or a waitingFor value can
 * hold terminal escapes, newlines or bidi overrides. They are removed whole (a CSI, OSC, DCS sequence
 * with its parameters) so nothing can recolour, retitle, write the clipboard (OSC 52) or hide text.
 */
// Made when first needed: compiling it took ~0.2 ms of every call's start-up, which many calls (a
// status line with no session asking) never use.
let escapes: RegExp | undefined;
const escapeSequences = (): RegExp =>
  (escapes ??= new RegExp(
    [
      "\\x1b\\[[0-?]*[ -/]*[@-~]?", // CSI
      "\\x1b[\\]PX^_][\\s\\S]*?(?:\\x07|\\x1b\\\\|$)", // OSC, DCS, SOS, PM, APC up to their terminator
      "\\x1b[ -/]*[0-~]?", // other ESC sequences, and a bare ESC
      "\\x9b[0-?]*[ -/]*[@-~]?", // 8-bit CSI
      "[\\x9d\\x90\\x98\\x9e\\x9f][\\s\\S]*?(?:\\x07|\\x9c|$)", // 8-bit OSC, DCS, SOS, PM, APC
    ].join("|"),
    "g",
  ));
// C0/C1 controls, DEL, zero-width and bidi-control characters, line/paragraph separators.
const INVISIBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;
const WHITESPACE_RUN = /[\t\n]+/g;

/** Inert, single-line text of at most `max` characters (an ellipsis marks a cut). */
export function cleanText(raw: string, max = 120): string {
  const text = raw.toWellFormed().replace(escapeSequences(), "").replace(INVISIBLE, "").replace(WHITESPACE_RUN, " ").trim();
  // No more UTF-16 units than the limit: no more characters either. Array.from, which counts them, is left
  // to longer text: a process's first compiles that builtin (~0.3 ms).
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed || path;
}

/** tmux expands `#{…}`, `#(…)`, `#[…]` and `#S` in job output again; `##` is a literal `#`. */
export const escapeTmux = (text: string): string => text.replaceAll("#", "##");

/** zsh prompt expansion reads `%…` escapes in a substituted value; `%%` is a literal `%`. */
export const escapeZsh = (text: string): string => text.replaceAll("%", "%%");
