/**
 * A tiny scripted "model" upstream for end-to-end runs of the real Claude Code: on the first turn
 * it calls the Write tool, after a tool_result it answers with text. Speaks Anthropic Messages
 * (SSE) on /v1/messages, OpenAI Chat Completions (SSE) on /v1/chat/completions, the OpenAI
 * Responses API (SSE) on /v1/responses and the Gemini API on /v1beta/models/{model}:… (see
 * gemini_wire.ts, which also refuses what the real Gemini API refuses).
 */

import {
  blockEvents,
  closingEvents,
  encodeEvents,
  jsonDeltas,
  openingMessage,
  sseEvent,
  textDeltas,
} from "./anthropic_fixtures.ts";
import { type ResponsesScript, responsesSse } from "./responses_wire.ts";
import { geminiReply } from "./gemini_wire.ts";

/** A running scripted upstream. */
export interface ScriptedModel {
  url: string;
  /** Bodies received, in order. */
  bodies: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

type Msg = { role: string; content: unknown };

type Item = { type?: string };

function sawToolResult(messages: Msg[]): boolean {
  const last = messages.at(-1);
  if (!last) return false;
  if (last.role === "tool") return true;
  return Array.isArray(last.content) &&
    (last.content as Array<{ type?: string }>).some((b) => b.type === "tool_result");
}

function anthropicTurn(model: string, path: string, done: boolean): string {
  const usage = {
    input_tokens: 900,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 1,
  };
  const opening = sseEvent("message_start", {
    message: openingMessage("msg_scripted", model, usage),
  });
  if (done) {
    return encodeEvents([
      opening,
      ...blockEvents(0, { type: "text", text: "" }, textDeltas(["Done: wrote ", "the file."])),
      ...closingEvents("end_turn", 6),
    ]);
  }
  const input = JSON.stringify({ file_path: path, content: "hello from ccp\n" });
  return encodeEvents([
    opening,
    ...blockEvents(0, { type: "thinking", thinking: "", signature: "" }, [
      { type: "thinking_delta", thinking: "I should write the file." },
      { type: "signature_delta", signature: "c2lnbmF0dXJl" },
    ]),
    ...blockEvents(
      1,
      { type: "tool_use", id: "toolu_01Scripted", name: "Write", input: {} },
      jsonDeltas([input.slice(0, 17), input.slice(17)]),
    ),
    ...closingEvents("tool_use", 40),
  ]);
}

function openAITurn(model: string, path: string, done: boolean): string {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-s",
        object: "chat.completion.chunk",
        created: 1,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const parts = [chunk({ role: "assistant", reasoning_content: "Writing the file." })];
  if (done) {
    parts.push(
      chunk({ content: "Done: wrote " }),
      chunk({ content: "the file." }),
      chunk({}, "stop"),
    );
  } else {
    const args = JSON.stringify({ file_path: path, content: "hello from ccp\n" });
    parts.push(
      chunk({
        tool_calls: [{
          index: 0,
          id: "call_1",
          type: "function",
          function: { name: "Write", arguments: args.slice(0, 9) },
        }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(9) } }] }),
      chunk({}, "tool_calls"),
    );
  }
  parts.push(
    `data: ${
      JSON.stringify({
        id: "chatcmpl-s",
        object: "chat.completion.chunk",
        created: 1,
        model,
        choices: [],
        usage: { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 },
      })
    }\n\n`,
    "data: [DONE]\n\n",
  );
  return parts.join("");
}

/** The scripted Responses turn; its reasoning summary only when `summaries` were asked for. */
function responsesTurn(path: string, done: boolean, summaries: boolean): ResponsesScript {
  if (done) return { items: [{ kind: "text", text: "Done: wrote the file." }] };
  const args = JSON.stringify({ file_path: path, content: "hello from ccp\n" });
  const summary = summaries ? ["Writing the file."] : [];
  return {
    items: [
      { kind: "reasoning", summary, encrypted: "gAAAA-scripted" },
      { kind: "call", name: "Write", args },
    ],
  };
}

/** Starts the scripted upstream; the Write tool targets `filePath`. */
export function startScriptedModel(filePath: string): ScriptedModel {
  const bodies: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const path = new URL(req.url).pathname;
    if (path.startsWith("/v1beta/")) return geminiReply(req, body, filePath);
    if (path.endsWith("/responses")) {
      const input = body.input as Item[];
      const reasoning = body.reasoning as { summary?: unknown } | undefined;
      const text = responsesTurn(
        filePath,
        input.at(-1)?.type === "function_call_output",
        typeof reasoning?.summary === "string",
      );
      return new Response(responsesSse(text, String(body.model)), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    const done = sawToolResult(body.messages as Msg[]);
    const text = path.endsWith("/chat/completions")
      ? openAITurn(String(body.model), filePath, done)
      : anthropicTurn(String(body.model), filePath, done);
    return new Response(text, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}
