/**
 * A certain upper bound of what `countRequestTokens` returns for a request, from one walk
 * over it and no tokenizing: a request under a token threshold by this bound cannot be over it by
 * the count. Loose on purpose (about 26 tokens per character of text): it only spares counting
 * requests that are small anyway, and must hold whatever the text, model and cache state.
 */
import { DEFAULT_CALIBRATION } from "./calibration.ts";
import { MAX_TOOL_DEFINITION_TOKENS } from "./tool_tokens.ts";
import { HIGH_RES_TIER, MAX_TOOL_PROMPT_TOKENS, STANDARD_TIER } from "./models.ts";
import { isRecord } from "../core/json.ts";

const cal = DEFAULT_CALIBRATION;
// o200k tokens per UTF-16 unit at most: BPE gives at most one per UTF-8 byte (three per unit), and
// the sampled and extrapolated estimates scale ratios measured on text under the same limit.
const TEXT_TOKENS_PER_UNIT = 3;
// Claude tokens per o200k token at most (the newer tokenizer's ratio applies to unknown models).
const TEXT_FACTOR = cal.legacyTextFactor * Math.max(1, cal.currentTokenizerRatio);
// JSON.stringify writes a character as at most six (`\u001f`), and a number as at most 25.
const JSON_UNITS_PER_UNIT = 6;
const JSON_NUMBER_UNITS = 32;
// The most a content block adds besides its text (tool_use 20, tool_result 15).
const MAX_BLOCK_TOKENS = Math.max(cal.toolUse, cal.toolResult);
const MAX_IMAGE_TOKENS = Math.max(STANDARD_TIER.maxTokens, HIGH_RES_TIER.maxTokens);
// A PDF given by URL or file id; a base64 one is counted by pages read from its bytes, unbounded.
const MAX_UNKNOWN_PDF_TOKENS = cal.unknownPdfPages *
  Math.max(cal.pdfPage.legacy, cal.pdfPage.current);
// Deeper than this, the walk gives up (a parsed body is never this deep; the count decides).
const MAX_DEPTH = 256;

const TOKENS_PER_JSON_UNIT = TEXT_TOKENS_PER_UNIT * TEXT_FACTOR;

interface Walk {
  /** An upper bound of the JSON text length of everything walked. */
  jsonUnits: number;
  /** Tokens the counter adds besides text: blocks, images, PDFs. */
  fixed: number;
  /** The walk stops once the bound passes this. */
  readonly stopAbove: number;
}

const bound = (state: Walk) => state.jsonUnits * TOKENS_PER_JSON_UNIT + state.fixed;

function walk(state: Walk, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) state.fixed = Infinity;
  else if (typeof value === "string") state.jsonUnits += 2 + JSON_UNITS_PER_UNIT * value.length;
  else if (Array.isArray(value)) {
    state.jsonUnits += 2 + value.length;
    for (const item of value) {
      walk(state, item, depth + 1);
      if (bound(state) > state.stopAbove) return;
    }
  } else if (isRecord(value)) {
    state.jsonUnits += 2;
    state.fixed += MAX_BLOCK_TOKENS + blockTokens(value);
    for (const key in value) {
      state.jsonUnits += 4 + JSON_UNITS_PER_UNIT * key.length;
      walk(state, value[key], depth + 1);
      if (bound(state) > state.stopAbove) return;
    }
  } else state.jsonUnits += JSON_NUMBER_UNITS;
}

// Images and PDFs count by size or pages rather than by their text.
function blockTokens(block: Record<string, unknown>): number {
  if (block.type === "image") return MAX_IMAGE_TOKENS;
  if (block.type !== "document") return 0;
  const source = isRecord(block.source) ? block.source : {};
  return source.type === "base64" ? Infinity : MAX_UNKNOWN_PDF_TOKENS;
}

/**
 * At least the input tokens `countRequestTokens` gives `request` with the default calibration, in
 * any mode and cache state; `Infinity` when nothing short of counting bounds it (a base64 PDF).
 * Every text the counter reads is a string of the request or the JSON of a part of it, so the JSON
 * length of the whole request bounds their total length. Once the bound passes `stopAbove` the
 * walk stops and returns a value above it, which is all a threshold check needs: a long session
 * is not walked to its end.
 */
export function maxRequestTokens(request: Record<string, unknown>, stopAbove = Infinity): number {
  const messages = Array.isArray(request.messages) ? request.messages.length : 0;
  const tools = Array.isArray(request.tools) ? request.tools.length : 0;
  let fixed = cal.request + cal.system + cal.thinking + messages * cal.message;
  if (tools > 0) fixed += MAX_TOOL_PROMPT_TOKENS + tools * MAX_TOOL_DEFINITION_TOKENS;
  const state: Walk = { jsonUnits: 0, fixed, stopAbove };
  walk(state, request, 0);
  // Encrypted payloads count at 0.19 tokens per character, well within the text bound.
  return Math.ceil(bound(state));
}
