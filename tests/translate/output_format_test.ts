/**
 * Structured output through the translations: Claude Code names a session with a side request
 * that asks for `output_config.format` (a JSON schema with a `title`); each upstream API must be
 * told, or the model may answer in prose and the session gets no title.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";

const SCHEMA = {
  type: "object",
  properties: { title: { type: "string" } },
  required: ["title"],
  additionalProperties: false,
};

/** The title request of Claude Code 2.1.330 (interactive, non-essential traffic allowed). */
function titleRequest(extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    max_tokens: 128000,
    stream: true,
    system: [
      {
        type: "text",
        text: "x-anthropic-billing-header: cc_version=2.1.330.eb4; cc_entrypoint=cli;",
      },
      { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." },
      {
        type: "text",
        text: 'You are naming a coding session… Return JSON with a single "title" field.',
      },
    ],
    messages: [{
      role: "user",
      content: [{ type: "text", text: "<session>\nDo the notes task\n</session>" }],
    }],
    output_config: { effort: "medium", format: { type: "json_schema", schema: SCHEMA } },
    ...extra,
  };
}

Deno.test("Chat Completions: the schema becomes response_format json_schema", () => {
  const body = toOpenAIChatRequest(titleRequest(), {
    dialect: DEFAULT_OPENAI_DIALECT,
    model: "gpt-x",
    provider: "p",
  });
  assert.deepEqual(body.response_format, {
    type: "json_schema",
    json_schema: { name: "output", schema: SCHEMA },
  });
});

Deno.test("Chat Completions: JSON mode where the provider has no json_schema", () => {
  const body = toOpenAIChatRequest(titleRequest(), {
    dialect: OPENAI_DIALECTS.deepseek,
    model: "deepseek-chat",
    provider: "p",
  });
  assert.deepEqual(body.response_format, { type: "json_object" });
  // The schema reaches the model through the system prompt, which also names JSON (required
  // by JSON mode), also for a request whose own prompt never says "JSON".
  const system = body.messages[0]!;
  assert.equal(system.role, "system");
  assert.match(String(system.content), /You are Claude Code/);
  assert.ok(String(system.content).endsWith(`JSON schema: ${JSON.stringify(SCHEMA)}`));
  const bare = toOpenAIChatRequest(
    {
      model: "m",
      max_tokens: 50,
      messages: [{ role: "user", content: "Name this session" }],
      output_config: { format: { type: "json_schema", schema: SCHEMA } },
    } as MessagesRequest,
    { dialect: OPENAI_DIALECTS.kimi, model: "kimi-k2", provider: "p" },
  );
  assert.equal(bare.messages.length, 2);
  assert.deepEqual(bare.messages[0], {
    role: "system",
    content: `Answer with one JSON object that follows this JSON schema: ${JSON.stringify(SCHEMA)}`,
  });
});

Deno.test("Chat Completions: no response_format without a format", () => {
  const body = toOpenAIChatRequest(titleRequest({ output_config: { effort: "medium" } }), {
    dialect: DEFAULT_OPENAI_DIALECT,
    model: "gpt-x",
    provider: "p",
  });
  assert.equal(body.response_format, undefined);
});

Deno.test("Responses: the schema becomes text.format", () => {
  const body = toResponsesRequest(titleRequest(), { provider: "p", model: "gpt-5" });
  assert.deepEqual(body.text, { format: { type: "json_schema", name: "output", schema: SCHEMA } });
});

Deno.test("Gemini: the schema becomes a JSON answer type with responseJsonSchema", () => {
  const body = toGeminiRequest(titleRequest(), { provider: "g", model: "gemini-2.5-flash" });
  assert.equal(body.generationConfig?.responseMimeType, "application/json");
  assert.deepEqual(body.generationConfig?.responseJsonSchema, SCHEMA);
});

Deno.test("Gemini: not with function declarations (older models refuse both together)", () => {
  const body = toGeminiRequest(
    titleRequest({
      tools: [{ name: "Bash", description: "run", input_schema: { type: "object" } }],
    }),
    { provider: "g", model: "gemini-2.5-flash" },
  );
  assert.equal(body.generationConfig?.responseMimeType, undefined);
  assert.equal(body.generationConfig?.responseJsonSchema, undefined);
});
