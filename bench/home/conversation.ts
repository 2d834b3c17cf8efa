/**
 * Transcript rows shaped like Claude Code 2.1.328 writes them (shared/claude-code-format.md §2, and the
 * captures in shared/fixtures/claude-code-2.1.328): compact JSON, one row per line, the same key order.
 * Every usage the generator emits is also added to `tokens`, the expected total, following the rules a
 * reader must apply: one count per message.id + requestId (the largest), no `<synthetic>` rows, no
 * sidechain replays of a parent message, nothing from a `usage` key outside an assistant row.
 */
import type { Random } from "./random.ts";
import type { Sink } from "./sink.ts";
import { type Blob, type Pool, prose } from "./text.ts";
import { type Tokens, type Usage, addTokens, usageTokens, zeroTokens } from "./tokens.ts";

export const CLAUDE_VERSION = "2.1.328";
const MODELS = ["claude-opus-5-5", "claude-sonnet-5-1", "claude-haiku-4-5-20251001"];
export type CacheMode = "unsplit" | "5m" | "1h" | "mixed";

/** Where a conversation stands between rows; saved in state.json so `--append` carries on. */
export interface Cursor {
  lastUuid: string | null;
  clock: number;
  stepMs: number;
  /** Tokens the next API call finds already cached. */
  context: number;
  promptIndex: number;
  model: string;
  cacheMode: CacheMode;
}

export function newCursor(rng: Random, start: number, stepMs: number): Cursor {
  const r = rng.float();
  const cacheMode: CacheMode = r < 0.4 ? "unsplit" : r < 0.7 ? "5m" : r < 0.9 ? "1h" : "mixed";
  return { lastUuid: null, clock: start, stepMs, context: 0, promptIndex: 0, model: rng.pick(MODELS), cacheMode };
}

/** The last complete main-chain response, which a `/btw` side question replays in its sidechain file. */
export interface Response {
  readonly messageId: string;
  readonly model: string;
  readonly rows: readonly { readonly block: Block; readonly usage: string; readonly stop: string }[];
}

export interface Identity {
  readonly sessionId: string;
  /** JSON-encoded cwd, with quotes. */
  readonly cwdJson: string;
  readonly gitBranch: string;
  /** Set for a sub-agent transcript: every row is a sidechain row carrying it. */
  readonly agentId?: string;
}

/** Opens a sub-agent transcript for an Agent tool call; runs it to the end and returns its last usage. */
export type AgentRunner = (prompt: string, cap: number) => { agentId: string; usage: Usage; durationMs: number; toolUses: number };

/** A content block as JSON: text, or parts with shared payload buffers spliced in. */
type Block = string | readonly (string | Buffer)[];

type Tool = "Bash" | "Read" | "Edit" | "Write" | "Grep" | "Agent";
const TOOLS: readonly (readonly [Tool, number])[] = [
  ["Bash", 30],
  ["Read", 35],
  ["Edit", 12],
  ["Write", 5],
  ["Grep", 15],
  ["Agent", 3],
];
const PROMPTS = [
  "run the tests and tell me if they pass",
  "why is the cold call slow on a 2 GB home?",
  "refactor the transcript reader so it streams",
  "add a --pretty flag to the json command",
  "look at the failing CI job and fix it",
  "explain what the offset cache stores",
];

export class Conversation {
  /** The next assistant row gets leading NUL bytes, which Claude Code's reader strips (format doc §2.4). */
  nulNext = false;
  lastResponse: Response | undefined;
  private readonly head: string;
  private readonly tail: string;

  constructor(
    private readonly rng: Random,
    private readonly pool: Pool,
    public sink: Sink,
    private readonly who: Identity,
    readonly cursor: Cursor,
    private readonly tokens: Tokens,
    private readonly runAgent?: AgentRunner,
  ) {
    this.head = who.agentId === undefined ? `"isSidechain":false` : `"isSidechain":true`;
    const agent = who.agentId === undefined ? "" : `"agentId":"${who.agentId}",`;
    this.tail = `${agent}"userType":"external","entrypoint":"cli","cwd":${who.cwdJson},"sessionId":"${who.sessionId}","version":"${CLAUDE_VERSION}","gitBranch":"${who.gitBranch}"}\n`;
  }

  get sidechain(): boolean {
    return this.who.agentId !== undefined;
  }

  private put(part: string | Buffer): void {
    this.sink.put(part);
  }

  private tick(): string {
    this.cursor.clock += 1 + Math.floor(this.rng.float() * 2 * this.cursor.stepMs);
    return new Date(this.cursor.clock).toISOString();
  }

  private parent(): string {
    return this.cursor.lastUuid === null ? "null" : `"${this.cursor.lastUuid}"`;
  }

  private messageId = () => `msg_01${this.rng.base62(22)}`;
  private requestId = () => `req_011C${this.rng.base62(20)}`;
  private toolUseId = () => `toolu_01${this.rng.base62(22)}`;

  // ---- metadata rows (main transcript only; no uuid, no usage) ----

  metadata(): void {
    const sid = this.who.sessionId;
    this.put(`{"type":"mode","mode":"normal","sessionId":"${sid}"}\n`);
    this.put(`{"type":"permission-mode","permissionMode":"default","sessionId":"${sid}"}\n`);
    this.put(`{"type":"atis-latch","atis":"","sessionId":"${sid}"}\n`);
  }

  private fileHistorySnapshot(messageId: string): void {
    const ts = new Date(this.cursor.clock).toISOString();
    this.put(
      `{"type":"file-history-snapshot","messageId":"${messageId}","snapshot":{"messageId":"${messageId}","trackedFileBackups":{},"timestamp":"${ts}"},"isSnapshotUpdate":false}\n`,
    );
  }

  private lastPrompt(prompt: string): void {
    this.put(`{"type":"last-prompt","lastPrompt":${JSON.stringify(prompt)},"leafUuid":"${this.cursor.lastUuid}","sessionId":"${this.who.sessionId}"}\n`);
  }

  /** What Claude Code appends at exit: cost-state, a snapshot, last-prompt, cost-state again (11-after-exit). */
  exitRows(): void {
    const sid = this.who.sessionId;
    const cost = `{"type":"cost-state","sessionId":"${sid}","totalCostUSD":${(this.rng.float() * 40).toFixed(6)},"totalAPIDuration":${this.rng.int(1000, 9_000_000)},"totalAPIDurationWithoutRetries":${this.rng.int(1000, 9_000_000)},"totalToolDuration":${this.rng.int(0, 900_000)},"totalLinesAdded":${this.rng.int(0, 5000)},"totalLinesRemoved":${this.rng.int(0, 3000)},"totalDuration":${this.rng.int(10_000, 90_000_000)},"startTime":${this.cursor.clock - 3_600_000},"modelUsage":{"${this.cursor.model}":{"inputTokens":${this.tokens.input},"outputTokens":${this.tokens.output},"thinkingTokens":0,"cacheReadInputTokens":${this.tokens.cacheRead},"cacheCreationInputTokens":${this.tokens.cacheWrite},"cacheCreationEphemeral5mInputTokens":0,"cacheCreationEphemeral1hInputTokens":0,"webSearchRequests":0,"costUSD":1.5}},"hasUnknownModelCost":false}\n`;
    this.put(cost);
    this.fileHistorySnapshot(this.rng.uuid());
    this.lastPrompt(this.rng.pick(PROMPTS));
    this.put(cost);
  }

  // ---- conversation rows ----

  private userPrompt(text: string, promptId: string): void {
    const uuid = this.rng.uuid();
    const ts = this.tick();
    const origin = this.sidechain ? "" : `"permissionMode":"default","origin":{"kind":"human"},"promptSource":"typed","turnOrigin":"human","turnPosition":{"promptIndex":${this.cursor.promptIndex},"turnIndex":1},`;
    this.put(
      `{"parentUuid":${this.parent()},${this.head},"promptId":"${promptId}","type":"user","message":{"role":"user","content":${JSON.stringify(text)}},"uuid":"${uuid}","timestamp":"${ts}",${origin}${this.tail}`,
    );
    this.cursor.lastUuid = uuid;
  }

  private attachment(body: string | readonly (string | Buffer)[]): void {
    const uuid = this.rng.uuid();
    this.put(`{"parentUuid":${this.parent()},${this.head},"attachment":`);
    if (typeof body === "string") this.put(body);
    else for (const part of body) this.put(part);
    this.put(`,"type":"attachment","uuid":"${uuid}","timestamp":"${this.tick()}","session_id":"${this.who.sessionId}",${this.tail}`);
    this.cursor.lastUuid = uuid;
  }

  /** The context Claude Code attaches to a session's first prompt, ~35 KB as in the captures. */
  private firstPromptAttachments(): number {
    const p = this.pool;
    this.attachment(`{"type":"environment","snapshot":{"workingDirectory":${this.who.cwdJson},"isWorktree":false,"isGitRepo":true,"additionalWorkingDirectories":[],"platform":"linux","shell":"bash","osVersion":"Linux 6.18.44"}}`);
    const family = this.cursor.model.split("-")[1] ?? "opus";
    const marketing = `${family.charAt(0).toUpperCase()}${family.slice(1)}`;
    this.attachment(`{"type":"model","identity":{"modelId":"${this.cursor.model}","marketingName":"${marketing}","knowledgeCutoff":"June 2026"},"text":"You are powered by the model named ${marketing}. The exact model ID is ${this.cursor.model}."}`);
    this.attachment(`{"type":"deferred_tools_delta","addedNames":["CronCreate","CronDelete","EnterPlanMode","ExitPlanMode","Monitor","NotebookEdit","WebFetch","WebSearch"],"removedNames":[],"pendingMcpServers":[],"failedMcpServers":[]}`);
    this.attachment([`{"type":"agent_listing_delta","addedTypes":["general-purpose","Explore","Plan"],"addedLines":[`, p.agents.json, `],"isInitial":true}`]);
    this.attachment([`{"type":"skill_listing","content":`, p.skills.json, `,"skillCount":12,"isInitial":true}`]);
    this.attachment(`{"type":"date","date":"${new Date(this.cursor.clock).toISOString().slice(0, 10)}"}`);
    this.attachment([`{"type":"prompt_snapshot","systemPrompt":[`, p.systemPrompt.json, `],"reminderFold":false,"contextRendering":"inline"}`]);
    return Math.ceil((p.agents.bytes + p.skills.bytes + p.systemPrompt.bytes) / 4) + 9_000;
  }

  private promptSnapshot(): void {
    const p = this.pool;
    this.attachment([`{"type":"prompt_snapshot","systemPrompt":[`, p.systemPrompt.json, `],"tools":[`, p.toolSchemas.json, `],"cliPrefix":"You are Claude Code, Anthropic's official CLI for Claude.","reminderFold":false,"contextRendering":"inline"}`]);
  }

  private apiRequestShape(): void {
    const p = this.pool;
    this.put(`{"type":"api-request-shape","sessionId":"${this.who.sessionId}","shapeHash":"${this.rng.hex(64)}","timestamp":"${this.tick()}","version":"${CLAUDE_VERSION}","shape":{"system":[{"type":"text","text":`);
    this.put(p.systemPrompt.json);
    this.put(`}],"tools":[{"name":"Bash","description":`);
    this.put(p.toolSchemas.json);
    this.put(`}]}}\n`);
  }

  private apiRequest(ref: string): void {
    const sid = this.who.sessionId;
    if (this.rng.chance(0.5)) {
      this.put(`{"type":"api-request-blob","sessionId":"${sid}","hash":"${this.rng.hex(64)}","message":{"role":"user","content":[{"type":"text","text":`);
      this.put(this.rng.pick(this.pool.requestBlobs).json);
      this.put(`}]}}\n`);
    }
    this.put(
      `{"type":"api-request","sessionId":"${sid}","id":"${ref}","timestamp":"${this.tick()}","version":"${CLAUDE_VERSION}","querySource":"${this.sidechain ? "agent:custom" : "repl_main_thread"}","shapeHash":"${this.rng.hex(64)}","params":{"model":"${this.cursor.model}","betas":["claude-code-20250219","interleaved-thinking-2025-05-14","context-management-2025-06-27"],"max_tokens":128000,"thinking":{"type":"adaptive","display":"updates"},"output_config":{"effort":"medium"}},"keep":${this.rng.int(0, 40)},"tail":["${this.rng.hex(64)}","${this.rng.hex(64)}"],"cacheControl":[{"path":["system",0],"value":{"type":"ephemeral"}}],"requestDigest":"${this.rng.hex(64)}"}\n`,
    );
  }

  /** Usage of the next API call, which reads the cached context and writes `fresh` new tokens to the cache. */
  private nextUsage(fresh: number, output: number): Usage {
    const rng = this.rng;
    let cacheRead = this.cursor.context;
    let cacheCreation = fresh;
    let input = rng.int(1, 12);
    if (rng.chance(0.04)) {
      // The 5-minute cache expired: the whole prefix is written again.
      cacheCreation += cacheRead;
      cacheRead = 0;
    } else if (rng.chance(0.02)) {
      input += cacheCreation;
      cacheCreation = 0;
    }
    this.cursor.context += fresh + output;
    let ephemeral5m = 0;
    let ephemeral1h = 0;
    switch (this.cursor.cacheMode) {
      case "unsplit":
        break;
      case "5m":
        ephemeral5m = cacheCreation;
        break;
      case "1h":
        ephemeral1h = cacheCreation;
        break;
      case "mixed":
        ephemeral1h = rng.int(0, cacheCreation);
        ephemeral5m = cacheCreation - ephemeral1h;
        // Rarely a 1h count above the total: readers must clamp it.
        if (rng.chance(0.05)) ephemeral1h = cacheCreation + rng.int(1, 5000);
        break;
    }
    return { input, cacheCreation, cacheRead, output, ephemeral5m, ephemeral1h };
  }

  private usageJson(u: Usage): string {
    return `{"input_tokens":${u.input},"cache_creation_input_tokens":${u.cacheCreation},"cache_read_input_tokens":${u.cacheRead},"output_tokens":${u.output},"output_tokens_details":{"thinking_tokens":0},"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":${u.ephemeral1h},"ephemeral_5m_input_tokens":${u.ephemeral5m}},"inference_geo":"","iterations":[],"speed":"standard","fallback_credit":null}`;
  }

  private assistantRow(messageId: string, requestId: string, ref: string, block: Block, index: number, stop: string, usage: string, model = this.cursor.model): void {
    const uuid = this.rng.uuid();
    if (this.nulNext) {
      this.put(Buffer.alloc(8));
      this.nulNext = false;
    }
    this.put(`{"parentUuid":${this.parent()},${this.head},"message":{"id":"${messageId}","type":"message","role":"assistant","model":"${model}","content":[`);
    if (typeof block === "string") this.put(block);
    else for (const part of block) this.put(part);
    this.put(
      `],"stop_reason":${stop},"stop_sequence":null,"usage":${usage},"stop_details":null},"apiBlockIndex":${index},"requestId":"${requestId}","requestRef":"${ref}","requestedModel":"${model}","promptCacheRequested":"5m","type":"assistant","uuid":"${uuid}","timestamp":"${this.tick()}","effort":"medium","perTurnEffort":"medium","madeBy":"model","session_id":"${this.who.sessionId}",${this.tail}`,
    );
    this.cursor.lastUuid = uuid;
  }

  /**
   * One API response: one row per content block, each repeating the usage. Sometimes the first row
   * still has the message_start usage (a streaming partial, lower output): the reader must keep the larger.
   */
  private respond(blocks: readonly Block[], stop: string, usage: Usage, ref: string, into: Tokens = this.tokens): void {
    const messageId = this.messageId();
    const requestId = this.requestId();
    const final = this.usageJson(usage);
    const partial = blocks.length > 1 && usage.output > 8 && this.rng.chance(0.15) ? this.usageJson({ ...usage, output: this.rng.int(1, 8) }) : undefined;
    const rows = blocks.map((block, i) => {
      const isPartial = i === 0 && partial !== undefined;
      const row = { block, usage: isPartial ? partial : final, stop: isPartial ? "null" : stop };
      this.assistantRow(messageId, requestId, ref, block, i, row.stop, row.usage);
      return row;
    });
    addTokens(into, usageTokens(usage));
    if (!this.sidechain) this.lastResponse = { messageId, model: this.cursor.model, rows };
  }

  private thinkingBlock(): string {
    return `{"type":"thinking","thinking":${JSON.stringify(prose(this.rng, this.rng.int(60, 400)))},"signature":"${this.rng.base62(this.rng.int(200, 900))}"}`;
  }

  private textBlock(): Block {
    return [`{"type":"text","text":`, this.pool.answer(this.rng).json, `}`];
  }

  /** A tool call: its tool_use block, the tokens it outputs, and a writer for the tool_result row that follows. */
  private toolCall(cap: number): { block: Block; output: number; result: (assistantUuid: string, promptId: string) => number } {
    const rng = this.rng;
    let tool = this.pickTool();
    if (tool === "Agent" && (this.sidechain || this.runAgent === undefined)) tool = "Read";
    const id = this.toolUseId();
    const path = `"/home/dev/code/src/${rng.pick(["reader", "cache", "probe", "render", "cli"])}${rng.int(1, 40)}.ts"`;
    const resultRow = (assistantUuid: string, promptId: string, content: readonly (string | Buffer)[], toolUseResult: readonly (string | Buffer)[]) => {
      const uuid = rng.uuid();
      this.put(`{"parentUuid":"${assistantUuid}",${this.head},"promptId":"${promptId}","type":"user","message":{"role":"user","content":[{"tool_use_id":"${id}","type":"tool_result","content":`);
      for (const part of content) this.put(part);
      this.put(`,"is_error":false}]},"uuid":"${uuid}","timestamp":"${this.tick()}","toolUseResult":`);
      for (const part of toolUseResult) this.put(part);
      this.put(`,"sandboxed":false,"sourceToolAssistantUUID":"${assistantUuid}","session_id":"${this.who.sessionId}",${this.tail}`);
      this.cursor.lastUuid = uuid;
    };
    switch (tool) {
      case "Bash": {
        const out = this.pool.output(rng, cap / 2);
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Bash","input":{"command":"make test 2>&1 | tail -n 400","description":"Run the test suite"}}`],
          output: rng.int(40, 200),
          result: (a, p) => {
            resultRow(a, p, [out.json], [`{"stdout":`, out.json, `,"stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}`]);
            return out.tokens;
          },
        };
      }
      case "Read": {
        const file = this.pool.file(rng, cap / 2);
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Read","input":{"file_path":${path}}}`],
          output: rng.int(30, 120),
          result: (a, p) => {
            resultRow(a, p, [file.json], [`{"type":"text","file":{"filePath":${path},"content":`, file.json, `,"numLines":${file.lines},"startLine":1,"totalLines":${file.lines}}}`]);
            return file.tokens;
          },
        };
      }
      case "Edit": {
        const original = this.pool.file(rng, cap / 2);
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Edit","input":{"file_path":${path},"old_string":"return cursor;","new_string":"return { ...cursor, offset };"}}`],
          output: rng.int(80, 600),
          result: (a, p) => {
            resultRow(
              a,
              p,
              [`"The file ${path.slice(1, -1)} has been updated successfully."`],
              [`{"filePath":${path},"oldString":"return cursor;","newString":"return { ...cursor, offset };","originalFile":`, original.json, `,"structuredPatch":[{"oldStart":12,"oldLines":1,"newStart":12,"newLines":1,"lines":["-  return cursor;","+  return { ...cursor, offset };"]}],"userModified":false,"replaceAll":false}`],
            );
            return 200;
          },
        };
      }
      case "Write": {
        const content = this.pool.file(rng, cap / 2);
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Write","input":{"file_path":${path},"content":`, content.json, `}}`],
          output: content.tokens + rng.int(20, 80),
          result: (a, p) => {
            resultRow(a, p, [`"File created successfully at: ${path.slice(1, -1)}"`], [`{"type":"create","filePath":${path},"content":`, content.json, `,"structuredPatch":[],"originalFile":null}`]);
            return 50;
          },
        };
      }
      case "Grep": {
        const files = Array.from({ length: rng.int(1, 30) }, (_, i) => `"src/module${i}/index.ts"`).join(",");
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Grep","input":{"pattern":"usage","path":"src","output_mode":"files_with_matches"}}`],
          output: rng.int(30, 90),
          result: (a, p) => {
            resultRow(a, p, [JSON.stringify(`Found ${files.split(",").length} files\n${files.replaceAll('"', "").replaceAll(",", "\n")}`)], [`{"mode":"files_with_matches","filenames":[${files}],"numFiles":${files.split(",").length}}`]);
            return 300;
          },
        };
      }
      case "Agent": {
        const prompt = `Investigate ${rng.pick(PROMPTS)} and report back in under 200 words.`;
        return {
          block: [`{"type":"tool_use","id":"${id}","name":"Agent","input":{"description":"Investigate","prompt":${JSON.stringify(prompt)},"subagent_type":"general-purpose"}}`],
          output: rng.int(60, 300),
          result: (a, p) => {
            const run = (this.runAgent as AgentRunner)(prompt, cap);
            const answer = this.pool.answer(rng);
            const u = run.usage;
            // The Agent tool's result carries a `usage` object of its own: inside a user row, so it never counts.
            const usage = `{"input_tokens":${u.input},"cache_creation_input_tokens":${u.cacheCreation},"cache_read_input_tokens":${u.cacheRead},"output_tokens":${u.output},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":${u.ephemeral1h},"ephemeral_5m_input_tokens":${u.ephemeral5m}}}`;
            resultRow(
              a,
              p,
              [`[{"type":"text","text":`, answer.json, `}]`],
              [`{"status":"completed","prompt":${JSON.stringify(prompt)},"agentId":"${run.agentId}","content":[{"type":"text","text":`, answer.json, `}],"totalDurationMs":${run.durationMs},"totalTokens":${u.input + u.cacheCreation + u.cacheRead + u.output},"totalToolUseCount":${run.toolUses},"usage":${usage}}`],
            );
            return answer.tokens;
          },
        };
      }
    }
  }

  private pickTool(): Tool {
    let r = this.rng.float() * TOOLS.reduce((sum, [, w]) => sum + w, 0);
    for (const [tool, weight] of TOOLS) {
      r -= weight;
      if (r < 0) return tool;
    }
    return "Read";
  }

  private turnDuration(messages: number): void {
    const uuid = this.rng.uuid();
    this.put(
      `{"parentUuid":${this.parent()},${this.head},"type":"system","subtype":"turn_duration","durationMs":${this.rng.int(300, 600_000)},"messageCount":${messages},"timestamp":"${this.tick()}","uuid":"${uuid}","isMeta":false,${this.tail}`,
    );
    this.cursor.lastUuid = uuid;
  }

  /** A local error notice: model `<synthetic>`. Real ones carry zero usage; non-zero here so a reader that counts them shows it. */
  private synthetic(): void {
    const uuid = this.rng.uuid();
    const usage = this.usageJson({ input: 7, cacheCreation: 11, cacheRead: 13, output: 17, ephemeral5m: 0, ephemeral1h: 0 });
    this.put(
      `{"parentUuid":${this.parent()},${this.head},"type":"assistant","uuid":"${uuid}","timestamp":"${this.tick()}","message":{"id":"${this.rng.uuid()}","container":null,"model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence","stop_sequence":"","type":"message","usage":${usage},"content":[{"type":"text","text":"API Error: Request rejected (429) · rate limited"}]},"error":"rate_limit","isApiErrorMessage":true,${this.tail}`,
    );
    this.cursor.lastUuid = uuid;
  }

  /** Auto-compaction when the context nears the window: a boundary row, a summary, and a small context again. */
  private compact(): void {
    const boundary = this.rng.uuid();
    this.put(
      `{"parentUuid":null,"logicalParentUuid":${this.parent()},${this.head},"type":"system","subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,"timestamp":"${this.tick()}","uuid":"${boundary}","level":"info","compactMetadata":{"trigger":"auto","preTokens":${this.cursor.context}},${this.tail}`,
    );
    const summary = this.rng.uuid();
    this.put(`{"parentUuid":"${boundary}",${this.head},"type":"user","message":{"role":"user","content":`);
    this.put(this.pool.answer(this.rng).json);
    this.put(`},"isVisibleInTranscriptOnly":true,"isCompactSummary":true,"uuid":"${summary}","timestamp":"${this.tick()}",${this.tail}`);
    this.cursor.lastUuid = summary;
    this.cursor.context = this.rng.int(15_000, 30_000);
  }

  /**
   * One human prompt and the agentic loop it starts: API calls, tool calls and results, until a
   * final answer. `cap` bounds the size of any one tool result, and the turn ends at the next call
   * once `budgetLeft()` is spent, so `--append` stays near its budget: a turn of up to 10 calls (and
   * the Agent runs among them) made a 1 MiB append to the large bench home's 20 live sessions write
   * 2.3-2.8 MiB, ~52 KB each asked.
   */
  prompt(cap: number, budgetLeft: () => number = () => Number.POSITIVE_INFINITY): void {
    const rng = this.rng;
    const first = this.cursor.promptIndex === 0;
    this.cursor.promptIndex++;
    const promptId = rng.uuid();
    const text = rng.pick(PROMPTS);
    if (!this.sidechain) {
      if (first || rng.chance(0.7)) this.metadata();
      if (rng.chance(0.1)) this.put(`{"type":"tools-used","tools":["Bash","Read","Edit"],"sessionId":"${this.who.sessionId}"}\n`);
    }
    const userUuid = rng.uuid();
    if (!this.sidechain) this.fileHistorySnapshot(userUuid);
    this.userPrompt(text, promptId);
    let fresh = 30 + (first && !this.sidechain ? this.firstPromptAttachments() : 0);
    if (first && !this.sidechain) this.apiRequestShape();
    const calls = this.sidechain ? rng.int(2, 6) : rng.int(1, 10);
    let messages = 1;
    for (let call = 1; call <= calls; call++) {
      const ref = rng.uuid();
      this.apiRequest(ref);
      if (rng.chance(0.01)) {
        // Escape while streaming: a lone partial row with output 1, then the interruption notice.
        const usage = this.nextUsage(fresh, 1);
        this.assistantRow(this.messageId(), this.requestId(), ref, this.textBlock(), 0, "null", this.usageJson(usage));
        addTokens(this.tokens, usageTokens(usage));
        this.userPrompt("[Request interrupted by user]", promptId);
        return;
      }
      const last = call === calls || budgetLeft() <= 0;
      const blocks: Block[] = [];
      if (rng.chance(0.4)) blocks.push(this.thinkingBlock());
      if (rng.chance(0.6) || last) blocks.push(this.textBlock());
      if (last) {
        this.respond(blocks, `"end_turn"`, this.nextUsage(fresh, rng.int(20, 1500)), ref);
        messages++;
        break;
      }
      const tool = this.toolCall(cap);
      blocks.push(tool.block);
      this.respond(blocks, `"tool_use"`, this.nextUsage(fresh, tool.output + rng.int(0, 400)), ref);
      fresh = 20 + tool.result(this.cursor.lastUuid as string, promptId);
      messages += 2;
      if (!this.sidechain && rng.chance(0.05)) this.promptSnapshot();
    }
    if (this.sidechain) return;
    if (rng.chance(0.02)) this.synthetic();
    this.turnDuration(messages);
    this.lastPrompt(text);
    if (first) this.put(`{"type":"ai-title","aiTitle":${JSON.stringify(text.slice(0, 40))},"sessionId":"${this.who.sessionId}"}\n`);
    if (this.cursor.context > 170_000) this.compact();
  }

  /**
   * A `/btw` side question: its sidechain file first replays the parent's last response with the same
   * message.id but another requestId (ccusage issue #913), which must not count again; then it asks and
   * gets one answer of its own, which does.
   */
  replay(parent: Response): void {
    const requestId = this.requestId();
    const ref = this.rng.uuid();
    parent.rows.forEach((row, i) => this.assistantRow(parent.messageId, requestId, ref, row.block, i, row.stop, row.usage, parent.model));
    this.userPrompt("btw, which file holds the cache layout?", this.rng.uuid());
    const answerRef = this.rng.uuid();
    this.apiRequest(answerRef);
    this.respond([this.textBlock()], `"end_turn"`, this.nextUsage(40, this.rng.int(20, 300)), answerRef);
  }

  /**
   * A sub-agent's run: a prompt, a few tool calls, a final answer. Returns its last usage. Its answer
   * comes at the next call once its file holds `cap` bytes (the size its parent's tool results are held to).
   */
  runAsAgent(prompt: string, cap: number): Usage {
    const rng = this.rng;
    this.userPrompt(prompt, rng.uuid());
    let fresh = rng.int(6_000, 12_000);
    const calls = rng.int(2, 6);
    let last: Usage | undefined;
    for (let call = 1; call <= calls; call++) {
      const ref = rng.uuid();
      this.apiRequest(ref);
      if (call === calls || this.sink.written >= cap) {
        last = this.nextUsage(fresh, rng.int(100, 900));
        this.respond([this.textBlock()], `"end_turn"`, last, ref);
        break;
      }
      const tool = this.toolCall(cap);
      last = this.nextUsage(fresh, tool.output);
      this.respond([tool.block], `"tool_use"`, last, ref);
      fresh = 20 + tool.result(this.cursor.lastUuid as string, rng.uuid());
    }
    if (last === undefined) throw new Error("an agent run makes at least one call");
    return last;
  }

  /**
   * Writes a complete single-row answer into `sink` instead of the file: the caller writes only its
   * first half, as a transcript looks while Claude Code is still writing that line.
   */
  answerInto(sink: Sink): Tokens {
    const saved = this.sink;
    const pending = zeroTokens();
    this.sink = sink;
    const ref = this.rng.uuid();
    this.respond([this.textBlock()], `"end_turn"`, this.nextUsage(50, this.rng.int(20, 600)), ref, pending);
    this.sink = saved;
    return pending;
  }

  /** A single tool result of `bytes` (half in the message, half in toolUseResult): one line far past any read chunk. */
  hugeToolResult(bytes: number, piece: Blob): void {
    const rng = this.rng;
    const ref = rng.uuid();
    this.apiRequest(ref);
    const id = this.toolUseId();
    this.respond([[`{"type":"tool_use","id":"${id}","name":"Bash","input":{"command":"cat build.log","description":"Show the build log"}}`]], `"tool_use"`, this.nextUsage(50, 40), ref);
    const assistantUuid = this.cursor.lastUuid as string;
    const inner = piece.json.subarray(1, piece.json.length - 1);
    const repeats = Math.max(1, Math.round(bytes / 2 / inner.length));
    const uuid = rng.uuid();
    this.put(`{"parentUuid":"${assistantUuid}",${this.head},"promptId":"${rng.uuid()}","type":"user","message":{"role":"user","content":[{"tool_use_id":"${id}","type":"tool_result","content":"`);
    for (let i = 0; i < repeats; i++) this.put(inner);
    this.put(`","is_error":false}]},"uuid":"${uuid}","timestamp":"${this.tick()}","toolUseResult":{"stdout":"`);
    for (let i = 0; i < repeats; i++) this.put(inner);
    this.put(`","stderr":"","interrupted":false,"isImage":false},"sourceToolAssistantUUID":"${assistantUuid}",${this.tail}`);
    this.cursor.lastUuid = uuid;
    const answerRef = rng.uuid();
    this.apiRequest(answerRef);
    this.respond([this.textBlock()], `"end_turn"`, this.nextUsage(Math.ceil(bytes / 8), rng.int(50, 400)), answerRef);
    this.turnDuration(4);
  }
}
