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
 */

import { chatHistoryProblem } from "../helpers/chat_history.ts";

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
  /** Where the usage goes in the last chunk. */
  readonly usageIn: "x_groq" | "usage";
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
  const tools = (body.tools as Obj[] | undefined) ?? [];
  if (tools.length > rules.maxTools) {
    return `'tools' : maximum number of items is ${rules.maxTools}`;
  }
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
    const last = rules.usageIn === "x_groq"
      ? { x_groq: { id: "req_1", usage } }
      : { usage, time_info: { queue_time: 0.001, total_time: 0.2 } };
    parts.push(chunk({}, turn.calls?.length ? "tool_calls" : "stop", last));
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
