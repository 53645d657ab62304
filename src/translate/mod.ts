/** The Anthropic <-> OpenAI Chat Completions translation layer (pure modules, no HTTP). */

export { toOpenAIChatRequest } from "./openai_chat/request.ts";
export { openAIChatTranslation } from "./openai_chat/stream.ts";
export type { TranslateOptions } from "./openai_chat/translator.ts";
export { openAIResponseToAnthropic } from "./openai_chat/response.ts";
export { offeredToolsOf } from "./openai_chat/content_pipe.ts";
export { OPENAI_DIALECTS } from "./openai_chat/dialects.ts";
