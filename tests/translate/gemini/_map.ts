/** Maps a Messages API request to Gemini's, checking that the mapper left its input alone. */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import type { GeminiRequest } from "../../../src/protocols/gemini.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";

export function map(
  request: MessagesRequest,
  model = "gemini-2.5-flash",
  provider = "gem",
): GeminiRequest {
  const before = structuredClone(request);
  const out = toGeminiRequest(request, { provider, model });
  assert.deepEqual(request, before, "input not mutated");
  return out;
}
