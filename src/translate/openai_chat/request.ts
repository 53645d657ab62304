/**
 * Anthropic Messages request -> OpenAI Chat Completions request. Pure and typed: no
 * I/O, no context beyond its arguments, and the input is never mutated.
 */

import { OUTPUT_SCHEMA_NAME, requestedJsonSchema } from "../anthropic/output_format.ts";
import { fitOutputToWindow } from "../../core/context_overflow.ts";
import { ClientRequestError } from "../../core/errors.ts";
import type { JsonObject } from "../../core/json.ts";
import type { MessagesRequest, TextBlockParam, ToolDefinition } from "../../protocols/anthropic.ts";
import type {
  ChatCompletionRequest,
  ChatMessage,
  ChatTool,
  ChatToolChoice,
} from "../../protocols/openai_chat.ts";
import { fnv1a64Hex, promptCacheKey } from "../anthropic/ids.ts";
import { pairToolBlocks } from "../anthropic/tool_pairs.ts";
import { systemMessagesInPlace } from "../anthropic/system_reminders.ts";
import { mapAssistantTurn } from "./assistant.ts";
import { replayInToolSpans } from "./reasoning_spans.ts";
import { dialectForModel, type OpenAIDialect } from "./dialect.ts";
import { applyQuirks } from "./quirks.ts";
import { reasoningFields, thinkingIntent } from "./reasoning_request.ts";
import { withReasoningAllowance } from "../reasoning/allowance.ts";
import { moonshotParameters } from "./moonshot_schema.ts";
import { toFunctionParameters } from "./schema.ts";
import { type MapContext, mapUserTurn } from "./user_content.ts";
import { describedTool } from "../anthropic/tool_examples.ts";
import { withDefinedTools } from "../anthropic/defined_tools.ts";
import { offeredTools } from "../../protocols/deferred_tools.ts";
import { isFunctionTool, OPENAI_TOOL_NAMES, toolNamer } from "../tool_names.ts";
import { append } from "../../core/append.ts";

/** Where the request goes: everything the mapping may depend on. */
export interface OpenAITarget {
  /** The provider's dialect (model patches are applied here). */
  readonly dialect: OpenAIDialect;
  /** Upstream model name. */
  readonly model: string;
  /** Provider id from the config; recorded in and checked against reasoning provenance. */
  readonly provider: string;
  /** A tag of the provider's server (server_key.ts): reasoning another server made is not its own. */
  readonly server?: string;
  /** The model's declared output limit; beats the dialect's. */
  readonly maxOutputTokens?: number;
  /** The model's context window and ccp's count of this prompt: max_tokens then fits both. */
  readonly contextWindow?: number;
  readonly inputTokens?: number;
}

/** Claude Code's per-request attribution line means nothing upstream and spoils prefix caches. */
const BILLING_HEADER = "x-anthropic-billing-header:";

function systemText(system: string | TextBlockParam[] | undefined): string {
  if (system === undefined) return "";
  if (typeof system === "string") return system;
  return system
    .filter((b) => b.type === "text" && !b.text.startsWith(BILLING_HEADER))
    .map((b) => b.text)
    .join("\n\n");
}

function mapMessages(req: MessagesRequest, ctx: MapContext): ChatMessage[] {
  const leading: string[] = [];
  const first = systemText(req.system);
  if (first) leading.push(first);
  const out: ChatMessage[] = [];
  // Servers that take system messages anywhere get them where they stood.
  const messages = ctx.dialect.systemMidConversation
    ? req.messages
    : systemMessagesInPlace(req.messages);
  for (const message of messages) {
    if (message.role === "system") {
      const text = systemText(message.content);
      if (!text) continue;
      if (ctx.dialect.systemMidConversation && out.length > 0) {
        out.push({ role: "system", content: text });
      } else leading.push(text);
    } else if (message.role === "user") {
      append(out, mapUserTurn(message.content, ctx));
    } else if (message.role === "assistant") {
      const mapped = mapAssistantTurn(message.content, ctx);
      if (mapped) out.push(mapped);
    }
  }
  const all: ChatMessage[] = leading.length > 0
    ? [{ role: "system", content: leading.join("\n\n") }, ...out]
    : out;
  return ctx.dialect.reasoningReplay === "tool_spans"
    ? replayInToolSpans(all, ctx.dialect.replayField)
    : all;
}

/**
 * JSON mode without a schema field: the schema goes into the system prompt, which also gives
 * these APIs the word "JSON" they require in the prompt before they accept JSON mode.
 */
function withSchemaInstruction(messages: ChatMessage[], schema: JsonObject): ChatMessage[] {
  const line = `Answer with one JSON object that follows this JSON schema: ${
    JSON.stringify(schema)
  }`;
  const [first, ...rest] = messages;
  if (first?.role === "system" && typeof first.content === "string") {
    return [{ ...first, content: `${first.content}\n\n${line}` }, ...rest];
  }
  return [{ role: "system", content: line }, ...messages];
}

function mapTools(tools: ToolDefinition[] | undefined, ctx: MapContext): ChatTool[] {
  if (!tools) return [];
  const { schemaDropKeys, schemaRules } = ctx.dialect;
  return tools.filter(isFunctionTool).map((t) => {
    const parameters = toFunctionParameters(t.input_schema, schemaDropKeys);
    const described = describedTool(t);
    return {
      type: "function",
      function: {
        name: ctx.toolName(t.name),
        ...(described ? { description: described } : {}),
        parameters: schemaRules === "moonshot" ? moonshotParameters(parameters) : parameters,
      },
    };
  });
}

function mapToolChoice(
  req: MessagesRequest,
  tools: ChatTool[],
  ctx: MapContext,
): ChatToolChoice | undefined {
  const { dialect } = ctx;
  const choice = req.tool_choice;
  if (!choice) return undefined;
  switch (choice.type) {
    case "auto":
      return "auto";
    case "none":
      return "none";
    case "any":
      return dialect.forcedToolChoice ? dialect.requiredToolChoice : "auto";
    case "tool": {
      // A forced server tool (web_search) was not sent as a function: forcing it would 400.
      const name = ctx.toolName(choice.name);
      if (!dialect.forcedToolChoice || !tools.some((t) => t.function.name === name)) {
        return "auto";
      }
      return { type: "function", function: { name } };
    }
  }
}

function maxTokens(
  req: MessagesRequest,
  target: OpenAITarget,
  dialect: OpenAIDialect,
  allowance: number,
): number | undefined {
  let value: number | undefined = req.max_tokens;
  if (typeof value !== "number" || value <= 0) return undefined;
  const limit = target.maxOutputTokens ?? dialect.maxOutputTokens;
  value = withReasoningAllowance(value, allowance, limit);
  if (limit !== undefined && value > limit) {
    value = dialect.overLimit === "clamp" ? limit : undefined;
  }
  if (value !== undefined && target.contextWindow && target.inputTokens !== undefined) {
    value = fitOutputToWindow(value, target.contextWindow, target.inputTokens);
  }
  return value;
}

function userField(req: MessagesRequest, dialect: OpenAIDialect): string | undefined {
  const id = req.metadata?.user_id;
  const max = dialect.userFieldMaxLength;
  if (typeof id !== "string" || !id || max === null) return undefined;
  return id.length <= max ? id : `ccp_${fnv1a64Hex(id)}`;
}

/** Translates an Anthropic Messages request for an OpenAI-compatible provider. */
export function toOpenAIChatRequest(
  req: MessagesRequest,
  target: OpenAITarget,
): ChatCompletionRequest {
  if (!Array.isArray(req.messages)) throw new ClientRequestError("messages: an array is required");
  req = { ...req, messages: pairToolBlocks(req.messages) };
  const dialect = dialectForModel(target.dialect, target.model);
  const ctx: MapContext = {
    dialect,
    provider: target.provider,
    ...(target.server !== undefined ? { server: target.server } : {}),
    model: target.model,
    // Every declared tool, offered or deferred: names stay the same when a deferred one loads.
    toolName: toolNamer(req.tools, OPENAI_TOOL_NAMES),
  };
  const stream = req.stream === true;
  const body: ChatCompletionRequest = { model: target.model, messages: mapMessages(req, ctx) };

  const tools = mapTools(withDefinedTools(offeredTools(req)), ctx);
  if (tools.length > 0) {
    body.tools = tools;
    const choice = mapToolChoice(req, tools, ctx);
    if (choice !== undefined) body.tool_choice = choice;
    if (req.tool_choice?.disable_parallel_tool_use && dialect.acceptsParallelToolCalls) {
      body.parallel_tool_calls = false;
    }
  }

  const intent = thinkingIntent(req, dialect);
  // Reasoning the client did not ask for still counts against the limit: give it room.
  const allowance = intent.mode === "on" ? 0 : dialect.reasoningAllowance;
  const max = maxTokens(req, target, dialect, allowance);
  if (max !== undefined) body[dialect.maxTokensField] = max;
  if (typeof req.temperature === "number") body.temperature = req.temperature;
  if (typeof req.top_p === "number") body.top_p = req.top_p;
  if (typeof req.top_k === "number" && dialect.acceptsTopK) body.top_k = req.top_k;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) {
    body.stop = req.stop_sequences.slice(0, dialect.maxStopSequences);
  }
  const schema = requestedJsonSchema(req);
  if (schema && dialect.jsonOutput === "json_schema") {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: OUTPUT_SCHEMA_NAME, schema },
    };
  } else if (schema) {
    body.response_format = { type: "json_object" };
    body.messages = withSchemaInstruction(body.messages, schema);
  }
  const user = userField(req, dialect);
  if (user) body.user = user;
  const cacheKey = dialect.promptCacheKey ? promptCacheKey(req.metadata?.user_id) : undefined;
  if (cacheKey) body.prompt_cache_key = cacheKey;
  if (stream) {
    body.stream = true;
    if (dialect.streamUsage) body.stream_options = { include_usage: true };
  }

  const reasoning = reasoningFields(intent, dialect.reasoningSwitch, {
    stream,
    maxTokens: max,
    model: target.model,
  });
  Object.assign(body, reasoning);
  return applyQuirks(body, dialect.quirks);
}
