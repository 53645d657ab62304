/**
 * One model round of the loop as Anthropic stream events, whatever the upstream sent: a stream
 * is decoded as it arrives, a JSON answer is replayed as the events Anthropic would have sent.
 */

import {
  type AnthropicErrorType,
  messageOf,
  STATUS_OF_ERROR_TYPE,
  UpstreamError,
} from "../core/errors.ts";
import type { AnthropicMessage, AnthropicStreamEvent } from "../protocols/anthropic.ts";
import type { MidStreamError } from "../resilience/broken_answer.ts";
import type { Dispatched } from "../resilience/dispatcher.ts";
import { SseMessageDecoder } from "../translate/sse_decoder.ts";
import { contentBlockEvents } from "../upstream/message_to_sse.ts";
import type { AttemptSuccess } from "../upstream/transport.ts";

/**
 * Opens the dispatched answer and yields its events; an `error` event is thrown as an
 * `UpstreamError`. The dispatcher hears how the answer ended, also when the loop stops reading.
 */
export async function* roundEvents(
  dispatch: () => Promise<Dispatched<AttemptSuccess>>,
  shutdown?: AbortSignal,
): AsyncGenerator<AnthropicStreamEvent> {
  const dispatched = await dispatch();
  let failure: string | undefined;
  let reported: MidStreamError | undefined;
  let done = false;
  const finish = (reason?: string) => {
    if (!done) dispatched.done(reason, reason === failure ? reported : undefined);
    done = true;
  };
  let answer;
  try {
    answer = await dispatched.result.open({
      // A stream open when ccp shuts down ends with an error event, which ends the loop too.
      ...(shutdown ? { shutdown } : {}),
      onEnd: (outcome) => ({ error: failure, reported } = outcome),
      onCancel: () => {},
    });
  } catch (err) {
    // An answer that could not be opened, or a stream collected as JSON that broke while ccp shut
    // down (one that broke otherwise failed its attempt): the guards hear what ended it.
    failure = messageOf(err);
    reported = err instanceof UpstreamError ? err.reported : undefined;
    finish(failure);
    throw err;
  }
  if (answer.kind === "json") {
    finish(failure);
    yield* messageEvents(answer.message as AnthropicMessage);
    return;
  }
  const reader = answer.body.getReader();
  const decoder = new SseMessageDecoder();
  try {
    while (true) {
      const { done: ended, value } = await reader.read();
      const messages = ended ? decoder.end() : decoder.push(value);
      for (const m of messages) {
        const event = JSON.parse(m.data) as AnthropicStreamEvent;
        if (event.type === "error") throw upstreamError(event.error);
        yield event;
      }
      if (ended) break;
    }
    finish(failure);
  } catch (err) {
    finish(failure ?? messageOf(err));
    throw err;
  } finally {
    // The loop stopped reading early (the client left): free the upstream.
    if (!done) finish();
    await reader.cancel().catch(() => {});
  }
}

/** A complete message as the events of its stream. */
function messageEvents(message: AnthropicMessage): AnthropicStreamEvent[] {
  return [
    { type: "message_start", message: { ...message, content: [] } },
    // Blocks of any type pass as they are (the loop holds back only tool_use): the typed event
    // union names fewer block types than a message can carry.
    ...(message.content ?? []).flatMap((block, i) =>
      contentBlockEvents({ ...block }, i) as AnthropicStreamEvent[]
    ),
    {
      type: "message_delta",
      delta: {
        stop_reason: message.stop_reason,
        stop_sequence: message.stop_sequence,
        stop_details: message.stop_details ?? null,
        container: message.container ?? null,
      },
      usage: message.usage,
    },
    { type: "message_stop" },
  ];
}

function upstreamError(error: { type: string; message: string }): UpstreamError {
  const type =
    (error.type in STATUS_OF_ERROR_TYPE ? error.type : "api_error") as AnthropicErrorType;
  const status = type === "api_error" ? 502 : STATUS_OF_ERROR_TYPE[type];
  return new UpstreamError(type, error.message, { status });
}
