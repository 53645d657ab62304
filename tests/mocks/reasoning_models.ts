/**
 * Upstreams that reason unless told not to, on the three translated protocols. Each one spends
 * output tokens on reasoning before it writes its answer, and those tokens count against the
 * request's output limit (`max_tokens` / `max_completion_tokens`, `maxOutputTokens`,
 * `max_output_tokens`), as on the real APIs: a short limit runs out while the model is still
 * reasoning, and the answer ends for length with no text at all.
 */

import { startResponsesMock } from "./responses_mock.ts";
import type { ResponsesScript } from "./responses_wire.ts";

type Obj = Record<string, unknown>;

/** The answer Claude Code's auto-mode classifier wants; 8 tokens. */
export const VERDICT = "<severity>10</severity>";
const VERDICT_TOKENS = 8;

/** A running mock with the bodies it received. */
export interface ReasoningMock {
  url: string;
  bodies: Obj[];
  close(): Promise<void>;
}

/** What the model writes within `limit` output tokens after `reasoning` tokens of thought. */
function spend(reasoning: number, limit: number) {
  const thought = Math.min(reasoning, limit);
  const visible = Math.max(0, Math.min(VERDICT_TOKENS, limit - thought));
  // One character per token is enough for a verdict cut short.
  const text = visible === VERDICT_TOKENS ? VERDICT : VERDICT.slice(0, visible);
  return { thought, visible, text, cut: thought + visible < reasoning + VERDICT_TOKENS };
}

function limitOf(...values: unknown[]): number {
  for (const v of values) if (typeof v === "number") return v;
  return Infinity;
}

function serve(handler: (req: Request, body: Obj) => Response, bodies: Obj[], root: string) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    return handler(req, body);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}${root}`,
    bodies,
    close: () => server.shutdown(),
  };
}

const sse = (frames: string[]) =>
  new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });

/**
 * A Chat Completions server whose model reasons `reasoningOf(body)` tokens (0 when the
 * provider's switch turned it off), writing them to `field` (`reasoning_content` on DeepSeek,
 * Kimi and vLLM, `reasoning` on OpenRouter and Groq; nothing for OpenAI, which hides them).
 */
export function startReasoningChat(
  reasoningOf: (body: Obj) => number,
  field: "reasoning_content" | "reasoning" | "none" = "reasoning_content",
): ReasoningMock {
  const bodies: Obj[] = [];
  return serve(
    (_req, body) => {
      const limit = limitOf(body.max_completion_tokens, body.max_tokens);
      const { thought, visible, text, cut } = spend(reasoningOf(body), limit);
      const finish = cut ? "length" : "stop";
      const usage = {
        prompt_tokens: 900,
        completion_tokens: thought + visible,
        total_tokens: 900 + thought + visible,
        completion_tokens_details: { reasoning_tokens: thought },
      };
      const thinking = field !== "none" && thought > 0 ? { [field]: "think ".repeat(thought) } : {};
      const base = { id: "chatcmpl-r", created: 1, model: String(body.model) };
      if (body.stream !== true) {
        return Response.json({
          ...base,
          object: "chat.completion",
          choices: [{
            index: 0,
            message: { role: "assistant", content: text, ...thinking },
            finish_reason: finish,
          }],
          usage,
        });
      }
      const chunk = (delta: Obj, finish_reason: string | null, extra: Obj = {}) =>
        `data: ${
          JSON.stringify({
            ...base,
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta, finish_reason }],
            ...extra,
          })
        }\n\n`;
      const frames = [chunk({ role: "assistant", content: "" }, null)];
      if (field !== "none") {
        for (let i = 0; i < thought; i += 100) {
          frames.push(chunk({ [field]: "think ".repeat(Math.min(100, thought - i)) }, null));
        }
      }
      if (text) frames.push(chunk({ content: text }, null));
      frames.push(chunk({}, finish));
      const options = body.stream_options as Obj | undefined;
      if (options?.include_usage === true) {
        frames.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
      }
      frames.push("data: [DONE]\n\n");
      return sse(frames);
    },
    bodies,
    "/v1",
  );
}

/**
 * A Gemini API whose model thinks `thoughtsOf(thinkingConfig)` tokens; thoughts count against
 * `maxOutputTokens`, come back as `thought: true` parts only with `includeThoughts`, and are
 * reported as `thoughtsTokenCount` apart from `candidatesTokenCount`.
 */
export function startThinkingGemini(
  thoughtsOf: (config: Obj | undefined) => number,
): ReasoningMock {
  const bodies: Obj[] = [];
  return serve(
    (req, body) => {
      const generation = (body.generationConfig ?? {}) as Obj;
      const config = generation.thinkingConfig as Obj | undefined;
      const limit = limitOf(generation.maxOutputTokens);
      const { thought, visible, text, cut } = spend(thoughtsOf(config), limit);
      const usageMetadata = {
        promptTokenCount: 900,
        candidatesTokenCount: visible,
        thoughtsTokenCount: thought,
        totalTokenCount: 900 + thought + visible,
      };
      const thoughtPart = config?.includeThoughts === true && thought > 0
        ? [{ text: "Weighing the action.", thought: true }]
        : [];
      const textPart = text ? [{ text }] : [];
      const candidate = (parts: Obj[], finishReason?: string) => ({
        content: { role: "model", parts },
        index: 0,
        ...(finishReason ? { finishReason } : {}),
      });
      const finishReason = cut ? "MAX_TOKENS" : "STOP";
      if (!new URL(req.url).pathname.endsWith(":streamGenerateContent")) {
        return Response.json({
          candidates: [candidate([...thoughtPart, ...textPart], finishReason)],
          usageMetadata,
          modelVersion: "gemini-test",
        });
      }
      const frame = (data: Obj) => `data: ${JSON.stringify(data)}\r\n\r\n`;
      const frames = thoughtPart.length ? [frame({ candidates: [candidate(thoughtPart)] })] : [];
      frames.push(frame({ candidates: [candidate(textPart, finishReason)], usageMetadata }));
      return sse(frames);
    },
    bodies,
    "/v1beta",
  );
}

/**
 * A Responses API whose model reasons `reasoningOf(body)` tokens; reasoning items count against
 * `max_output_tokens`, and an answer cut there ends `incomplete` (`max_output_tokens`).
 */
export function startReasoningResponses(reasoningOf: (body: Obj) => number): ReasoningMock {
  const bodies: Obj[] = [];
  const mock = startResponsesMock((body): ResponsesScript => {
    bodies.push(body);
    const limit = limitOf(body.max_output_tokens);
    const { thought, visible, text, cut } = spend(reasoningOf(body), limit);
    const reasoning = body.reasoning as Obj | undefined;
    const summary = reasoning?.summary !== undefined && thought > 0 ? ["Weighing it."] : [];
    return {
      items: [
        ...(thought > 0 ? [{ kind: "reasoning" as const, summary, encrypted: "gAAAA-enc" }] : []),
        ...(text ? [{ kind: "text" as const, text }] : []),
      ],
      end: cut ? { status: "incomplete", reason: "max_output_tokens" } : { status: "completed" },
      usage: { input: 900, output: thought + visible, reasoning: thought },
    };
  });
  return { url: mock.url, bodies, close: () => mock.close() };
}

/**
 * An Anthropic-compatible endpoint (DeepSeek's, MiniMax's, Z.AI's) whose model thinks
 * `thinkingOf(body)` tokens: thinking blocks come first and count against `max_tokens`, and an
 * answer cut there has no text block and `stop_reason: "max_tokens"`.
 */
export function startThinkingAnthropic(thinkingOf: (body: Obj) => number): ReasoningMock {
  const bodies: Obj[] = [];
  return serve(
    (_req, body) => {
      const limit = limitOf(body.max_tokens);
      const { thought, visible, text, cut } = spend(thinkingOf(body), limit);
      const stop = cut ? "max_tokens" : "end_turn";
      const blocks: Obj[] = [
        ...(thought > 0 ? [{ type: "thinking", thinking: "Weighing it.", signature: "sig" }] : []),
        ...(text ? [{ type: "text", text }] : []),
      ];
      const usage = { input_tokens: 900, output_tokens: thought + visible };
      const message = {
        id: "msg_thinking",
        type: "message",
        role: "assistant",
        model: String(body.model),
        content: blocks,
        stop_reason: stop,
        stop_sequence: null,
        usage,
      };
      if (body.stream !== true) return Response.json(message);
      const ev = (type: string, data: Obj) =>
        `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
      const frames = [
        ev("message_start", {
          message: {
            ...message,
            content: [],
            stop_reason: null,
            usage: { ...usage, output_tokens: 1 },
          },
        }),
      ];
      blocks.forEach((block, index) => {
        if (block.type === "thinking") {
          frames.push(
            ev("content_block_start", { index, content_block: { type: "thinking", thinking: "" } }),
            ev("content_block_delta", {
              index,
              delta: { type: "thinking_delta", thinking: block.thinking },
            }),
            ev("content_block_delta", {
              index,
              delta: { type: "signature_delta", signature: "sig" },
            }),
          );
        } else {
          frames.push(
            ev("content_block_start", { index, content_block: { type: "text", text: "" } }),
            ev("content_block_delta", { index, delta: { type: "text_delta", text: block.text } }),
          );
        }
        frames.push(ev("content_block_stop", { index }));
      });
      frames.push(
        ev("message_delta", {
          delta: { stop_reason: stop, stop_sequence: null },
          usage: { output_tokens: thought + visible },
        }),
        ev("message_stop", {}),
      );
      return sse(frames);
    },
    bodies,
    "",
  );
}
