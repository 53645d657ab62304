/**
 * A copy-free check of incoming Messages requests. It accepts exactly what the request schemas
 * accept, by walking the parsed JSON in place: zod builds a copy of every object it validates,
 * which for a long Claude Code session is the whole message history again on every turn. A
 * request the check rejects goes to the schema, whose first issue names the field.
 */

type Json = Record<string, unknown>;

/** The fields each media source type carries as strings (`content` documents are checked apart). */
export const SOURCE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.assign(
  Object.create(null),
  { base64: ["media_type", "data"], url: ["url"], text: ["data"], file: ["file_id"] },
);

/**
 * The longest model name a request may carry. Real names (a provider prefix, a Hugging Face repo
 * and quantisation, a cloud's inference-profile ARN) stay under ~150 characters; the name keys
 * what ccp keeps per target for as long as it runs (breakers, key cool-downs, metrics series,
 * learned refusals), each bounded in count, so without a bound on length a client could make
 * each entry as large as a whole request body.
 */
export const MAX_MODEL_CHARS = 1024;

/** True when `body` is a well-formed `POST /v1/messages` body. */
export function isWellFormedMessagesRequest(body: unknown): boolean {
  if (!isObject(body) || !isCommonWellFormed(body)) return false;
  const maxTokens = body.max_tokens;
  return Number.isSafeInteger(maxTokens) && (maxTokens as number) > 0 &&
    (body.stream === undefined || typeof body.stream === "boolean");
}

/** True when `body` is a well-formed `POST /v1/messages/count_tokens` body. */
export function isWellFormedCountTokensRequest(body: unknown): boolean {
  return isObject(body) && isCommonWellFormed(body);
}

function isCommonWellFormed(body: Json): boolean {
  return isNonEmptyString(body.model) && body.model.length <= MAX_MODEL_CHARS &&
    areMessages(body.messages) &&
    (body.system === undefined || isSystem(body.system)) &&
    (body.tools === undefined || areTools(body.tools)) &&
    (body.tool_choice === undefined || isToolChoice(body.tool_choice)) &&
    (body.thinking === undefined || isThinking(body.thinking)) &&
    (body.stop_sequences === undefined || areStrings(body.stop_sequences)) &&
    (body.metadata === undefined || isMetadata(body.metadata));
}

function areMessages(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const message of value) {
    if (!isObject(message)) return false;
    const role = message.role;
    if (role !== "user" && role !== "assistant" && role !== "system") return false;
    if (!isContent(message.content)) return false;
  }
  return true;
}

function isContent(value: unknown): boolean {
  return typeof value === "string" || areBlocks(value);
}

function areBlocks(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const block of value) {
    if (!isBlock(block)) return false;
  }
  return true;
}

// Each block type a translator reads is checked for the fields it reads; any other type, and
// every other field, passes as it came.
function isBlock(block: unknown): boolean {
  if (!isObject(block) || typeof block.type !== "string") return false;
  switch (block.type) {
    case "text":
      return typeof block.text === "string";
    case "image":
      return isMediaSource(block.source);
    case "document":
      // A `content` source holds blocks: it is never read as a media source.
      return isObject(block.source) && block.source.type === "content"
        ? isContentDocument(block.source)
        : isMediaSource(block.source);
    case "tool_use":
      return typeof block.id === "string" && isNonEmptyString(block.name) &&
        (block.input === undefined || isPlainObject(block.input));
    case "server_tool_use":
      return typeof block.id === "string" && isNonEmptyString(block.name);
    case "tool_result":
      return typeof block.tool_use_id === "string" &&
        (block.content === undefined || isContent(block.content)) &&
        (block.is_error === undefined || typeof block.is_error === "boolean");
    case "thinking":
      return typeof block.thinking === "string" &&
        (block.signature === undefined || typeof block.signature === "string");
    case "redacted_thinking":
      return typeof block.data === "string";
    default:
      return true;
  }
}

function isMediaSource(source: unknown): boolean {
  if (!isObject(source) || typeof source.type !== "string") return false;
  for (const field of SOURCE_FIELDS[source.type] ?? []) {
    if (typeof source[field] !== "string") return false;
  }
  return true;
}

function isContentDocument(source: unknown): boolean {
  return isObject(source) && source.type === "content" && isContent(source.content);
}

function isSystem(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (!Array.isArray(value)) return false;
  for (const part of value) {
    if (!isObject(part) || typeof part.text !== "string" || typeof part.type !== "string") {
      return false;
    }
  }
  return true;
}

function areTools(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const tool of value) {
    if (!isObject(tool) || !(isNonEmptyString(tool.name) || isNamelessKind(tool))) return false;
    if (tool.input_schema !== undefined && !isPlainObject(tool.input_schema)) return false;
  }
  return true;
}

/**
 * A tool of a kind Anthropic defines that carries no name of its own: the MCP connector's
 * `mcp_toolset` names a server (`mcp_server_name`), whose tools the API lists itself. A client
 * tool always needs its name; any other typed tool is the API's to judge.
 */
export function isNamelessKind(tool: Json): boolean {
  return tool.name === undefined && typeof tool.type === "string" && tool.type !== "" &&
    tool.type !== "custom";
}

function isToolChoice(value: unknown): boolean {
  if (!isObject(value)) return false;
  const type = value.type;
  if (type === "auto" || type === "any" || type === "none") return true;
  return type === "tool" && isNonEmptyString(value.name);
}

function isThinking(value: unknown): boolean {
  if (!isObject(value) || typeof value.type !== "string") return false;
  if (value.type !== "enabled") return true;
  const budget = value.budget_tokens;
  return Number.isInteger(budget) && (budget as number) > 0;
}

// `user_id` is a string (Claude Code's holds JSON), or null as the SDKs may send it.
function isMetadata(value: unknown): boolean {
  if (value === null) return true;
  if (!isObject(value)) return false;
  const id = value.user_id;
  return id === undefined || id === null || typeof id === "string";
}

function areStrings(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) {
    if (typeof item !== "string") return false;
  }
  return true;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// What JSON.parse builds; anything else is left to the schema to judge.
function isPlainObject(value: unknown): boolean {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
