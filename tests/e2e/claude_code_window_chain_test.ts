/**
 * A long tool loop over a route of two models, a small context window first and a larger one
 * after it, with the real `claude -p` through ccp. Each step's command prints about 9 KB, so the
 * conversation soon outgrows the small model, which refuses it as too long in OpenAI's words:
 * the large one serves the rest, and Claude Code never compacts. When the conversation outgrows
 * the large one too, its refusal reaches Claude Code as Anthropic's `prompt is too long`, and
 * Claude Code compacts as it does on a route of one model, and the large one serves the shorter
 * conversation that follows. Skipped when `claude` is not installed.
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

/** Runs the loop over [small, large]; returns Claude Code's events and what each model did. */
async function session(small: number, large: number, roomless = false) {
  const log: string[] = [];
  const a = roomless ? roomlessVllm("small", 600, log) : chatModel("small", small, log);
  const b = chatModel("large", large, log);
  await using stage = await claudeStage(
    "ccp-window-chain-",
    testConfig({
      providers: [a.provider, b.provider],
      routes: { default: ["small/m", "large/m"] },
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
    const { events, steps, log, logs, context } = await session(0, 200_000, true);
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
