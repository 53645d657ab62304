/**
 * One mock upstream serving OpenAI Chat (`/oa/v1/chat/completions`) and Anthropic Messages
 * (`/an/v1/messages`, `/an/v1/messages/count_tokens`), whose behaviour is picked by the upstream
 * model name, so one config can drive a whole mix of outcomes through a real ccp:
 *
 * - OpenAI: `ok` answers (usage 11 in / 5 out); `r429` and `r500` fail with that status;
 *   `flaky` fails its first call with 503, then answers; `midfail` streams two deltas, then its
 *   body ends without a finish; `slow` streams a delta every 50 ms for seconds; `late` sends a role-only
 *   chunk at once and its content after {@link LATE_MS}.
 * - Anthropic: any other model answers (usage 20 in / 7 out / 3 cache read / 2 cache write);
 *   `late` sends `message_start` at once and its content after {@link LATE_MS}; count_tokens
 *   answers 42, or 500 for the model `count-broken`.
 */

/** How long `late` models wait between the start of their answer and its first content. */
export const LATE_MS = 400;

/** Token counts of the mock's complete answers. */
export const OPENAI_USAGE = { input: 11, output: 5 } as const;
export const ANTHROPIC_USAGE = { input: 20, output: 7, cacheRead: 3, cacheWrite: 2 } as const;

/** A running mock. */
export interface BehaviourUpstream {
  /** `http://127.0.0.1:<port>` — the OpenAI API root is `<url>/oa/v1`, Anthropic's `<url>/an`. */
  readonly url: string;
  /** Calls per path and model, e.g. `messages ok` or `count_tokens count-broken`. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Part = string | { wait: number };

function sse(parts: readonly Part[]): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const part of parts) {
        if (typeof part === "string") controller.enqueue(encoder.encode(part));
        else await wait(part.wait);
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

const chunk = (model: string, delta: unknown, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`;

function openai(body: Record<string, unknown>, n: number): Response {
  const model = String(body.model);
  const error = (status: number, message: string) =>
    Response.json({ error: { message, type: "server_error" } }, { status });
  if (model === "r429") return error(429, "slow down");
  if (model === "r500") return error(500, "broken");
  if (model === "flaky" && n === 1) return error(503, "once");
  const usage = {
    prompt_tokens: OPENAI_USAGE.input,
    completion_tokens: OPENAI_USAGE.output,
    total_tokens: OPENAI_USAGE.input + OPENAI_USAGE.output,
  };
  if (body.stream !== true) {
    return Response.json({
      id: "c1",
      object: "chat.completion",
      model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: "hello there" },
        finish_reason: "stop",
      }],
      usage,
    });
  }
  const end = [
    chunk(model, {}, "stop"),
    `data: ${
      JSON.stringify({ id: "c1", object: "chat.completion.chunk", model, choices: [], usage })
    }\n\n`,
    "data: [DONE]\n\n",
  ];
  const first = chunk(model, { role: "assistant", content: "hel" });
  const second = chunk(model, { content: "lo there" });
  // Ends without a finish reason: the answer broke off mid-way.
  if (model === "midfail") return sse([first, second, { wait: 100 }]);
  if (model === "slow") {
    return sse([
      first,
      ...Array.from({ length: 100 }, () => [{ wait: 50 }, second]).flat(),
      ...end,
    ]);
  }
  if (model === "late") {
    return sse([
      chunk(model, { role: "assistant", content: "" }),
      { wait: LATE_MS },
      first,
      ...end,
    ]);
  }
  return sse([first, second, ...end]);
}

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function anthropic(body: Record<string, unknown>): Response {
  const model = String(body.model);
  const usage = {
    input_tokens: ANTHROPIC_USAGE.input,
    output_tokens: ANTHROPIC_USAGE.output,
    cache_read_input_tokens: ANTHROPIC_USAGE.cacheRead,
    cache_creation_input_tokens: ANTHROPIC_USAGE.cacheWrite,
  };
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    stop_reason: null,
    stop_sequence: null,
  };
  if (body.stream !== true) {
    return Response.json({
      ...message,
      content: [{ type: "text", text: "hi from anthropic" }],
      stop_reason: "end_turn",
      usage,
    });
  }
  const start = event("message_start", {
    message: { ...message, content: [], usage: { ...usage, output_tokens: 1 } },
  });
  const rest = [
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    event("content_block_delta", {
      index: 0,
      delta: { type: "text_delta", text: "hi from anthropic" },
    }),
    event("content_block_stop", { index: 0 }),
    event("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: ANTHROPIC_USAGE.output },
    }),
    event("message_stop", {}),
  ];
  if (model === "late") return sse([start, event("ping", {}), { wait: LATE_MS }, ...rest]);
  return sse([start, ...rest]);
}

/** Starts the mock on 127.0.0.1 and an ephemeral port. */
export function startBehaviourUpstream(): BehaviourUpstream {
  const calls = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json() as Record<string, unknown>;
    const kind = path.endsWith("/count_tokens") ? "count_tokens" : "messages";
    const key = `${kind} ${body.model}`;
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    if (kind === "count_tokens") {
      return body.model === "count-broken"
        ? Response.json({ type: "error", error: { type: "api_error", message: "no counter" } }, {
          status: 500,
        })
        : Response.json({ input_tokens: 42 });
    }
    if (path.startsWith("/oa/")) return openai(body, n);
    if (path.startsWith("/an/")) return anthropic(body);
    return new Response("not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls,
    close: () => server.shutdown(),
  };
}
