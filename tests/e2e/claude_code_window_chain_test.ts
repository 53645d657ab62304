/**
 * A long tool loop over a route of two models, a small context window first and a larger one
 * after it, with the real `claude -p` through ccp. Each step's command prints about 9 KB, so the
 * conversation soon outgrows the small model, which refuses it as too long in OpenAI's words:
 * the large one serves the rest, and Claude Code never compacts. When the conversation outgrows
 * the large one too, its refusal reaches Claude Code as Anthropic's `prompt is too long`, and
 * Claude Code compacts as it does on a route of one model, and the large one serves the shorter
 * conversation that follows. A local vLLM first in the route, whose window leaves no room for an
 * answer beside the prompt, passes each turn on too. Alone, once the conversation leaves it no
 * room, its refusal of `max_tokens` reaches Claude Code as `prompt is too long`, and Claude Code
 * compacts. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** How Claude Code asks for a summary (its last user text). */
const SUMMARY_ASK = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.";
const SUMMARY = "<analysis>a</analysis>\n<summary>SUMMARY-4e2: the steps ran so far.</summary>";
const STEPS = 6;
const DONE = "All the steps ran.";

function text(message: Obj | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return (message.content as Obj[]).map((p) => typeof p.text === "string" ? p.text : "").join("");
}

/** The conversation's size in this mock's tokens: four characters of its messages each. */
function tokensOf(messages: Obj[]): number {
  return Math.ceil(JSON.stringify(messages.filter((m) => m.role !== "system")).length / 4);
}

function chunk(delta: Obj, finish: string | null = null, usage?: Obj): string {
  const head = { id: "chatcmpl-w", object: "chat.completion.chunk", created: 1, model: "m" };
  const choices = usage ? [] : [{ index: 0, delta, finish_reason: finish }];
  return `data: ${JSON.stringify({ ...head, choices, ...(usage ? { usage } : {}) })}\n\n`;
}

/** The next move of the agent: the step after the last one whose result came back, or the end. */
function answer(messages: Obj[], tokens: number): string {
  const last = messages.at(-1);
  const usage = { prompt_tokens: tokens, completion_tokens: 20, total_tokens: tokens + 20 };
  if (last?.role === "user" && text(last).includes(SUMMARY_ASK)) {
    return chunk({ role: "assistant", content: SUMMARY }) + chunk({}, "stop") +
      chunk({}, null, usage) + "data: [DONE]\n\n";
  }
  const results = messages.filter((m) => m.role === "tool").map(text);
  const done = Number(/^step-(\d+)/.exec(results.at(-1) ?? "")?.[1] ?? -1);
  if (done + 1 >= STEPS) {
    return chunk({ role: "assistant", content: DONE }) + chunk({}, "stop") +
      chunk({}, null, usage) + "data: [DONE]\n\n";
  }
  const k = done + 1;
  const command = `echo step-${k} >> steps.log; echo step-${k}; seq 1 2000`;
  const call = {
    index: 0,
    id: `call_${k}_${messages.length}`,
    type: "function",
    function: { name: "Bash", arguments: JSON.stringify({ command, description: `Step ${k}` }) },
  };
  return chunk({ role: "assistant", tool_calls: [call] }) + chunk({}, "tool_calls") +
    chunk({}, null, usage) + "data: [DONE]\n\n";
}

/** An OpenAI Chat model whose context holds `window` of this mock's tokens. */
function chatModel(name: string, window: number, log: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    const messages = body.messages as Obj[];
    const tokens = tokensOf(messages);
    const summarising = text(messages.at(-1)).includes(SUMMARY_ASK);
    if (tokens > window) {
      log.push(`${name} refused${summarising ? " summary" : ""}`);
      return Response.json({
        error: {
          message:
            `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      }, { status: 400 });
    }
    log.push(`${name}${summarising ? " summary" : ""}`);
    return new Response(answer(messages, tokens), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const url = `http://127.0.0.1:${server.addr.port}/v1`;
  return {
    provider: provider(name, {
      type: "openai",
      baseUrl: url,
      apiKeys: [`${name}-key`],
      authHeader: "bearer",
      maxRetries: 0,
      countTokens: false,
    }),
    close: () => server.shutdown(),
  };
}

/** Anthropic SSE events of one answer, holding `block` (with its one delta). */
function anthropicAnswer(block: Obj, delta: Obj, stop: string): string {
  const events = [
    ["message_start", {
      message: {
        id: "msg_w",
        type: "message",
        role: "assistant",
        model: "m",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 1, output_tokens: 0 },
      },
    }],
    ["content_block_start", { index: 0, content_block: block }],
    ["content_block_delta", { index: 0, delta }],
    ["content_block_stop", { index: 0 }],
    ["message_delta", { delta: { stop_reason: stop }, usage: { output_tokens: 20 } }],
    ["message_stop", {}],
  ] as const;
  return events.map(([event, data]) =>
    `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`
  ).join("");
}

/** The next move of the agent over Anthropic's Messages: as {@link answer} decides it. */
function anthropicMove(messages: Obj[]): string {
  if (text(messages.at(-1)).includes(SUMMARY_ASK)) {
    return anthropicAnswer(
      { type: "text", text: "" },
      { type: "text_delta", text: SUMMARY },
      "end_turn",
    );
  }
  const results = messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as Obj[]).filter((b) => b.type === "tool_result").map((b) =>
        typeof b.content === "string" ? b.content : text({ content: b.content })
      )
      : []
  );
  const done = Number(/^step-(\d+)/.exec(results.at(-1) ?? "")?.[1] ?? -1);
  if (done + 1 >= STEPS) {
    return anthropicAnswer(
      { type: "text", text: "" },
      { type: "text_delta", text: DONE },
      "end_turn",
    );
  }
  const k = done + 1;
  const input = {
    command: `echo step-${k} >> steps.log; echo step-${k}; seq 1 2000`,
    description: `Step ${k}`,
  };
  return anthropicAnswer(
    { type: "tool_use", id: `toolu_${k}_${messages.length}`, name: "Bash", input: {} },
    { type: "input_json_delta", partial_json: JSON.stringify(input) },
    "tool_use",
  );
}

/**
 * vLLM's Anthropic endpoint serving a model in a window of `window` of this mock's tokens: a
 * prompt and `max_tokens` over it are refused in vLLM's words (the prompt alone over it, as too
 * long), else the agent moves on.
 */
function vllmModel(name: string, window: number, log: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    const messages = body.messages as Obj[];
    const tokens = tokensOf(messages);
    const max = Number(body.max_tokens);
    const summarising = text(messages.at(-1)).includes(SUMMARY_ASK);
    const what = summarising ? " summary" : "";
    if (tokens + max > window) {
      const roomless = tokens <= window && window - tokens < 1_100;
      log.push(
        `${name} refused${what}${tokens > window ? "" : " max_tokens"}${
          roomless ? " (no room)" : ""
        }`,
      );
      const message = tokens > window
        ? `This model's maximum context length is ${window} tokens. However, your request has ${tokens} input tokens. Please reduce the length of the input messages.`
        : `'max_tokens' or 'max_completion_tokens' is too large: ${max}. This model's maximum ` +
          `context length is ${window} tokens and your request has ${tokens} input tokens ` +
          `(${max} > ${window} - ${tokens}).`;
      return Response.json({ type: "error", error: { type: "BadRequestError", message } }, {
        status: 400,
      });
    }
    log.push(`${name}${what}`);
    return new Response(anthropicMove(messages), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    provider: provider(name, {
      preset: "vllm",
      baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
      authHeader: "bearer",
      maxRetries: 0,
      countTokens: false,
    }),
    close: () => server.shutdown(),
  };
}

/**
 * vLLM's Anthropic endpoint, serving a model in a window that each prompt leaves `room` tokens
 * of (in this mock's tokens): every request is refused in vLLM's words for `max_tokens` too large,
 * with no room for an answer beside the prompt.
 */
function roomlessVllm(name: string, room: number, log: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    // The system prompt and the tools count too (this mock's count is of the messages alone).
    const tokens = tokensOf(body.messages as Obj[]) + 20_000;
    const window = tokens + room;
    log.push(`${name} refused max_tokens`);
    return Response.json({
      type: "error",
      error: {
        type: "BadRequestError",
        message: `'max_tokens' or 'max_completion_tokens' is too large: ${body.max_tokens}. ` +
          `This model's maximum context length is ${window} tokens and your request has ` +
          `${tokens} input tokens (${body.max_tokens} > ${window} - ${tokens}).`,
      },
    }, { status: 400 });
  });
  return {
    provider: provider(name, {
      preset: "vllm",
      baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
      authHeader: "bearer",
      maxRetries: 0,
      countTokens: false,
    }),
    close: () => server.shutdown(),
  };
}

/**
 * Runs the loop over [small, large] (`small`: a window, or `roomless` for a vLLM that leaves no
 * room for an answer, or `vllm` for a vLLM of that window alone); returns Claude Code's events and
 * what each model did.
 */
async function session(small: number | "roomless" | { vllm: number }, large: number) {
  const log: string[] = [];
  const a = small === "roomless"
    ? roomlessVllm("small", 600, log)
    : typeof small === "number"
    ? chatModel("small", small, log)
    : vllmModel("small", small.vllm, log);
  const b = chatModel("large", large, log);
  const alone = typeof small === "object";
  await using stage = await claudeStage(
    "ccp-window-chain-",
    testConfig({
      providers: alone ? [a.provider] : [a.provider, b.provider],
      routes: { default: alone ? ["small/m"] : ["small/m", "large/m"] },
      authToken: "e2e-token",
    }),
    { mocks: [a, b], guarded: true },
  );
  const { ws, ccp } = stage;
  const out = await runClaude(
    [
      "-p",
      "Run the steps",
      ...STREAM_JSON,
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash",
    ],
    ws.work,
    claudeEnv(ws.home, ccp.url),
    90_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj);
  const steps = await Deno.readTextFile(`${ws.work}/steps.log`).catch(() => "");
  const context = `\n${stdout.slice(-4000)}\n${new TextDecoder().decode(out.stderr)}\n${
    log.join("\n")
  }\n${ccp.logs.join("")}`;
  return { events, steps, log, logs: ccp.logs, context };
}

const ALL_STEPS = Array.from({ length: STEPS }, (_, k) => `step-${k}\n`).join("");

Deno.test({
  name: "real Claude Code through ccp: a session that outgrows the small model of a [small, " +
    "large] route goes on on the large one, without compacting",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { events, steps, log, logs, context } = await session(6_000, 200_000);
    const result = events.findLast((e) => e.type === "result");
    assert.equal(result?.is_error, false, context);
    assert.equal(result.result, DONE, context);
    assert.equal(events.find((e) => e.subtype === "compact_boundary"), undefined, context);
    assert.equal(steps, ALL_STEPS, context);
    // The small model served the start, then refused each request; the large one took them.
    assert.ok(log.indexOf("small refused") > log.indexOf("small"), context);
    assert.equal(log.at(-1), "large", context);
    assert.ok(!log.includes("large refused"), context);
    assert.ok(
      logs.some((l) => /→ large\/m .*passed: small\/m \(refused as too long\)/.test(l)),
      context,
    );
  },
});

Deno.test({
  name: "real Claude Code through ccp: when the large model of the route refuses too, Claude " +
    "Code compacts as before, and the loop goes on",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { events, steps, log, context } = await session(6_000, 12_000);
    const result = events.findLast((e) => e.type === "result");
    assert.equal(result?.is_error, false, context);
    assert.equal(result.result, DONE, context);
    const boundary = events.find((e) => e.subtype === "compact_boundary");
    assert.equal((boundary?.compact_metadata as Obj | undefined)?.trigger, "auto", context);
    assert.equal(steps, ALL_STEPS, "no step ran twice" + context);
    assert.ok(log.includes("large refused"), context);
    // The summary is asked of the route like any turn (the small model refuses it, the large one
    // writes it); after it, the conversation fits the large model again.
    const summary = log.indexOf("large summary");
    assert.ok(summary >= 0, context);
    assert.ok(!log.slice(summary).includes("large refused"), context);
    assert.equal(log.at(-1), "large", context);
  },
});

Deno.test({
  name: "real Claude Code through ccp: a local vLLM first in the route whose window leaves no " +
    "room for an answer beside the prompt passes each request on to the large model, with no error",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { events, steps, log, logs, context } = await session("roomless", 200_000);
    const result = events.findLast((e) => e.type === "result");
    assert.equal(result?.is_error, false, context);
    assert.equal(result.result, DONE, context);
    assert.equal(events.find((e) => e.subtype === "compact_boundary"), undefined, context);
    assert.equal(steps, ALL_STEPS, context);
    // Each turn was refused by vLLM once, not sent again with a few tokens, and served by the
    // large model.
    assert.ok(log.includes("small refused max_tokens"), context);
    assert.equal(log.filter((l) => l === "large").length, STEPS + 1, context);
    assert.equal(
      log.filter((l) => l === "small refused max_tokens").length,
      STEPS + 1,
      context,
    );
    assert.ok(
      logs.some((l) => /→ large\/m .*passed: small\/m \(refused as too long\)/.test(l)),
      context,
    );
  },
});

Deno.test({
  name: "real Claude Code through ccp: a vLLM alone, once the conversation leaves it no room for " +
    "an answer, gets Claude Code to compact, and the loop goes on",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { events, steps, log, logs, context } = await session({ vllm: 12_000 }, 0);
    const result = events.findLast((e) => e.type === "result");
    assert.equal(result?.is_error, false, context);
    assert.equal(result.result, DONE, context);
    const boundary = events.find((e) => e.subtype === "compact_boundary");
    assert.equal((boundary?.compact_metadata as Obj | undefined)?.trigger, "auto", context);
    assert.equal(steps, ALL_STEPS, "no step ran twice" + context);
    assert.ok(log.includes("small refused max_tokens (no room)"), context);
    assert.ok(log.includes("small summary"), context);
    // ccp's count (of the system prompt and tools too) fills the window: each turn is refused
    // once and sent again fitted beside vLLM's count, which the log line says is no failover.
    const served = logs.filter((l) =>
      / 200 .* resent: small\/m \(max_tokens fitted after 400\)/.test(l)
    );
    assert.ok(served.length >= STEPS, context);
    assert.ok(!logs.some((l) => /attempts=/.test(l)), context);
    assert.ok(
      logs.some((l) =>
        / 400 .*\(prompt is too long: \d+ tokens > 10912 maximum \(its window of 12000/.test(l)
      ),
      context,
    );
  },
});
