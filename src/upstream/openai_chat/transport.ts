/** The Transport for `type: openai` providers: Anthropic <-> Chat Completions translation. */

import { settingsFor } from "../../config/settings_merge.ts";
import {
  offeredToolsOf,
  openAIChatTranslation,
  openAIResponseToAnthropic,
  toOpenAIChatRequest,
  type TranslateOptions,
} from "../../translate/mod.ts";
import { dialectForModel } from "../../translate/openai_chat/dialect.ts";
import { OPENAI_TOOL_NAMES, renamedToolNames } from "../../translate/tool_names.ts";
import { openAIChatUrl } from "../http/endpoints.ts";
import {
  applyModelSettings,
  dialectWithSettings,
  withExactEffort,
  withExtraBody,
} from "../model_settings.ts";
import { historyToolIds } from "../../translate/anthropic/tool_use_ids.ts";
import { sendTranslated } from "../translated_answer.ts";
import {
  googleUnaskedThinking,
  withGeminiThoughts,
  withGeminiUnaskedLevel,
} from "./gemini_thoughts.ts";
import type { AttemptFailure, AttemptSuccess, Transport, TransportRequest } from "../transport.ts";
import { hidesThinking } from "../../translate/anthropic/blocks.ts";
import { serverTag } from "../../resilience/server_key.ts";

/** Sends Anthropic Messages requests to an OpenAI Chat Completions upstream. */
export const openAITransport: Transport = {
  async send(request: TransportRequest): Promise<AttemptSuccess | AttemptFailure> {
    const { provider, model } = request;
    const settings = settingsFor(provider, model, request.settings);
    const dialect = dialectWithSettings(provider.dialect, model, settings);
    const inputTokens = settings.contextWindow ? await request.inputTokens() : undefined;
    const client = applyModelSettings(request.body, settings, { protocol: "openai", inputTokens });
    const unasked = (client.thinking === undefined || client.thinking.type === "disabled") &&
        dialectForModel(dialect, model).reasoningSwitch.kind === "reasoning_effort"
      ? googleUnaskedThinking(model, provider.baseUrl)
      : undefined;
    const translated = toOpenAIChatRequest(client, {
      dialect: unasked ? { ...dialect, reasoningAllowance: unasked.allowance } : dialect,
      model,
      provider: provider.id,
      server: serverTag(provider),
      ...(settings.maxOutputTokens ? { maxOutputTokens: settings.maxOutputTokens } : {}),
      ...(settings.contextWindow ? { contextWindow: settings.contextWindow, inputTokens } : {}),
    });
    const omitted = hidesThinking(client.thinking);
    // Thoughts only for a client that shows them; the calls' signatures come either way.
    const thoughts = client.thinking !== undefined && client.thinking.type !== "disabled" &&
      !omitted && dialect.reasoningSwitch.kind !== "none";
    const asked = withGeminiThoughts(translated, thoughts, provider.baseUrl);
    const leveled = withGeminiUnaskedLevel(asked, unasked);
    const chat = withExtraBody(withExactEffort(leveled, dialect, model, settings), settings);
    const toolIds = historyToolIds(client.messages);
    return await sendTranslated(
      request,
      { url: openAIChatUrl(provider.baseUrl), body: chat, stream: chat.stream === true },
      (basics) => {
        const translate: TranslateOptions = {
          ...basics,
          dialect,
          stopSequences: client.stop_sequences as string[] | undefined,
          toolNames: renamedToolNames(client.tools, OPENAI_TOOL_NAMES),
          historyToolIds: toolIds,
          ...(omitted ? { omitThinking: true } : {}),
          ...(client.tools?.some((tool) => tool.name === "no_tool") ? { offeredNoTool: true } : {}),
          // A model patch may turn the recovery on (Kimi K2 on a host that serves many models).
          ...(dialectForModel(dialect, model).textToolCalls
            ? { tools: offeredToolsOf(chat.tools) }
            : {}),
        };
        return {
          stream: () => openAIChatTranslation(translate),
          message: (json) => openAIResponseToAnthropic(json, translate),
        };
      },
    );
  },
};
