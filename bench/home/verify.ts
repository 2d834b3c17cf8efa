/**
 * A slow second opinion on expected.json: parse every line of every transcript with the documented
 * rules and an unbounded dedupe map. If the generator's own bookkeeping drifts from the bytes it wrote,
 * this catches it before anyone blames ccpulse.
 */
import { readFileSync } from "node:fs";
import { type Tokens, addTokens, zeroTokens } from "./tokens.ts";

interface Row {
  readonly key: string;
  readonly messageId: string;
  readonly size: number;
  readonly tokens: Tokens;
}

const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) && x > 0 ? x : 0);

function usageRow(line: string): Row | undefined {
  let json: any;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const message = json?.message;
  if (json?.type !== "assistant" || typeof message?.usage !== "object" || message.model === "<synthetic>") return undefined;
  const u = message.usage;
  const cacheWrite = num(u.cache_creation_input_tokens);
  const oneHour = Math.min(num(u.cache_creation?.ephemeral_1h_input_tokens), cacheWrite);
  const tokens: Tokens = {
    input: num(u.input_tokens),
    cacheWrite,
    cacheWrite5m: cacheWrite - oneHour,
    cacheWrite1h: oneHour,
    cacheRead: num(u.cache_read_input_tokens),
    output: num(u.output_tokens),
  };
  const messageId = String(message.id ?? "");
  return { key: `${messageId} ${json.requestId ?? ""}`, messageId, size: tokens.input + tokens.cacheWrite + tokens.cacheRead + tokens.output, tokens };
}

/** Complete lines only: a last line without "\n" is still being written and does not count yet. */
function completeLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  lines.pop();
  return lines.map((l) => l.replace(/^\0+/, ""));
}

/** Totals of one session: its main transcript, then its sub-agent files, whose replays of main messages are dropped. */
export function sessionTotals(main: string, subagents: readonly string[]): Tokens {
  const best = new Map<string, Row>();
  const mainIds = new Set<string>();
  const take = (row: Row) => {
    const seen = best.get(row.key);
    if (!seen || row.size > seen.size) best.set(row.key, row);
  };
  for (const line of completeLines(main)) {
    if (!line.includes('"assistant"')) continue;
    const row = usageRow(line);
    if (!row) continue;
    mainIds.add(row.messageId);
    take(row);
  }
  for (const file of subagents) {
    for (const line of completeLines(file)) {
      if (!line.includes('"assistant"')) continue;
      const row = usageRow(line);
      if (row && !mainIds.has(row.messageId)) take(row);
    }
  }
  const total = zeroTokens();
  for (const row of best.values()) addTokens(total, row.tokens);
  return total;
}
