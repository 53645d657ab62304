/**
 * Offline estimate of Anthropic's `input_tokens` for a Messages request, used for
 * `POST /v1/messages/count_tokens` and `message_start.usage.input_tokens` of translated streams.
 */
import { type Calibration, DEFAULT_CALIBRATION } from "./calibration.ts";
import { addContent } from "./content.ts";
import { modelProfile } from "./models.ts";
import { OTHER_SERVER_TOOL_TOKENS, SERVER_TOOL_TOKENS } from "./tool_tokens.ts";
import { addJson, addText, safeJson, type Tally } from "./tally.ts";
import { isRecord } from "../core/json.ts";
import { loadedToolNames } from "../protocols/deferred_tools.ts";
import { sharedTokenCache, TextCounter, type TextMode } from "./text_counter.ts";
import { loadO200k } from "./bpe.ts";
import type { TokenCache } from "./lru.ts";

/** Options of {@link countRequestTokens}; all optional. */
export interface CountOptions {
  /** Model whose tokenizer and limits apply; defaults to the request's `model`. */
  model?: string;
  /** `auto` (default) uses exact BPE within a time budget; `exact` always does. */
  mode?: TextMode;
  /** Text cache to use; `null` disables caching. Defaults to the process-wide cache. */
  cache?: TokenCache | null;
  /** Constants to use instead of {@link DEFAULT_CALIBRATION}. */
  calibration?: Calibration;
}

function addSystem(tally: Tally, system: unknown): void {
  if (system === undefined || system === null || system === "") return;
  if (Array.isArray(system) && system.length === 0) return;
  tally.fixed += tally.calibration.system;
  addContent(tally, system, false);
}

function isClientTool(tool: Record<string, unknown>): boolean {
  return tool.type === undefined || tool.type === "custom" || tool.input_schema !== undefined;
}

function addTools(tally: Tally, tools: unknown, toolChoice: unknown, messages: unknown): void {
  if (!Array.isArray(tools) || tools.length === 0) return;
  const choice = isRecord(toolChoice) ? toolChoice.type : undefined;
  const prompt = tally.profile.toolPrompt;
  tally.fixed += choice === "any" || choice === "tool" ? prompt.any : prompt.auto;
  let loaded: Set<string> | undefined;
  for (const tool of tools) {
    if (!isRecord(tool)) {
      addJson(tally, tool);
      continue;
    }
    // A deferred tool is in the context only once the conversation loads it.
    if (tool.defer_loading === true) {
      loaded ??= loadedToolNames(messages, toolChoice);
      if (!loaded.has(String(tool.name))) continue;
    }
    if (isClientTool(tool)) {
      tally.fixed += tally.calibration.tool;
      addText(tally, tool.name);
      addText(tally, tool.description);
      addJson(tally, tool.input_schema);
      addJson(tally, tool.input_examples);
      continue;
    }
    const type = String(tool.type);
    const known = SERVER_TOOL_TOKENS.find(([prefix]) => type.startsWith(prefix));
    tally.fixed += known ? known[1] : OTHER_SERVER_TOOL_TOKENS;
    addJson(tally, tool);
  }
}

function opensTurn(message: Record<string, unknown>): boolean {
  if (message.role !== "user") return false;
  const content = message.content;
  if (!Array.isArray(content)) return true;
  return !content.some((block) => isRecord(block) && block.type === "tool_result");
}

function addMessages(tally: Tally, messages: unknown): void {
  if (!Array.isArray(messages)) return;
  // Thinking from previous assistant turns is not counted, the current turn's is, as Anthropic
  // counts it. The current turn starts after the last user message that is not a tool-result
  // hand-back.
  let turnStart = 0;
  messages.forEach((message, index) => {
    if (isRecord(message) && opensTurn(message)) turnStart = index + 1;
  });
  messages.forEach((message, index) => {
    tally.fixed += tally.calibration.message;
    if (isRecord(message)) addContent(tally, message.content, index >= turnStart);
    else addJson(tally, message);
  });
}

function thinkingEnabled(thinking: unknown): boolean {
  return isRecord(thinking) && (thinking.type === "enabled" || thinking.type === "adaptive");
}

function count(request: Record<string, unknown>, options: CountOptions): number {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const profile = modelProfile(options.model ?? request.model);
  const tally: Tally = {
    text: new TextCounter(
      options.mode,
      options.cache === undefined ? sharedTokenCache : options.cache,
    ),
    profile,
    calibration,
    textTokens: 0,
    fixed: calibration.request,
  };
  addSystem(tally, request.system);
  addMessages(tally, request.messages);
  addTools(tally, request.tools, request.tool_choice, request.messages);
  if (thinkingEnabled(request.thinking)) tally.fixed += calibration.thinking;
  const factor = calibration.legacyTextFactor *
    (profile.tokenizer === "current" ? calibration.currentTokenizerRatio : 1);
  return Math.max(0, Math.round(tally.textTokens * factor + tally.fixed));
}

/**
 * Estimated input tokens of an Anthropic Messages request body. Accepts any value and never
 * throws: unknown block types and malformed parts are counted by their JSON text.
 */
export function countRequestTokens(request: unknown, options: CountOptions = {}): number {
  try {
    if (isRecord(request)) return count(request, options);
  } catch {
    // Fall through: an estimate beats an error for a counting endpoint.
  }
  return Math.ceil(safeJson(request).length / 4);
}

/** {@link countRequestTokens} after loading the tokenizer if this is its first use. */
export async function countRequestTokensAsync(
  request: unknown,
  options: CountOptions = {},
): Promise<number> {
  await loadO200k();
  return countRequestTokens(request, options);
}
