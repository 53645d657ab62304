/**
 * Hosted Chat Completions APIs that check requests as strictly as their providers say they do,
 * each described as data: the top-level fields it takes, the ones it answers 400 to, what it
 * checks in each message, how many tools it takes, and how it streams reasoning, tool calls and
 * usage. A test scripts the model's turns; the mock refuses (in the provider's words) any request
 * the provider would refuse and records every body and refusal.
 *
 * Groq: fields outside its API are a 400 ("property 'store' is unsupported"), as are `logprobs`,
 * `logit_bias`, `top_logprobs`, `messages[].name` and `n` other than 1; a system message takes a
 * string only, an assistant message a string or null and no `reasoning_content`; its text-only
 * models (gpt-oss, Llama 3, Qwen, Kimi) refuse an image part ("messages[1].content must be a
 * string"), only its Llama 4 models see images; at most 128 tools. gpt-oss streams its reasoning
 * in `reasoning` (with `include_reasoning`), a tool call whole in one chunk, and the usage only
 * in `x_groq.usage` of the last chunk.
 *
 * Cerebras: `frequency_penalty`, `logit_bias`, `presence_penalty`, `parallel_tool_calls` and
 * `service_tier` are a 400; its models read text only; reasoning streams in `reasoning`, the
 * usage (with `time_info`) in the last chunk.
 *
 * OpenAI, gpt-5.1: `max_tokens` is refused for `max_completion_tokens`, sampling parameters are
 * refused while it reasons ("Unsupported parameter: 'temperature'"), `reasoning_effort` takes
 * none, low, medium or high (not `minimal`); at most 128 tools, named by [a-zA-Z0-9_-]{1,64}.
 * Its reasoning is never streamed; the usage comes in a chunk of its own, without choices, only
 * when `stream_options.include_usage` asks for it.
 */

import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { type ClaudeStage, claudeStage, type ClaudeWorkspace } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Obj = Record<string, unknown>;

/** What one provider's Chat Completions API takes and refuses. */
export interface ChatRules {
  readonly name: string;
  /** Top-level fields it documents; any other is refused. */
  readonly fields: readonly string[];
  /** Documented fields it refuses all the same. */
  readonly refused: readonly string[];
  /** Model names (by substring) that read images; the others refuse an image part. */
  readonly visionModels: readonly string[];
  readonly maxTools: number;
  /** Where the usage goes: in the last chunk, or a chunk of its own when asked for (OpenAI). */
  readonly usageIn: "x_groq" | "usage" | "own_chunk";
  /** The `reasoning_effort` values it takes; any other is refused. Absent: not checked. */
  readonly efforts?: readonly string[];
  /** Fields refused while the model reasons (`reasoning_effort` other than none). */
  readonly refusedWhileReasoning?: readonly string[];
}

const COMMON_FIELDS = [
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "temperature",
  "top_p",
  "stop",
  "seed",
  "user",
  "response_format",
  "max_completion_tokens",
  "max_tokens",
  "reasoning_effort",
];

export const GROQ_RULES: ChatRules = {
  name: "groq",
  fields: [
    ...COMMON_FIELDS,
    "reasoning_format",
    "include_reasoning",
    "parallel_tool_calls",
    "frequency_penalty",
    "presence_penalty",
    "service_tier",
    "n",
  ],
  refused: ["logprobs", "logit_bias", "top_logprobs"],
  visionModels: ["llama-4"],
  maxTools: 128,
  usageIn: "x_groq",
};

export const CEREBRAS_RULES: ChatRules = {
  name: "cerebras",
  fields: [...COMMON_FIELDS, "logprobs", "top_logprobs", "disable_reasoning", "clear_thinking"],
  refused: [
    "frequency_penalty",
    "logit_bias",
    "presence_penalty",
    "parallel_tool_calls",
    "service_tier",
  ],
  visionModels: [],
  maxTools: 128,
  usageIn: "usage",
};

export const OPENAI_RULES: ChatRules = {
  name: "openai",
  fields: [
    ...COMMON_FIELDS,
    "parallel_tool_calls",
    "prompt_cache_key",
    "safety_identifier",
    "metadata",
    "store",
    "verbosity",
    "service_tier",
    "logprobs",
    "top_logprobs",
    "n",
  ],
  refused: ["max_tokens"],
  visionModels: ["gpt-"],
  maxTools: 128,
  usageIn: "own_chunk",
  efforts: ["none", "low", "medium", "high"],
  refusedWhileReasoning: ["temperature", "top_p", "logprobs", "top_logprobs"],
};

/** What the model says in one turn: reasoning, then text or tool calls. */
export interface ChatTurn {
  readonly reasoning?: string;
  readonly text?: string;
  readonly calls?: readonly { name: string; input: Obj }[];
}

/** Why `rules`' provider would refuse `body`, in its words; undefined when it would answer. */
export function refusalOf(rules: ChatRules, body: Obj): string | undefined {
  for (const key of Object.keys(body)) {
    if (rules.refused.includes(key)) return `'${key}' : property '${key}' is not supported`;
    if (!rules.fields.includes(key)) return `property '${key}' is unsupported`;
  }
  if (body.n !== undefined && body.n !== 1) return "'n' : value must be 1";
  const effort = body.reasoning_effort;
  if (rules.efforts && effort !== undefined && !rules.efforts.includes(String(effort))) {
    return `Unsupported value: 'reasoning_effort' does not support '${effort}' with this model.`;
  }
  if (effort !== "none") {
    const refused = rules.refusedWhileReasoning?.find((key) => key in body);
    if (refused) return `Unsupported parameter: '${refused}' is not supported with this model.`;
  }
  const tools = (body.tools as Obj[] | undefined) ?? [];
  if (tools.length > rules.maxTools) {
    return `'tools' : maximum number of items is ${rules.maxTools}`;
  }
  const badName = tools.find((t) =>
    !/^[a-zA-Z0-9_-]{1,64}$/.test(String((t.function as Obj)?.name))
  );
  if (badName) return `Invalid 'tools[].function.name': ${JSON.stringify(badName.function)}`;
  const messages = body.messages as Obj[];
  const model = String(body.model).toLowerCase();
  const sees = rules.visionModels.some((m) => model.includes(m));
  for (const [i, m] of messages.entries()) {
    if ("name" in m) return `'messages.${i}' : property 'name' is unsupported`;
    if ("reasoning_content" in m) {
      return `'messages.${i}' : for 'role:${m.role}' the following must be satisfied` +
        `[('messages.${i}' : property 'reasoning_content' is unsupported)]`;
    }
    if (m.role === "system" && typeof m.content !== "string") {
      return `'messages.${i}' : for 'role:system' the following must be satisfied` +
        `[('messages.${i}.content' : value must be a string)]`;
    }
    if (m.role === "assistant" && m.content !== null && m.content !== undefined) {
      if (typeof m.content !== "string") {
        return `'messages.${i}' : for 'role:assistant' the following must be satisfied` +
          `[('messages.${i}.content' : value must be a string)]`;
      }
    }
    const parts = Array.isArray(m.content) ? m.content as Obj[] : [];
    if (!sees && parts.some((p) => p.type === "image_url")) {
      return `messages[${i}].content must be a string`;
    }
  }
  return chatHistoryProblem(messages);
}

/** A running strict mock. */
export interface StrictChat {
  readonly url: string;
  readonly bodies: Obj[];
  readonly refusals: string[];
  close(): Promise<void>;
}

/**
 * Serves `rules`' provider; `script` gives the model's turn for each request it would answer
 * (its messages as sent).
 */
export function startStrictChat(
  rules: ChatRules,
  script: (messages: Obj[]) => ChatTurn,
): StrictChat {
  const bodies: Obj[] = [];
  const refusals: string[] = [];
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const problem = refusalOf(rules, body);
    if (problem) {
      refusals.push(problem);
      return Response.json({ error: { message: problem, type: "invalid_request_error" } }, {
        status: 400,
      });
    }
    const turn = script(body.messages as Obj[]);
    const head = { id: `chatcmpl-${rules.name}`, object: "chat.completion.chunk", created: 1 };
    const chunk = (delta: Obj, finish: string | null = null, extra: Obj = {}) =>
      `data: ${
        JSON.stringify({
          ...head,
          model: body.model,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
          ...extra,
        })
      }\n\n`;
    const parts = [chunk({ role: "assistant", content: "" })];
    if (turn.reasoning) parts.push(chunk({ reasoning: turn.reasoning }));
    if (turn.text) parts.push(chunk({ content: turn.text }));
    for (const [index, call] of (turn.calls ?? []).entries()) {
      // Both providers send a call whole, arguments and all, in one chunk.
      const id = `fc_${rules.name}_${calls++}`;
      const fn = { name: call.name, arguments: JSON.stringify(call.input) };
      parts.push(chunk({ tool_calls: [{ index, id, type: "function", function: fn }] }));
    }
    const usage = { prompt_tokens: 2100, completion_tokens: 40, total_tokens: 2140 };
    const finish = turn.calls?.length ? "tool_calls" : "stop";
    if (rules.usageIn === "own_chunk") {
      parts.push(chunk({}, finish));
      const asked = (body.stream_options as Obj | undefined)?.include_usage === true;
      if (asked) parts.push(`data: ${JSON.stringify({ ...head, choices: [], usage })}\n\n`);
    } else {
      const last = rules.usageIn === "x_groq"
        ? { x_groq: { id: "req_1", usage } }
        : { usage, time_info: { queue_time: 0.001, total_time: 0.2 } };
      parts.push(chunk({}, finish, last));
    }
    return new Response(`${parts.join("")}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    refusals,
    close: () => server.shutdown(),
  };
}

/**
 * ccp in front of `mock` as one provider of `preset` (named as the preset), every route to
 * `model`, for a real Claude Code run in `ws`; closing the stage closes the mock.
 */
export function strictChatStage(
  ws: ClaudeWorkspace,
  mock: StrictChat,
  { preset, model, apiKey }: { preset: string; model: string; apiKey: string },
): Promise<ClaudeStage> {
  return claudeStage(
    ws,
    testConfig({
      providers: [
        provider(preset, {
          preset,
          type: "openai",
          baseUrl: mock.url,
          authHeader: "bearer",
          apiKeys: [apiKey],
          maxRetries: 0,
          countTokens: false,
        }),
      ],
      routes: { default: `${preset}/${model}`, haiku: `${preset}/${model}` },
      authToken: "e2e-token",
    }),
    { mocks: [mock] },
  );
}
