/** The Transport for `type: anthropic` providers: passthrough with the model name swapped. */

import { settingsFor } from "../../config/settings_merge.ts";
import { UpstreamError } from "../../core/errors.ts";
import { CONTENT_TYPE } from "../../core/headers.ts";
import { capitalise } from "../../core/text.ts";
import { callAnthropic, describeCall } from "./anthropic.ts";
import { outgoingRequest, secretsSent } from "../http/headers.ts";
import { applyModelSettings, withExtraBody } from "../model_settings.ts";
import { relayedAnswer } from "../relayed_answer.ts";
import { planHeaders } from "./plan_headers.ts";
import { FOREIGN_SIGNATURES, REFUSED_SIGNATURES, signsAsAnthropic } from "./foreign_signatures.ts";
import { verifiesSignatures, withoutRefusedThinking, withoutThinking } from "./real_anthropic.ts";
import { refusesSignature, refusesTurnWithoutThinking } from "./refused_signature.ts";
import { withUnaskedReasoningRoom } from "./unasked_reasoning.ts";
import { RELAYED_MESSAGE_IDS } from "./relayed_message_ids.ts";
import { RepeatedToolIds } from "./repeated_tool_ids.ts";
import { historyToolIds } from "../../translate/anthropic/tool_use_ids.ts";
import { completedStopReason, failedStopReason } from "./stream_events.ts";
import { networkCause } from "../errors.ts";
import { readJsonCapped } from "../http/read_capped.ts";
import { resendsFor } from "../http/post.ts";
import { upstreamMessage } from "../../core/upstream_message.ts";
import { isRecord } from "../../core/json.ts";
import { lazyImport } from "../../core/lazy_modules.ts";
import { scrubSecrets } from "../../core/secrets.ts";
import {
  type Answer,
  type AnswerHooks,
  type AttemptFailure,
  type AttemptSuccess,
  DEFAULT_MAX_RESPONSE,
  jsonAnswer,
  type Transport,
  type TransportRequest,
} from "../transport.ts";

/** Sends Anthropic Messages requests to an Anthropic-compatible upstream. */
export const anthropicTransport: Transport = {
  async send(request: TransportRequest): Promise<AttemptSuccess | AttemptFailure> {
    const settings = settingsFor(request.provider, request.model, request.settings);
    const inputTokens = settings.contextWindow ? await request.inputTokens() : undefined;
    const body = withUnaskedReasoningRoom(
      applyModelSettings(request.body, settings, { protocol: "anthropic", inputTokens }),
      {
        dialect: request.provider.dialect,
        model: request.model,
        ...(settings.maxOutputTokens ? { maxOutputTokens: settings.maxOutputTokens } : {}),
        ...(settings.contextWindow ? { contextWindow: settings.contextWindow, inputTokens } : {}),
      },
    );
    // Each endpoint gets only what it accepts (the preset's cleaning, resolved when the config was
    // built), and what the betas the provider does without bring into the body goes with them.
    const outgoing = outgoingRequest(request.provider, request.clientHeaders);
    const clientHeaders = outgoing.headers;
    const anthropic = verifiesSignatures(request.provider);
    const clean = (b: Record<string, unknown>) => {
      const cleaned = withExtraBody(outgoing.clean(b, request.model), settings);
      return anthropic ? cleaned : withoutRefusedThinking(cleaned, request.provider);
    };
    // One count for the attempt: the refusal mends of each call and the re-sends below share it.
    const resends = resendsFor();
    const call = (sent: Record<string, unknown>) =>
      callAnthropic({
        resends,
        provider: request.provider,
        model: request.model,
        body: sent,
        clientHeaders,
        ...(request.trace ? { trace: request.trace } : {}),
        key: request.key,
        signal: request.signal,
        fetch: request.fetch,
        unreachableHint: request.unreachableHint,
        learned: request.learned,
        log: request.log,
      });
    const sent = clean(body);
    let result = await call(sent);
    if (!result.ok && resends.left > 0 && refusesSignature(result.status, result.bodyText)) {
      // The signatures of this history cannot all be told apart from the server's own: from now on
      // they count as refused, so the cleaning strips them, now and on the session's later turns
      // (one refused round trip per session, and the cached prefix stays the same afterwards).
      // Refused by Anthropic they are foreign everywhere; by another server (a gateway in front
      // of Anthropic, a vendor's endpoint), only for that server.
      if (anthropic) FOREIGN_SIGNATURES.noteHistory(sent);
      else REFUSED_SIGNATURES.noteHistory(request.provider, sent);
      const again = clean(body);
      if (JSON.stringify(again.messages) !== JSON.stringify(sent.messages)) {
        resends.left--;
        request.log?.warn(
          `${describeCall(request)} refused a thinking signature made elsewhere: ` +
            "sent again without the history's thinking blocks",
        );
        request.trace?.again(
          result.status,
          "a thinking signature made elsewhere was refused: sent again without the history's " +
            "thinking blocks",
        );
        result = await call(again);
      }
    }
    if (
      !result.ok && anthropic && sent.thinking !== undefined && resends.left > 0 &&
      refusesTurnWithoutThinking(result.status, result.bodyText)
    ) {
      resends.left--;
      // Adaptive thinking is kept when the tool loop's last answer lost its thinking (the model
      // answers so itself when it does not think); should Anthropic still want thinking first,
      // the loop goes on without it, as with a budget.
      request.log?.warn(
        `${describeCall(request)} wants the tool loop's last answer to start with thinking: ` +
          "sent again without thinking",
      );
      request.trace?.again(
        result.status,
        "the tool loop's last answer had to start with thinking: sent again without thinking",
      );
      result = await call(withoutThinking(clean(body)));
    }
    const relayHeaders = planHeaders(
      request.provider,
      result.ok ? result.response.headers : result.headers,
    );
    if (!result.ok) return relayHeaders ? { ...result, relayHeaders } : result;
    const response = result.response;
    return {
      ok: true,
      ...(relayHeaders ? { relayHeaders } : {}),
      // A count made for max_tokens fills a message_start the upstream left without one.
      open: (hooks) =>
        openAnswer(
          inputTokens === undefined ? request : { ...request, countedInputTokens: inputTokens },
          response,
          hooks,
        ),
    };
  },
};

async function openAnswer(
  request: TransportRequest,
  response: Response,
  hooks: AnswerHooks,
): Promise<Answer> {
  // Named only in a failure's message.
  const where = () => capitalise(describeCall(request));
  const isSse = (response.headers.get(CONTENT_TYPE) ?? "").includes("text/event-stream");
  if (isSse && response.body) return await relayedAnswer(request, response.body, hooks);
  let message: unknown;
  try {
    message = await readJsonCapped(
      response,
      request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE,
      where,
    ) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(
      "api_error",
      `${where()} sent an unreadable JSON answer: ${networkCause(error)}`,
      {
        status: 502,
      },
    );
  }
  // Ollama writes an answer with no blocks (the model stopped at once) as `content: null`: an
  // empty message still, not a failure.
  if (isRecord(message) && message.type === "message" && message.content === null) {
    message.content = [];
  }
  // A 2xx that is not a message (an error body, or not even an object, or content that is not
  // blocks) is the upstream failing.
  if (
    !isRecord(message) || message.type === "error" || !Array.isArray(message.content) ||
    !message.content.every(isRecord)
  ) {
    const text = isRecord(message) ? upstreamMessage(JSON.stringify(message)) : "not an object";
    throw new UpstreamError(
      "api_error",
      `${where()} answered ${response.status} without a message: ${
        scrubSecrets(text, secretsSent(request.provider, request.clientHeaders))
      }`,
      { status: 502 },
    );
  }
  message.model = request.clientModel;
  const anthropic = verifiesSignatures(request.provider);
  if (!anthropic) message.id = RELAYED_MESSAGE_IDS.relayed(message.id);
  const repeated = anthropic
    ? undefined
    : new RepeatedToolIds(historyToolIds(request.body.messages));
  // Ollama leaves `input` out of a tool call without arguments; Anthropic always sends an object.
  message.content.forEach((block, index) => {
    if (block.type === "tool_use" && block.input === undefined) block.input = {};
    repeated?.block(block, index);
  });
  const failed = failedStopReason(message.stop_reason);
  if (failed) {
    throw new UpstreamError(
      "api_error",
      `${where()} ended the answer with stop_reason "${failed}"`,
      { status: 502 },
    );
  }
  if (settingsFor(request.provider, request.model, request.settings).textToolCalls) {
    const blocks = await lazyImport("upstream/anthropic/text_blocks.ts");
    blocks.rewriteMessageText(
      message,
      blocks.offeredAnthropicTools(request.body.tools),
      request.model,
    );
  }
  // Claude Code runs an answer's tool calls only when it stopped for them (as the stream relay).
  const toolUse = message.content.some((b) => b.type === "tool_use");
  message.stop_reason = completedStopReason(message.stop_reason, toolUse);
  if (!anthropic && !signsAsAnthropic(request.model)) FOREIGN_SIGNATURES.noteMessage(message);
  return jsonAnswer(message, request.body.stream === true, hooks);
}
