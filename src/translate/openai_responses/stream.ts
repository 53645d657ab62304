/**
 * The streaming path for the Responses API: each SSE message the relay stage decodes is parsed
 * and fed to the translator. When translation ends (completion, failure, malformed event) the
 * relay stops and cancels the upstream instead of reading it to its end.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import type { ResponsesStreamEvent } from "../../protocols/openai_responses.ts";
import { type SseTranslation, sseTranslation } from "../sse_translation.ts";
import { ResponsesToAnthropicTranslator, type ResponsesTranslateOptions } from "./translator.ts";

/** Feeds one SSE message to the translator. */
function translateMessage(
  translator: ResponsesToAnthropicTranslator,
  message: EventSourceMessage,
): AnthropicStreamEvent[] {
  const data = message.data.trim();
  if (data === "" || data === "[DONE]") return [];
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return translator.malformed(`not JSON: ${data.slice(0, 80)}`);
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return translator.malformed("not a JSON object");
  }
  const typed = event as ResponsesStreamEvent;
  // The `event:` line names the type when a server leaves it out of the data.
  if (typeof typed.type !== "string") typed.type = message.event ?? "";
  return translator.push(typed);
}

/** A Responses stream's translation, for the relay stage. */
export function responsesTranslation(options: ResponsesTranslateOptions): SseTranslation {
  return sseTranslation(new ResponsesToAnthropicTranslator(options), translateMessage);
}
