/**
 * The streaming path for the Responses API: upstream SSE bytes → Anthropic SSE bytes in one
 * fused stage (decode, parse SSE, parse JSON, translate, encode), one chunk out per chunk in.
 * When translation ends (completion, failure, malformed event) the stage terminates, so the
 * upstream is cancelled instead of read to its end.
 */

import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import type { ResponsesStreamEvent } from "../../protocols/openai_responses.ts";
import { FusedSseStream } from "../fused_sse_stream.ts";
import { ResponsesToAnthropicTranslator, type ResponsesTranslateOptions } from "./translator.ts";

/** Feeds one SSE message to the translator. */
export function translateMessage(
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

/** The fused serving stage. */
export class ResponsesToAnthropicSseStream extends FusedSseStream {
  constructor(options: ResponsesTranslateOptions) {
    const translator = new ResponsesToAnthropicTranslator(options);
    super({
      get done() {
        return translator.done;
      },
      message: (message) => translateMessage(translator, message),
      end: () => translator.end(),
    });
  }
}

/** Upstream Responses SSE bytes → Anthropic SSE bytes, for serving. */
export function responsesStreamToAnthropicSSE(
  body: ReadableStream<Uint8Array>,
  options: ResponsesTranslateOptions,
): ReadableStream<Uint8Array> {
  return body.pipeThrough(new ResponsesToAnthropicSseStream(options));
}
