import * as v from "valibot";

/** wyhash of a line, as the head of a framed file records it. */
export const hashOf = (line: string): string => Bun.hash.wyhash(line).toString(36);

export interface FrameHashes {
  readonly summaryHash: string;
  readonly bodyHash: string;
}

/** The head's entries for FrameHashes, for the schema of each kind of framed file's head. */
export const frameHashEntries = () => ({ summaryHash: v.string(), bodyHash: v.string() });

export interface FramedFile<H> {
  readonly head?: H;
  summary<T>(): T | undefined;
  body<T>(): T | undefined;
}

/**
 * ccpulse's own three-line cache files (session caches, the usage ledger): a small head checked against
 * its schema, then a summary and a body that are trusted when they hash as the head says. Both are ours
 * and written atomically, so a matching hash stands in for validating them field by field, which costs
 * milliseconds for a watch list or a month of buckets. Anything torn, foreign or mismatched reads as absent.
 */
export function readFramed<H extends FrameHashes>(text: string, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): FramedFile<H> {
  const [first = "", second = "", third = ""] = text.split("\n", 3);
  let head: H | undefined;
  try {
    const parsed = v.safeParse(schema, JSON.parse(first));
    head = parsed.success && belongs(parsed.output) ? parsed.output : undefined;
  } catch {
    // a torn or garbage first line
  }
  const parse = <T>(line: string, hash: string | undefined): T | undefined => {
    if (!head || hash !== hashOf(line)) return undefined;
    try {
      return JSON.parse(line) as T;
    } catch {
      return undefined;
    }
  };
  return { head, summary: () => parse(second, head?.summaryHash), body: () => parse(third, head?.bodyHash) };
}

/** readFramed of the file at `path`; a missing or unreadable file reads as absent. */
export async function loadFramed<H extends FrameHashes>(path: string, schema: v.GenericSchema<unknown, H>, belongs: (head: H) => boolean): Promise<FramedFile<H>> {
  let text = "";
  try {
    text = await Bun.file(path).text();
  } catch {
    // none yet, or not a file
  }
  return readFramed(text, schema, belongs);
}

/** The text of a framed file: `head` with the hashes of the two lines below it. */
export function framed(head: object, summary: unknown, body: unknown): string {
  const second = JSON.stringify(summary);
  const third = JSON.stringify(body);
  return `${JSON.stringify({ ...head, summaryHash: hashOf(second), bodyHash: hashOf(third) })}\n${second}\n${third}\n`;
}
