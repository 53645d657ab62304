/**
 * Request bodies: a minimal one, and one shaped like Claude Code's (a long system prompt,
 * 16 tools with JSON schemas, a short tool-using conversation; about 40 KB), each with the
 * OpenAI Chat Completions equivalent ccp would send, for the direct-to-mock baseline.
 */

import type { MessagesRequest } from "../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS, toOpenAIChatRequest } from "../src/translate/mod.ts";

/** Which body a scenario sends. */
export type BodyKind = "small" | "claude-code";

function words(seed: number, count: number): string {
  const vocabulary = ["the", "file", "tool", "must", "never", "always", "user", "code", "test"];
  return Array.from({ length: count }, (_, i) => vocabulary[(seed * 7 + i * 13) % 9]).join(" ");
}

function claudeCodeParts(): Pick<MessagesRequest, "system" | "tools" | "messages"> {
  const tools = Array.from({ length: 16 }, (_, t) => ({
    name: `Tool${t}`,
    description: words(t, 120),
    input_schema: {
      type: "object",
      properties: Object.fromEntries(
        Array.from({ length: 6 }, (_, p) => [`param_${p}`, {
          type: p % 2 ? "string" : "number",
          description: words(t + p, 25),
        }]),
      ),
      required: ["param_0"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    },
  }));
  const system = [
    { type: "text", text: "x-anthropic-billing-header: cc_version=2.0.0; cc_entrypoint=cli" },
    { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." },
    { type: "text", text: words(1, 1800), cache_control: { type: "ephemeral" } },
  ];
  const messages = [
    { role: "user", content: [{ type: "text", text: words(2, 300) }] },
    {
      role: "assistant",
      content: [
        { type: "text", text: "I'll look at the file." },
        { type: "tool_use", id: "toolu_bench_1", name: "Tool1", input: { param_0: 1 } },
      ],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_bench_1", content: words(3, 600) }],
    },
    { role: "assistant", content: [{ type: "text", text: words(4, 80) }] },
    { role: "user", content: [{ type: "text", text: "Now fix the failing test, please." }] },
  ];
  return { system, tools, messages } as unknown as Pick<
    MessagesRequest,
    "system" | "tools" | "messages"
  >;
}

/** An Anthropic Messages streaming request for `model`. */
export function anthropicBody(kind: BodyKind, model: string): MessagesRequest {
  const base = { model, max_tokens: 4096, stream: true };
  if (kind === "small") {
    return { ...base, messages: [{ role: "user", content: "Say hello." }] } as MessagesRequest;
  }
  return { ...base, ...claudeCodeParts(), metadata: { user_id: "user_bench" } } as MessagesRequest;
}

/** The Chat Completions request ccp itself would send upstream for the same Anthropic body. */
export function openAIBody(kind: BodyKind, model: string): Record<string, unknown> {
  const chat = toOpenAIChatRequest(anthropicBody(kind, model), {
    dialect: OPENAI_DIALECTS.openai_compatible,
    model,
    provider: "oai",
  });
  return chat as unknown as Record<string, unknown>;
}
