/** The Transport for `type: openai_responses` providers: Anthropic <-> OpenAI Responses API. */

import { settingsFor } from "../../config/settings_merge.ts";
import { toResponsesRequest } from "../../translate/openai_responses/request.ts";
import { responsesResponseToAnthropic } from "../../translate/openai_responses/response.ts";
import { responsesTranslation } from "../../translate/openai_responses/stream.ts";
import type { ResponsesTranslateOptions } from "../../translate/openai_responses/translator.ts";
import { OPENAI_TOOL_NAMES, renamedToolNames } from "../../translate/tool_names.ts";
import { openAIResponsesUrl } from "../http/endpoints.ts";
import { applyModelSettings, withExtraBody } from "../model_settings.ts";
import { historyToolIds } from "../../translate/anthropic/tool_use_ids.ts";
import { sendTranslated } from "../translated_answer.ts";
import { resendsFor } from "../http/post.ts";
import { hidesThinking } from "../../translate/anthropic/blocks.ts";
import { describeTarget } from "../../core/text.ts";
import { serverTag } from "../../resilience/server_key.ts";
import {
  noteRefusedReasoning,
  refusesEncryptedReasoning,
  withoutRefusedReasoning,
} from "./refused_reasoning.ts";
import type { AttemptFailure, AttemptSuccess, Transport, TransportRequest } from "../transport.ts";

/** Sends Anthropic Messages requests to an OpenAI Responses API upstream. */
export const openAIResponsesTransport: Transport = {
  async send(attempt: TransportRequest): Promise<AttemptSuccess | AttemptFailure> {
    // One count for the attempt: the refusal mends of each post and the re-send below share it.
    const request = { ...attempt, resends: attempt.resends ?? resendsFor() };
    const { provider, model } = request;
    const settings = settingsFor(provider, model, request.settings);
    const inputTokens = settings.contextWindow ? await request.inputTokens() : undefined;
    const client = applyModelSettings(request.body, settings, {
      protocol: "openai_responses",
      inputTokens,
    });
    const toolIds = historyToolIds(client.messages);
    const post = (history: typeof client) => {
      const body = withExtraBody(
        toResponsesRequest(history, {
          provider: provider.id,
          server: serverTag(provider),
          model,
          ...(settings.maxOutputTokens ? { maxOutputTokens: settings.maxOutputTokens } : {}),
          ...(settings.contextWindow ? { contextWindow: settings.contextWindow, inputTokens } : {}),
        }),
        settings,
      );
      return sendTranslated(
        request,
        { url: openAIResponsesUrl(provider.baseUrl), body, stream: body.stream === true },
        (basics) => {
          const translate: ResponsesTranslateOptions = {
            ...basics,
            toolNames: renamedToolNames(client.tools, OPENAI_TOOL_NAMES),
            historyToolIds: toolIds,
            ...(hidesThinking(client.thinking) ? { omitThinking: true } : {}),
          };
          return {
            stream: () => responsesTranslation(translate),
            message: (json) => responsesResponseToAnthropic(json, translate),
          };
        },
      );
    };
    const sent = withoutRefusedReasoning(client, provider);
    const result = await post(sent);
    if (result.ok || !refusesEncryptedReasoning(result.status, result.bodyText)) return result;
    if (request.resends.left <= 0) return result;
    // Reasoning made elsewhere (another server or account behind this id): one refused round trip,
    // then the session goes on without it.
    noteRefusedReasoning(provider, sent);
    const again = withoutRefusedReasoning(client, provider);
    if (again === sent) return result;
    request.resends.left--;
    const why = "encrypted reasoning made elsewhere could not be decrypted: sent again without " +
      "the history's reasoning";
    request.log?.warn(`${describeTarget(provider.id, model)} ${why}`);
    request.trace?.again(result.status, why);
    return await post(again);
  },
};
