/**
 * The non-streaming path: a `generateContent` JSON answer is fed as one chunk through
 * the same translator as the stream, and the events are accumulated into a Message.
 */

import { upstreamWho } from "../../core/text.ts";
import { answerBodyError } from "../../core/answer_body_error.ts";
import { UpstreamError } from "../../core/errors.ts";
import type { AnthropicMessage } from "../../protocols/anthropic.ts";
import type { GeminiResponse } from "../../protocols/gemini.ts";
import { accumulateAnthropicEvents } from "../anthropic/accumulate.ts";
import { describeGeminiError } from "./events.ts";
import { GeminiToAnthropicTranslator, type GeminiTranslateOptions } from "./translator.ts";

function fail(options: GeminiTranslateOptions, what: string): UpstreamError {
  return new UpstreamError("api_error", `${upstreamWho(options)} ${what}`, {
    status: 502,
  });
}

/**
 * Translates a `generateContent` answer into an Anthropic Message. Throws `UpstreamError`
 * when the body is an error or holds neither a candidate nor a prompt block.
 */
export function geminiResponseToAnthropic(
  response: unknown,
  options: GeminiTranslateOptions,
): AnthropicMessage {
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    throw fail(options, "returned a non-object body");
  }
  const body = response as GeminiResponse;
  if (body.error !== undefined && body.error !== null) {
    const { message, code } = describeGeminiError(body.error);
    throw answerBodyError(options, message, { code });
  }
  const hasCandidate = Array.isArray(body.candidates) && body.candidates.length > 0;
  if (!hasCandidate && !body.promptFeedback?.blockReason) {
    throw fail(options, "returned no candidates");
  }
  const translator = new GeminiToAnthropicTranslator(options);
  const events = translator.push({ kind: "chunk", chunk: body });
  translator.assumeFinished();
  events.push(...translator.end());
  return accumulateAnthropicEvents(events);
}
