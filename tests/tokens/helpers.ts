/** Shared helpers of the token tests: a transparent calibration and an o200k reference count. */
import { countTokens } from "../helpers/gpt_tokenizer.ts";
import { type Calibration, countRequestTokens, loadO200k } from "../../src/tokens/mod.ts";

// The tokenizer loads on first need in ccp; tests count synchronously, so load it up front.
await loadO200k();

/** No overheads and factor 1, so a count equals the o200k tokens of exactly the counted text. */
export const PLAIN: Calibration = {
  legacyTextFactor: 1,
  currentTokenizerRatio: 1,
  request: 0,
  message: 0,
  system: 0,
  tool: 0,
  toolUse: 0,
  toolResult: 0,
  thinking: 0,
  pdfPage: { legacy: 1000, current: 2000 },
  unknownPdfPages: 3,
};

/** o200k tokens of a string, straight from the library. */
export function o200k(text: string): number {
  return countTokens(text, { disallowedSpecial: new Set() });
}

/** A model before Claude 4.7 (legacy tokenizer, standard image tier). */
export const LEGACY = "claude-sonnet-4-5";
/** A Claude 4.7+ model (current tokenizer, high-resolution image tier). */
export const CURRENT = "claude-opus-4-7";

/** Count `messages` (and optional extra fields) with {@link PLAIN} and no cache. */
export function plain(body: Record<string, unknown>, calibration: Calibration = PLAIN): number {
  return countRequestTokens({ model: LEGACY, ...body }, { calibration, cache: null });
}

/** A single user message holding `content`. */
export function userSays(content: unknown): Record<string, unknown> {
  return { messages: [{ role: "user", content }] };
}
