/** One model round of the loop: the dispatched answer read to its end as a complete message. */

import { UpstreamError } from "../core/errors.ts";
import type { AnthropicMessage, AnthropicStreamEvent } from "../protocols/anthropic.ts";
import type { Dispatched } from "../resilience/dispatcher.ts";
import { accumulateAnthropicEvents } from "../translate/anthropic/accumulate.ts";
import { SseMessageDecoder } from "../translate/sse_decoder.ts";
import type { AttemptSuccess } from "../upstream/transport.ts";

/**
 * Opens the answer and reads all of it. The loop asks for JSON; an upstream that streams anyway
 * is read as a stream and accumulated. The dispatcher hears how the answer ended.
 */
export async function completeMessage(
  dispatched: Dispatched<AttemptSuccess>,
): Promise<AnthropicMessage> {
  let failure: string | undefined;
  const answer = await dispatched.result.open({
    onEnd: (outcome) => (failure = outcome.error),
    onCancel: () => {},
  }).catch((err) => {
    dispatched.done(err instanceof Error ? err.message : String(err));
    throw err;
  });
  if (answer.kind === "json") {
    dispatched.done(failure);
    return answer.message as AnthropicMessage;
  }
  try {
    const events: AnthropicStreamEvent[] = [];
    const decoder = new SseMessageDecoder();
    for await (const chunk of answer.body) {
      for (const m of decoder.push(chunk)) events.push(JSON.parse(m.data));
    }
    for (const m of decoder.end()) events.push(JSON.parse(m.data));
    const message = accumulateAnthropicEvents(events);
    dispatched.done(failure);
    return message;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    dispatched.done(failure ?? reason);
    if (err instanceof UpstreamError) throw err;
    throw new UpstreamError("api_error", `The model's answer broke off: ${reason}`, {
      status: 502,
    });
  }
}
