/**
 * The Transport for `type: gemini` providers: Anthropic <-> Gemini `generateContent` translation.
 */

import { settingsFor } from "../../config/settings_merge.ts";
import { renamedTools } from "../../translate/gemini/names.ts";
import { toGeminiRequest } from "../../translate/gemini/request.ts";
import { geminiResponseToAnthropic } from "../../translate/gemini/response.ts";
import { geminiTranslation } from "../../translate/gemini/stream.ts";
import type { GeminiTranslateOptions } from "../../translate/gemini/translator.ts";
import { geminiUrl } from "../http/endpoints.ts";
import { applyModelSettings, withExtraBody } from "../model_settings.ts";
import { type AnswerBasics, sendTranslated } from "../translated_answer.ts";
import { describeTarget } from "../../core/text.ts";
import { type FailedStartKind, failedStartKind } from "./malformed_call.ts";
import type { AttemptFailure, AttemptSuccess, Transport, TransportRequest } from "../transport.ts";
import { hidesThinking } from "../../translate/anthropic/blocks.ts";

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
    const url = geminiUrl(provider.baseUrl, model, stream);
    const translation = (basics: AnswerBasics) => {
      const translate: GeminiTranslateOptions = {
        ...basics,
        toolNames: renamedTools(client.tools),
        tools: client.tools,
        ...(hidesThinking(client.thinking) ? { omitThinking: true } : {}),
      };
      return {
        stream: () => geminiTranslation(translate),
        message: (json: unknown) => geminiResponseToAnthropic(json, translate),
      };
    };
    // Gemini's error body {error: {code, message, status}} is read by postJson's mapping.
    let failed: FailedStartKind | undefined;
    const first = await sendTranslated(request, {
      url,
      body,
      stream,
      failedStart: (data) => (failed = failedStartKind(data)) !== undefined,
    }, translation);
    if (first.ok || !failed) return first;
    // Nothing reached the client: one more try, whose answer goes on whatever it is (a second
    // malformed call ends with its note), so a model that keeps failing costs one request more.
    request.log?.warn(
      `${describeTarget(provider.id, model)}: ` +
        (failed === "malformed call"
          ? "the model wrote a malformed function call before anything else " +
            "(MALFORMED_FUNCTION_CALL); asking once more"
          : "the model ended its answer without any content (finishReason STOP); asking once more"),
    );
    request.trace?.again(
      200,
      failed === "malformed call"
        ? "the model's answer began with a malformed function call: asked once more"
        : "the model's answer ended without any content: asked once more",
    );
    return await sendTranslated(request, { url, body, stream }, translation);
  },
};
