/**
 * Gemini `finishReason` / `usageMetadata` -> Anthropic stop reasons and usage: const
 * tables and small pure functions shared by the streaming and non-streaming paths.
 */

import { ownValue } from "../../core/json.ts";
import type { StopReason } from "../../protocols/anthropic.ts";
import type { GeminiUsageMetadata } from "../../protocols/gemini.ts";
import type { UpstreamUsage } from "../openai_chat/usage.ts";

/**
 * `finishReason` -> `stop_reason`; reasons not listed end the turn with a note. Only Google's
 * safety and policy filters are a `refusal`: Claude Code answers a refusal with its own wording
 * (the model "can't help with this", a link to Anthropic's usage policy, "start a new session"),
 * which is wrong for an answer stopped for another reason. Those end the turn, their note saying
 * what happened.
 */
export const STOP_REASON_OF_FINISH: Readonly<Record<string, StopReason>> = {
  STOP: "end_turn",
  FINISH_REASON_UNSPECIFIED: "end_turn",
  MAX_TOKENS: "max_tokens",
  // Output withheld by a safety or policy filter (harm categories, blocklists, PII...).
  SAFETY: "refusal",
  BLOCKLIST: "refusal",
  PROHIBITED_CONTENT: "refusal",
  SPII: "refusal",
  IMAGE_SAFETY: "refusal",
  IMAGE_PROHIBITED_CONTENT: "refusal",
  MODEL_ARMOR: "refusal", // Vertex AI: the project's Model Armor policy withheld the answer
  // Output withheld for what it is, not what it says: too close to a source, or a language the
  // model does not support.
  RECITATION: "end_turn",
  IMAGE_RECITATION: "end_turn",
  LANGUAGE: "end_turn",
};

/** What happened, for finish reasons a user could not guess from their name. */
const EXPLAINED: Readonly<Record<string, string>> = {
  RECITATION: "Gemini stopped the answer because it matched existing text or code (a published " +
    "source) too closely; Google withholds such output. Asking for the change in other words, " +
    "or in smaller pieces, may get past it",
  IMAGE_RECITATION: "Gemini withheld the image because it matched an existing image too closely",
  LANGUAGE: "Gemini stopped the answer because it was in a language the model does not support",
  MALFORMED_FUNCTION_CALL: "Gemini stopped the answer because the tool call it wrote does not " +
    "parse. Asking again usually gets a good call",
  UNEXPECTED_TOOL_CALL: "Gemini stopped the answer because it called a tool the request did " +
    "not offer it, or did not let it call",
  TOO_MANY_TOOL_CALLS: "Gemini stopped the answer because it called tools too many times in a row",
  MISSING_THOUGHT_SIGNATURE: "Gemini stopped the answer because a tool call of an earlier turn " +
    "came back without the thought signature Gemini gave it. A new conversation avoids it",
  MALFORMED_RESPONSE: "Gemini stopped the answer because its own answer was malformed. Asking " +
    "again may get past it",
};

/** True when the finish reason deserves a visible explanation (filters, malformed calls...). */
export function finishNeedsNote(reason: string): boolean {
  const mapped = ownValue(STOP_REASON_OF_FINISH, reason);
  return mapped === undefined || mapped === "refusal" || Object.hasOwn(EXPLAINED, reason);
}

/** The text shown when Gemini ended an answer abnormally. */
export function finishNote(reason: string, message: string | undefined): string {
  const detail = message ? `: ${message}` : "";
  const explained = ownValue(EXPLAINED, reason);
  if (explained) return `[${explained} (finishReason ${reason}${detail}).]`;
  return `[Gemini ended the answer with finishReason ${reason}${detail}]`;
}

/** The text shown when Gemini refused the prompt itself (`promptFeedback.blockReason`). */
export function blockNote(reason: string, message: string | undefined): string {
  const detail = message ? `: ${message}` : "";
  return `[Gemini refused the request: the prompt was blocked (blockReason ${reason})${detail}]`;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Reads `usageMetadata`: `candidatesTokenCount` excludes thoughts (`thoughtsTokenCount`),
 * which Anthropic counts as output, so the caller adds them (`reasoningTokensSeparate`).
 */
export function readGeminiUsage(meta: GeminiUsageMetadata): UpstreamUsage {
  const thoughts = count(meta.thoughtsTokenCount);
  const candidates = count(meta.candidatesTokenCount);
  const prompt = count(meta.promptTokenCount);
  return {
    prompt,
    // A blocked prompt or a thoughts-only answer reports no candidate tokens: that is 0.
    completion: candidates ?? (prompt !== undefined || thoughts !== undefined ? 0 : undefined),
    cached: count(meta.cachedContentTokenCount),
    reasoning: thoughts,
  };
}
