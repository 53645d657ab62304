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

/** An Anthropic SSE event: `data` carries its `type`, as the API's do. */
export function sseEvent(event: string, data: Record<string, unknown> = {}): SseEvent {
  return { event, data: { type: event, ...data } };
}

/** A content block's events: its start with `block`, a delta for each of `deltas`, its stop. */
export function blockEvents(
  index: number,
  block: Record<string, unknown>,
  deltas: readonly Record<string, unknown>[],
): SseEvent[] {
  return [
    sseEvent("content_block_start", { index, content_block: block }),
    ...deltas.map((delta) => sseEvent("content_block_delta", { index, delta })),
    sseEvent("content_block_stop", { index }),
  ];
}

/** The `input_json_delta`s that bring a tool's input in `pieces`. */
export const jsonDeltas = (pieces: readonly string[]): Record<string, unknown>[] =>
  pieces.map((partial_json) => ({ type: "input_json_delta", partial_json }));

/** The `text_delta`s that bring `texts`. */
export const textDeltas = (texts: readonly string[]): Record<string, unknown>[] =>
  texts.map((text) => ({ type: "text_delta", text }));

/** A message's last two events: its stop reason and output tokens, then message_stop. */
export function closingEvents(stopReason: string, outputTokens: number): SseEvent[] {
  return [
    sseEvent("message_delta", {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    sseEvent("message_stop"),
  ];
}

/**
 * A turn like Claude's with interleaved thinking: thinking (with signature), text, then a
 * tool_use whose input arrives in pieces split mid-token, ending with stop_reason tool_use.
 */
export function thinkingTextToolTurn(model: string): SseEvent[] {
  const usage = {
    input_tokens: 2095,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: 1,
    service_tier: "standard",
  };
  return [
    sseEvent("message_start", {
      message: openingMessage("msg_01XFDUDYJgAACzvnptvVoYEL", model, usage),
    }),
    sseEvent("ping"),
    ...blockEvents(0, { type: "thinking", thinking: "", signature: "" }, [
      { type: "thinking_delta", thinking: "The user wants a file. " },
      { type: "thinking_delta", thinking: "I'll use Write." },
      {
        type: "signature_delta",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
      },
    ]),
    ...blockEvents(
      1,
      { type: "text", text: "" },
      textDeltas(["Creating the file", " now — ✓ “quoted” 😀."]),
    ),
    ...blockEvents(
      2,
      { type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "Write", input: {} },
      jsonDeltas(["", '{"file_pa', 'th": "/tmp/a.txt", "content": "line\\', 'n2"}']),
    ),
    ...closingEvents("tool_use", 89),
  ];
}

/** A plain text turn of `n` text deltas (used for relay timing and benchmarks). */
export function textTurn(model: string, n: number): SseEvent[] {
  const texts = Array.from({ length: n }, (_, i) => `token${i} `);
  return [
    ...thinkingTextToolTurn(model).slice(0, 2),
    ...blockEvents(0, { type: "text", text: "" }, textDeltas(texts)),
    ...closingEvents("end_turn", n),
  ];
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
