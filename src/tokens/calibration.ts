/**
 * Constants that turn o200k counts into Claude token estimates. How each number was obtained is
 * written next to it; tests/tokens/calibration_test.ts measures the result against published
 * counts in tests/fixtures/tokens/published_counts.json.
 */

/** Tunable constants of the estimate (all in Claude tokens unless noted). */
export interface Calibration {
  /** Claude tokens per o200k token for models before Claude 4.7. */
  readonly legacyTextFactor: number;
  /** How many more tokens the Claude 4.7+ tokenizer produces for the same text. */
  readonly currentTokenizerRatio: number;
  /** Once per request (conversation framing). */
  readonly request: number;
  /** Per message, any role (role header and turn separator). */
  readonly message: number;
  /** When a system prompt is present. */
  readonly system: number;
  /** Per client tool definition, on top of its name, description and schema. */
  readonly tool: number;
  /** Per tool_use block, on top of its name and input JSON. */
  readonly toolUse: number;
  /** Per tool_result block, on top of its content. */
  readonly toolResult: number;
  /** When extended or adaptive thinking is enabled. */
  readonly thinking: number;
  /** Per PDF page, models before Claude 4.7 and from Claude 4.7 on. */
  readonly pdfPage: { readonly legacy: number; readonly current: number };
  /** Pages assumed for a PDF given by URL or file id (its bytes are not in the request). */
  readonly unknownPdfPages: number;
}

/**
 * Default calibration.
 *
 * - `legacyTextFactor` 1.10: Claude Haiku 4.5 counted 1.07-1.13 times GPT's (o200k-family) tokens
 *   on the same pasted page and CSV in a published measurement; fits to the fixtures alone give
 *   1.04-1.18, as they hold too few long texts to decide.
 * - `request` 3, `message` 4, `system` 0, `thinking` 25: fitted (minimum mean absolute percentage
 *   error) to the fixtures with the factor fixed; `thinking` rests on one sample (88 tokens).
 * - `tool` 15: the two tool samples disagree (Anthropic's get_weather wants about -7, an AI SDK
 *   call on Claude 3.5 Haiku about +30), so the value splits the difference (~5 % off each).
 * - `currentTokenizerRatio` 1.325: Anthropic says Claude 4.7+ produces about 30 % more tokens; a
 *   published audit of real Claude Code content measured 1.325. With the factor above this is
 *   1.46 o200k->Claude 5.x, close to the page-and-CSV measurement's 1.44 (CSV) and 1.56 (prose).
 *   No published 4.7+ count with a sizeable text and its exact body was found, so no fixture
 *   checks it.
 * - `toolUse` 20, `toolResult` 15: no published sample isolates them; they approximate the XML
 *   wrappers of Claude's prompt format around calls and results. Unvalidated.
 * - `pdfPage`: text pages measured 2,098-2,115 (Claude Haiku 4.5) and 2,324-2,347 (Claude 5.5)
 *   in the page-and-CSV measurement; Anthropic gives 1,500-3,000 per page.
 * - `unknownPdfPages` 5: a guess; count_tokens itself rejects url and file sources.
 */
export const DEFAULT_CALIBRATION: Calibration = {
  legacyTextFactor: 1.1,
  currentTokenizerRatio: 1.325,
  request: 3,
  message: 4,
  system: 0,
  tool: 15,
  toolUse: 20,
  toolResult: 15,
  thinking: 25,
  pdfPage: { legacy: 2_100, current: 2_330 },
  unknownPdfPages: 5,
};
