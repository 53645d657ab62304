/**
 * Gemini `finishReason` / `usageMetadata` → Anthropic stop reasons and usage: const
 * tables and small pure functions shared by the streaming and non-streaming paths.
 */

import type { StopReason } from "../../protocols/anthropic.ts";
import type { GeminiUsageMetadata } from "../../protocols/gemini.ts";
import type { UpstreamUsage } from "../openai_chat/usage.ts";

/** `finishReason` → `stop_reason`; reasons not listed end the turn with a note. */
export const STOP_REASON_OF_FINISH: Readonly<Record<string, StopReason>> = {
  STOP: "end_turn",
  FINISH_REASON_UNSPECIFIED: "end_turn",
  MAX_TOKENS: "max_tokens",
  // Output withheld by a filter (safety, copyright recitation, blocklists, PII…).
  SAFETY: "refusal",
  RECITATION: "refusal",
  LANGUAGE: "refusal",
  BLOCKLIST: "refusal",
  PROHIBITED_CONTENT: "refusal",
  SPII: "refusal",
  IMAGE_SAFETY: "refusal",
  IMAGE_PROHIBITED_CONTENT: "refusal",
  IMAGE_RECITATION: "refusal",
};

/** True when the finish reason deserves a visible explanation (filters, malformed calls…). */
export function finishNeedsNote(reason: string): boolean {
  const mapped = STOP_REASON_OF_FINISH[reason];
  return mapped === undefined || mapped === "refusal";
}

/** The text shown when Gemini ended an answer abnormally. */
export function finishNote(reason: string, message: string | undefined): string {
  const detail = message ? `: ${message}` : "";
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
