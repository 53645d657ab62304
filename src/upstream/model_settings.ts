/**
 * Applies per-model settings (provider `model_settings`, route variants) to one upstream
 * request. The Anthropic body is rewritten first, so each protocol's own translation turns the
 * result into its native switches; `extra_body` is merged into the final upstream JSON last.
 * Pure: inputs are never mutated.
 */

import type { ModelSettings, ReasoningEffort, WireProtocol } from "../config/types.ts";
import { deepMerge } from "../config/settings_merge.ts";
import { fitOutputToWindow } from "../core/context_overflow.ts";
import type { Effort } from "../protocols/anthropic.ts";
import type { ChatCompletionRequest } from "../protocols/openai_chat.ts";
import { dialectForModel, type OpenAIDialect } from "../translate/openai_chat/dialect.ts";
import { withoutDocuments } from "./http/refused_documents.ts";

type Json = Record<string, unknown>;

/** Replaces images for models without vision: a 400 would end the session, as images stay in history. */
export const IMAGE_PLACEHOLDER = "[image omitted: this model does not accept images]";

/** Budgets used when thinking is forced on with `type: enabled`; <=4096 reads as low effort. */
const BUDGET_OF_EFFORT: Readonly<Record<ReasoningEffort, number>> = {
  none: 0,
  minimal: 2048,
  low: 4096,
  medium: 16384,
  high: 32000,
  xhigh: 48000,
  max: 64000,
};

/** Anthropic's minimum thinking budget. */
const MIN_BUDGET = 1024;

/** What a request's thinking becomes: the client's, dropped, or forced off or on. */
export function thinkingMode(s: ModelSettings): "client" | "drop" | "off" | "on" {
  if (s.supports?.thinking === false) return "drop";
  if (s.thinking === "off" || s.reasoningEffort === "none") return "off";
  if (s.thinking === "on" || s.reasoningEffort !== undefined) return "on";
  return "client";
}

/** The effort to force, when thinking is forced on with one. */
function forcedEffort(s: ModelSettings): ReasoningEffort | undefined {
  return thinkingMode(s) === "on" && s.reasoningEffort !== "none" ? s.reasoningEffort : undefined;
}

/** The nearest effort Anthropic's request shape can carry (ccp's translators read these four). */
function nearestEffort(effort: ReasoningEffort): Effort {
  if (effort === "none" || effort === "minimal") return "low";
  return effort === "xhigh" ? "max" : effort;
}

function isJson(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function text(value: string): Json {
  return { type: "text", text: value === "" ? "(empty)" : value };
}

/** Text of a tool result's content; images and other blocks are returned to be kept beside it. */
function toolResultParts(content: unknown): { text: string; rest: Json[] } {
  if (typeof content === "string") return { text: content, rest: [] };
  const blocks = Array.isArray(content) ? content.filter(isJson) : [];
  const texts = blocks.filter((b) => b.type === "text").map((b) => String(b.text ?? ""));
  return { text: texts.join("\n"), rest: blocks.filter((b) => b.type !== "text") };
}

/** One content block as the model's capabilities allow (possibly several blocks, or none). */
function rewriteBlock(block: Json, s: ModelSettings): Json[] {
  const supports = s.supports ?? {};
  if (supports.thinking === false && /^(redacted_)?thinking$/.test(String(block.type))) return [];
  if (supports.tools === false && (block.type === "tool_use" || block.type === "server_tool_use")) {
    return [text(`[tool call ${String(block.name)}: ${JSON.stringify(block.input ?? {})}]`)];
  }
  if (supports.tools === false && block.type === "tool_result") {
    const { text: body, rest } = toolResultParts(block.content);
    const head = `[tool result${block.is_error === true ? " (error)" : ""}]`;
    return [text(body ? `${head}\n${body}` : head), ...rest.flatMap((b) => rewriteBlock(b, s))];
  }
  if (supports.images === false && block.type === "image") return [text(IMAGE_PLACEHOLDER)];
  if (supports.images === false && block.type === "tool_result" && Array.isArray(block.content)) {
    const content = block.content.filter(isJson).flatMap((b) => rewriteBlock(b, s));
    return [{ ...block, content }];
  }
  return [block];
}

/** Messages with every block the model cannot take rewritten; emptied turns are dropped. */
function rewriteMessages(messages: unknown, s: ModelSettings): unknown {
  if (!Array.isArray(messages)) return messages;
  return messages.flatMap((message) => {
    if (!isJson(message) || !Array.isArray(message.content)) return [message];
    const content = message.content.flatMap((b) => (isJson(b) ? rewriteBlock(b, s) : [b]));
    return content.length === 0 ? [] : [{ ...message, content }];
  });
}

/** `max_tokens` capped by the model's output limit and fitted into its context window. */
function cappedMaxTokens(value: unknown, s: ModelSettings, inputTokens?: number): unknown {
  if (typeof value !== "number" || value <= 0) return value;
  let out = s.maxOutputTokens !== undefined ? Math.min(value, s.maxOutputTokens) : value;
  if (s.contextWindow !== undefined && inputTokens !== undefined) {
    out = fitOutputToWindow(out, s.contextWindow, inputTokens);
  }
  return out;
}

/** Sets `thinking` and `output_config.effort` the way the settings force them. */
function applyThinking(body: Json, s: ModelSettings, protocol: WireProtocol): void {
  const mode = thinkingMode(s);
  const config = isJson(body.output_config) ? { ...body.output_config } : {};
  if (mode === "drop") {
    delete body.thinking;
    if ("effort" in config) {
      delete config.effort;
      if (Object.keys(config).length > 0) body.output_config = config;
      else delete body.output_config;
    }
  } else if (mode === "off") {
    // Anthropic-compatible servers all understand a missing `thinking`; not all know "disabled".
    if (protocol === "anthropic") delete body.thinking;
    else body.thinking = { type: "disabled" };
  } else if (mode === "on") {
    const effort = forcedEffort(s);
    if (protocol === "anthropic") forceAnthropicThinking(body, config, effort);
    else if (effort) {
      // Translators read effort from output_config; an adaptive request lets it beat a budget.
      body.thinking = { type: "adaptive" };
      body.output_config = { ...config, effort: nearestEffort(effort) };
    } else if (!isOn(body.thinking)) body.thinking = { type: "adaptive" };
  }
}

function isOn(thinking: unknown): boolean {
  return isJson(thinking) && (thinking.type === "enabled" || thinking.type === "adaptive");
}

/** Anthropic: the effort goes in output_config; a client without thinking gets a budget. */
function forceAnthropicThinking(body: Json, config: Json, effort?: ReasoningEffort): void {
  if (effort) body.output_config = { ...config, effort: anthropicEffort(effort) };
  const budget = Math.min(BUDGET_OF_EFFORT[effort ?? "medium"], Number(body.max_tokens) - 1);
  // `enabled` works on every Claude model and Anthropic-compatible server; extra_body can ask
  // for `adaptive` instead.
  if (isOn(body.thinking) || !(budget >= MIN_BUDGET)) return;
  body.thinking = { type: "enabled", budget_tokens: budget };
  // With thinking on, Anthropic refuses temperature != 1, any top_k and top_p below 0.95.
  if (body.temperature !== undefined && body.temperature !== 1) delete body.temperature;
  if (typeof body.top_p === "number" && body.top_p < 0.95) delete body.top_p;
  delete body.top_k;
}

/** Anthropic takes `xhigh` and `max` on the models that have them; `minimal` is not a level. */
function anthropicEffort(effort: ReasoningEffort): string {
  return effort === "minimal" ? "low" : effort;
}

/** A budget that no longer fits under a lowered `max_tokens` shrinks (or thinking goes). */
function fitBudget(body: Json, before: unknown, protocol: WireProtocol): void {
  const thinking = body.thinking;
  const max = body.max_tokens;
  if (!isJson(thinking) || thinking.type !== "enabled" || typeof max !== "number") return;
  const budget = thinking.budget_tokens;
  if (typeof budget !== "number" || budget < max || max === before) return;
  if (max - 1 >= MIN_BUDGET) body.thinking = { ...thinking, budget_tokens: max - 1 };
  else if (protocol === "anthropic") delete body.thinking;
  else body.thinking = { type: "adaptive" };
}

/**
 * The Anthropic body rewritten for the model's settings: unsupported content replaced, tools
 * dropped, `max_tokens` capped, thinking forced. `inputTokens` is needed only with a context window.
 */
export function applyModelSettings<T extends Json>(
  body: Readonly<T>,
  s: ModelSettings,
  ctx: { protocol: WireProtocol; inputTokens?: number },
): T {
  if (Object.keys(s).length === 0) return body as T;
  const out: Json = { ...body };
  const supports = s.supports ?? {};
  if (supports.images === false || supports.tools === false || supports.thinking === false) {
    out.messages = rewriteMessages(body.messages, s);
  }
  if (supports.documents === false) {
    out.messages = withoutDocuments({ messages: out.messages }).messages;
  }
  if (supports.tools === false) {
    delete out.tools;
    delete out.tool_choice;
  }
  out.max_tokens = cappedMaxTokens(body.max_tokens, s, ctx.inputTokens);
  if (out.max_tokens === undefined) delete out.max_tokens;
  applyThinking(out, s, ctx.protocol);
  fitBudget(out, body.max_tokens, ctx.protocol);
  return out as T;
}

/** Merges the settings' `extra_body` into a finished upstream body (`null` removes a field). */
export function withExtraBody<T extends object>(body: T, s: ModelSettings): T {
  return s.extraBody ? (deepMerge(body as Readonly<Json>, s.extraBody) as T) : body;
}

/**
 * The dialect for this request: with `supports.thinking: false` no reasoning switch is sent;
 * `supports.images`, `supports.documents` and `text_tool_calls` replace the dialect's defaults.
 */
export function dialectWithSettings(
  dialect: OpenAIDialect,
  model: string,
  s: ModelSettings,
): OpenAIDialect {
  const noThinking = s.supports?.thinking === false;
  const images = s.supports?.images;
  const documents = s.supports?.documents;
  if (
    !noThinking && s.textToolCalls === undefined && images === undefined && documents === undefined
  ) return dialect;
  // Model patches are applied first so none can undo a setting.
  return {
    ...dialectForModel(dialect, model),
    models: [],
    ...(noThinking
      ? { reasoningSwitch: { kind: "none" }, reasoningReplay: "none", reasoningAllowance: 0 }
      : {}),
    ...(s.textToolCalls !== undefined ? { textToolCalls: s.textToolCalls } : {}),
    // A model the dialect marks text only may read images under a newer name or release.
    ...(images !== undefined ? { supportsImages: images } : {}),
    // A generic server (LiteLLM, vLLM, Azure) may read PDFs as `file` parts: the user says so.
    ...(documents !== undefined ? { supportsDocuments: documents } : {}),
  };
}

/** Sends a forced effort verbatim when the provider's switch lists that exact level. */
export function withExactEffort(
  chat: ChatCompletionRequest,
  dialect: OpenAIDialect,
  model: string,
  s: ModelSettings,
): ChatCompletionRequest {
  const effort = forcedEffort(s);
  if (!effort) return chat;
  const sw = dialectForModel(dialect, model).reasoningSwitch;
  const levels = sw.kind === "reasoning_effort" || sw.kind === "thinking_type"
    ? sw.levels
    : undefined;
  return levels?.includes(effort) ? { ...chat, reasoning_effort: effort } : chat;
}
