/** The Anthropic ⇄ OpenAI Chat Completions translation layer (pure modules, no HTTP). */

export { toOpenAIChatRequest } from "./openai_chat/request.ts";
export { openAIChatTranslation, type StreamTranslateOptions } from "./openai_chat/stream.ts";
export { openAIResponseToAnthropic } from "./openai_chat/response.ts";
export { offeredToolsOf } from "./openai_chat/content_pipe.ts";
export { OPENAI_DIALECTS, type OpenAIDialectName } from "./openai_chat/dialects.ts";
export { encodeCcpSignature } from "./reasoning/provenance.ts";
