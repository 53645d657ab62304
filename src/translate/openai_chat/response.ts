/**
 * The non-streaming path: a `chat.completion` JSON answer is turned into one synthetic
 * chunk and fed through the same translator as the streaming path, and the events are
 * accumulated into an Anthropic Message.
 */

import { upstreamWho } from "../../core/text.ts";
import { answerBodyError } from "../../core/answer_body_error.ts";
import { UpstreamError } from "../../core/errors.ts";
import { isRecord } from "../../core/json.ts";
import type { AnthropicMessage } from "../../protocols/anthropic.ts";
import type {
  ChatCompletionChunk,
  ChatCompletionResponse,
  ChatToolCallDelta,
} from "../../protocols/openai_chat.ts";
import { accumulateAnthropicEvents } from "../anthropic/accumulate.ts";
import { describeUpstreamError } from "./events.ts";
import { OpenAIToAnthropicTranslator, type TranslateOptions } from "./translator.ts";

/**
 * The text of an answer that is Text Generation Inference's `no_tool`: its tool grammar offers the
 * model that name for answering without a tool, and TGI 2.x answers a whole (not streamed) reply so
 * as a call of it, `content` holding the answer. The streamed path reads the same call as text.
 * Undefined for any other answer, and when the request offered a tool of that name itself.
 */
function grammarNoTool(
  message: { tool_calls?: unknown; content?: unknown },
  options: TranslateOptions,
): string | undefined {
  const calls = message.tool_calls;
  if (options.offeredNoTool || !Array.isArray(calls) || calls.length !== 1) return undefined;
  const fn = isRecord(calls[0]) ? calls[0].function : undefined;
  if (!isRecord(fn) || fn.name !== "no_tool") return undefined;
  let args: unknown = fn.arguments;
  if (typeof args === "string") {
    try {
      args = JSON.parse(args);
    } catch {
      return undefined;
    }
  }
  return isRecord(args) && typeof args.content === "string" ? args.content : undefined;
}

/** The answer as the one chunk a stream would have carried. */
function responseToChunk(
  response: ChatCompletionResponse,
  options: TranslateOptions,
): ChatCompletionChunk {
  const choice = Array.isArray(response.choices) ? response.choices[0] : undefined;
  const raw = choice?.message ?? {};
  const noTool = grammarNoTool(raw, options);
  const m = noTool === undefined ? raw : { ...raw, content: noTool, tool_calls: undefined };
  const toolCalls: ChatToolCallDelta[] = Array.isArray(m.tool_calls)
    ? m.tool_calls.map((call, index) => ({
      index,
      id: call?.id,
      type: "function",
      function: { name: call?.function?.name, arguments: call?.function?.arguments },
      ...(isRecord(call?.extra_content) ? { extra_content: call.extra_content } : {}),
    }))
    : isRecord(m.function_call) // the deprecated single-call form
    ? [{ index: 0, type: "function", function: m.function_call }]
    : [];
  return {
    id: response.id,
    model: response.model,
    usage: response.usage ?? null,
    choices: choice
      ? [{
        index: 0,
        delta: {
          role: "assistant",
          // Mistral's magistral answers with typed parts (thinking and text), as it streams them.
          content: typeof m.content === "string" || Array.isArray(m.content) ? m.content : null,
          refusal: m.refusal ?? null,
          reasoning_content: m.reasoning_content ?? null,
          reasoning: m.reasoning ?? null,
          reasoning_details: m.reasoning_details ?? null,
          tool_calls: toolCalls,
        },
        // A `no_tool` answer called no tool, whatever its finish word says.
        finish_reason: noTool === undefined ? choice.finish_reason ?? "stop" : "stop",
        stop_reason: choice.stop_reason ?? null,
        matched_stop: choice.matched_stop ?? null,
      }]
      : [],
  };
}

/**
 * Translates a non-streaming Chat Completions answer into an Anthropic Message.
 * Throws `UpstreamError` when the body is an error or holds no answer.
 */
export function openAIResponseToAnthropic(
  response: unknown,
  options: TranslateOptions,
): AnthropicMessage {
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    throw new UpstreamError(
      "api_error",
      `${upstreamWho(options)} returned a non-object body`,
      {
        status: 502,
      },
    );
  }
  const body = response as ChatCompletionResponse;
  if (body.error !== undefined && body.error !== null) {
    const { message, code } = describeUpstreamError(body.error);
    const type = isRecord(body.error) ? body.error.type : undefined;
    throw answerBodyError(options, message, { code, type });
  }
  if (!Array.isArray(body.choices) || body.choices.length === 0) {
    throw new UpstreamError(
      "api_error",
      `${upstreamWho(options)} returned no choices`,
      {
        status: 502,
      },
    );
  }
  const translator = new OpenAIToAnthropicTranslator(options);
  const events = [
    ...translator.push({ kind: "chunk", chunk: responseToChunk(body, options) }),
    ...translator.push({ kind: "done" }),
  ];
  return accumulateAnthropicEvents(events);
}
