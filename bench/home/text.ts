/**
 * Filler text for tool results, file contents and answers. Built once per run and reused by every
 * row: escaping megabytes per row would make generation, not the disk, the bottleneck.
 */
import type { Random } from "./random.ts";

const WORDS = (
  "the session token cache offset transcript probe reader writer buffer chunk line parse value state " +
  "request response message usage window limit budget status prompt answer result error retry worker " +
  "queue batch index schema field record stream socket client server config option default module " +
  "export import function return const let await async class interface type string number boolean"
).split(" ");
const IDENTS = ["sessionId", "offset", "readChunk", "parseLine", "tokens", "cursor", "totals", "probe", "snapshot", "cacheDir", "renderTmux", "usage"];
// Non-ASCII on purpose: real transcripts carry it, and byte counts must not assume one byte per character.
const UNICODE = ["—", "…", "✓", "→", "é", "ü", "日本", "🙂"];

function sentence(rng: Random): string {
  const n = rng.int(6, 18);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.chance(0.04) ? rng.pick(UNICODE) : rng.pick(WORDS));
  const first = words[0] ?? "the";
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(" ")}.`;
}

export function prose(rng: Random, bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const s = rng.chance(0.1) ? `\n\n## ${sentence(rng)}\n` : rng.chance(0.1) ? `\n- \`${rng.pick(IDENTS)}\`: ${sentence(rng)}` : ` ${sentence(rng)}`;
    parts.push(s);
    size += s.length;
  }
  return parts.join("").trim();
}

function codeLine(rng: Random): string {
  const indent = "  ".repeat(rng.int(0, 3));
  switch (rng.int(0, 5)) {
    case 0:
      return `${indent}const ${rng.pick(IDENTS)} = await ${rng.pick(IDENTS)}(${rng.pick(IDENTS)}, ${rng.int(0, 4096)});`;
    case 1:
      return `${indent}if (${rng.pick(IDENTS)}.${rng.pick(IDENTS)} === undefined) return ${rng.pick(IDENTS)};`;
    case 2:
      return `${indent}// ${sentence(rng)}`;
    case 3:
      // A JSON key named "usage" inside file content: escaped in the transcript, so it must not look like a usage row.
      return `${indent}"${rng.pick(IDENTS)}": { "usage": ${rng.int(0, 999)}, "label": "${rng.pick(WORDS)}" },`;
    case 4:
      return `${indent}export function ${rng.pick(IDENTS)}(${rng.pick(IDENTS)}: string): number {`;
    default:
      return `${indent}}`;
  }
}

/** A file as the Read tool returns it: `cat -n` style numbered lines. */
export function numberedFile(rng: Random, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let n = 1; size < bytes; n++) {
    const line = `${String(n).padStart(6)}\t${codeLine(rng)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n");
}

export function commandOutput(rng: Random, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  let ms = 1_795_000_000_000;
  while (size < bytes) {
    ms += rng.int(1, 900);
    const level = rng.pick(["INFO ", "INFO ", "DEBUG", "WARN "]);
    const line = `[${new Date(ms).toISOString()}] ${level} worker-${rng.int(0, 7)} ${rng.pick(WORDS)} ${rng.pick(IDENTS)}=${rng.int(0, 99999)} in ${rng.int(0, 500)}ms`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n");
}

/** A text already JSON-encoded (with its quotes), as bytes, ready to splice into many rows. */
export interface Blob {
  readonly json: Buffer;
  readonly bytes: number;
  /** Roughly what the model would count for it. */
  readonly tokens: number;
  readonly lines: number;
}

export function blob(text: string): Blob {
  const json = Buffer.from(JSON.stringify(text));
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  return { json, bytes: json.length, tokens: Math.ceil(text.length / 4), lines };
}

/** Tool-result sizes (bytes of text) and how often each is drawn: most are small, about 1 in 8 is 100 KB or more. */
const RESULT_SIZES: readonly (readonly [number, number])[] = [
  [300, 10],
  [1_000, 15],
  [3_000, 20],
  [8_000, 20],
  [20_000, 12],
  [50_000, 10],
  [110_000, 6],
  [180_000, 4],
  [260_000, 2],
  [420_000, 1],
];
const VARIANTS = 2;

/** Every payload the rows draw from, built once from the seed. */
export class Pool {
  readonly files: Blob[][];
  readonly outputs: Blob[][];
  readonly answers: Blob[];
  readonly systemPrompt: Blob;
  readonly toolSchemas: Blob;
  readonly skills: Blob;
  readonly agents: Blob;
  readonly requestBlobs: Blob[];
  private readonly totalWeight = RESULT_SIZES.reduce((sum, [, w]) => sum + w, 0);

  constructor(rng: Random) {
    this.files = RESULT_SIZES.map(([size]) => Array.from({ length: VARIANTS }, () => blob(numberedFile(rng, size))));
    this.outputs = RESULT_SIZES.map(([size]) => Array.from({ length: VARIANTS }, () => blob(commandOutput(rng, size))));
    this.answers = [80, 300, 900, 2_500, 6_000].map((size) => blob(prose(rng, size)));
    this.systemPrompt = blob(prose(rng, 7_400));
    this.toolSchemas = blob(prose(rng, 36_000));
    this.skills = blob(prose(rng, 6_300));
    this.agents = blob(prose(rng, 2_500));
    this.requestBlobs = [700, 2_000, 10_000].map((size) => blob(prose(rng, size)));
  }

  /** A tool-result size class no larger than `cap` bytes (the smallest class if none fits). */
  private sizeClass(rng: Random, cap: number): number {
    for (let attempt = 0; attempt < 8; attempt++) {
      let r = rng.float() * this.totalWeight;
      let index = 0;
      while (index < RESULT_SIZES.length - 1) {
        r -= RESULT_SIZES[index]?.[1] ?? 0;
        if (r < 0) break;
        index++;
      }
      if ((RESULT_SIZES[index]?.[0] ?? 0) <= cap) return index;
    }
    return 0;
  }

  file(rng: Random, cap: number): Blob {
    return rng.pick(this.files[this.sizeClass(rng, cap)] ?? []);
  }

  output(rng: Random, cap: number): Blob {
    return rng.pick(this.outputs[this.sizeClass(rng, cap)] ?? []);
  }

  answer(rng: Random): Blob {
    return rng.pick(this.answers);
  }
}
