/** The Anthropic ⇄ OpenAI Chat Completions translation layer (pure modules, no HTTP). */

export { type OpenAITarget, toOpenAIChatRequest } from "./openai_chat/request.ts";
export {
  openAIChatTranslation,
  openAIStreamToAnthropicEvents,
  OpenAIToAnthropicStream,
  type StreamTranslateOptions,
} from "./openai_chat/stream.ts";
export { OpenAIToAnthropicTranslator, type TranslateOptions } from "./openai_chat/translator.ts";
export { openAIResponseToAnthropic, responseToChunk } from "./openai_chat/response.ts";
export { offeredToolsOf } from "./openai_chat/content_pipe.ts";
export { accumulateAnthropicEvents } from "./anthropic/accumulate.ts";
export {
  AnthropicSseEncoderStream,
  encodeAnthropicEvent,
  encodeAnthropicEvents,
  pingFrame,
} from "./anthropic/sse.ts";
export { toUpstreamEvent, type UpstreamEvent } from "./openai_chat/events.ts";
export {
  DEFAULT_OPENAI_DIALECT,
  dialectForModel,
  type ModelPatch,
  type OpenAIDialect,
  type ReasoningField,
  type ReasoningReplay,
  type ReasoningSwitch,
} from "./openai_chat/dialect.ts";
export { OPENAI_DIALECTS, type OpenAIDialectName } from "./openai_chat/dialects.ts";
export { OPENAI_QUIRKS, type OpenAIQuirk, type OpenAIQuirkName } from "./openai_chat/quirks.ts";
export {
  CCP_SIGNATURE_PREFIX,
  decodeCcpSignature,
  encodeCcpSignature,
  isCcpSignature,
  modelFamily,
  type ReasoningProvenance,
  type ReasoningSource,
  sameReasoningOrigin,
  sameReasoningTarget,
  stripCcpThinking,
} from "./reasoning/provenance.ts";
