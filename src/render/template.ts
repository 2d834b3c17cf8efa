import type { Segment } from "./segments.ts";

/**
 * Format templates for compact and prompt: literal text with `{field}` placeholders, e.g.
 * `{asking} {busy} {idle} | {limits} {cost}`. A field with nothing to show takes the spaces around it
 * along, so `{asking} {busy}` with no asking session is just the busy count, with no stray space.
 */
export type Piece = { readonly field: string } | { readonly text: string };

const PLACEHOLDER = /\{([a-z_]+)\}/g;

export function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > at) pieces.push({ text: template.slice(at, m.index) });
    pieces.push({ field: m[1] as string });
    at = m.index + m[0].length;
  }
  if (at < template.length) pieces.push({ text: template.slice(at) });
  return pieces;
}

/** Whether a template uses any of `fields` (to read only the data it shows). */
export const templateUses = (template: string | undefined, fields: readonly string[]): boolean =>
  template !== undefined && parseTemplate(template).some((p) => "field" in p && fields.includes(p.field));

/** The field names a template uses that are not in `known`. */
export const unknownFields = (template: string, known: readonly string[]): string[] =>
  parseTemplate(template).flatMap((p) => ("field" in p && !known.includes(p.field) ? [p.field] : []));

type Resolved = { readonly space: string } | { readonly segments: readonly Segment[] };

/**
 * Each field is made only when the template shows it: the default compact line of the status bar shows
 * neither the cache nor the limits, and naming the session whose prompt cache cools first (its label
 * cleaned for the terminal) was ~0.3 ms of every call that drew the line.
 */
export type LazyFields = Readonly<Record<string, () => readonly Segment[]>>;

export function renderTemplate(template: string, fields: LazyFields): Segment[] {
  // Literal text splits into its leading spaces, its words and its trailing spaces, so that the spaces
  // next to an empty field go with it: "{a} | {b}" with no a is "| b", not " | b".
  // A loop, not flatMap: the status bar's calls that miss their stored answer use no other, and a
  // process's first flatMap compiles that builtin (~0.3 ms).
  const resolved: Resolved[] = [];
  for (const p of parseTemplate(template)) {
    if ("field" in p) {
      resolved.push({ segments: Object.hasOwn(fields, p.field) ? (fields[p.field] as () => readonly Segment[])() : [] });
      continue;
    }
    const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(p.text) as RegExpExecArray;
    const [, lead, core, trail] = m as unknown as [string, string, string, string];
    if (lead) resolved.push({ space: lead });
    if (core) resolved.push({ segments: [{ text: core }] });
    if (trail) resolved.push({ space: trail });
  }
  const out: Segment[] = [];
  // Spaces only between two things shown, and once: the first after something shown waits here for the
  // next thing shown, and goes unused when none comes.
  let space: string | undefined;
  for (const r of resolved) {
    if ("space" in r) {
      if (out.length > 0 && space === undefined) space = r.space;
      continue;
    }
    if (r.segments.length === 0) continue;
    if (space !== undefined) out.push({ text: space });
    space = undefined;
    out.push(...r.segments);
  }
  return out;
}
