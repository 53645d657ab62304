/**
 * Request bodies: a minimal one, and one shaped like Claude Code's (a long system prompt,
 * 16 tools with JSON schemas, a short tool-using conversation, a few em dashes; about 45 KB),
 * each with the OpenAI Chat Completions equivalent ccp would send, for the direct-to-mock
 * baseline.
 */

import type { MessagesRequest } from "../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS, toOpenAIChatRequest } from "../src/translate/mod.ts";

/**
 * Which body a scenario sends; `session:<n>` is a Claude Code session after n tool round trips,
 * `session:<n>:<seed>` the same turns of another session (other texts, same prompt and tools).
 */
export type BodyKind =
  | "small"
  | "claude-code"
  | `session:${number}`
  | `session:${number}:${number}`;

function words(seed: number, count: number): string {
  const vocabulary = ["the", "file", "tool", "must", "never", "always", "user", "code", "test"];
  return Array.from({ length: count }, (_, i) => vocabulary[(seed * 7 + i * 13) % 9]).join(" ");
}

function claudeCodeParts(): Pick<MessagesRequest, "system" | "tools" | "messages"> {
  const tools = Array.from({ length: 16 }, (_, t) => ({
    name: `Tool${t}`,
    // Claude Code's prompts and tool descriptions hold a few em dashes (84 in a 62 KB first
    // request), which make V8 keep the whole decoded body as two-byte text: a 47 KB request
    // measured ~17 % more CPU than the same body in pure ASCII.
    description: `${words(t, 60)} \u2014 ${words(t + 1, 60)}`,
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
    {
      type: "text",
      text: "You are Claude Code, Anthropic's official CLI for Claude \u2014 a terminal agent.",
    },
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
  if (kind.startsWith("session:")) {
    const [turns, seed] = kind.slice("session:".length).split(":").map(Number);
    return { ...sessionBody(turns!, seed ?? 0), model, stream: true };
  }
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

const VOCABULARY =
  "the file tool must never always user code test import export const function return await async interface type class extends"
    .split(" ");

function prose(seed: number, words: number): string {
  let out = "";
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += VOCABULARY[x % VOCABULARY.length] + (i % 17 === 16 ? ".\n" : " ");
  }
  return out;
}

/** Turn `n` of a session: the assistant calls a tool, the user hands back its output. */
function turn(n: number, seed: number): MessagesRequest["messages"] {
  const id = `toolu_growth_${n}`;
  return [
    {
      role: "assistant",
      content: [
        { type: "text", text: prose(n + seed * 100_003, 40) },
        { type: "tool_use", id, name: "Read", input: { file_path: `src/file_${n}.ts` } },
      ],
    },
    {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: id,
        content: prose(n + seed * 100_003 + 1000, 700),
      }],
    },
  ];
}

/** A Claude Code-shaped request whose history has `turns` tool round trips (texts by `seed`). */
export function sessionBody(turns: number, seed = 0): MessagesRequest {
  const base = anthropicBody("claude-code", "claude-opus-4-5");
  const history = Array.from({ length: turns }, (_, n) => turn(n, seed)).flat();
  return { ...base, messages: [...base.messages, ...history] };
}

/** Tool round trips a {@link sessionBody} needs to reach `bytes` of JSON. */
export function turnsFor(bytes: number): number {
  let turns = 1;
  while (JSON.stringify(sessionBody(turns)).length < bytes) turns = Math.ceil(turns * 1.2) + 1;
  return turns;
}
