/**
 * Property: a client that sends any top-level field of `POST /v1/messages` or
 * `/v1/messages/count_tokens` with a value of the wrong type, or an absurd one, gets an answer
 * within the second: a 2xx, or an Anthropic-shaped 4xx — never a 500 (an exception inside ccp)
 * and never a hang — on every wire protocol.
 */

import { app, assertAnswer, base, MODELS, ODD, post } from "./_fuzz_app.ts";

const FIELDS = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "output_config",
  "output_format",
  "context_management",
  "service_tier",
  "container",
  "mcp_servers",
];

// Values inside the fields ccp reads further than their top level.
const NESTED: Record<string, unknown>[] = [
  { messages: [null] },
  { messages: [{ role: "user" }] },
  { messages: [{ role: "user", content: [null] }] },
  { messages: [{ role: "user", content: [{ type: 5 }] }] },
  { messages: [{ role: "user", content: [{ type: "text", text: "a", cache_control: 5 }] }] },
  { messages: [{ role: "user", content: [{ type: "text", text: "a", citations: "x" }] }] },
  {
    messages: [{
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "t", content: [5] }],
    }],
  },
  {
    messages: [{
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image", source: 1 }] }],
    }],
  },
  { messages: [{ role: "user", content: [{ type: "image", source: { type: 5 } }] }] },
  { messages: [{ role: "user", content: [{ type: "image", source: { type: "base64" } }] }] },
  { messages: [{ role: "user", content: [{ type: "document", source: null }] }] },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "tool_use", id: 5, name: "x", input: {} }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "tool_use", id: "t", name: "x", input: "str" }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "thinking", thinking: "t", signature: 5 }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "server_tool_use", id: "s", name: "web_search", input: null }],
    }, {
      role: "user",
      content: [{ type: "web_search_tool_result", tool_use_id: "s", content: 5 }],
    }],
  },
  { messages: [{ role: "system", content: 5 }] },
  { messages: [{ role: "user", content: "a" }, { role: "system", content: [{ type: "text" }] }] },
  { system: [null] },
  { system: [{ type: "text", text: 5 }] },
  { system: [{ type: "text", text: "a", cache_control: "x" }] },
  { tools: [null] },
  { tools: [{ name: "" }] },
  { tools: [{ name: "t", input_schema: null }] },
  { tools: [{ name: "t", input_schema: "x" }] },
  { tools: [{ name: "t", input_schema: { type: "object", properties: [] } }] },
  { tools: [{ name: "t", input_schema: { type: "object", properties: { a: null } } }] },
  { tools: [{ name: "t", input_schema: { type: "object", required: "a" } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#/%E0%A4%A" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#/__proto__" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: 5 } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { anyOf: 5, enum: "x" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { type: ["string", 5] } } } }] },
  { tools: [{ name: "t", description: 5, input_schema: {} }] },
  { tools: [{ type: "web_search_20250305", name: "web_search", max_uses: "x" }] },
  { tools: [{ type: "web_search_20250305", name: "web_search", allowed_domains: 5 }] },
  { tool_choice: { type: "tool", name: 5 } },
  { tool_choice: { type: "auto", disable_parallel_tool_use: "x" } },
  { thinking: { type: "enabled", budget_tokens: 1e308 } },
  { thinking: { type: "enabled", budget_tokens: -5 } },
  { thinking: { type: "adaptive", display: 5 } },
  { metadata: { user_id: 5 } },
  { metadata: { user_id: "{not json" } },
  { output_config: { effort: 5 } },
  { output_config: { format: 5 } },
  { output_config: { format: { type: "json_schema", schema: null } } },
  { output_format: { type: "json_schema", schema: "x" } },
  { context_management: { edits: 5 } },
  { context_management: { edits: [null] } },
  { max_tokens: 1e308 },
  { max_tokens: 2 ** 53 },
  { stop_sequences: ["", ""] },
  { model: "x".repeat(100_000) },
  { model: "anth/" },
  { model: "/m" },
  { model: "nope/m" },
  { model: "oai/\u0000" },
];

Deno.test("property: any top-level field of any type gets a 2xx or an Anthropic 4xx", async (t) => {
  const server = app();
  for (const model of MODELS) {
    await t.step(model, async () => {
      const cases: Record<string, unknown>[] = [];
      for (const field of FIELDS) for (const value of ODD) cases.push({ [field]: value });
      cases.push(...NESTED);
      for (const over of cases) {
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          for (const stream of path === "/v1/messages" ? [true, false] : [false]) {
            const body = { ...base(model), stream, ...over };
            const { status, text } = await post(server, path, body);
            assertAnswer(status, text, `${path} ${JSON.stringify(over).slice(0, 200)}`);
          }
        }
      }
    });
  }
});
