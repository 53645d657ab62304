/** An upstream's SSE answer, relayed as a stream or collected into JSON. */

import { capitalise, describeTarget } from "../core/text.ts";
import type { SseTranslation } from "../translate/sse_translation.ts";
import { FOREIGN_SIGNATURES, signsAsAnthropic } from "./anthropic/foreign_signatures.ts";
import { verifiesSignatures } from "./anthropic/real_anthropic.ts";
import { relayAnthropicStream } from "./anthropic/relay.ts";
import { RELAYED_MESSAGE_IDS } from "./anthropic/relayed_message_ids.ts";
import { historyToolIds } from "../translate/anthropic/tool_use_ids.ts";
import { networkCause } from "./errors.ts";
import { UpstreamError } from "../core/errors.ts";
import { secretsSent } from "./http/headers.ts";
import type { RelayHooks, RelayOutcome } from "./relay_stream.ts";
import {
  type Answer,
  type AnswerHooks,
  DEFAULT_MAX_RESPONSE,
  type TransportRequest,
} from "./transport.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import { settingsFor } from "../config/settings_merge.ts";
import type { TextBlocksRewriter } from "./anthropic/text_blocks.ts";

/**
 * Relays the upstream's SSE to the client -- its own Anthropic events checked, or another
 * protocol's translated by `translation` -- with keys scrubbed from any error; a client that
 * asked for JSON gets the stream collected into one Message instead, whatever the upstream chose
 * to send.
 */
export async function relayedAnswer(
  request: TransportRequest,
  sse: ReadableStream<Uint8Array>,
  hooks: AnswerHooks,
  translation?: SseTranslation,
): Promise<Answer> {
  const wantsStream = request.body.stream === true;
  let ended: RelayOutcome | undefined;
  const relay: RelayHooks = {
    describeUpstream: capitalise(describeTarget(request.provider.id, request.model)),
    // No closure over `request` here: every closure of this function would then keep the
    // request, its whole history, alive for as long as the stream is open.
    keys: secretsSent(request.provider, request.clientHeaders),
    describeError: networkCause,
    // A collected answer reports its end once it is complete, below.
    onEnd: wantsStream ? hooks.onEnd : (outcome) => (ended = outcome),
    onCancel: hooks.onCancel,
    onFirstContent: wantsStream ? hooks.onFirstContent : undefined,
    shutdown: hooks.shutdown,
  };
  const textTools = translation ? undefined : await textToolsRewriter(request);
  // The translated relay and the collector decode SSE with eventsource-parser; Anthropic's own
  // stream is relayed without them, so a passthrough start loads neither (the translating
  // transports load both with their own code).
  const body = translation
    ? (await lazyImport("upstream/translated_frames.ts")).relayTranslatedStream(
      sse,
      translation,
      relay,
    )
    : relayAnthropicStream(sse, {
      ...relay,
      clientModel: request.clientModel,
      ...(request.countedInputTokens !== undefined
        ? { inputTokens: request.countedInputTokens }
        : {}),
      ...(verifiesSignatures(request.provider) ? {} : {
        // A Claude model behind a gateway signs as Anthropic: its thinking may go back there.
        ...(signsAsAnthropic(request.model)
          ? {}
          : { onEventData: (data) => FOREIGN_SIGNATURES.noteEvent(data) }),
        earlierToolIds: historyToolIds(request.body.messages),
        messageIds: RELAYED_MESSAGE_IDS,
      }),
      ...(textTools ? { rewriter: textTools } : {}),
    });
  if (wantsStream) return { kind: "stream", body };
  const collect = (await lazyImport("upstream/collect_stream.ts")).collectMessage;
  const message = await collect(
    body,
    request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE,
    relay.describeUpstream,
  ).catch((error: unknown) => {
    // The error event was worded for a client; the error thrown is logged before it is worded
    // again for this one, and the log keeps the upstream's own words.
    const said = ended?.error;
    if (!(error instanceof UpstreamError) || said === undefined) throw error;
    const reported = ended?.reported;
    throw new UpstreamError(error.errorType, said, {
      status: error.status,
      ...(reported ? { reported } : {}),
      midStream: true,
    });
  });
  message.model = request.clientModel;
  const usage = ended?.usage ?? {};
  const stopReason = ended?.stopReason;
  hooks.onEnd(stopReason === undefined ? { usage } : { usage, stopReason });
  return { kind: "json", message, usage };
}

/**
 * The reader of calls written as text for a model whose settings turn `text_tool_calls` on
 * (loaded only then), else undefined.
 */
async function textToolsRewriter(
  request: TransportRequest,
): Promise<TextBlocksRewriter | undefined> {
  if (!settingsFor(request.provider, request.model, request.settings).textToolCalls) return;
  const blocks = await lazyImport("upstream/anthropic/text_blocks.ts");
  return new blocks.TextBlocksRewriter(
    blocks.offeredAnthropicTools(request.body.tools),
    request.model,
  );
}
