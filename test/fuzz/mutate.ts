/**
 * Mutations of real files for the fuzz targets: byte flips, truncations, line duplication, deletion and
 * splicing, and JSON-aware edits that put invalid UTF-8, NULs, huge numbers, wrong types or deep
 * nesting where a field was. Each takes bytes and returns new bytes; none keeps the input valid.
 */
import type { CaseLog, Random } from "./run.ts";

const NL = 0x0a;
const enc = new TextEncoder();

const INVALID_UTF8: readonly number[][] = [
  [0xc3, 0x28], // a 2-byte lead without its continuation
  [0xff],
  [0xfe, 0xff],
  [0x80], // a lone continuation byte
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf0, 0x9f], // a 4-byte sequence cut short
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];

/** Text that means something to a JSON parser, a terminal, tmux or a shell. */
const SPECIAL_TEXT = [
  "\0",
  "\0\0\0\0",
  "\n",
  "\r\n",
  "\r",
  "\uFEFF",
  '"',
  "\\",
  "\\u0000",
  "\\ud800",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"usage"',
  '"assistant"',
  '"type":"assistant"',
  '"usage":{"input_tokens":1e308}',
  "\x1b[31m",
  "\x1b]52;c;eA==\x07",
  "\x07",
  "\u009b",
  "\u202e",
  "#(touch pwned)",
  "$(id)",
  "%F{red}",
  "🙂",
];

/** JSON texts of the wrong type or an absurd size, to put where a value was. */
const NUMBERS = ["1e308", "1e999", "-1e999", "9007199254740993", "9007199254740991", "123456789012345678901234567890", "-0", "0.5", "-7", "4294967296", "1.7976931348623157e308", "5e-324", "2e15"];
const WRONG_VALUES = [
  "null",
  "true",
  "false",
  '""',
  '"12"',
  '"-1"',
  "[]",
  "{}",
  "[1,2]",
  '{"a":{}}',
  '"\\u001b[2J"',
  '"\\u0000\\u0007"',
  '"#(touch pwned)"',
  '"\\u202e"',
  JSON.stringify("x".repeat(3000)),
  ...NUMBERS,
];

const deep = (depth: number, open = "[", close = "]"): string => open.repeat(depth) + close.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

/** Keys a mutation likes to add: the fields readers look at, and ones that trip naive object code. */
const KEYS = ["type", "message", "usage", "id", "model", "requestId", "isSidechain", "timestamp", "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "ephemeral_1h_input_tokens", "promptCacheRequested", "sessionId", "pid", "cwd", "status", "waitingFor", "name", "procStart", "pidDomain", "updatedAt", "__proto__", "constructor", "toString"];

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Bytes to insert: invalid UTF-8, special text, random bytes, or a huge number. */
function insertion(rng: Random): Uint8Array {
  switch (rng.int(5)) {
    case 0:
      return Uint8Array.from(rng.pick(INVALID_UTF8));
    case 1:
      return enc.encode(rng.pick(SPECIAL_TEXT));
    case 2:
      return rng.bytes(rng.range(1, 16));
    case 3:
      return enc.encode(rng.pick(NUMBERS));
    default:
      return enc.encode(rng.pick(WRONG_VALUES));
  }
}

export function splitLines(buf: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === NL) {
      lines.push(buf.subarray(from, i));
      from = i + 1;
    }
  }
  lines.push(buf.subarray(from)); // after the last "\n": empty for a complete file, a torn line otherwise
  return lines;
}

export const joinLines = (lines: Uint8Array[]): Uint8Array => concat(...lines.flatMap((l, i) => (i === 0 ? [l] : [Uint8Array.of(NL), l])));

// ---------------------------------------------------------------- JSON-aware edits

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
  readonly path: string;
}

// Below this a tree is left alone: an earlier mutation may have nested it 20000 deep.
const SLOT_DEPTH = 32;

function slots(value: Json, path = "", depth = 0): Slot[] {
  if (value === null || typeof value !== "object" || depth >= SLOT_DEPTH) return [];
  const out: Slot[] = [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, child] of entries) {
    out.push({ parent: value, key, path: `${path}.${key}` });
    out.push(...slots(child, `${path}.${key}`, depth + 1));
  }
  return out;
}

/** The deepest bracket nesting outside strings. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * One edit of a JSON document's tree: a value replaced by raw text of another type, a key dropped,
 * added or renamed. Raw text goes in through a placeholder so that it can be what JSON.stringify
 * cannot write (1e999, 5000-deep nesting, a "__proto__" key).
 */
export function mutateJson(rng: Random, text: string, log: CaseLog, focus: readonly string[] = []): string | undefined {
  // JSON.stringify is quadratic in depth (cycle checks): a tree an earlier edit nested 20000 deep stays as it is.
  if (nesting(text) > 1000) return undefined;
  let tree: Json;
  try {
    tree = JSON.parse(text.replace(/^\0+/, ""));
  } catch {
    return undefined;
  }
  const all = slots(tree);
  const focused = all.filter((s) => focus.some((f) => s.path.includes(f)));
  const raw: string[] = [];
  const placeholder = (t: string) => `__FUZZRAW_${raw.push(t) - 1}__`;
  const rawValue = (): string => {
    switch (rng.int(6)) {
      case 0:
        return deep(rng.chance(0.5) ? rng.range(1, 100) : rng.range(1000, 20000), ...(rng.chance(0.5) ? ["[", "]"] : ["{\"a\":[", "]}"]) as [string, string]);
      case 1:
        return deepObject(rng.range(1, 3000));
      case 2:
        return rng.pick(NUMBERS);
      default:
        return rng.pick(WRONG_VALUES);
    }
  };
  const slot = focused.length > 0 && rng.chance(0.7) ? rng.pick(focused) : all.length > 0 ? rng.pick(all) : undefined;
  const op = rng.int(5);
  if (slot === undefined || op === 3) {
    // add a key to the root (or to the slot's object)
    const target = slot && slot.parent && !Array.isArray(slot.parent) ? slot.parent : tree;
    if (target === null || typeof target !== "object" || Array.isArray(target)) return undefined;
    const key = rng.pick(KEYS);
    const value = rawValue();
    log.note(`json add ${slot?.path ?? ""}.${key}=${value.slice(0, 24)}`);
    // The key goes in as a placeholder too: assigning "__proto__" would set the prototype instead.
    (target as Record<string, Json>)[placeholder(JSON.stringify(key))] = placeholder(value);
  } else if (op === 4 && !Array.isArray(slot.parent)) {
    log.note(`json delete ${slot.path}`);
    delete (slot.parent as Record<string, Json>)[slot.key];
  } else {
    const value = rawValue();
    log.note(`json set ${slot.path}=${value.slice(0, 24)}`);
    (slot.parent as Record<string | number, Json>)[slot.key] = placeholder(value);
  }
  // A placeholder key is written "__FUZZRAW_n__": its raw text already holds the quotes.
  let serialized: string;
  try {
    serialized = JSON.stringify(tree);
  } catch {
    return undefined; // nested too deep for JSON.stringify's recursion
  }
  return serialized.replace(/"__FUZZRAW_(\d+)__"/g, (_, n: string) => raw[Number(n)] as string);
}

// ---------------------------------------------------------------- the mutations

export interface MutationContext {
  /** Lines of other files, for splicing across files. */
  readonly donors: readonly Uint8Array[];
  /** Path fragments the JSON edits prefer ("usage", "status", …). */
  readonly focus: readonly string[];
}

type Mutation = (rng: Random, buf: Uint8Array, log: CaseLog, ctx: MutationContext) => Uint8Array;

const position = (rng: Random, buf: Uint8Array) => rng.int(buf.length + 1);

export const MUTATIONS: Readonly<Record<string, Mutation>> = {
  flipBits(rng, buf, log) {
    const out = Uint8Array.from(buf);
    const n = rng.range(1, 8);
    for (let i = 0; i < n && out.length > 0; i++) {
      const at = rng.int(out.length);
      out[at] = (out[at] as number) ^ (1 << rng.int(8));
    }
    log.note(`flip ${n} bits`);
    return out;
  },
  setByte(rng, buf, log) {
    if (buf.length === 0) return buf;
    const out = Uint8Array.from(buf);
    const at = rng.int(out.length);
    out[at] = rng.pick([0x00, 0x0a, 0x0d, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x2d, 0x65, 0x80, 0xc3, 0xff, 0x1b, 0x7f]);
    log.note(`set byte @${at}=${out[at]}`);
    return out;
  },
  truncate(rng, buf, log) {
    const at = position(rng, buf);
    log.note(`truncate @${at}/${buf.length}`);
    return buf.subarray(0, at);
  },
  insert(rng, buf, log) {
    const at = position(rng, buf);
    const bytes = insertion(rng);
    log.note(`insert @${at} ${JSON.stringify(Buffer.from(bytes).toString("latin1")).slice(0, 30)}`);
    return concat(buf.subarray(0, at), bytes, buf.subarray(at));
  },
  deleteRange(rng, buf, log) {
    const at = position(rng, buf);
    const n = rng.range(1, rng.chance(0.5) ? 16 : 4096);
    log.note(`delete @${at}+${n}`);
    return concat(buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + n)));
  },
  duplicateRange(rng, buf, log) {
    const from = position(rng, buf);
    const to = Math.min(buf.length, from + rng.range(1, 4096));
    const at = position(rng, buf);
    log.note(`copy [${from},${to}) to @${at}`);
    return concat(buf.subarray(0, at), buf.subarray(from, to), buf.subarray(at));
  },
  duplicateLine(rng, buf, log) {
    const lines = splitLines(buf);
    const i = rng.int(lines.length);
    const j = rng.chance(0.5) ? i : rng.int(lines.length + 1);
    log.note(`duplicate line ${i} to ${j}`);
    lines.splice(j, 0, lines[i] as Uint8Array);
    return joinLines(lines);
  },
  deleteLine(rng, buf, log) {
    const lines = splitLines(buf);
    const i = rng.int(lines.length);
    const n = rng.range(1, 3);
    log.note(`delete lines ${i}+${n}`);
    lines.splice(i, n);
    return joinLines(lines);
  },
  swapLines(rng, buf, log) {
    const lines = splitLines(buf);
    const i = rng.int(lines.length);
    const j = rng.int(lines.length);
    log.note(`swap lines ${i} ${j}`);
    [lines[i], lines[j]] = [lines[j] as Uint8Array, lines[i] as Uint8Array];
    return joinLines(lines);
  },
  spliceLines(rng, buf, log, ctx) {
    const lines = splitLines(buf);
    const i = rng.int(lines.length);
    const a = lines[i] as Uint8Array;
    const b = ctx.donors.length > 0 && rng.chance(0.5) ? rng.pick(ctx.donors) : rng.pick(lines);
    const cutA = rng.int(a.length + 1);
    const cutB = rng.int(b.length + 1);
    log.note(`splice line ${i}[:${cutA}] + other[${cutB}:]`);
    lines[i] = concat(a.subarray(0, cutA), b.subarray(cutB));
    return joinLines(lines);
  },
  insertDonorLine(rng, buf, log, ctx) {
    if (ctx.donors.length === 0) return buf;
    const lines = splitLines(buf);
    const at = rng.int(lines.length);
    log.note(`insert donor line at ${at}`);
    lines.splice(at, 0, rng.pick(ctx.donors));
    return joinLines(lines);
  },
  nulPrefix(rng, buf, log) {
    const lines = splitLines(buf);
    const i = rng.int(lines.length);
    log.note(`NULs before line ${i}`);
    lines[i] = concat(new Uint8Array(rng.range(1, 64)), lines[i] as Uint8Array);
    return joinLines(lines);
  },
  editJson(rng, buf, log, ctx) {
    // A line of a JSONL file, or the whole of a JSON file.
    const lines = splitLines(buf);
    const candidates = lines.map((_, i) => i).filter((i) => (lines[i] as Uint8Array).length > 0);
    if (candidates.length === 0) return buf;
    const focusedLines = candidates.filter((i) => ctx.focus.some((f) => Buffer.from(lines[i] as Uint8Array).includes(`"${f}"`)));
    const i = focusedLines.length > 0 && rng.chance(0.7) ? rng.pick(focusedLines) : rng.pick(candidates);
    const edited = mutateJson(rng, Buffer.from(lines[i] as Uint8Array).toString("utf8"), log, ctx.focus);
    if (edited === undefined) return buf;
    lines[i] = enc.encode(edited);
    return joinLines(lines);
  },
};

const NAMES = Object.keys(MUTATIONS);
// JSON-aware edits reach the code behind the parser; raw byte damage mostly stops at JSON.parse.
const WEIGHTED = [...NAMES, "editJson", "editJson", "editJson", "editJson", "duplicateLine", "insert"];

/** 1 to `max` random mutations in a row. */
export function mutate(rng: Random, buf: Uint8Array, log: CaseLog, ctx: MutationContext, max = 4): Uint8Array {
  let out = buf;
  const n = rng.range(1, max);
  for (let i = 0; i < n; i++) out = (MUTATIONS[rng.pick(WEIGHTED)] as Mutation)(rng, out, log, ctx);
  return out;
}
