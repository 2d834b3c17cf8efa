/** Transcript lines shaped like Claude Code 2.1.328 writes them (see fixtures/…/11-after-exit). */
export interface U {
  input?: number;
  cacheWrite?: number;
  cacheRead?: number;
  output?: number;
  oneHour?: number;
}

export function assistantLine(id: string | undefined, requestId: string | undefined, u: U, opts: { sidechain?: boolean; model?: string; block?: string; at?: string } = {}): string {
  return JSON.stringify({
    parentUuid: "d2a915bd-37f6-45f8-9034-2fd99ec0e464",
    isSidechain: opts.sidechain ?? false,
    message: {
      ...(id !== undefined && { id }),
      type: "message",
      role: "assistant",
      model: opts.model ?? "claude-opus-5-5",
      content: [{ type: "text", text: opts.block ?? "I will run a command." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: u.input ?? 0,
        cache_creation_input_tokens: u.cacheWrite ?? 0,
        cache_read_input_tokens: u.cacheRead ?? 0,
        output_tokens: u.output ?? 0,
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        service_tier: "standard",
        cache_creation: { ephemeral_1h_input_tokens: u.oneHour ?? 0, ephemeral_5m_input_tokens: 0 },
        inference_geo: "",
        iterations: [],
        speed: "standard",
      },
    },
    ...(requestId !== undefined && { requestId }),
    type: "assistant",
    uuid: crypto.randomUUID(),
    timestamp: opts.at ?? "2026-11-21T21:34:09.915Z",
    userType: "external",
    entrypoint: "cli",
    cwd: "/home/dev/code/work/s2",
    sessionId: "6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30",
    version: "2.1.328",
  });
}

/** One API response as several rows, one per content block, the first with message_start usage. */
export function response(id: string, u: U, blocks = 3): string[] {
  const rows: string[] = [];
  for (let b = 0; b < blocks; b++) {
    const partial = b < blocks - 1 ? { ...u, output: 1 } : u;
    rows.push(assistantLine(id, `req_${id}`, partial, { block: `block ${b}` }));
  }
  return rows;
}

/** A user row whose tool result carries a `usage` key (a Task result): must not count. */
export function taskResultLine(): string {
  return JSON.stringify({
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "done" }] },
    toolUseResult: { status: "completed", usage: { input_tokens: 999, output_tokens: 999 }, totalTokens: 1998 },
    uuid: crypto.randomUUID(),
    timestamp: "2026-11-21T21:34:10.000Z",
  });
}

export const metadataLines = (): string[] => [
  '{"type":"mode","mode":"normal","sessionId":"6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30"}',
  '{"type":"permission-mode","permissionMode":"default","sessionId":"6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30"}',
  '{"type":"last-prompt","lastPrompt":"what is the usage of this?","sessionId":"6c045c5b-5fc4-4b18-a0a0-b9d0dc9e1a30"}',
  '{"type":"system","subtype":"turn_duration","durationMs":386,"text":"usage"}',
];

/** The row Claude Code writes when a rate limit is hit (format doc §4): synthetic, zero usage, quotaLimits. */
export function rateLimitLine(at: string, resetsAtSeconds: number, kind = "five_hour"): string {
  return JSON.stringify({
    parentUuid: "d2a915bd-37f6-45f8-9034-2fd99ec0e464",
    isSidechain: false,
    message: {
      id: crypto.randomUUID(),
      model: "<synthetic>",
      role: "assistant",
      type: "message",
      content: [{ type: "text", text: "You've hit your session limit · resets 3pm" }],
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
    type: "assistant",
    error: "rate_limit",
    isApiErrorMessage: true,
    quotaLimits: { status: "rejected", resetsAt: resetsAtSeconds, rateLimitType: kind },
    uuid: crypto.randomUUID(),
    timestamp: at,
  });
}
