/** The smallest Messages API request a request mapper accepts, with `extra` laid over it. */

import type { MessagesRequest } from "../../src/protocols/anthropic.ts";

export function req(extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return {
    model: "claude-x",
    max_tokens: 1000,
    messages: [{ role: "user", content: "Hi" }],
    ...extra,
  };
}
