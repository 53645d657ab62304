/** Token counting of message content: strings and every content-block type, known or not. */
import { imageTokens, readImageSize } from "./image_size.ts";
import { pdfPageCount } from "./pdf_pages.ts";
import { addJson, addText, type Tally } from "./tally.ts";
import { isRecord } from "../core/json.ts";
import { decodeCcpSignature } from "../translate/reasoning/provenance.ts";

/**
 * Encrypted payloads (redacted thinking, web search `encrypted_content`) are base64 of roughly
 * the plaintext's bytes: 4/3 base64 characters per byte and ~4 bytes per token of plaintext.
 */
export const TOKENS_PER_ENCRYPTED_CHAR = 0.1875;

// Nested tool results deeper than this are counted as JSON instead of walked.
const MAX_DEPTH = 8;

function imageBlock(tally: Tally, block: Record<string, unknown>): void {
  const source = isRecord(block.source) ? block.source : {};
  const tier = tally.profile.imageTier;
  const size = source.type === "base64" && typeof source.data === "string"
    ? readImageSize(source.data)
    : undefined;
  // URL and file images carry no bytes: assume the tier's maximum, an upper bound.
  tally.fixed += size ? imageTokens(size.width, size.height, tier) : tier.maxTokens;
}

function documentBlock(tally: Tally, block: Record<string, unknown>, depth: number): void {
  addText(tally, block.title);
  addText(tally, block.context);
  const source = isRecord(block.source) ? block.source : {};
  const perPage = tally.calibration.pdfPage[tally.profile.tokenizer];
  if (source.type === "text") addText(tally, source.data);
  else if (source.type === "content") addContent(tally, source.content, false, depth + 1);
  else if (source.type === "base64" && typeof source.data === "string") {
    tally.fixed += pdfPageCount(source.data) * perPage;
  } else tally.fixed += tally.calibration.unknownPdfPages * perPage;
}

function toolResultBlock(tally: Tally, block: Record<string, unknown>, depth: number): void {
  tally.fixed += tally.calibration.toolResult;
  addContent(tally, block.content, false, depth + 1);
}

function webSearchResults(tally: Tally, content: unknown): void {
  if (!Array.isArray(content)) return addJson(tally, content);
  for (const item of content) {
    if (!isRecord(item)) continue;
    addText(tally, item.url);
    addText(tally, item.title);
    addText(tally, item.page_age);
    if (typeof item.encrypted_content === "string") {
      tally.fixed += Math.round(item.encrypted_content.length * TOKENS_PER_ENCRYPTED_CHAR);
    }
  }
}

/** Count one content block; `thinking` says whether thinking blocks count (current turn only). */
function addBlock(tally: Tally, block: unknown, thinking: boolean, depth: number): void {
  if (typeof block === "string") return addText(tally, block);
  if (!isRecord(block)) return;
  switch (block.type) {
    case "text":
      return addText(tally, block.text);
    case "image":
      return imageBlock(tally, block);
    case "document":
      return documentBlock(tally, block, depth);
    case "tool_use":
    case "server_tool_use":
    case "mcp_tool_use":
      tally.fixed += tally.calibration.toolUse;
      addText(tally, block.name);
      return addJson(tally, block.input);
    case "tool_result":
    case "mcp_tool_result":
      return toolResultBlock(tally, block, depth);
    case "web_search_tool_result":
      tally.fixed += tally.calibration.toolResult;
      return webSearchResults(tally, block.content);
    case "thinking":
      if (!thinking) return;
      // A block shown empty (the client asked for no thinking text) may carry its reasoning in
      // ccp's signature, and that text goes upstream again: it counts as shown text would.
      return addText(tally, block.thinking || decodeCcpSignature(block.signature)?.text);
    case "redacted_thinking":
      if (thinking && typeof block.data === "string") {
        tally.fixed += Math.round(block.data.length * TOKENS_PER_ENCRYPTED_CHAR);
      }
      return;
    case "search_result":
      addText(tally, block.source);
      addText(tally, block.title);
      return addContent(tally, block.content, false, depth + 1);
    default:
      // Unknown or future block types (code execution results, compaction, ...): their JSON.
      if (typeof block.type === "string" && block.type.endsWith("_tool_result")) {
        tally.fixed += tally.calibration.toolResult;
      }
      return addJson(tally, block);
  }
}

/** Count message content: a string, an array of blocks, or anything else as JSON. */
export function addContent(tally: Tally, content: unknown, thinking: boolean, depth = 0): void {
  if (typeof content === "string") return addText(tally, content);
  if (!Array.isArray(content) || depth > MAX_DEPTH) return addJson(tally, content);
  for (const block of content) addBlock(tally, block, thinking, depth);
}
