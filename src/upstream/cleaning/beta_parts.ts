/**
 * What a beta brings into the body besides its `anthropic-beta` value: top-level fields, tools of
 * its types, keys it adds to any tool or message or to the entries of another beta's list field
 * (a safeguard), context-management edits of its types, a `thinking.display` value, and the
 * blocks its tools leave in the history. An endpoint that does not take the beta refuses them too
 * ("mcp_servers: Extra inputs are not permitted", an unknown tool type), so when the beta goes
 * they go with it: fields, keys, edits and the display are removed (a tool's examples move to its
 * description), a tool Anthropic defines for the client to run (the memory tool) becomes an
 * ordinary tool with its documented inputs, any other tool of the beta is removed, deferred tools
 * are resolved, a system message that held nothing but the beta's keys goes, and its blocks in
 * the history become text the model can still read.
 */

import { isRecord, ownValue } from "../../core/json.ts";
import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { serverToolBlockText } from "../../translate/anthropic/server_tools.ts";
import { describedTool } from "../../translate/anthropic/tool_examples.ts";
import { dropKey, editBlocks } from "./blocks.ts";
import { resolveDeferredTools } from "./deferred_tools.ts";
import { withoutToolsWhere } from "./tools.ts";
import { type Body, type Obj, without } from "./types.ts";

/** The parts of one beta. */
interface BetaParts {
  readonly fields: readonly string[];
  /** Tool types. */
  readonly tools?: readonly string[];
  /** Keys the beta adds to a tool definition of any type. */
  readonly toolKeys?: readonly string[];
  /** Keys the beta adds to a message. */
  readonly messageKeys?: readonly string[];
  /** Keys the beta adds to the entries of a list field another beta brings, by that field. */
  readonly entryKeys?: Readonly<Record<string, readonly string[]>>;
  /** Values of `thinking.display` the beta brings. */
  readonly displays?: readonly string[];
  /** `defer_loading` and the `tool_reference` blocks that load a deferred tool. */
  readonly deferral?: boolean;
  /** Types of `context_management.edits` entries. */
  readonly edits?: readonly string[];
  /** Names of the beta's server tools in `server_tool_use` blocks. */
  readonly calls?: readonly string[];
  /** Other history block types. */
  readonly blocks?: readonly string[];
}

// The MCP connector's calls and results, left in the assistant's turns.
const MCP_BLOCKS = ["mcp_tool_use", "mcp_tool_result"];
// From the 2025-11-20 version on, which tools of a server are offered is an `mcp_toolset` tool.
const MCP_TOOLSET: BetaParts = {
  fields: ["mcp_servers"],
  tools: ["mcp_toolset"],
  blocks: MCP_BLOCKS,
};

// Tool search: its two server tools, deferred tools, and the searches and finds in the history.
const TOOL_SEARCH: BetaParts = {
  fields: [],
  tools: ["tool_search_tool_regex_20251119", "tool_search_tool_bm25_20251119"],
  deferral: true,
  calls: ["tool_search_tool_regex", "tool_search_tool_bm25"],
  blocks: ["tool_search_tool_result"],
};

// Code execution runs in a container a request may name to reuse it; files uploaded to it stay
// in the history as `container_upload` blocks.
const CODE_EXECUTION: BetaParts = {
  fields: ["container"],
  tools: ["code_execution_20250825"],
  calls: ["bash_code_execution", "text_editor_code_execution"],
  blocks: ["bash_code_execution_tool_result", "text_editor_code_execution_tool_result"],
};

const PARTS_OF_BETA: Readonly<Record<string, BetaParts>> = {
  // Context editing, and the memory tool that is enabled with the same beta.
  "context-management-2025-06-27": { fields: ["context_management"], tools: ["memory_20250818"] },
  "mcp-client-2025-04-04": { fields: ["mcp_servers"], blocks: MCP_BLOCKS },
  "mcp-client-2025-11-20": MCP_TOOLSET,
  "mcp-client-2026-09-15": MCP_TOOLSET,
  // Tool search, tool use examples and programmatic tool calling (tools code may call).
  "advanced-tool-use-2025-11-20": {
    ...TOOL_SEARCH,
    toolKeys: ["input_examples", "allowed_callers"],
  },
  // Tool search's header on Vertex AI and Bedrock.
  "tool-search-tool-2025-10-19": TOOL_SEARCH,
  // The Python-only first version of code execution.
  "code-execution-2025-05-22": {
    fields: ["container"],
    tools: ["code_execution_20250522"],
    calls: ["code_execution"],
    blocks: ["code_execution_tool_result", "container_upload"],
  },
  "code-execution-2025-08-25": {
    ...CODE_EXECUTION,
    blocks: [...CODE_EXECUTION.blocks!, "container_upload"],
  },
  "web-fetch-2025-09-10": {
    fields: [],
    tools: ["web_fetch_20250910"],
    calls: ["web_fetch"],
    blocks: ["web_fetch_tool_result"],
  },
  // Server-side compaction: an edit in `context_management`, and the summaries it left.
  "compact-2026-01-12": { fields: [], edits: ["compact_20260112"], blocks: ["compaction"] },
  // Claude Code 2.1.332 in auto and plan mode: the server-side check of risky tool calls.
  "dangerous-tool-use-2026-09-03": { fields: ["safeguards"] },
  // Claude Code 2.1.337's newer version of that check, sent in its place (same `safeguards`) when
  // Anthropic's settings for the account turn it on.
  "dangerous-tool-use-2026-10-15": { fields: ["safeguards"] },
  // Claude Code 2.1.337, when the same settings ask for it: the tool calls the check may judge
  // (`classifier_tool_calls: {tools: [...]}`) inside the `dangerous_tool_use` safeguard, whose
  // other keys stay with the check's own beta.
  "dangerous-tool-use-classifier-tool-calls-2026-11-23": {
    fields: [],
    entryKeys: { safeguards: ["classifier_tool_calls"] },
  },
  // Claude Code 2.1.332's effort per turn: a system message carries the effort from that turn on
  // (on the environment message, or alone with empty content after `/effort` or "ultrathink");
  // the top-level `output_config.effort` always holds the current one as well.
  "per-turn-control-2026-07-01": { fields: [], messageKeys: ["output_config"] },
  // Thinking shown as it streams (interactive sessions, stream-json); without the beta Claude Code
  // sends `omitted` or no display at all.
  "thinking-display-updates-2026-08-18": { fields: [], displays: ["updates"] },
};

/** Whether `beta` brings anything into the body. */
export function hasParts(beta: string): boolean {
  return Object.hasOwn(PARTS_OF_BETA, beta);
}

/** The body fields that need one of `betas`. */
export function fieldsNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) => ownValue(PARTS_OF_BETA, beta)?.fields ?? []);
}

/** The tool types that need one of `betas`. */
export function toolsNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) => ownValue(PARTS_OF_BETA, beta)?.tools ?? []);
}

/** The keys `betas` add to another field's entries, each as `key in field`. */
export function entryKeysNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) =>
    Object.entries(ownValue(PARTS_OF_BETA, beta)?.entryKeys ?? {})
      .flatMap(([field, keys]) => keys.map((key) => `${key} in ${field}`))
  );
}

/**
 * Which of `sent` a refusal of `part` stands for: the betas that bring that field or tool type
 * (an endpoint that refuses `mcp_servers` does not take the MCP connector's beta either).
 */
export function betasBringing(part: string, sent: readonly string[]): string[] {
  return sent.filter((beta) => {
    const parts = ownValue(PARTS_OF_BETA, beta);
    return parts !== undefined && (parts.fields.includes(part) || !!parts.tools?.includes(part));
  });
}

/**
 * The names of `beta`'s parts that `body` carries, other than fields: its tool types, tool keys,
 * keys in another field's entries and edit types, and the block types in the history. A refusal naming one of them stands for
 * the beta.
 */
export function partsCarried(beta: string, body: Body): string[] {
  const parts = ownValue(PARTS_OF_BETA, beta);
  if (!parts) return [];
  const names = new Set<string>();
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  for (const tool of tools) {
    if (parts.tools?.includes(String(tool.type))) names.add(String(tool.type));
    for (const key of parts.toolKeys ?? []) if (key in tool) names.add(key);
    if (parts.deferral && "defer_loading" in tool) names.add("defer_loading");
  }
  for (const edit of editsOf(body)) {
    if (parts.edits?.includes(String(edit.type))) names.add(String(edit.type));
  }
  // Named by their place, as validation errors name them ("messages.1.output_config: ...").
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) continue;
    for (const key of parts.messageKeys ?? []) {
      if (key in message) names.add(`messages.${i}.${key}`);
    }
  }
  for (const [field, keys] of Object.entries(parts.entryKeys ?? {})) {
    for (const entry of entriesOf(body, field)) {
      for (const key of keys) if (key in entry) names.add(key);
    }
  }
  if (hasDisplay(body, parts.displays)) names.add("display");
  if (parts.blocks) {
    editBlocks(body, (block) => {
      if (parts.blocks!.includes(String(block.type))) names.add(String(block.type));
      return block;
    });
  }
  return [...names];
}

/** `body` without what `betas` bring (see above); the same body when it has none of it. */
export function withoutBetaParts(body: Body, betas: Iterable<string>): Body {
  const fields: string[] = [];
  const tools = new Set<string>();
  const keys = new Set<string>();
  const messageKeys = new Set<string>();
  const entryKeys = new Map<string, Set<string>>();
  const displays: string[] = [];
  const edits = new Set<string>();
  const calls = new Set<string>();
  const blocks = new Set<string>();
  let deferral = false;
  for (const beta of betas) {
    const parts = ownValue(PARTS_OF_BETA, beta);
    if (!parts) continue;
    fields.push(...parts.fields);
    for (const type of parts.tools ?? []) tools.add(type);
    for (const key of parts.toolKeys ?? []) keys.add(key);
    for (const key of parts.messageKeys ?? []) messageKeys.add(key);
    for (const [field, keys] of Object.entries(parts.entryKeys ?? {})) {
      entryKeys.set(field, new Set([...entryKeys.get(field) ?? [], ...keys]));
    }
    displays.push(...parts.displays ?? []);
    for (const type of parts.edits ?? []) edits.add(type);
    for (const name of parts.calls ?? []) calls.add(name);
    for (const type of parts.blocks ?? []) blocks.add(type);
    deferral ||= parts.deferral === true;
  }
  let out = without(body, fields);
  if (tools.size > 0) {
    out = withoutToolsWhere(out, (tool) => isRecord(tool) && tools.has(String(tool.type)));
  }
  if (keys.size > 0) out = withoutToolKeys(out, keys);
  if (messageKeys.size > 0) out = withoutMessageKeys(out, messageKeys);
  for (const [field, keys] of entryKeys) out = withoutEntryKeys(out, field, keys);
  if (hasDisplay(out, displays)) {
    const { display: _display, ...thinking } = out.thinking as Obj;
    out = { ...out, thinking };
  }
  if (edits.size > 0) out = withoutEdits(out, edits);
  // Without the beta nothing expands a reference: deferred tools are offered once loaded.
  if (deferral) out = resolveDeferredTools(out);
  if (blocks.size > 0 || calls.size > 0) {
    const ofBeta = (block: Obj) =>
      blocks.has(String(block.type)) ||
      (block.type === "server_tool_use" && calls.has(String(block.name)));
    out = editBlocks(out, (block) => ofBeta(block) ? asText(block) : block);
  }
  return out;
}

function withoutToolKeys(body: Body, keys: ReadonlySet<string>): Body {
  const tools = body.tools;
  const has = (tool: unknown) => isRecord(tool) && [...keys].some((key) => key in tool);
  if (!Array.isArray(tools) || !tools.some(has)) return body;
  const kept = tools.map((tool) => {
    if (!has(tool)) return tool;
    // The model still sees a tool's examples, at the end of its description.
    const description = keys.has("input_examples")
      ? describedTool(tool as ToolDefinition)
      : undefined;
    const described = description === undefined ? tool as Obj : { ...(tool as Obj), description };
    return [...keys].reduce((t: Obj, key) => dropKey(t, key), described);
  });
  return { ...body, tools: kept };
}

/** Whether the body's `thinking.display` is one of `displays`. */
function hasDisplay(body: Body, displays: readonly string[] | undefined): boolean {
  const thinking = body.thinking;
  return isRecord(thinking) && typeof thinking.display === "string" &&
    !!displays?.includes(thinking.display);
}

/**
 * The messages without `keys`; a system message left with no content goes (it only carried what
 * the keys said, and an empty message is refused).
 */
function withoutMessageKeys(body: Body, keys: ReadonlySet<string>): Body {
  const messages = body.messages;
  const has = (m: unknown) => isRecord(m) && [...keys].some((key) => key in m);
  if (!Array.isArray(messages) || !messages.some(has)) return body;
  const kept = messages.flatMap((message) => {
    if (!has(message)) return [message];
    const bare = [...keys].reduce((m: Obj, key) => dropKey(m, key), message as Obj);
    const empty = bare.content === "" || (Array.isArray(bare.content) && bare.content.length === 0);
    return bare.role === "system" && empty ? [] : [bare];
  });
  return { ...body, messages: kept };
}

/** The object entries of the list field `field`. */
function entriesOf(body: Body, field: string): Obj[] {
  const list = body[field];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** The entries of the list field `field` without `keys`. */
function withoutEntryKeys(body: Body, field: string, keys: ReadonlySet<string>): Body {
  const list = body[field];
  const has = (entry: unknown) => isRecord(entry) && [...keys].some((key) => key in entry);
  if (!Array.isArray(list) || !list.some(has)) return body;
  const kept = list.map((entry) =>
    has(entry) ? [...keys].reduce((e: Obj, key) => dropKey(e, key), entry as Obj) : entry
  );
  return { ...body, [field]: kept };
}

function editsOf(body: Body): Obj[] {
  const cm = body.context_management;
  return isRecord(cm) && Array.isArray(cm.edits) ? cm.edits.filter(isRecord) : [];
}

/** `context_management` without the edits of `types`; the field goes when no edit is left. */
function withoutEdits(body: Body, types: ReadonlySet<string>): Body {
  const edits = editsOf(body);
  const kept = edits.filter((edit) => !types.has(String(edit.type)));
  if (kept.length === edits.length) return body;
  if (kept.length === 0) return without(body, ["context_management"]);
  return { ...body, context_management: { ...(body.context_management as Obj), edits: kept } };
}

/** The text block standing for a beta's block: the model still reads what its tool did. */
function asText(block: Obj): Obj | null {
  // A compaction block holds the summary of everything before it.
  const text = block.type === "compaction"
    ? typeof block.content === "string" && block.content
      ? `[Summary of the earlier conversation]\n${block.content}`
      : undefined
    : serverToolBlockText(block);
  return text ? { type: "text", text } : null;
}
