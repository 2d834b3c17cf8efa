import type { Answer } from "../../src/replay/replay.ts";

/**
 * A stored answer file read back whole, as a test wants to look at it (replay.ts reads it line by line):
 * the head's fields, and the paths of every line after it in the order stored.
 */
export function answerOfFile(text: string): Answer & { readonly pathCount: number } {
  const [head, ...lines] = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  return { ...head, paths: lines.flat() };
}
