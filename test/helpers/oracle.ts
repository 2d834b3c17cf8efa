import { readFileSync } from "node:fs";

export interface Totals {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

/**
 * The slow, obvious way to total a transcript, kept independent of src/: parse every line, keep the
 * largest usage per message.id + requestId. Tests compare the incremental reader against it.
 */
export function naiveTotals(paths: string[]): Totals {
  const best = new Map<string, Totals>();
  let anonymous = 0;
  for (const path of paths) {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      let row: any;
      try {
        row = JSON.parse(line.replace(/^\0+/, ""));
      } catch {
        continue;
      }
      if (row?.type !== "assistant" || !row.message?.usage || row.message.model === "<synthetic>") continue;
      const u = row.message.usage;
      const t = { input: u.input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0, cacheRead: u.cache_read_input_tokens ?? 0, output: u.output_tokens ?? 0 };
      const key = row.message.id ? `${row.message.id}/${row.requestId}` : `anon${anonymous++}`;
      const prev = best.get(key);
      const size = (x: Totals) => x.input + x.cacheWrite + x.cacheRead + x.output;
      if (!prev || size(t) > size(prev)) best.set(key, t);
    }
  }
  const sum: Totals = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  for (const t of best.values()) {
    sum.input += t.input;
    sum.cacheWrite += t.cacheWrite;
    sum.cacheRead += t.cacheRead;
    sum.output += t.output;
  }
  return sum;
}
