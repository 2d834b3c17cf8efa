/**
 * A fake Anthropic Messages API for driving the real Claude Code: listens on 127.0.0.1 only, streams
 * SSE the way the real API does (message_start with usage, content blocks, message_delta with
 * stop_reason and final usage, message_stop) and records every response with the usage it actually
 * wrote to the socket, so a test can compare ccpulse's totals with the truth.
 */

/** What the model "answers". `held` streams text until `release()` or until the client hangs up. */
export type Reply =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "held"; readonly text: string }
  | { readonly kind: "tool"; readonly name: string; readonly input: Record<string, unknown> };

export interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** One response, as far as it got. */
export interface Sent {
  readonly n: number;
  /** The `x-claude-code-session-id` request header: the conversation the CLI made the call for. */
  readonly session: string | undefined;
  /** `metadata.user_id.session_id` of the body; recorded to check it agrees with the header. */
  readonly bodySession: string | undefined;
  readonly messageId: string;
  readonly requestId: string;
  readonly kind: Reply["kind"];
  /** The human prompt that chose the reply, or undefined for a tool result / notification turn. */
  readonly prompt: string | undefined;
  /** Conversation turns carry the tool list; the CLI's side requests (the session title) send none. */
  readonly hasTools: boolean;
  readonly model: string;
  /** The last usage written to the stream: message_start's until message_delta went out. */
  usage: Usage;
  finished: boolean;
  aborted: boolean;
}

/** Any request that is not `POST /v1/messages`: recorded, answered 404 (`/api/hello`: 200). */
export interface Stray {
  readonly method: string;
  readonly path: string;
}

export interface FakeApi {
  readonly url: string;
  readonly sent: readonly Sent[];
  readonly strays: readonly Stray[];
  /** Ends every held stream normally (content_block_stop, message_delta, message_stop). */
  release(): void;
  /** Responses still streaming. */
  streaming(): number;
  stop(): Promise<void>;
}

export interface FakeApiOptions {
  /** Picks the reply from the human prompt; `undefined` prompt means the turn continues after a tool result. */
  readonly reply: (prompt: string | undefined) => Reply;
}

// Distinct, recognisable numbers per response, so a total that counts a response twice or drops one
// cannot come out right by accident. Every third response writes part of its cache for 1 h, so the
// 5m/1h split is checked too.
export function usageFor(n: number): Usage {
  const oneHour = n % 3 === 0 ? 40 + n : 0;
  const fiveMinute = 1000 + 37 * n;
  return {
    input_tokens: 3 + n,
    cache_creation_input_tokens: fiveMinute + oneHour,
    cache_read_input_tokens: 10_000 * n,
    output_tokens: 1,
    cache_creation: { ephemeral_5m_input_tokens: fiveMinute, ephemeral_1h_input_tokens: oneHour },
  };
}

const finalOutputTokens = (n: number): number => 20 + 7 * n;

interface Block {
  readonly type: string;
  readonly text?: string;
}
interface Message {
  readonly role: string;
  readonly content: string | readonly Block[];
}

/**
 * The prompt a human typed, from the last user message: its last text block that is not a system
 * reminder. A user message that carries tool results is the model's turn going on, not a new prompt.
 */
export function humanPrompt(messages: readonly Message[]): string | undefined {
  const last = messages.findLast((m) => m.role === "user");
  if (!last) return undefined;
  if (typeof last.content === "string") return last.content;
  if (last.content.some((b) => b.type === "tool_result")) return undefined;
  const texts = last.content.filter((b) => b.type === "text" && typeof b.text === "string" && !b.text.startsWith("<"));
  return texts.at(-1)?.text;
}

interface JsonFormat {
  readonly type?: string;
  readonly schema?: { readonly properties?: Record<string, { readonly type?: string }> };
}

/**
 * A side request that asks for JSON (the CLI's session-title call sends `{title: string}` as
 * output_config.format) gets an object that fits, as a real model would answer.
 */
function schemaReply(format: JsonFormat | undefined): Reply | undefined {
  if (format?.type !== "json_schema") return undefined;
  const fields = Object.entries(format.schema?.properties ?? {}).filter(([, p]) => p.type === "string");
  return { kind: "text", text: JSON.stringify(Object.fromEntries(fields.map(([name]) => [name, "Fake API session"]))) };
}

const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function sessionFromMetadata(body: { metadata?: { user_id?: unknown } }): string | undefined {
  try {
    const userId = body.metadata?.user_id;
    const parsed = typeof userId === "string" ? (JSON.parse(userId) as { session_id?: unknown }) : undefined;
    return typeof parsed?.session_id === "string" ? parsed.session_id : undefined;
  } catch {
    return undefined;
  }
}

export function startFakeApi(options: FakeApiOptions): FakeApi {
  const sent: Sent[] = [];
  const strays: Stray[] = [];
  const held = new Set<() => void>();
  const encoder = new TextEncoder();

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // Held streams write a delta every 200 ms; this only ends a connection the CLI left open and idle.
    idleTimeout: 120,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || url.pathname !== "/v1/messages") {
        strays.push({ method: request.method, path: url.pathname + url.search });
        // The CLI's reachability check of the API host.
        if (url.pathname === "/api/hello") return new Response("OK");
        return new Response("not found", { status: 404 });
      }
      const body = (await request.json()) as {
        model?: string;
        messages?: Message[];
        tools?: unknown[];
        metadata?: { user_id?: unknown };
        output_config?: { format?: JsonFormat };
      };
      const model = body.model ?? "claude-opus-5-5";
      const n = sent.length + 1;
      const prompt = humanPrompt(body.messages ?? []);
      const reply = schemaReply(body.output_config?.format) ?? options.reply(prompt);
      const record: Sent = {
        n,
        session: request.headers.get("x-claude-code-session-id") ?? undefined,
        bodySession: sessionFromMetadata(body),
        messageId: `msg_e2e${String(n).padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`,
        requestId: `req_e2e${String(n).padStart(4, "0")}`,
        kind: reply.kind,
        prompt,
        hasTools: (body.tools?.length ?? 0) > 0,
        model,
        usage: usageFor(n),
        finished: false,
        aborted: false,
      };
      sent.push(record);
      return new Response(stream(record, reply, model, request.signal), {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": record.requestId },
      });
    },
  });

  function stream(record: Sent, reply: Reply, model: string, signal: AbortSignal): ReadableStream<Uint8Array> {
    // The CLI hanging up (Escape) shows as the request's abort signal or as the stream's cancel.
    const hangUp = Promise.withResolvers<false>();
    signal.addEventListener("abort", () => hangUp.resolve(false), { once: true });
    return new ReadableStream({
      async start(controller) {
        const write = (type: string, data: object) => controller.enqueue(encoder.encode(event(type, data)));
        const start = usageFor(record.n);
        record.usage = start;
        write("message_start", {
          message: { id: record.messageId, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: start },
        });
        let stopReason = "end_turn";
        if (reply.kind === "tool") {
          // A text block before the tool_use, as real models write: two transcript rows that repeat one
          // usage (format doc §2.7), which ccpulse has to count once.
          stopReason = "tool_use";
          write("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
          write("content_block_delta", { index: 0, delta: { type: "text_delta", text: `Using ${reply.name}.` } });
          write("content_block_stop", { index: 0 });
          write("content_block_start", { index: 1, content_block: { type: "tool_use", id: `toolu_e2e${record.n}`, name: reply.name, input: {} } });
          write("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: JSON.stringify(reply.input) } });
        } else {
          write("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
          write("content_block_delta", { index: 0, delta: { type: "text_delta", text: reply.text } });
        }
        if (reply.kind === "held") {
          // A slow model: a delta every 200 ms keeps the CLI streaming (and busy) until released.
          const ticking = setInterval(() => {
            try {
              write("content_block_delta", { index: 0, delta: { type: "text_delta", text: " …" } });
            } catch {
              clearInterval(ticking);
            }
          }, 200);
          const released = Promise.withResolvers<true>();
          const release = () => released.resolve(true);
          held.add(release);
          const ended = await Promise.race([released.promise, hangUp.promise]);
          held.delete(release);
          clearInterval(ticking);
          if (!ended) {
            record.aborted = true;
            return;
          }
        }
        write("content_block_stop", { index: reply.kind === "tool" ? 1 : 0 });
        const final: Usage = { ...start, output_tokens: finalOutputTokens(record.n) };
        write("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: final });
        record.usage = final;
        write("message_stop", {});
        record.finished = true;
        controller.close();
      },
      cancel() {
        if (!record.finished) record.aborted = true;
        hangUp.resolve(false);
      },
    });
  }

  return {
    url: `http://127.0.0.1:${server.port}`,
    sent,
    strays,
    release() {
      const waiting = [...held];
      held.clear();
      for (const done of waiting) done();
    },
    streaming: () => sent.filter((s) => !s.finished && !s.aborted).length,
    async stop() {
      this.release();
      await server.stop(true);
    },
  };
}
