/**
 * What the OpenAI Chat translator tests share: chunks made from a delta, and a run of upstream
 * events through the translator, checked to be a well-formed Anthropic stream.
 */

import type { AnthropicMessage, AnthropicStreamEvent } from "../../../src/protocols/anthropic.ts";
import type { ChatCompletionChunk, ChatDelta } from "../../../src/protocols/openai_chat.ts";
import { accumulateAnthropicEvents } from "../../../src/translate/anthropic/accumulate.ts";
import type { UpstreamEvent } from "../../../src/translate/openai_chat/events.ts";
import {
  OpenAIToAnthropicTranslator,
  type TranslateOptions,
} from "../../../src/translate/openai_chat/translator.ts";
import { assertWellFormed, type Frame, type FrameData } from "../_stream_helpers.ts";

export const OPTIONS: TranslateOptions = {
  clientModel: "c",
  inputTokens: 10,
  provider: "p",
  upstreamModel: "m",
};

export function delta(d: ChatDelta, finish: string | null = null): UpstreamEvent {
  const chunk: ChatCompletionChunk = { choices: [{ index: 0, delta: d, finish_reason: finish }] };
  return { kind: "chunk", chunk };
}

export function run(
  events: UpstreamEvent[],
  options: Partial<TranslateOptions> = {},
): AnthropicStreamEvent[] {
  const t = new OpenAIToAnthropicTranslator({ ...OPTIONS, ...options });
  const out = events.flatMap((e) => t.push(e));
  out.push(...t.end());
  assertWellFormed(out.map((e): Frame => ({ event: e.type, data: e as unknown as FrameData })));
  return out;
}

export function message(
  events: UpstreamEvent[],
  options: Partial<TranslateOptions> = {},
): AnthropicMessage {
  return accumulateAnthropicEvents(run(events, options));
}

export const DONE: UpstreamEvent = { kind: "done" };
