/**
 * MCP tool names on the OpenAI wires. Claude Code names an MCP tool `mcp__<server>__<tool>`
 * and does not shorten it; OpenAI (and DeepSeek, and others copying its checks) refuse a
 * function name over 64 characters or outside `[A-Za-z0-9_-]`. The request seen here is the
 * one Claude Code 2.1.330 sent after ToolSearch loaded such a tool.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { responsesResponseToAnthropic } from "../../src/translate/openai_responses/response.ts";
import { OPENAI_TOOL_NAMES, renamedToolNames } from "../../src/translate/tool_names.ts";
import { responseObject } from "../mocks/responses_wire.ts";

const LONG =
  "mcp__inventory_server_with_long_name__record_the_inventory_item_with_a_really_long_descriptive_name";
const ODD = "mcp__my.server__do:it";
const VALID = /^[A-Za-z0-9_-]{1,64}$/;

const REQUEST: MessagesRequest = {
  model: "claude-opus-5-5",
  max_tokens: 128000,
  tools: [
    { name: "Bash", description: "Run", input_schema: { type: "object", properties: {} } },
    {
      name: LONG,
      description: "Record an inventory item.",
      input_schema: { type: "object", properties: { sku: { type: "string" } } },
    },
    { name: ODD, input_schema: { type: "object", properties: {} } },
  ],
  messages: [
    { role: "user", content: [{ type: "text", text: "Record the item" }] },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: LONG, input: { sku: "ABC" } }],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "MCP-OK" }],
    },
  ],
  tool_choice: { type: "tool", name: LONG },
};

const TARGET = { provider: "p", model: "m" };

Deno.test("Chat Completions: MCP tool names fit OpenAI's rule, consistently", () => {
  const body = toOpenAIChatRequest(REQUEST, { dialect: DEFAULT_OPENAI_DIALECT, ...TARGET });
  const names = (body.tools ?? []).map((t) => t.function.name);
  assert.equal(names[0], "Bash");
  for (const name of names) assert.match(name, VALID);
  const history = body.messages.flatMap((m) =>
    "tool_calls" in m && m.tool_calls ? m.tool_calls.map((c) => c.function.name) : []
  );
  assert.deepEqual(history, [names[1]]);
  assert.deepEqual(body.tool_choice, { type: "function", function: { name: names[1] } });
});

Deno.test("Chat Completions: a call to a renamed tool comes back under the client's name", () => {
  const body = toOpenAIChatRequest(REQUEST, { dialect: DEFAULT_OPENAI_DIALECT, ...TARGET });
  const short = body.tools![1]!.function.name;
  const message = openAIResponseToAnthropic({
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: short, arguments: "{}" } }],
      },
      finish_reason: "tool_calls",
    }],
  }, {
    clientModel: "claude-opus-5-5",
    inputTokens: 10,
    provider: "p",
    upstreamModel: "m",
    toolNames: renamedToolNames(REQUEST.tools, OPENAI_TOOL_NAMES),
  });
  assert.equal(message.content.find((b) => b.type === "tool_use")?.name, LONG);
});

Deno.test("Responses: MCP tool names fit OpenAI's rule and come back under the client's", () => {
  const body = toResponsesRequest(REQUEST, TARGET);
  const names = (body.tools ?? []).map((t) => (t as { name: string }).name);
  assert.equal(names[0], "Bash");
  for (const name of names) assert.match(name, VALID);
  const history = (body.input as { type?: string; name?: string }[])
    .filter((i) => i.type === "function_call").map((i) => i.name);
  assert.deepEqual(history, [names[1]]);
  assert.deepEqual(body.tool_choice, { type: "function", name: names[1] });

  const message = responsesResponseToAnthropic(
    responseObject({ items: [{ kind: "call", name: names[2]!, args: "{}", callId: "c1" }] }, "m"),
    {
      clientModel: "claude-opus-5-5",
      inputTokens: 10,
      provider: "p",
      upstreamModel: "m",
      toolNames: renamedToolNames(REQUEST.tools, OPENAI_TOOL_NAMES),
    },
  );
  assert.equal(message.content.find((b) => b.type === "tool_use")?.name, ODD);
});

Deno.test("renamedToolNames lists only the names that had to change", () => {
  const map = renamedToolNames(REQUEST.tools, OPENAI_TOOL_NAMES);
  assert.deepEqual([...map.values()], [LONG, ODD]);
  for (const key of map.keys()) assert.match(key, VALID);
});
