/** The Transport for `type: gemini` providers: Anthropic ⇄ Gemini `generateContent` translation. */

import { settingsFor } from "../../config/settings_merge.ts";
import { renamedTools } from "../../translate/gemini/names.ts";
import { toGeminiRequest } from "../../translate/gemini/request.ts";
import { geminiResponseToAnthropic } from "../../translate/gemini/response.ts";
import { geminiTranslation } from "../../translate/gemini/stream.ts";
import type { GeminiTranslateOptions } from "../../translate/gemini/translator.ts";
import { geminiUrl } from "../http/endpoints.ts";
import { applyModelSettings, withExtraBody } from "../model_settings.ts";
import { sendTranslated } from "../translated_answer.ts";
import type { AttemptFailure, AttemptSuccess, Transport, TransportRequest } from "../transport.ts";

/** Sends Anthropic Messages requests to the Gemini API (key in `x-goog-api-key`). */
export const geminiTransport: Transport = {
  async send(request: TransportRequest): Promise<AttemptSuccess | AttemptFailure> {
    const { provider, model } = request;
    const settings = settingsFor(provider, model, request.settings);
    const inputTokens = settings.contextWindow ? await request.inputTokens() : undefined;
    const client = applyModelSettings(request.body, settings, { protocol: "gemini", inputTokens });
    const stream = client.stream === true;
    const target = {
      provider: provider.id,
      model,
      ...(settings.maxOutputTokens ? { maxOutputTokens: settings.maxOutputTokens } : {}),
      ...(settings.contextWindow ? { contextWindow: settings.contextWindow, inputTokens } : {}),
    };
    const body = withExtraBody(toGeminiRequest(client, target), settings);
    // Gemini's error body {error: {code, message, status}} is read by postJson's mapping.
    return await sendTranslated(
      request,
      { url: geminiUrl(provider.baseUrl, model, stream), body, stream },
      (basics) => {
        const translate: GeminiTranslateOptions = {
          ...basics,
          toolNames: renamedTools(client.tools),
          tools: client.tools,
        };
        return {
          stream: () => geminiTranslation(translate),
          message: (json) => geminiResponseToAnthropic(json, translate),
        };
      },
    );
  },
};
