/**
 * Parameters that take any JSON value go to Gemini as strings asking for JSON text; the text of an
 * object or array in the model's call comes back to the client as the value.
 */

import assert from "node:assert/strict";
import type { ToolDefinition } from "../../../src/protocols/anthropic.ts";
import { JSON_TEXT_NOTE, withJsonValues } from "../../../src/translate/gemini/json_args.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { geminiResponseToAnthropic } from "../../../src/translate/gemini/response.ts";

// Shaped like Claude Code's Workflow tool: `args` has no type and asks for real JSON values.
const WORKFLOW: ToolDefinition = {
  name: "Workflow",
  description: "Runs a workflow",
  input_schema: {
    type: "object",
    properties: {
      name: { type: "string" },
      args: {
        description: "Pass arrays/objects as actual JSON values, NOT as a JSON-encoded string",
      },
      steps: { type: "array", items: { type: "object", properties: { with: {} } } },
    },
    required: ["name"],
  },
};
const BASH: ToolDefinition = {
  name: "Bash",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
};

Deno.test("the declaration asks for JSON text where any value is allowed", () => {
  const request = toGeminiRequest({
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: "go" }],
    tools: [WORKFLOW],
  }, { provider: "gem", model: "gemini-2.5-flash" });
  const args = request.tools?.[0]?.functionDeclarations?.[0]?.parameters?.properties?.args;
  assert.equal(args?.type, "STRING");
  assert.equal(
    args?.description,
    `Pass arrays/objects as actual JSON values, NOT as a JSON-encoded string\n${JSON_TEXT_NOTE}`,
  );
});

Deno.test("JSON text of objects and arrays becomes the value; other text stays text", () => {
  const schema = WORKFLOW.input_schema;
  const input = {
    name: '{"not": "touched"}',
    args: ' {"files": ["a.ts"], "n": 2}',
    steps: [{ with: "[1, 2]" }, { with: "42" }, { with: "{broken" }],
  };
  assert.deepEqual(withJsonValues(input, schema), {
    name: '{"not": "touched"}',
    args: { files: ["a.ts"], n: 2 },
    steps: [{ with: [1, 2] }, { with: "42" }, { with: "{broken" }],
  });
  const plain = { name: "x", args: "hello" };
  assert.equal(withJsonValues(plain, schema), plain, "nothing to change: the same object");
});

Deno.test("a Gemini call to such a tool reaches the client with the value", () => {
  const message = geminiResponseToAnthropic({
    candidates: [{
      content: {
        role: "model",
        parts: [
          { functionCall: { name: "Workflow", args: { name: "build", args: '{"target":"x"}' } } },
          { functionCall: { name: "Bash", args: { command: "[1]" } } },
        ],
      },
      finishReason: "STOP",
    }],
  }, {
    clientModel: "claude-sonnet-4-5",
    inputTokens: 1,
    provider: "gem",
    upstreamModel: "gemini-2.5-flash",
    tools: [WORKFLOW, BASH],
  });
  const calls = message.content.filter((b) => b.type === "tool_use");
  assert.deepEqual(calls.map((c) => c.type === "tool_use" && c.input), [
    { name: "build", args: { target: "x" } },
    { command: "[1]" },
  ]);
});

Deno.test("parameters reached through local $refs (as Pydantic writes schemas) are found too", () => {
  const tool: ToolDefinition = {
    name: "mcp__db__query",
    input_schema: {
      type: "object",
      properties: { request: { $ref: "#/$defs/Request" } },
      $defs: {
        Request: {
          type: "object",
          properties: { sql: { type: "string" }, params: { $ref: "#/$defs/Any" } },
        },
        Any: { description: "Any value" },
      },
    },
  };
  assert.deepEqual(
    withJsonValues({ request: { sql: "select", params: '[1, "a"]' } }, tool.input_schema),
    { request: { sql: "select", params: [1, "a"] } },
  );
  const declared = toGeminiRequest({
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: "go" }],
    tools: [tool],
  }, { provider: "gem", model: "gemini-2.5-flash" }).tools?.[0]?.functionDeclarations?.[0];
  const params = declared?.parameters?.properties?.request?.properties?.params;
  assert.equal(params?.type, "STRING");
  assert.equal(params?.description, `Any value\n${JSON_TEXT_NOTE}`);
});

// An MCP tool with free-form maps (`dict[str, str]` in Python, `Record<string, string>` in Zod).
const SET_ENV: ToolDefinition = {
  name: "mcp__deploy__set_env",
  input_schema: {
    type: "object",
    properties: {
      service: { type: "string" },
      env: { type: "object", additionalProperties: { type: "string" }, description: "Variables" },
      labels: { type: ["object", "null"], additionalProperties: true },
      rows: { type: "array", items: { type: "object", patternProperties: { "^x-": {} } } },
      empty: { type: "object", additionalProperties: false },
    },
    required: ["service", "env"],
  },
};

Deno.test("a free-form map goes out as JSON text, not as an OBJECT the model can only leave empty", () => {
  const request = toGeminiRequest({
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: "go" }],
    tools: [SET_ENV],
  }, { provider: "gem", model: "gemini-3-flash-preview" });
  const params = request.tools?.[0]?.functionDeclarations?.[0]?.parameters;
  const props = params?.properties ?? {};
  assert.equal(props.env?.type, "STRING");
  assert.match(props.env?.description ?? "", /^Variables\n.*JSON object.*JSON text/);
  assert.equal(props.labels?.type, "STRING");
  assert.equal(props.labels?.nullable, true);
  assert.equal(props.rows?.items?.type, "STRING");
  // An object that takes no keys at all stays an (empty) object.
  assert.equal(props.empty?.type, "OBJECT");
  assert.deepEqual(params?.required, ["service", "env"]);
});

Deno.test("the map the model writes as JSON text reaches the client as an object", () => {
  const message = geminiResponseToAnthropic({
    candidates: [{
      content: {
        role: "model",
        parts: [{
          functionCall: {
            name: "mcp__deploy__set_env",
            args: {
              service: "api",
              env: '{"PORT":"8080","MODE":"prod"}',
              labels: '{"team":"core"}',
              rows: ['{"x-a":1}'],
            },
          },
        }],
      },
      finishReason: "STOP",
    }],
  }, {
    clientModel: "claude-sonnet-4-5",
    inputTokens: 1,
    provider: "gem",
    upstreamModel: "gemini-3-flash-preview",
    tools: [SET_ENV],
  });
  const call = message.content.find((b) => b.type === "tool_use");
  assert.deepEqual(call?.type === "tool_use" && call.input, {
    service: "api",
    env: { PORT: "8080", MODE: "prod" },
    labels: { team: "core" },
    rows: [{ "x-a": 1 }],
  });
});

Deno.test("JSON text in a code fence, where an object or any value goes, reaches the client as the value", () => {
  const schema = {
    type: "object",
    properties: {
      map: { type: "object", additionalProperties: { type: "string" } },
      any: {},
      note: { type: "string" },
    },
  };
  const fenced = '```json\n{"a": "b"}\n```';
  assert.deepEqual(withJsonValues({ map: fenced, any: "```\n[1, 2]\n```", note: fenced }, schema), {
    map: { a: "b" },
    any: [1, 2],
    note: fenced,
  });
  // A fence around what is no JSON stays text.
  assert.deepEqual(withJsonValues({ map: "```\nnot json\n```" }, schema), {
    map: "```\nnot json\n```",
  });
});
