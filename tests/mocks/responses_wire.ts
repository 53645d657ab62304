/**
 * OpenAI Responses API wire format for mocks and fixtures: a scripted answer (reasoning,
 * text, function calls) rendered as the SSE event sequence the API streams — every
 * lifecycle event, `sequence_number`s, `event:` lines, deltas in small pieces — or as the
 * one JSON response object it returns without streaming.
 */

/** One output item of a scripted answer. */
export type ScriptItem =
  | { kind: "reasoning"; summary: string[]; encrypted: string }
  | { kind: "text"; text: string }
  /** The model declines: a message whose one content part is a `refusal`. */
  | { kind: "refusal"; text: string }
  | { kind: "call"; name: string; args: string; callId?: string };

/** A scripted answer. */
export interface ResponsesScript {
  items: ScriptItem[];
  /** `completed` (default), `incomplete` (with a reason) or `failed` (with an error). */
  end?:
    | { status: "completed" }
    | { status: "incomplete"; reason: "max_output_tokens" | "content_filter" }
    | { status: "failed"; code: string; message: string };
  usage?: { input: number; cached?: number; output: number; reasoning?: number };
  /** Delta piece size in characters (default 7). */
  piece?: number;
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function itemOf(item: ScriptItem, index: number): Record<string, unknown> {
  switch (item.kind) {
    case "reasoning":
      return {
        id: `rs_${index}abc`,
        type: "reasoning",
        summary: item.summary.map((text) => ({ type: "summary_text", text })),
        encrypted_content: item.encrypted,
      };
    case "text":
      return {
        id: `msg_${index}abc`,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: item.text, annotations: [], logprobs: [] }],
      };
    case "refusal":
      return {
        id: `msg_${index}abc`,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "refusal", refusal: item.text }],
      };
    case "call":
      return {
        id: `fc_${index}abc`,
        type: "function_call",
        status: "completed",
        call_id: item.callId ?? `call_${index}XyZ`,
        name: item.name,
        arguments: item.args,
      };
  }
}

function usageOf(script: ResponsesScript): Record<string, unknown> {
  const u = script.usage ?? { input: 1200, output: 50 };
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

/** The finished response object (the non-streaming answer, and the payload of the last event). */
export function responseObject(script: ResponsesScript, model: string): Record<string, unknown> {
  const end = script.end ?? { status: "completed" };
  return {
    id: "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    object: "response",
    created_at: 1741476542,
    status: end.status,
    error: end.status === "failed" ? { code: end.code, message: end.message } : null,
    incomplete_details: end.status === "incomplete" ? { reason: end.reason } : null,
    model,
    output: script.items.map(itemOf),
    parallel_tool_calls: true,
    store: false,
    usage: usageOf(script),
  };
}

/** The SSE body the API streams for `script`. */
export function responsesSse(script: ResponsesScript, model: string): string {
  const size = script.piece ?? 7;
  let seq = 0;
  const frames: string[] = [];
  const ev = (type: string, data: Record<string, unknown>) =>
    frames.push(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`,
    );
  const final = responseObject(script, model);
  const shell = { ...final, status: "in_progress", output: [], usage: null };
  ev("response.created", { response: shell });
  ev("response.in_progress", { response: shell });
  script.items.forEach((item, output_index) => {
    const full = itemOf(item, output_index);
    const item_id = String(full.id);
    const at = { item_id, output_index };
    if (item.kind === "reasoning") {
      // The encrypted reasoning comes only with the finished item.
      const { encrypted_content: _, ...started } = full;
      ev("response.output_item.added", { output_index, item: { ...started, summary: [] } });
      item.summary.forEach((text, summary_index) => {
        const part = { type: "summary_text", text: "" };
        ev("response.reasoning_summary_part.added", { ...at, summary_index, part });
        for (const delta of pieces(text, size)) {
          ev("response.reasoning_summary_text.delta", { ...at, summary_index, delta });
        }
        ev("response.reasoning_summary_text.done", { ...at, summary_index, text });
        ev("response.reasoning_summary_part.done", {
          ...at,
          summary_index,
          part: { type: "summary_text", text },
        });
      });
    } else if (item.kind === "refusal") {
      ev("response.output_item.added", {
        output_index,
        item: { ...full, status: "in_progress", content: [] },
      });
      const part = { type: "refusal", refusal: "" };
      ev("response.content_part.added", { ...at, content_index: 0, part });
      for (const delta of pieces(item.text, size)) {
        ev("response.refusal.delta", { ...at, content_index: 0, delta });
      }
      ev("response.refusal.done", { ...at, content_index: 0, refusal: item.text });
      ev("response.content_part.done", {
        ...at,
        content_index: 0,
        part: { ...part, refusal: item.text },
      });
    } else if (item.kind === "text") {
      ev("response.output_item.added", {
        output_index,
        item: { ...full, status: "in_progress", content: [] },
      });
      const part = { type: "output_text", text: "", annotations: [] };
      ev("response.content_part.added", { ...at, content_index: 0, part });
      for (const delta of pieces(item.text, size)) {
        ev("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
      }
      ev("response.output_text.done", { ...at, content_index: 0, text: item.text });
      ev("response.content_part.done", {
        ...at,
        content_index: 0,
        part: { ...part, text: item.text },
      });
    } else {
      ev("response.output_item.added", {
        output_index,
        item: { ...full, status: "in_progress", arguments: "" },
      });
      for (const delta of pieces(item.args, size)) {
        ev("response.function_call_arguments.delta", { ...at, delta });
      }
      ev("response.function_call_arguments.done", { ...at, arguments: item.args });
    }
    ev("response.output_item.done", { output_index, item: full });
  });
  const end = script.end ?? { status: "completed" };
  const type = end.status === "completed"
    ? "response.completed"
    : end.status === "incomplete"
    ? "response.incomplete"
    : "response.failed";
  ev(type, { response: final });
  return frames.join("");
}

/** A Responses answer that fails on an over-long prompt, as OpenAI reports it inside the answer. */
export const CONTEXT_OVERFLOW_SCRIPT: ResponsesScript = {
  items: [],
  end: {
    status: "failed",
    code: "context_length_exceeded",
    message:
      "Your input exceeds the context window of this model. Please adjust your input and try again.",
  },
};

/** A Responses server that encrypts reasoning per account, its stop and what it refused. */
export interface AccountResponses {
  url: string;
  bodies: Record<string, unknown>[];
  refused: () => number;
  close: () => Promise<void>;
}

/**
 * A Responses server whose reasoning is encrypted for an account (`accountOf` the request) and
 * which refuses, as OpenAI does, reasoning another account encrypted; each answer reasons, then
 * says `<account> answers <n>`.
 */
export function startAccountResponses(accountOf: (req: Request) => string): AccountResponses {
  type Obj = Record<string, unknown>;
  const bodies: Obj[] = [];
  let refused = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const account = accountOf(req);
    const foreign = (body.input as Obj[]).find((i) =>
      i.type === "reasoning" && !String(i.encrypted_content).startsWith(`${account}:`)
    );
    if (foreign) {
      refused++;
      const error = {
        message: `The encrypted content ${String(foreign.encrypted_content).slice(0, 4)}... ` +
          "could not be verified.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_encrypted_content",
      };
      return Response.json({ error }, { status: 400 });
    }
    const n = bodies.length;
    return Response.json(responseObject({
      items: [
        { kind: "reasoning", summary: [`${account} thinks ${n}`], encrypted: `${account}:${n}` },
        { kind: "text", text: `${account} answers ${n}` },
      ],
    }, "gpt-5.5"));
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    refused: () => refused,
    close: () => server.shutdown(),
  };
}
