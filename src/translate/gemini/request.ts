/**
 * Anthropic Messages request -> Gemini `generateContent` request. Pure and typed: no I/O,
 * no context beyond its arguments, and the input is never mutated.
 */

import { ClientRequestError } from "../../core/errors.ts";
import type {
  MessageParam,
  MessagesRequest,
  TextBlockParam,
  ToolDefinition,
} from "../../protocols/anthropic.ts";
import type {
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiRequest,
  GeminiToolConfig,
} from "../../protocols/gemini.ts";
import { toGeminiContents } from "./contents.ts";
import { continuesModelTurn, geminiModelInfo, validatesThoughtSignatures } from "./models.ts";
import { geminiToolNamer } from "./names.ts";
import { isFunctionTool, type ToolNamer } from "../tool_names.ts";
import { toGeminiParameters } from "./schema.ts";
import { geminiThinkingConfig, unaskedThinking } from "./thinking.ts";
import { allowanceRoom, withReasoningAllowance } from "../reasoning/allowance.ts";
import { describedTool } from "../anthropic/tool_examples.ts";
import { withDefinedTools } from "../anthropic/defined_tools.ts";
import { offeredTools } from "../../protocols/deferred_tools.ts";
import { pairToolBlocks } from "../anthropic/tool_pairs.ts";
import { systemMessagesInPlace } from "../anthropic/system_reminders.ts";
import { requestedJsonSchema } from "../anthropic/output_format.ts";
import { append } from "../../core/append.ts";

/** Where the request goes. */
export interface GeminiTarget {
  /** Provider id from the config; recorded in and checked against thinking signatures. */
  readonly provider: string;
  /** Upstream model name (it goes in the URL, not the body). */
  readonly model: string;
  /** The model's declared output limit (`model_settings`), below the family's own. */
  readonly maxOutputTokens?: number;
  /** The model's context window and ccp's count of this prompt: an allowance then fits both. */
  readonly contextWindow?: number;
  readonly inputTokens?: number;
}

/** Gemini takes at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/** Claude Code's per-request attribution line means nothing upstream and spoils prefix caches. */
const BILLING_HEADER = "x-anthropic-billing-header:";

function systemTexts(system: string | TextBlockParam[] | undefined): string[] {
  if (system === undefined) return [];
  if (typeof system === "string") return system ? [system] : [];
  return system
    .filter((b) => b.type === "text" && b.text && !b.text.startsWith(BILLING_HEADER))
    .map((b) => b.text);
}

/** Top-level `system` plus the `role: "system"` messages left in `messages`, in order. */
function systemInstruction(
  req: MessagesRequest,
  messages: readonly MessageParam[],
): GeminiRequest["systemInstruction"] {
  const texts = systemTexts(req.system);
  for (const m of messages) if (m.role === "system") append(texts, systemTexts(m.content));
  return texts.length > 0 ? { parts: [{ text: texts.join("\n\n") }] } : undefined;
}

function declarations(
  tools: ToolDefinition[] | undefined,
  toolName: ToolNamer,
): GeminiFunctionDeclaration[] {
  return (tools ?? []).filter(isFunctionTool).map((t) => {
    const parameters = toGeminiParameters(t.input_schema);
    return {
      name: toolName(t.name),
      description: describedTool(t) ?? "",
      ...(parameters ? { parameters } : {}),
    };
  });
}

function toolConfig(
  req: MessagesRequest,
  declared: GeminiFunctionDeclaration[],
  toolName: ToolNamer,
): GeminiToolConfig | undefined {
  const choice = req.tool_choice;
  if (!choice) return undefined;
  switch (choice.type) {
    case "auto":
      return { functionCallingConfig: { mode: "AUTO" } };
    case "none":
      return { functionCallingConfig: { mode: "NONE" } };
    case "any":
      return { functionCallingConfig: { mode: "ANY" } };
    case "tool": {
      const name = toolName(choice.name);
      // A forced server tool (web_search) was not declared: forcing it would be a 400.
      if (!declared.some((d) => d.name === name)) {
        return { functionCallingConfig: { mode: "AUTO" } };
      }
      return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } };
    }
  }
}

function generationConfig(req: MessagesRequest, target: GeminiTarget): GeminiGenerationConfig {
  const info = geminiModelInfo(target.model);
  const config: GeminiGenerationConfig = {};
  if (typeof req.max_tokens === "number" && req.max_tokens > 0) {
    // Claude Code asks for up to 128000; Gemini refuses more than the model's limit.
    const cap = Math.min(info.maxOutputTokens, target.maxOutputTokens ?? Infinity);
    const max = Math.min(req.max_tokens, cap);
    // Thoughts count against maxOutputTokens: unasked ones get room beside the answer.
    const asked = req.thinking !== undefined && req.thinking.type !== "disabled";
    const allowance = asked ? 0 : unaskedThinking(info.thinking).allowance;
    config.maxOutputTokens = withReasoningAllowance(max, allowance, allowanceRoom(cap, target));
  }
  if (typeof req.temperature === "number") config.temperature = req.temperature;
  if (typeof req.top_p === "number") config.topP = req.top_p;
  if (typeof req.top_k === "number") config.topK = req.top_k;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) {
    config.stopSequences = req.stop_sequences.slice(0, MAX_STOP_SEQUENCES);
  }
  const thinking = geminiThinkingConfig(req, info.thinking);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

/** Translates an Anthropic Messages request for the Gemini API. */
export function toGeminiRequest(req: MessagesRequest, target: GeminiTarget): GeminiRequest {
  if (!Array.isArray(req.messages)) throw new ClientRequestError("messages: an array is required");
  // Every declared tool, offered or deferred: names stay the same when a deferred one loads.
  const toolName = geminiToolNamer(req.tools);
  // Later system messages stay where they stood: the start of the request then stays the same.
  const messages = systemMessagesInPlace(pairToolBlocks(req.messages));
  const body: GeminiRequest = {
    contents: toGeminiContents(messages, {
      provider: target.provider,
      model: target.model,
      placeholderSignatures: validatesThoughtSignatures(target.model),
      endOnUserTurn: !continuesModelTurn(target.model),
      toolName,
    }),
  };
  const system = systemInstruction(req, messages);
  if (system) body.systemInstruction = system;
  const declared = declarations(withDefinedTools(offeredTools(req)), toolName);
  if (declared.length > 0) {
    body.tools = [{ functionDeclarations: declared }];
    const config = toolConfig(req, declared, toolName);
    if (config) body.toolConfig = config;
  }
  body.generationConfig = generationConfig(req, target);
  const schema = requestedJsonSchema(req);
  // Older Gemini models refuse a JSON answer type together with function calling.
  if (schema && declared.length === 0) {
    body.generationConfig.responseMimeType = "application/json";
    body.generationConfig.responseJsonSchema = schema;
  }
  return body;
}
