/**
 * How Claude Code (2.1.332, read from its bundled code) builds an answer's usage from a stream:
 * `message_start`'s usage, then each `message_delta`'s merged in, where a later `input_tokens`,
 * `cache_creation_input_tokens` or `cache_read_input_tokens` replaces the earlier one only when
 * it is above 0 (`output_tokens` whenever present). Its context meter is the sum of the three
 * input counts.
 */

import type { Frame } from "../translate/_stream_helpers.ts";

/** The input counts Claude Code keeps for an answer. */
export interface KeptUsage {
  input: number;
  cacheCreation: number;
  cacheRead: number;
  output: number;
}

/** The usage Claude Code keeps after reading `frames` (ccp's SSE, parsed). */
export function keptUsage(frames: readonly Frame[]): KeptUsage {
  const kept: KeptUsage = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0 };
  const later = (value: unknown, earlier: number) =>
    typeof value === "number" && value > 0 ? value : earlier;
  for (const { event, data } of frames) {
    const u = event === "message_start"
      ? data.message?.usage
      : event === "message_delta"
      ? data.usage
      : undefined;
    if (!u) continue;
    kept.input = later(u.input_tokens, kept.input);
    kept.cacheCreation = later(u.cache_creation_input_tokens, kept.cacheCreation);
    kept.cacheRead = later(u.cache_read_input_tokens, kept.cacheRead);
    if (typeof u.output_tokens === "number") kept.output = u.output_tokens;
  }
  return kept;
}

/** The prompt's size on Claude Code's context meter. */
export function meteredPrompt(u: KeptUsage): number {
  return u.input + u.cacheCreation + u.cacheRead;
}
