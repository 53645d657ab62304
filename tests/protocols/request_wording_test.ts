/**
 * What a malformed Messages request is told: one bad value per field, nested ones included, and
 * the exact message, each read as Anthropic's own 400s are ("<path>: Input should be …", "Field
 * required"), never the validation library's words.
 */

import assert from "node:assert/strict";
import { ClientRequestError } from "../../src/core/errors.ts";
import {
  admitCountTokensRequest,
  admitMessagesRequest,
} from "../../src/protocols/anthropic_request_gate.ts";

type Json = Record<string, unknown>;

const good = (): Json => ({
  model: "m",
  max_tokens: 10,
  messages: [{ role: "user", content: "hi" }],
});
const without = (field: string): Json => {
  const body = good();
  delete body[field];
  return body;
};
const withField = (field: string, value: unknown): Json => ({ ...good(), [field]: value });
/** A user turn whose second block is `block`. */
const userBlock = (block: unknown): Json => ({
  ...good(),
  messages: [{ role: "user", content: [{ type: "text", text: "a" }, block] }],
});
/** An assistant turn (after a user one) whose only block is `block`. */
const assistantBlock = (block: unknown): Json => ({
  ...good(),
  messages: [{ role: "user", content: "q" }, { role: "assistant", content: [block] }],
});
const base64 = (data: unknown) => ({ type: "base64", media_type: "image/png", data });
const threeTools = (third: unknown) => withField("tools", [{ name: "a" }, { name: "b" }, third]);

const STRING = "Input should be a valid string";
const NON_EMPTY = "Input should be a non-empty string";
const OBJECT = "Input should be an object";
const CONTENT = "Input should be a string or an array of content blocks";

const CASES: ReadonlyArray<readonly [Json, string]> = [
  // model
  [without("model"), "model: Field required"],
  [withField("model", 5), `model: ${STRING}`],
  [withField("model", ""), `model: ${NON_EMPTY}`],
  // The name keys what ccp keeps per target: a name the size of a body is refused.
  [withField("model", "m".repeat(1025)), "model: Input should have at most 1024 characters"],
  // max_tokens
  [without("max_tokens"), "max_tokens: Field required"],
  [withField("max_tokens", "10"), "max_tokens: Input should be a positive integer"],
  [withField("max_tokens", 0), "max_tokens: Input should be a positive integer"],
  // stream
  [withField("stream", "yes"), "stream: Input should be a valid boolean"],
  // messages and each message
  [without("messages"), "messages: Field required"],
  [withField("messages", "hi"), "messages: Input should be an array of messages"],
  [withField("messages", []), "messages: at least one message is required"],
  [withField("messages", [5]), `messages.0: ${OBJECT}`],
  [withField("messages", [{ content: "x" }]), "messages.0.role: Field required"],
  [
    withField("messages", [{ role: "bot", content: "x" }]),
    "messages.0.role: Input should be 'user', 'assistant' or 'system'",
  ],
  [withField("messages", [{ role: "user" }]), "messages.0.content: Field required"],
  [withField("messages", [{ role: "user", content: 5 }]), `messages.0.content: ${CONTENT}`],
  [withField("messages", [{ role: "user", content: {} }]), `messages.0.content: ${CONTENT}`],
  // content blocks
  [userBlock(5), `messages.0.content.1: ${OBJECT}`],
  [userBlock({ text: "x" }), "messages.0.content.1.type: Field required"],
  [userBlock({ type: 5 }), `messages.0.content.1.type: ${STRING}`],
  [userBlock({ type: "text" }), "messages.0.content.1.text: Field required"],
  [userBlock({ type: "text", text: 5 }), `messages.0.content.1.text: ${STRING}`],
  [userBlock({ type: "image" }), "messages.0.content.1.source: Field required"],
  [userBlock({ type: "image", source: 5 }), `messages.0.content.1.source: ${OBJECT}`],
  [
    userBlock({ type: "image", source: { type: 5 } }),
    `messages.0.content.1.source.type: ${STRING}`,
  ],
  [
    userBlock({ type: "image", source: { type: "base64", data: "AA==" } }),
    "messages.0.content.1.source.media_type: Field required",
  ],
  [userBlock({ type: "image", source: base64(5) }), `messages.0.content.1.source.data: ${STRING}`],
  [
    userBlock({ type: "image", source: { type: "url", url: 5 } }),
    `messages.0.content.1.source.url: ${STRING}`,
  ],
  [userBlock({ type: "document", source: 5 }), `messages.0.content.1.source: ${OBJECT}`],
  [
    userBlock({ type: "document", source: { type: 5 } }),
    `messages.0.content.1.source.type: ${STRING}`,
  ],
  [
    userBlock({ type: "document", source: { type: "file", file_id: 5 } }),
    `messages.0.content.1.source.file_id: ${STRING}`,
  ],
  [
    userBlock({ type: "document", source: { type: "text", media_type: "text/plain", data: 5 } }),
    `messages.0.content.1.source.data: ${STRING}`,
  ],
  [
    userBlock({ type: "document", source: { type: "content", content: 5 } }),
    `messages.0.content.1.source.content: ${CONTENT}`,
  ],
  [
    userBlock({
      type: "document",
      source: { type: "content", content: [{ type: "text", text: 5 }] },
    }),
    `messages.0.content.1.source.content.0.text: ${STRING}`,
  ],
  [
    userBlock({ type: "tool_result", tool_use_id: 5 }),
    `messages.0.content.1.tool_use_id: ${STRING}`,
  ],
  [
    userBlock({ type: "tool_result", tool_use_id: "t", content: 5 }),
    `messages.0.content.1.content: ${CONTENT}`,
  ],
  [
    userBlock({
      type: "tool_result",
      tool_use_id: "t",
      content: [{ type: "image", source: base64(5) }],
    }),
    `messages.0.content.1.content.0.source.data: ${STRING}`,
  ],
  [
    userBlock({ type: "tool_result", tool_use_id: "t", is_error: "yes" }),
    "messages.0.content.1.is_error: Input should be a valid boolean",
  ],
  [
    assistantBlock({ type: "tool_use", id: 5, name: "n", input: {} }),
    `messages.1.content.0.id: ${STRING}`,
  ],
  [
    assistantBlock({ type: "tool_use", id: "i", name: "", input: {} }),
    `messages.1.content.0.name: ${NON_EMPTY}`,
  ],
  [
    assistantBlock({ type: "tool_use", id: "i", name: "n", input: [] }),
    `messages.1.content.0.input: ${OBJECT}`,
  ],
  [
    assistantBlock({ type: "server_tool_use", id: "i", name: "" }),
    `messages.1.content.0.name: ${NON_EMPTY}`,
  ],
  [assistantBlock({ type: "thinking", thinking: 5 }), `messages.1.content.0.thinking: ${STRING}`],
  [
    assistantBlock({ type: "thinking", thinking: "t", signature: 5 }),
    `messages.1.content.0.signature: ${STRING}`,
  ],
  [assistantBlock({ type: "redacted_thinking", data: 5 }), `messages.1.content.0.data: ${STRING}`],
  // system
  [withField("system", 5), "system: Input should be a string or an array of text blocks"],
  [withField("system", [5]), `system.0: ${OBJECT}`],
  [withField("system", [{ text: "x" }]), "system.0.type: Field required"],
  [withField("system", [{ type: "text", text: 5 }]), `system.0.text: ${STRING}`],
  // tools
  [withField("tools", {}), "tools: Input should be an array of tools"],
  [threeTools(5), `tools.2: ${OBJECT}`],
  [threeTools({}), "tools.2.name: Field required"],
  [threeTools({ type: "custom" }), "tools.2.name: Field required"],
  [threeTools({ name: "" }), `tools.2.name: ${NON_EMPTY}`],
  [threeTools({ name: "c", input_schema: "x" }), `tools.2.input_schema: ${OBJECT}`],
  // tool_choice
  [withField("tool_choice", 5), `tool_choice: ${OBJECT}`],
  [withField("tool_choice", {}), "tool_choice.type: Field required"],
  [
    withField("tool_choice", { type: "function" }),
    "tool_choice.type: Input should be 'auto', 'any', 'none' or 'tool'",
  ],
  [withField("tool_choice", { type: "tool" }), "tool_choice.name: Field required"],
  [withField("tool_choice", { type: "tool", name: "" }), `tool_choice.name: ${NON_EMPTY}`],
  // thinking
  [withField("thinking", 5), `thinking: ${OBJECT}`],
  [withField("thinking", { type: 5 }), `thinking.type: ${STRING}`],
  [withField("thinking", { type: "enabled" }), "thinking.budget_tokens: Field required"],
  [
    withField("thinking", { type: "enabled", budget_tokens: 1.5 }),
    "thinking.budget_tokens: Input should be a positive integer",
  ],
  // stop_sequences
  [withField("stop_sequences", "END"), "stop_sequences: Input should be an array of strings"],
  [withField("stop_sequences", ["END", 5]), `stop_sequences.1: ${STRING}`],
  // metadata
  [withField("metadata", 5), `metadata: ${OBJECT}`],
  [withField("metadata", { user_id: 5 }), `metadata.user_id: ${STRING}`],
];

async function refusal(admit: (body: unknown) => Promise<unknown>, body: Json): Promise<string> {
  try {
    await admit(body);
  } catch (error) {
    assert.ok(error instanceof ClientRequestError, String(error));
    return error.message;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

Deno.test("each malformed field of a Messages request is named with what it takes", async () => {
  for (const [body, message] of CASES) {
    assert.equal(await refusal(admitMessagesRequest, body), message, JSON.stringify(body));
  }
});

Deno.test("count_tokens words its refusals the same way", async () => {
  for (const [body, message] of CASES) {
    if (message.startsWith("max_tokens") || message.startsWith("stream")) continue;
    const count = { ...body };
    delete count.max_tokens;
    assert.equal(await refusal(admitCountTokensRequest, count), message, JSON.stringify(count));
  }
});

Deno.test("what these fields may also be is still accepted", async () => {
  const accepted: Json[] = [
    withField("metadata", { user_id: '{"device_id":"d","session_id":"s"}' }),
    withField("metadata", { user_id: null }),
    withField("metadata", null),
    withField("metadata", {}),
    threeTools({ type: "web_search_20250305", name: "web_search", max_uses: 5 }),
    threeTools({ type: "mcp_toolset", mcp_server_name: "srv", default_config: { enabled: true } }),
    threeTools({ name: "c", input_schema: { type: "object", properties: {} } }),
    withField("model", "m".repeat(1024)),
  ];
  for (const body of accepted) assert.equal(await admitMessagesRequest(body), body);
});
