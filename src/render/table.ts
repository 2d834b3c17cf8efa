import type { RateLimits } from "../derive/rateLimits.ts";
import type { Session } from "../derive/sessions.ts";
import { STATES } from "../derive/state.ts";
import type { Tokens } from "../derive/tokens.ts";
import type { UsageReport } from "../derive/usageReport.ts";
import { usageLines } from "./usage.ts";
import type { Snapshot } from "../snapshot.ts";
import { GLYPHS } from "./glyphs.ts";
import { humanAge, humanCost, humanCount } from "./humanize.ts";
import { limitSegments } from "./limits.ts";
import { sessionLabel, shortId, waitingLabel } from "./label.ts";
import type { Style } from "./segments.ts";
import { basename, cleanText } from "./text.ts";

/** Colours text for a terminal, or returns it unchanged; the command picks one. */
export type Paint = (style: Style | "pill-asking" | "pill-busy" | "pill-idle" | "pill-other" | "header", text: string) => string;
export const noPaint: Paint = (_, text) => text;

const pillStyle = { asking: "pill-asking", busy: "pill-busy", idle: "pill-idle", starting: "pill-other", unknown: "pill-other" } as const;

const TOKEN_COLUMNS: readonly [string, keyof Tokens][] = [
  ["INPUT", "input"],
  ["C.WRITE", "cacheWrite"],
  ["C.READ", "cacheRead"],
  ["OUTPUT", "output"],
];

function stateText(s: Session, now: number): string {
  const age = s.since !== undefined ? humanAge(now - s.since) : "";
  const what = s.state === "asking" ? waitingLabel(s) : s.state === "unknown" ? cleanText(s.status ?? "", 24) : s.background ? "background shell" : "";
  return [what, age].filter((x) => x !== "").join(" · ");
}

/** "warm 3m" (time left) or "expired 12m" (since when); "-" before the first reply. */
function warmthText(s: Session, now: number): string {
  if (!s.cache) return "-";
  return s.cache.state === "warm" ? `warm ${humanAge(s.cache.expiresAt - now)}` : `expired ${humanAge(now - s.cache.expiresAt)}`;
}

/**
 * `ccpulse list`: a line of state pills, then one line per session and a total. Plain columns, no
 * cursor movement, so `watch ccpulse` and pipes work.
 */
export function renderTable(snapshot: Snapshot, paint: Paint, searched: readonly string[], limits: RateLimits = {}, usage?: UsageReport): string {
  const { sessions, counts, generatedAt } = snapshot;
  const usageReport = usage ? usageLines(usage, generatedAt).map((l) => paint("muted", l)) : [];
  if (sessions.length === 0) {
    const where = searched.length > 0 ? searched.map((d) => cleanText(d, 200)).join(", ") : "no Claude config dir found (~/.claude, ~/.config/claude; or set CLAUDE_CONFIG_DIR)";
    return [`No running Claude Code sessions.`, paint("muted", `looked in: ${where}`), ...(usage && usage.month.costUSD > 0 ? ["", ...usageReport] : [])].join("\n");
  }
  const pills = STATES.filter((state) => counts[state] > 0)
    .map((state) => paint(pillStyle[state], ` ${counts[state]} ${state} `))
    .join("  ");

  const header = ["", "SESSION", "STATE", "FOR", "NAME", "MODEL", "CACHE", ...TOKEN_COLUMNS.map(([h]) => h), "COST"];
  const rows = sessions.map((s) => [
    GLYPHS[s.state],
    shortId(s) + (s.liveness === "foreign" ? "?" : ""),
    s.state,
    stateText(s, generatedAt),
    sessionLabel(s, 28) + (s.name && s.cwd && basename(s.cwd) !== s.name ? ` (${cleanText(basename(s.cwd), 20)})` : ""),
    cleanText(s.model ?? "-", 24),
    warmthText(s, generatedAt),
    ...TOKEN_COLUMNS.map(([, key]) => humanCount(s.tokens[key])),
    humanCost(s.costUSD, s.costEstimated),
  ]);
  const total = ["", "TOTAL", "", "", `${sessions.length} session${sessions.length === 1 ? "" : "s"}`, "", "", ...TOKEN_COLUMNS.map(([, key]) => humanCount(snapshot.totals[key])), humanCost(snapshot.totalCostUSD, sessions.some((s) => s.costEstimated))];
  const all = [header, ...rows, total];
  const widths = header.map((_, col) => Math.max(...all.map((r) => Array.from(r[col] ?? "").length)));
  const numeric = (col: number) => col >= header.length - TOKEN_COLUMNS.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => {
        const pad = " ".repeat((widths[col] ?? 0) - Array.from(cell).length);
        return numeric(col) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();

  const body = rows.map((cells, i) => {
    const s = sessions[i] as Session;
    const text = line(cells);
    return s.state === "idle" ? text : paint(s.state, text);
  });
  const windows = limitSegments(limits, generatedAt).map((s) => s.text);
  const report = windows.length > 0 ? [paint("muted", `usage as Claude Code last reported it: ${windows.join("  ")}`)] : [];
  return [pills, paint("header", line(header)), ...body, paint("muted", line(total)), ...report, ...(usage ? ["", ...usageReport] : [])].join("\n");
}
