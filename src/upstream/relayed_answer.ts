/** An upstream's Anthropic SSE answer, relayed as a stream or collected into JSON. */

import { capitalise } from "../core/text.ts";
import { relayAnthropicStream, type RelayOutcome } from "./anthropic/relay.ts";
import { collectMessage } from "./collect_stream.ts";
import { describeTarget, networkCause } from "./errors.ts";
import type { Answer, AnswerHooks, TransportRequest } from "./transport.ts";

/**
 * Relays Anthropic SSE (checked, keys scrubbed) to the client; a client that asked for JSON gets
 * the stream collected into one Message instead, whatever the upstream chose to send.
 */
export async function relayedAnswer(
  request: TransportRequest,
  sse: ReadableStream<Uint8Array>,
  hooks: AnswerHooks,
  /** `upstream`: the provider's own Anthropic SSE; `translated`: ccp's output from another protocol. */
  source: "upstream" | "translated",
): Promise<Answer> {
  const raw = source === "upstream";
  const wantsStream = request.body.stream === true;
  let ended: RelayOutcome | undefined;
  const body = relayAnthropicStream(sse, {
    clientModel: request.clientModel,
    describeUpstream: capitalise(describeTarget(request.provider.id, request.model)),
    keys: request.provider.apiKeys,
    describeError: networkCause,
    // A collected answer reports its end once it is complete, below.
    onEnd: wantsStream ? hooks.onEnd : (outcome) => (ended = outcome),
    onCancel: hooks.onCancel,
    onFirstByte: wantsStream ? hooks.onFirstByte : undefined,
    // A translator already wrote the client's model, and JSON it built needs no check.
    rewriteModel: raw,
    checkEveryEvent: raw,
    shutdown: hooks.shutdown,
  });
  if (wantsStream) return { kind: "stream", body };
  const message = await collectMessage(body);
  message.model = request.clientModel;
  const usage = ended?.usage ?? {};
  hooks.onEnd({ usage });
  return { kind: "json", message, usage };
}
