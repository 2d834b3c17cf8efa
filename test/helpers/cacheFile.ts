import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { type LinesOf, hashOf, lineRanges, linesHash } from "../../src/read/framedFile.ts";
import { CACHE_VERSION, CacheHeadSchema, SessionCacheSchema, SummarySchema, parseCacheLines } from "../../src/read/tokenCache.ts";

/**
 * Why a session cache slot's text would not be used as is, or undefined when it is whole: a head line,
 * a summary and the cursor lines (tokenCache.ts cacheLines) that hold to their schemas, for the same
 * session, with the hashes the head gives, then nothing but the spaces a slot is padded with. Stricter
 * than the loader (which trusts the lines below the head by their hashes), so a torn or mixed write
 * cannot pass.
 */
export function cacheProblem(text: string): string | undefined {
  const lines = text.split("\n");
  const padding = lines.pop() ?? "";
  if (lines.length < 3 || !/^ *$/.test(padding)) return `${lines.length} lines, or no final newline, or more than padding after it`;
  const [first, second, ...body] = lines as [string, string, ...string[]];
  let parsed: unknown[];
  try {
    parsed = [JSON.parse(first), JSON.parse(second)];
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const cursors = parseCacheLines(linesOf(body));
  if (!cursors) return "cursor lines: not JSON";
  const h = v.safeParse(CacheHeadSchema, parsed[0]);
  if (!h.success) return `head: ${v.summarize(h.issues).split("\n")[0]}`;
  const s = v.safeParse(SummarySchema, parsed[1]);
  if (!s.success) return `summary: ${v.summarize(s.issues).split("\n")[0]}`;
  const c = v.safeParse(SessionCacheSchema, cursors.cache);
  if (!c.success) return `cursors: ${v.summarize(c.issues).split("\n")[0]}`;
  if (h.output.summaryHash !== hashOf(second)) return "summary hash does not match";
  if (h.output.bodyHash !== linesHash(body)) return "body hash does not match";
  const sessions = new Set([h.output, s.output, c.output].map((x) => `${x.configDir}\u0000${x.sessionId}`));
  if (sessions.size !== 1) return "head, summary and cursors of different sessions";
  return undefined;
}

/** Text lines as the bytes a cache body is parsed from (tokenCache.ts parseCacheLines). */
export function linesOf(lines: readonly string[]): LinesOf {
  const bytes = Buffer.from(lines.join("\n"));
  return { bytes, lines: lines.length === 0 ? [] : lineRanges(bytes, 0, bytes.length) };
}

/** The summary of the newest whole slot among a session cache's slot texts (scanCaches explains the slots). */
export function newestSummary(slots: Iterable<string>): any {
  const whole = [...slots].filter((text) => cacheProblem(text) === undefined).map((text) => text.split("\n", 2).map((line) => JSON.parse(line)));
  return whole.sort((x, y) => y[0].gen - x[0].gen)[0]?.[1];
}

export const cacheFolder = (cacheRoot: string): string => join(cacheRoot, "ccpulse", `sessions-v${CACHE_VERSION}`);

/**
 * For the other files ccpulse keeps next to the session caches (the usage ledger, status-line
 * records): every line is JSON, and the hashes a first line holds match their lines (the ledger's
 * summaryHash line 2 and bodyHash line 3). Any writer that tore a file, or mixed two, fails this.
 */
export function framingProblem(text: string): string | undefined {
  const lines = text.split("\n").filter((l) => l !== "");
  let head: { summaryHash?: unknown; bodyHash?: unknown } | null;
  try {
    head = JSON.parse(lines[0] ?? "");
    for (const line of lines.slice(1)) JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (typeof head?.summaryHash === "string") {
    if (head.summaryHash !== hashOf(lines[1] ?? "")) return "summary hash does not match";
    if (head.bodyHash !== hashOf(lines[2] ?? "")) return "body hash does not match";
  } else if (typeof head?.bodyHash === "string" && head.bodyHash !== hashOf(text.slice(text.indexOf("\n") + 1))) return "body hash does not match";
  return undefined;
}

export interface CacheScan {
  /** Caches read and found whole: a session cache counts once, by its newest whole slot. */
  readonly valid: number;
  /** `<file>: <problem>` for each one that was not; a session cache only when neither slot is whole. */
  readonly problems: string[];
  /** Names of the other entries: temp files and locks. */
  readonly others: string[];
}

/**
 * Reads every file ccpulse keeps under `cacheRoot`/ccpulse once: session caches against their schemas
 * (cacheProblem), the rest for whole JSON (framingProblem). A session cache is kept in two slots
 * (`<hash>.json`, `<hash>.1.json`) written in place in turn, so one may be torn by a write under way or
 * cut short by a kill: what a reader needs, and what is checked, is that one of them is whole. A file
 * renamed away between listing and reading is skipped.
 */
export function scanCaches(cacheRoot: string): CacheScan {
  const root = join(cacheRoot, "ccpulse");
  const sessions = cacheFolder(cacheRoot);
  let valid = 0;
  const problems: string[] = [];
  const others: string[] = [];
  let dirs: string[];
  try {
    dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name));
  } catch {
    return { valid, problems, others };
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const slots = new Map<string, string[]>();
    for (const name of names) {
      if (!name.endsWith(".json") || name.startsWith(".")) {
        others.push(name);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(join(dir, name), "utf8");
      } catch {
        continue;
      }
      const where = `${dir.slice(root.length + 1)}/${name}`;
      if (dir === sessions) {
        const key = name.replace(/(\.1)?\.json$/, "");
        const problem = cacheProblem(text);
        slots.set(key, [...(slots.get(key) ?? []), ...(problem ? [`${where}: ${problem}`] : [""])]);
        continue;
      }
      const problem = framingProblem(text);
      if (problem) problems.push(`${where}: ${problem}`);
      else valid++;
    }
    for (const found of slots.values()) {
      if (found.includes("")) valid++;
      else problems.push(...found);
    }
  }
  return { valid, problems, others };
}
