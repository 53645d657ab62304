/** The usage object an answer starts with, whichever protocol the upstream spoke. */

import type { AnthropicUsage } from "../../protocols/anthropic.ts";

/**
 * The complete usage object of `message_start`: every key Anthropic's API sends, null where a
 * translated upstream cannot say (where the model ran; the reasoning count, known only at the end).
 */
export function startUsage(inputTokens: number): AnthropicUsage {
  return {
    input_tokens: inputTokens,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
    service_tier: "standard",
    speed: "standard",
  };
}
