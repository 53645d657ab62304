/**
 * Which 400s a refusal mend answers, on real wordings of the servers ccp is put in front of: a
 * mend applies only when the refusal names what it changes. A message that merely contains
 * "thinking" (a vendor's rule about thinking blocks, a condition, a place in the history) is no
 * refusal of the `thinking` parameter, and dropping it would turn thinking off (and, learned, off
 * for every later request).
 */

import assert from "node:assert/strict";
import { lessonOf, sameRefusal } from "../../src/upstream/http/lessons.ts";
import { refusedParameter } from "../../src/upstream/http/refused_params.ts";
import { LearnedParams } from "../../src/resilience/learned_params.ts";
import { thinkingRefusal } from "../mocks/thinking_anthropic.ts";

type Obj = Record<string, unknown>;

/** What Claude Code sends through ccp to a gateway: thinking on, tools, betas, an image. */
const BODY: Obj = {
  model: "m",
  max_tokens: 32000,
  stream: true,
  temperature: 1,
  top_k: 5,
  thinking: { type: "enabled", budget_tokens: 4096 },
  output_config: { effort: "high" },
  tool_choice: { type: "auto" },
  tools: [{ name: "Bash", input_schema: { type: "object" } }],
  messages: [
    {
      role: "user",
      content: [{ type: "text", text: "hi" }, {
        type: "image",
        source: { type: "base64", media_type: "image/png", data: "iVBORw0K" },
      }],
    },
    { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "a" }] },
  ],
};
const HEADERS = {
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,effort-2025-11-24",
};

/** The mend `bodyText` gets at 400, by its reason; undefined for none. */
function mendFor(bodyText: string): string | undefined {
  const pupil = {
    provider: { id: "gw", type: "anthropic" as const, baseUrl: "http://gw.example" },
    model: "m",
    learned: new LearnedParams(),
  };
  return lessonOf({ status: 400, bodyText }, { body: BODY, headers: HEADERS }, pupil)?.why;
}

const openAiStyle = (message: string) =>
  JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } });
const anthropicStyle = (message: string) =>
  JSON.stringify({ type: "error", error: { type: "invalid_request_error", message } });
const geminiStyle = (message: string) =>
  JSON.stringify({ error: { code: 400, message, status: "INVALID_ARGUMENT" } });

/** Refusals no mend addresses: each goes back to the client as it is. */
const UNMENDED: ReadonlyArray<readonly [string, string]> = [
  ["DeepSeek, a tool-call turn without thinking", openAiStyle(thinkingRefusal("deepseek", BODY)!)],
  [
    "Moonshot, a tool-call turn without reasoning",
    openAiStyle(thinkingRefusal("moonshot", { ...BODY, model: "kimi-k2.6" })!),
  ],
  [
    "DeepSeek's Chat API, reasoning not passed back",
    openAiStyle(
      "Missing `reasoning_content` field in the assistant message at message index 2. For more " +
        "information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls",
    ),
  ],
  [
    "serde, thinking blocks unknown in the history",
    openAiStyle(
      "Failed to deserialize the JSON body into the target type: messages[1].content[0]: " +
        "unknown variant `thinking`, expected one of `text`, `image`, `tool_use`, `tool_result` at " +
        "line 1 column 412",
    ),
  ],
  [
    "serde, placed after",
    JSON.stringify({ detail: "Unknown field `thinking` in messages[1].content[0]" }),
  ],
  [
    "vLLM, a pydantic list: `thinking` misses a field, another error is extra_forbidden",
    JSON.stringify({
      object: "error",
      message: "[{'type': 'int_parsing', 'loc': ('body', 'thinking', 'budget_tokens'), 'msg': " +
        "'Input should be a valid integer'}, {'type': 'extra_forbidden', 'loc': ('body', " +
        "'service_tier'), 'msg': 'Extra inputs are not permitted'}]",
      type: "BadRequestError",
      param: null,
      code: 400,
    }),
  ],
  [
    "a gateway, thinking refused only with a forced tool choice",
    anthropicStyle("`thinking` is not supported when `tool_choice` forces tool use"),
  ],
  [
    "Anthropic, forced tool choice",
    anthropicStyle("Thinking may not be enabled when tool_choice forces tool use."),
  ],
  [
    "Anthropic, thinking blocks changed",
    anthropicStyle(
      "messages.7.content.12: `thinking` or `redacted_thinking` blocks in the latest assistant " +
        "message cannot be modified. These blocks must remain as they were in the original response.",
    ),
  ],
  [
    "Anthropic, temperature with thinking",
    anthropicStyle("`temperature` may only be set to 1 when thinking is enabled."),
  ],
  [
    "a gateway, an empty thinking block",
    openAiStyle("the field 'thinking' is not allowed to be empty"),
  ],
  [
    "a gateway, a block out of place",
    openAiStyle("Invalid value for 'content'. 'thinking' is not allowed in this position."),
  ],
  [
    "NVIDIA NIM, an adaptive thinking type",
    JSON.stringify({
      message: "Validation: `thinking.type` must be `enabled` or `disabled`",
      type: "Bad Request",
      code: 400,
    }),
  ],
  [
    "Z.AI, a parameter it does not name",
    JSON.stringify({
      error: { code: "1210", message: "Invalid API parameter, please check the documentation." },
    }),
  ],
  [
    "Gemini, a thought signature missing",
    geminiStyle(
      "Function call is missing a thought_signature in functionCall parts. This is required for " +
        "tools to work correctly, and missing thought_signature may lead to degraded model performance.",
    ),
  ],
  [
    "Gemini, thinking cannot be off",
    geminiStyle("Budget 0 is invalid. This model only works in thinking mode."),
  ],
  ["Gemini, a thinking level", geminiStyle("Thinking level is not supported for this model.")],
  [
    "vLLM, the context window",
    openAiStyle(
      "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens " +
        "(8000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.",
    ),
  ],
];

for (const [server, bodyText] of UNMENDED) {
  Deno.test(`no mend for a 400 that names nothing a mend changes: ${server}`, () => {
    assert.equal(mendFor(bodyText), undefined);
  });
}

/** Refusals a mend does address, and what it does: these must keep working. */
const MENDED: ReadonlyArray<readonly [string, string, string]> = [
  [
    "OpenAI, a parameter",
    JSON.stringify({
      error: {
        message: "Unsupported parameter: 'thinking' is not supported with this model.",
        type: "invalid_request_error",
        param: "thinking",
        code: "unsupported_parameter",
      },
    }),
    '"thinking" refused',
  ],
  [
    "an Anthropic-compatible server (pydantic)",
    anthropicStyle("thinking: Extra inputs are not permitted"),
    '"thinking" refused',
  ],
  [
    "vLLM, extra_forbidden",
    JSON.stringify({
      object: "error",
      message: "[{'type': 'extra_forbidden', 'loc': ('body', 'top_k'), 'msg': 'Extra inputs are " +
        "not permitted', 'input': 5}]",
      type: "BadRequestError",
      param: null,
      code: 400,
    }),
    '"top_k" refused',
  ],
  [
    "OpenRouter, a provider's words in metadata.raw",
    JSON.stringify({
      error: {
        message: "Provider returned error",
        code: 400,
        metadata: {
          raw: '{"error":{"message":"`top_k` is not supported for this model"}}',
          provider_name: "Fireworks",
        },
      },
    }),
    '"top_k" refused',
  ],
  [
    "Moonshot, a fixed sampling value",
    openAiStyle("invalid temperature: only 1 is allowed for this model"),
    '"temperature" refused',
  ],
  [
    "DeepSeek, the output limit",
    openAiStyle("Invalid max_tokens value, the valid range of max_tokens is [1, 8192]"),
    "max_tokens<=8192",
  ],
  ["a text-only model", openAiStyle("The model does not support image input."), "images refused"],
  [
    "Gemini, an unknown field",
    geminiStyle('Invalid JSON payload received. Unknown name "top_k": Cannot find field.'),
    '"top_k" refused',
  ],
];

for (const [server, bodyText, why] of MENDED) {
  Deno.test(`a mend for a 400 that names what it changes: ${server}`, () => {
    assert.ok(mendFor(bodyText)?.includes(why), `${mendFor(bodyText)}`);
  });
}

Deno.test("a quoted parameter refused with this model is the parameter itself; refused under a condition, it is not", () => {
  const body = { model: "m", top_k: 5, thinking: { type: "enabled" } };
  assert.equal(
    refusedParameter(openAiStyle("`top_k` is not supported by this model"), body),
    "top_k",
  );
  assert.equal(refusedParameter(openAiStyle("'top_k' is not supported."), body), "top_k");
  assert.equal(refusedParameter(openAiStyle("parameter `thinking` is unknown"), body), "thinking");
  assert.equal(
    refusedParameter(openAiStyle("'top_k' is not supported with tool calls"), body),
    undefined,
  );
  assert.equal(
    refusedParameter(openAiStyle("'thinking' is not supported in streaming mode"), body),
    undefined,
  );
});

Deno.test("two refusals alike: the same body but for ids; a pydantic list that moved on is another", () => {
  const anthropic = (id: string) =>
    JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message: "bad" },
      request_id: `req_011C${id}`,
    });
  assert.ok(
    sameRefusal({ status: 400, bodyText: anthropic("AAAAAAAA") }, {
      ok: false,
      status: 400,
      bodyText: anthropic("BBBBBBBB"),
    }),
  );
  const gateway = (n: string) => openAiStyle(`invalid thinking (request id: ${n})`);
  assert.ok(
    sameRefusal({ status: 400, bodyText: gateway("20261208011503123456789") }, {
      ok: false,
      status: 400,
      bodyText: gateway("20261208011504987654321"),
    }),
  );
  const pydantic = (field: string) =>
    JSON.stringify({
      detail: [{
        type: "extra_forbidden",
        loc: ["body", field],
        msg: "Extra inputs are not permitted",
      }],
    });
  assert.ok(
    !sameRefusal({ status: 400, bodyText: pydantic("top_k") }, {
      ok: false,
      status: 400,
      bodyText: pydantic("reasoning_effort"),
    }),
  );
  assert.ok(
    !sameRefusal({ status: 400, bodyText: anthropic("A") }, {
      ok: false,
      status: 422,
      bodyText: anthropic("A"),
    }),
  );
  assert.ok(!sameRefusal({ status: 400, bodyText: anthropic("A") }, { ok: true }));
});
