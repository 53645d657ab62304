/** Recorded-style Anthropic Messages answers, shaped as api.anthropic.com sends them. */

/** One SSE event. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** The `message` of a `message_start` event: nothing written yet, no stop reason. */
export function openingMessage(
  id: string,
  model: unknown,
  usage: unknown,
): Record<string, unknown> {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
}

/** Encodes events as Anthropic's SSE wire text. */
export function encodeEvents(events: readonly SseEvent[]): string {
  return events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join("");
}

/**
 * A turn like Claude's with interleaved thinking: thinking (with signature), text, then a
 * tool_use whose input arrives in pieces split mid-token, ending with stop_reason tool_use.
 */
export function thinkingTextToolTurn(model: string): SseEvent[] {
  const ev = (event: string, data: Record<string, unknown>) => ({
    event,
    data: { type: event, ...data },
  });
  return [
    ev("message_start", {
      message: {
        id: "msg_01XFDUDYJgAACzvnptvVoYEL",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 2095,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          output_tokens: 1,
          service_tier: "standard",
        },
      },
    }),
    ev("ping", {}),
    ev("content_block_start", {
      index: 0,
      content_block: { type: "thinking", thinking: "", signature: "" },
    }),
    ev("content_block_delta", {
      index: 0,
      delta: { type: "thinking_delta", thinking: "The user wants a file. " },
    }),
    ev("content_block_delta", {
      index: 0,
      delta: { type: "thinking_delta", thinking: "I'll use Write." },
    }),
    ev("content_block_delta", {
      index: 0,
      delta: {
        type: "signature_delta",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
      },
    }),
    ev("content_block_stop", { index: 0 }),
    ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
    ev("content_block_delta", {
      index: 1,
      delta: { type: "text_delta", text: "Creating the file" },
    }),
    ev("content_block_delta", {
      index: 1,
      delta: { type: "text_delta", text: " now — ✓ “quoted” 😀." },
    }),
    ev("content_block_stop", { index: 1 }),
    ev("content_block_start", {
      index: 2,
      content_block: {
        type: "tool_use",
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: "Write",
        input: {},
      },
    }),
    ev("content_block_delta", { index: 2, delta: { type: "input_json_delta", partial_json: "" } }),
    ev("content_block_delta", {
      index: 2,
      delta: { type: "input_json_delta", partial_json: '{"file_pa' },
    }),
    ev("content_block_delta", {
      index: 2,
      delta: { type: "input_json_delta", partial_json: 'th": "/tmp/a.txt", "content": "line\\' },
    }),
    ev("content_block_delta", {
      index: 2,
      delta: { type: "input_json_delta", partial_json: 'n2"}' },
    }),
    ev("content_block_stop", { index: 2 }),
    ev("message_delta", {
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 89 },
    }),
    ev("message_stop", {}),
  ];
}

/** A plain text turn of `n` text deltas (used for relay timing and benchmarks). */
export function textTurn(model: string, n: number): SseEvent[] {
  const events = thinkingTextToolTurn(model).slice(0, 2);
  events.push({
    event: "content_block_start",
    data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  });
  for (let i = 0; i < n; i++) {
    events.push({
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: `token${i} ` },
      },
    });
  }
  events.push(
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: n },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  );
  return events;
}

/** The non-streaming Message for {@link thinkingTextToolTurn}. */
export function thinkingTextToolMessage(model: string): Record<string, unknown> {
  return {
    id: "msg_01XFDUDYJgAACzvnptvVoYEL",
    type: "message",
    role: "assistant",
    model,
    content: [
      {
        type: "thinking",
        thinking: "The user wants a file. I'll use Write.",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
      },
      { type: "text", text: "Creating the file now." },
      {
        type: "tool_use",
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: "Write",
        input: { file_path: "/tmp/a.txt", content: "line\n2" },
      },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: {
      input_tokens: 2095,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 89,
    },
  };
}

/** Anthropic's error body for a status. */
export function anthropicErrorBody(type: string, message: string): Record<string, unknown> {
  return { type: "error", error: { type, message }, request_id: "req_011CSHoEeqs5C35K2UUqR7Fy" };
}

/** A one-text-block answer ("hi" unless said) with the given token counts. */
export function textMessage(
  model: string,
  usage: { input_tokens: number; output_tokens: number },
  text = "hi",
): Record<string, unknown> {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage,
  };
}

/**
 * A streamed text answer whose deltas each wait for `before(i)` first: a stream held open, or
 * slow, for as long as a test needs. It starts as `textMessage(model, 10 in, 5 out)` does.
 */
export function pacedStream(
  model: string,
  texts: readonly string[],
  before: (i: number) => Promise<unknown>,
): ReadableStream<Uint8Array> {
  const event = (type: string, data: Record<string, unknown>) =>
    new TextEncoder().encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const message = textMessage(model, { input_tokens: 10, output_tokens: 5 });
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(event("message_start", {
        message: { ...message, content: [], stop_reason: null },
      }));
      controller.enqueue(event("content_block_start", {
        index: 0,
        content_block: { type: "text", text: "" },
      }));
      for (const [i, text] of texts.entries()) {
        await before(i);
        controller.enqueue(event("content_block_delta", {
          index: 0,
          delta: { type: "text_delta", text },
        }));
      }
      controller.enqueue(event("content_block_stop", { index: 0 }));
      controller.enqueue(event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 5 },
      }));
      controller.enqueue(event("message_stop", {}));
      controller.close();
    },
  });
}
