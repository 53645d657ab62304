/**
 * Anthropic Messages request -> OpenAI Responses request. Pure and typed: no I/O, the input
 * is never mutated. Every request is self-contained (`store: false`, no
 * `previous_response_id`): Claude Code resends the whole conversation each turn.
 */

import { OUTPUT_SCHEMA_NAME, requestedJsonSchema } from "../anthropic/output_format.ts";
import { ClientRequestError } from "../../core/errors.ts";
import type {
  ContentBlockParam,
  MessageParam,
  MessagesRequest,
  TextBlockParam,
  ToolDefinition,
  ToolResultBlockParam,
} from "../../protocols/anthropic.ts";
import type {
  ResponsesFunctionTool,
  ResponsesInputContent,
  ResponsesInputItem,
  ResponsesReasoningItem,
  ResponsesRequest,
  ResponsesToolChoice,
} from "../../protocols/openai_responses.ts";
import { promptCacheKey } from "../anthropic/ids.ts";
import { searchResultText } from "../anthropic/search_result.ts";
import { toolReferenceText } from "../anthropic/tool_reference.ts";
import { followsNote } from "../tool_media_note.ts";
import { describedTool } from "../anthropic/tool_examples.ts";
import { withDefinedTools } from "../anthropic/defined_tools.ts";
import { offeredTools } from "../../protocols/deferred_tools.ts";
import { pairToolBlocks } from "../anthropic/tool_pairs.ts";
import { toFunctionParameters } from "../openai_chat/schema.ts";
import { allowanceRoom, withReasoningAllowance } from "../reasoning/allowance.ts";
import { lowestReasoning, REASONING_MODEL, reasoningOf } from "./reasoning.ts";
import { decodeCcpSignature, sameReasoningTarget } from "../reasoning/provenance.ts";
import { serverToolBlockText } from "../anthropic/server_tools.ts";
import { isFunctionTool, OPENAI_TOOL_NAMES, type ToolNamer, toolNamer } from "../tool_names.ts";
import { pdfFileName } from "../document_name.ts";
import {
  contentDocument,
  documentContextNote,
  documentHeading,
} from "../anthropic/document_words.ts";
import { append } from "../../core/append.ts";

/** Where the request goes. */
export interface ResponsesTarget {
  /** Upstream model name. */
  readonly model: string;
  /** Provider id; reasoning is replayed only to the server and upstream model that made it. */
  readonly provider: string;
  /** A tag of the provider's server (server_key.ts): the provider id may have moved or changed. */
  readonly server?: string;
  /** The model's declared output limit. */
  readonly maxOutputTokens?: number;
  /** The model's context window and ccp's count of this prompt: an allowance then fits both. */
  readonly contextWindow?: number;
  readonly inputTokens?: number;
}

/** The API refuses `max_output_tokens` below this. */
const MIN_OUTPUT_TOKENS = 16;

// JSON Schema keys the Responses API rejects in function parameters.
const SCHEMA_DROP_KEYS = ["$schema"];
const BILLING_HEADER = "x-anthropic-billing-header:";

function systemText(system: string | TextBlockParam[] | undefined): string {
  if (system === undefined) return "";
  if (typeof system === "string") return system;
  return system.filter((b) => b.type === "text" && !b.text.startsWith(BILLING_HEADER))
    .map((b) => b.text).join("\n\n");
}

function imageContent(
  block: Extract<ContentBlockParam, { type: "image" }>,
  target: ResponsesTarget,
): ResponsesInputContent {
  const src = block.source;
  if (src.type === "base64") {
    return { type: "input_image", image_url: `data:${src.media_type};base64,${src.data}` };
  }
  if (src.type === "url") return { type: "input_image", image_url: src.url };
  throw new ClientRequestError(
    `Image source "${src.type}" cannot be sent to provider "${target.provider}": use base64 or url images`,
  );
}

function documentContent(
  block: Extract<ContentBlockParam, { type: "document" }>,
  target: ResponsesTarget,
): ResponsesInputContent[] {
  const src = block.source;
  const heading = documentHeading(block);
  if (src.type === "text") return [{ type: "input_text", text: heading + src.data }];
  if (src.type === "content") {
    const { text, images } = contentDocument(src.content);
    return [
      { type: "input_text", text: heading + text },
      ...images.map((image) => imageContent(image, target)),
    ];
  }
  const context = documentContextNote(block);
  const file = fileContent(block);
  return context ? [{ type: "input_text", text: context }, file] : [file];
}

function fileContent(
  block: Extract<ContentBlockParam, { type: "document" }>,
): ResponsesInputContent {
  const src = block.source;
  switch (src.type) {
    case "base64":
      return {
        type: "input_file",
        filename: pdfFileName(block.title),
        file_data: `data:${src.media_type};base64,${src.data}`,
      };
    case "url":
      // The API fetches a file by its URL itself, as Anthropic does for a URL document.
      return { type: "input_file", file_url: src.url };
    default:
      throw new ClientRequestError(
        `Document source "${src.type}" cannot be sent to the Responses API: use base64, url or text`,
      );
  }
}

function toolOutput(
  block: ToolResultBlockParam,
  target: ResponsesTarget,
  toolName: ToolNamer,
): { output: string; media: ResponsesInputContent[] } {
  const texts: string[] = [];
  const media: ResponsesInputContent[] = [];
  const content = block.content;
  if (typeof content === "string") texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === "text") texts.push(part.text);
      else if (part.type === "image") media.push(imageContent(part, target));
      else if (part.type === "document") {
        for (const doc of documentContent(part, target)) {
          if (doc.type === "input_text") texts.push(doc.text);
          else media.push(doc);
        }
      } else {
        const text = toolReferenceText(part, toolName) ?? searchResultText(part);
        if (text) texts.push(text);
      }
    }
  }
  let output = texts.join("\n");
  // Claude Code wraps most failures in <tool_use_error>; other errors get a marker.
  if (block.is_error && !output.includes("tool_use_error")) output = `Error: ${output}`;
  const documents = media.filter((m) => m.type === "input_file").length;
  const note = followsNote(media.length - documents, documents);
  if (note) output += `${output ? "\n" : ""}${note}`;
  return { output: output || "(no output)", media };
}

/** A user turn: tool outputs first (they answer the calls just before), then one user message. */
function userItems(
  content: string | ContentBlockParam[],
  target: ResponsesTarget,
  toolName: ToolNamer,
): ResponsesInputItem[] {
  if (typeof content === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: content }] }];
  }
  const outputs: ResponsesInputItem[] = [];
  const parts: ResponsesInputContent[] = [];
  const media: ResponsesInputContent[] = [];
  for (const block of content) {
    if (block.type === "tool_result") {
      const result = toolOutput(block, target, toolName);
      outputs.push({
        type: "function_call_output",
        call_id: block.tool_use_id,
        output: result.output,
      });
      append(media, result.media);
    } else if (block.type === "text") {
      if (block.text) parts.push({ type: "input_text", text: block.text });
    } else if (block.type === "image") parts.push(imageContent(block, target));
    else if (block.type === "document") parts.push(...documentContent(block, target));
    else {
      const text = searchResultText(block) ?? serverToolBlockText(block);
      if (text) parts.push({ type: "input_text", text });
    }
  }
  const all = [...media, ...parts];
  return all.length > 0 ? [...outputs, { type: "message", role: "user", content: all }] : outputs;
}

/** The encrypted reasoning items a ccp signature carries, when they may go back to this target. */
function replayableReasoning(
  signature: unknown,
  target: ResponsesTarget,
): ResponsesReasoningItem[] {
  const origin = decodeCcpSignature(signature);
  if (origin?.protocol !== "openai_responses") return [];
  if (!sameReasoningTarget(origin, target.provider, target.model, target.server)) return [];
  const items: ResponsesReasoningItem[] = [];
  for (const detail of origin.details ?? []) {
    const d = detail as Partial<ResponsesReasoningItem>;
    if (d.type !== "reasoning" || typeof d.encrypted_content !== "string") continue;
    // Never the id: with `store: false` the API looks an id up and fails ("Item not found").
    items.push({
      type: "reasoning",
      summary: Array.isArray(d.summary) ? d.summary : [],
      encrypted_content: d.encrypted_content,
    });
  }
  return items;
}

/** An assistant turn: reasoning, text and function calls as items, in the order they came. */
function assistantItems(
  content: string | ContentBlockParam[],
  target: ResponsesTarget,
  toolName: ToolNamer,
): ResponsesInputItem[] {
  if (typeof content === "string") {
    return content
      ? [{ type: "message", role: "assistant", content: [{ type: "output_text", text: content }] }]
      : [];
  }
  const items: ResponsesInputItem[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length === 0) return;
    items.push({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: text.join("") }],
    });
    text = [];
  };
  for (const block of content) {
    if (block.type === "text") {
      if (block.text) text.push(block.text);
    } else if (block.type === "thinking") {
      flush();
      items.push(...replayableReasoning(block.signature, target));
    } else if (block.type === "tool_use") {
      flush();
      items.push({
        type: "function_call",
        call_id: block.id,
        name: toolName(block.name),
        arguments: JSON.stringify(block.input ?? {}),
      });
    } else {
      // Web searches and fetches of earlier turns stay readable as text.
      const served = serverToolBlockText(block);
      if (served) text.push(`\n${served}\n`);
    }
    // Redacted thinking means nothing to this API.
  }
  flush();
  return items;
}

function inputOf(messages: MessageParam[], target: ResponsesTarget, toolName: ToolNamer) {
  const leading: string[] = [];
  const input: ResponsesInputItem[] = [];
  for (const message of messages) {
    if (message.role === "system") {
      const text = systemText(message.content as string | TextBlockParam[]);
      if (!text) continue;
      // Before the conversation starts a system message is an instruction; later, where its
      // position matters, it stays in place as a developer message.
      if (input.length === 0) leading.push(text);
      else {input.push({
          type: "message",
          role: "developer",
          content: [{ type: "input_text", text }],
        });}
    } else if (message.role === "user") append(input, userItems(message.content, target, toolName));
    else if (message.role === "assistant") {
      append(input, assistantItems(message.content, target, toolName));
    }
  }
  return { leading, input };
}

function toolsOf(
  tools: ToolDefinition[] | undefined,
  toolName: ToolNamer,
): ResponsesFunctionTool[] {
  return (tools ?? []).filter(isFunctionTool).map((t) => {
    const described = describedTool(t);
    return {
      type: "function",
      name: toolName(t.name),
      ...(described ? { description: described } : {}),
      parameters: toFunctionParameters(t.input_schema, SCHEMA_DROP_KEYS),
      strict: false,
    };
  });
}

function toolChoiceOf(
  req: MessagesRequest,
  tools: ResponsesFunctionTool[],
  toolName: ToolNamer,
): ResponsesToolChoice | undefined {
  const choice = req.tool_choice;
  switch (choice?.type) {
    case "auto":
      return "auto";
    case "none":
      return "none";
    case "any":
      return "required";
    case "tool": {
      // A forced server tool was not sent as a function: forcing it would 400.
      const name = toolName(choice.name);
      return tools.some((t) => t.name === name) ? { type: "function", name } : "auto";
    }
    default:
      return undefined;
  }
}

/** Translates an Anthropic Messages request for the OpenAI Responses API. */
export function toResponsesRequest(
  req: MessagesRequest,
  target: ResponsesTarget,
): ResponsesRequest {
  if (!Array.isArray(req.messages)) throw new ClientRequestError("messages: an array is required");
  // Every declared tool, offered or deferred: names stay the same when a deferred one loads.
  const toolName = toolNamer(req.tools, OPENAI_TOOL_NAMES);
  const { leading, input } = inputOf(pairToolBlocks(req.messages), target, toolName);
  const instructions = [systemText(req.system), ...leading].filter(Boolean).join("\n\n");
  const body: ResponsesRequest = { model: target.model, input, store: false };
  if (instructions) body.instructions = instructions;

  const tools = toolsOf(withDefinedTools(offeredTools(req)), toolName);
  if (tools.length > 0) {
    body.tools = tools;
    const choice = toolChoiceOf(req, tools, toolName);
    if (choice !== undefined) body.tool_choice = choice;
    if (req.tool_choice?.disable_parallel_tool_use) body.parallel_tool_calls = false;
  }
  const reasoning = reasoningOf(req, target.model);
  const lowest = reasoning ? { allowance: 0 } : lowestReasoning(target.model);
  if (typeof req.max_tokens === "number" && req.max_tokens > 0) {
    const cap = target.maxOutputTokens ?? Infinity;
    const max = Math.min(req.max_tokens, cap);
    body.max_output_tokens = Math.max(
      MIN_OUTPUT_TOKENS,
      withReasoningAllowance(max, lowest.allowance, allowanceRoom(cap, target)),
    );
  }
  if (reasoning) {
    body.reasoning = reasoning;
    // Reasoning travels back encrypted inside the thinking block's signature.
    body.include = ["reasoning.encrypted_content"];
  } else if (lowest.reasoning) {
    body.reasoning = lowest.reasoning;
  }
  if (!reasoning && !REASONING_MODEL.test(target.model)) {
    if (typeof req.temperature === "number") body.temperature = req.temperature;
    if (typeof req.top_p === "number") body.top_p = req.top_p;
  }
  const schema = requestedJsonSchema(req);
  if (schema) body.text = { format: { type: "json_schema", name: OUTPUT_SCHEMA_NAME, schema } };
  // One key per client session keeps its requests on the same prefix cache.
  const cacheKey = promptCacheKey(req.metadata?.user_id);
  if (cacheKey) body.prompt_cache_key = cacheKey;
  if (req.stream === true) body.stream = true;
  return body;
}
