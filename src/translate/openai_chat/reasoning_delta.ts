/** The reasoning a Chat Completions delta carries, whichever field the server writes it in. */

import type { ChatDelta } from "../../protocols/openai_chat.ts";
import { textOfReasoningDetails } from "../reasoning/capture.ts";
import type { ReasoningSource } from "../reasoning/provenance.ts";

/** A delta's reasoning: its text, the field it came in, and OpenRouter's details if any. */
export interface DeltaReasoning {
  readonly text: string;
  readonly source: ReasoningSource;
  readonly details?: readonly unknown[];
}

/**
 * `reasoning_content` (DeepSeek, vLLM, most servers) before `reasoning` (OpenRouter, Ollama);
 * `reasoning_details` alone gives its text. Undefined when the delta carries none.
 */
export function reasoningOfDelta(d: ChatDelta): DeltaReasoning | undefined {
  let text = "";
  let source: ReasoningSource = "reasoning_details";
  if (typeof d.reasoning_content === "string" && d.reasoning_content) {
    text = d.reasoning_content;
    source = "reasoning_content";
  } else if (typeof d.reasoning === "string" && d.reasoning) {
    text = d.reasoning;
    source = "reasoning";
  }
  const details = Array.isArray(d.reasoning_details) && d.reasoning_details.length > 0
    ? d.reasoning_details
    : undefined;
  if (!text && details) text = textOfReasoningDetails(details);
  if (!text && !details) return undefined;
  return details ? { text, source, details } : { text, source };
}
