/**
 * An upstream that fails after its stream began (the client already has its 200) must never look
 * like a finished answer: the client gets one Anthropic `error` event and no `message_stop`, so
 * Claude Code reports it instead of taking a cut answer for the model's last word. A stop that
 * is not a failure gets the stop reason Claude Code acts on (`max_tokens` for a length limit,
 * `refusal` for a content filter). Each case is a recorded-style upstream stream, run through the
 * relay stage as ccp serves it, for every translated protocol.
 */

import assert from "node:assert/strict";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import { geminiTranslation } from "../../src/translate/gemini/stream.ts";
import { responsesTranslation } from "../../src/translate/openai_responses/stream.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";
import { responsesResponseToAnthropic } from "../../src/translate/openai_responses/response.ts";
import { geminiResponseToAnthropic } from "../../src/translate/gemini/response.ts";
import { UpstreamError } from "../../src/core/errors.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import type { RelayOutcome } from "../../src/upstream/relay_stream.ts";
import { BASE_OPTIONS, bytewise, type Frame, parseFrames } from "./_stream_helpers.ts";
import { assertAnthropicGrammar } from "../helpers/anthropic_grammar.ts";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { encodeEvents, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";

const encoder = new TextEncoder();
const GEMINI_OPTIONS = {
  clientModel: "claude-opus-5-5",
  inputTokens: 1234,
  provider: "gemini",
  upstreamModel: "gemini-2.5-pro",
  messageId: "msg_fixture",
};

/** How a case must end for the client. */
type Expected =
  | { error: string; words: RegExp }
  | { stop: string; note?: RegExp };

interface Case {
  readonly name: string;
  /** The upstream's SSE text as it arrived. */
  readonly sse: string;
  /** The connection broke (a read failed) after the text, rather than closing cleanly. */
  readonly reset?: boolean;
  readonly expect: Expected;
}

/** The upstream bytes, then a clean end or a broken connection. */
function upstream(c: Case, chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) return controller.enqueue(chunks[i++]);
      if (c.reset) controller.error(new Error("connection reset by peer"));
      else controller.close();
    },
  });
}

async function relayed(c: Case, translation: SseTranslation, chunks: Uint8Array[]) {
  const out = relayTranslatedStream(upstream(c, chunks), translation, {
    describeUpstream: "Upstream provider",
    pingIntervalMs: 0,
  });
  const text = (await Array.fromAsync(out.pipeThrough(new TextDecoderStream()))).join("");
  return parseFrames(text);
}

function check(c: Case, frames: Frame[]): void {
  // A broken connection is told by the relay itself, which (as Anthropic's API does) sends the
  // error without closing the open block first.
  assertAnthropicGrammar(frames, { toolJson: false, ccp: !c.reset });
  const last = frames.at(-1)!;
  const expect = c.expect;
  if ("error" in expect) {
    assert.equal(last.event, "error", `${c.name}: ends with an error event`);
    assert.equal(last.data.error?.type, expect.error, `${c.name}: error type`);
    const said = String(last.data.error?.message);
    assert.match(said, expect.words, `${c.name}: error words: ${said}`);
    assert.ok(!frames.some((f) => f.event === "message_stop"), `${c.name}: no message_stop`);
    assert.ok(!frames.some((f) => f.event === "message_delta"), `${c.name}: no stop_reason`);
    return;
  }
  assert.equal(last.event, "message_stop", `${c.name}: a finished answer`);
  const delta = frames.find((f) => f.event === "message_delta")!.data as unknown as {
    delta: { stop_reason: string };
  };
  assert.equal(delta.delta.stop_reason, expect.stop, `${c.name}: stop_reason`);
  if (expect.note) {
    const texts = frames.filter((f) => f.data.delta?.type === "text_delta")
      .map((f) => (f.data.delta as unknown as { text: string }).text).join("");
    assert.match(texts, expect.note, `${c.name}: the note says why`);
  }
}

/** Runs each case whole and cut into single bytes (a failure must not depend on chunking). */
async function runCases(
  t: Deno.TestContext,
  cases: readonly Case[],
  translation: () => SseTranslation,
): Promise<void> {
  for (const c of cases) {
    await t.step(c.name, async () => {
      const bytes = encoder.encode(c.sse);
      check(c, await relayed(c, translation(), [bytes]));
      check(c, await relayed(c, translation(), bytewise(bytes)));
    });
  }
}

// --- OpenAI Chat Completions and the servers that speak it -------------------------------------

const chunk = (fields: Record<string, unknown>) =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      ...fields,
    })
  }\n\n`;
const content = (text: string, finish: string | null = null) =>
  chunk({ choices: [{ index: 0, delta: { content: text }, finish_reason: finish }] });
const OPENING = chunk({
  choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
}) + content("The answer is");
const USAGE = chunk({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3 } });

const CHAT_CASES: readonly Case[] = [
  {
    // vLLM's error frame: no choices, the error object with its HTTP status as `code`.
    name: "vLLM error frame mid-stream",
    sse: OPENING +
      `data: ${
        JSON.stringify({
          error: {
            object: "error",
            message: "The engine loop has stopped",
            type: "InternalServerError",
            param: null,
            code: 500,
          },
        })
      }\n\n` + "data: [DONE]\n\n",
    expect: { error: "api_error", words: /reported an error mid-stream: The engine loop/ },
  },
  {
    // OpenRouter: a chunk with the error at the top level and a choice finished with "error".
    name: "OpenRouter mid-stream error chunk",
    sse: OPENING +
      chunk({
        error: { code: "server_error", message: "Provider disconnected unexpectedly" },
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      }) + "data: [DONE]\n\n",
    expect: { error: "api_error", words: /Provider disconnected unexpectedly/ },
  },
  {
    name: "an upstream overloaded mid-stream is overloaded_error",
    sse: OPENING +
      `data: ${
        JSON.stringify({ error: { message: "Server is overloaded, try again", code: 503 } })
      }\n\n`,
    expect: { error: "overloaded_error", words: /overloaded/ },
  },
  {
    // Groq stops a stream early with a string in `x_groq.error` (its usage may ride along).
    name: "Groq x_groq.error",
    sse: OPENING +
      chunk({
        choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
        x_groq: {
          id: "req_1",
          error: "generation stopped early: the model is over capacity",
          usage: { prompt_tokens: 9, completion_tokens: 3 },
        },
      }) + "data: [DONE]\n\n",
    expect: {
      error: "overloaded_error",
      words: /reported an error mid-stream: generation stopped early/,
    },
  },
  {
    // Groq's ordinary x_groq (its request id first, its usage last) says nothing went wrong.
    name: "Groq's x_groq without an error is an ordinary answer",
    sse: chunk({
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      x_groq: { id: "req_1" },
    }) + content("The answer is") +
      chunk({
        choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
        x_groq: { id: "req_1", usage: { prompt_tokens: 9, completion_tokens: 3 } },
      }) + "data: [DONE]\n\n",
    expect: { stop: "end_turn" },
  },
  {
    name: "Groq x_groq.error in a chunk of its own",
    sse: OPENING +
      chunk({ choices: [], x_groq: { id: "req_1", error: "stream stopped: internal error" } }),
    expect: { error: "api_error", words: /stream stopped: internal error/ },
  },
  {
    name: 'finish_reason "error" without an error object',
    sse: OPENING + content("", "error") + "data: [DONE]\n\n",
    expect: { error: "api_error", words: /finish_reason "error"/ },
  },
  {
    name: "finish_reason content_filter is a refusal",
    sse: OPENING + content("", "content_filter") + USAGE + "data: [DONE]\n\n",
    expect: { stop: "refusal" },
  },
  {
    name: "finish_reason length is max_tokens",
    sse: OPENING + content("", "length") + USAGE + "data: [DONE]\n\n",
    expect: { stop: "max_tokens" },
  },
  {
    name: "the stream just ends: no finish_reason, no [DONE]",
    sse: OPENING,
    expect: { error: "api_error", words: /closed the stream early/ },
  },
  {
    name: "the connection breaks mid-answer",
    sse: OPENING,
    reset: true,
    expect: { error: "api_error", words: /failed mid-stream: connection reset by peer/ },
  },
  {
    // A usage chunk with no finish before it says nothing of the answer's end.
    name: "a usage-only last chunk, then the connection closes",
    sse: OPENING + USAGE,
    expect: { error: "api_error", words: /closed the stream early/ },
  },
  {
    // Servers that end a natural stop with [DONE] alone (vllm-mlx, llama-cpp-python, Gemini's
    // OpenAI-style proxies) are common among local models: an error here would fail every turn.
    name: "[DONE] with no finish_reason before it: a whole answer",
    sse: OPENING + "data: [DONE]\n\n",
    expect: { stop: "end_turn" },
  },
  {
    name: "a usage-only chunk and [DONE] with no finish_reason before them: a whole answer",
    sse: OPENING + USAGE + "data: [DONE]\n\n",
    expect: { stop: "end_turn" },
  },
  {
    name: "a finish, its usage chunk, then the connection closes: a whole answer",
    sse: OPENING + content("", "stop") + USAGE,
    expect: { stop: "end_turn" },
  },
  {
    name: "a chunk cut mid-JSON by the connection's end",
    sse: OPENING + 'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"and',
    expect: { error: "api_error", words: /sent a malformed chunk: Unterminated string/ },
  },
];

Deno.test("OpenAI-compatible streams failing mid-answer end with an error event", async (t) => {
  await runCases(t, CHAT_CASES, () => openAIChatTranslation(BASE_OPTIONS));
});

/** Tool call deltas of one call: its id and name first, then its arguments in pieces. */
const toolCall = (args: string, first = false) =>
  chunk({
    choices: [{
      index: 0,
      delta: {
        tool_calls: [{
          index: 0,
          ...(first ? { id: "call_1", type: "function" } : {}),
          function: { ...(first ? { name: "Bash" } : {}), arguments: args },
        }],
      },
      finish_reason: null,
    }],
  });

Deno.test("a stream failing inside a tool call leaves its block open: no half tool call is ever complete", async (t) => {
  const stopped = chunk({
    choices: [],
    x_groq: { id: "req_1", error: "generation stopped early: internal error" },
  });
  const cases: readonly Case[] = [
    {
      name: "arguments cut mid-command, then Groq's x_groq.error",
      sse: OPENING + toolCall("", true) + toolCall('{"command": "rm -rf /tmp/bui') + stopped,
      expect: { error: "api_error", words: /generation stopped early/ },
    },
    {
      name: "no arguments yet, then an error frame",
      sse: OPENING + toolCall("", true) +
        `data: ${
          JSON.stringify({ error: { message: "The engine loop has stopped", code: 500 } })
        }\n\n`,
      expect: { error: "api_error", words: /engine loop has stopped/ },
    },
    {
      name: "arguments cut, then the stream ends",
      sse: OPENING + toolCall("", true) + toolCall('{"command": "ls'),
      expect: { error: "api_error", words: /closed the stream early/ },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const bytes = encoder.encode(c.sse);
      for (const chunks of [[bytes], bytewise(bytes)]) {
        const frames = await relayed(c, openAIChatTranslation(BASE_OPTIONS), chunks);
        check(c, frames);
        const tool = frames.find((f) => f.data.content_block?.type === "tool_use");
        assert.ok(tool, "the tool call's block began");
        const stops = frames.filter((f) => f.event === "content_block_stop");
        assert.ok(
          !stops.some((f) => f.data.index === tool.data.index),
          "the cut tool call's block is never stopped (a client would run it with half its input)",
        );
        const input = frames.filter((f) => f.data.index === tool.data.index)
          .map((f) => f.data.delta?.partial_json ?? "")
          .join("");
        assert.ok(!input.endsWith("{}"), `no made-up empty input: ${input}`);
        // The text before it was complete as far as it went: its block is stopped.
        assert.ok(stops.some((f) => f.data.index === 0), "the text block before it is stopped");
      }
    });
  }
});

// --- Gemini ------------------------------------------------------------------------------------

const gem = (part: Record<string, unknown>) => `data: ${JSON.stringify(part)}\n\n`;
const GEM_OPENING = gem({
  candidates: [{ content: { role: "model", parts: [{ text: "The answer is" }] } }],
});
const gemFinish = (reason: string) =>
  gem({
    candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: reason }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 3 },
  });

const GEMINI_CASES: readonly Case[] = [
  {
    name: "SAFETY is a refusal",
    sse: GEM_OPENING + gemFinish("SAFETY"),
    expect: { stop: "refusal" },
  },
  {
    name: "RECITATION ends the turn with a note saying why",
    sse: GEM_OPENING + gemFinish("RECITATION"),
    expect: { stop: "end_turn", note: /finishReason RECITATION/ },
  },
  {
    name: "MALFORMED_FUNCTION_CALL after content ends the turn with a note saying why",
    sse: GEM_OPENING + gemFinish("MALFORMED_FUNCTION_CALL"),
    expect: { stop: "end_turn", note: /finishReason MALFORMED_FUNCTION_CALL/ },
  },
  {
    name: "OTHER ends the turn with a note saying so",
    sse: GEM_OPENING + gemFinish("OTHER"),
    expect: { stop: "end_turn", note: /finishReason OTHER/ },
  },
  {
    name: "MAX_TOKENS is max_tokens",
    sse: GEM_OPENING + gemFinish("MAX_TOKENS"),
    expect: { stop: "max_tokens" },
  },
  {
    name: "an error object mid-stream",
    sse: GEM_OPENING +
      gem({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }),
    expect: { error: "overloaded_error", words: /reported an error mid-stream: UNAVAILABLE/ },
  },
  {
    // Gemini has no [DONE]: only a finishReason says the answer ended.
    name: "the stream just ends: no finishReason",
    sse: GEM_OPENING,
    expect: { error: "api_error", words: /closed the stream early \(no finishReason\)/ },
  },
  {
    name: "a stream cut mid-JSON",
    sse: GEM_OPENING + 'data: {"candidates":[{"content":{"role":"model","parts":[{"text":" for',
    expect: { error: "api_error", words: /sent a malformed chunk: Unterminated string/ },
  },
  {
    name: "the connection breaks mid-answer",
    sse: GEM_OPENING,
    reset: true,
    expect: { error: "api_error", words: /failed mid-stream: connection reset by peer/ },
  },
];

Deno.test("Gemini streams failing mid-answer end with an error event", async (t) => {
  await runCases(t, GEMINI_CASES, () => geminiTranslation(GEMINI_OPTIONS));
});

// --- OpenAI Responses --------------------------------------------------------------------------

const ev = (event: Record<string, unknown>) =>
  `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
const RESPONSE = { id: "resp_1", object: "response", model: "gpt-5.1-codex", output: [] };
const RESP_OPENING =
  ev({ type: "response.created", response: { ...RESPONSE, status: "in_progress" } }) +
  ev({
    type: "response.output_item.added",
    output_index: 0,
    item: { type: "message", id: "msg_1", role: "assistant", status: "in_progress", content: [] },
  }) +
  ev({
    type: "response.content_part.added",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "" },
  }) +
  ev({
    type: "response.output_text.delta",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    delta: "The answer is",
  });
const incomplete = (reason: string) =>
  ev({
    type: "response.incomplete",
    response: {
      ...RESPONSE,
      status: "incomplete",
      incomplete_details: { reason },
      usage: { input_tokens: 9, output_tokens: 3 },
    },
  });

const RESPONSES_CASES: readonly Case[] = [
  {
    name: "response.failed",
    sse: RESP_OPENING +
      ev({
        type: "response.failed",
        response: {
          ...RESPONSE,
          status: "failed",
          error: { code: "server_error", message: "The model failed to generate a response." },
        },
      }),
    expect: { error: "api_error", words: /failed: The model failed to generate/ },
  },
  {
    name: "response.incomplete for max_output_tokens is max_tokens",
    sse: RESP_OPENING + incomplete("max_output_tokens"),
    expect: { stop: "max_tokens" },
  },
  {
    name: "response.incomplete for content_filter is a refusal",
    sse: RESP_OPENING + incomplete("content_filter"),
    expect: { stop: "refusal" },
  },
  {
    name: "an error event",
    sse: RESP_OPENING +
      ev({ type: "error", code: "server_error", message: "An error occurred while processing" }),
    expect: { error: "api_error", words: /reported an error mid-stream: .*An error occurred/ },
  },
  {
    name: "an error event saying the model is overloaded",
    sse: RESP_OPENING +
      ev({
        type: "error",
        error: {
          type: "server_error",
          code: "server_is_overloaded",
          message: "Our servers are currently overloaded. Please try again later.",
        },
      }),
    expect: { error: "overloaded_error", words: /overloaded/ },
  },
  {
    name: "the stream ends before response.completed",
    sse: RESP_OPENING,
    expect: { error: "api_error", words: /closed the stream before response.completed/ },
  },
  {
    name: "the connection breaks mid-answer",
    sse: RESP_OPENING,
    reset: true,
    expect: { error: "api_error", words: /failed mid-stream: connection reset by peer/ },
  },
];

Deno.test("Responses streams failing mid-answer end with an error event", async (t) => {
  await runCases(t, RESPONSES_CASES, () =>
    responsesTranslation({
      ...BASE_OPTIONS,
      provider: "codex",
      upstreamModel: "gpt-5.1-codex",
    }));
});

// --- Anthropic passthrough --------------------------------------------------------------------

// Claude's turn up to the middle of its text block (message_start, ping, thinking, two deltas).
const CLAUDE_OPENING = encodeEvents(thinkingTextToolTurn("glm-4.6").slice(0, 9));
const anthropicError = (type: string, message: string) =>
  `event: error\ndata: ${JSON.stringify({ type: "error", error: { type, message } })}\n\n`;

const ANTHROPIC_CASES: readonly Case[] = [
  {
    // Relayed as the upstream sent it: its type and words, after whose error it is.
    name: "an upstream's overloaded_error event mid-stream",
    sse: CLAUDE_OPENING + anthropicError("overloaded_error", "Overloaded"),
    expect: { error: "overloaded_error", words: /reported an error mid-stream: Overloaded$/ },
  },
  {
    name: "an upstream's api_error event mid-stream",
    sse: CLAUDE_OPENING + anthropicError("api_error", "Internal server error"),
    expect: { error: "api_error", words: /reported an error mid-stream: Internal server error$/ },
  },
  {
    name: "the stream ends mid-block, no message_stop",
    sse: CLAUDE_OPENING,
    expect: { error: "api_error", words: /closed the stream before message_stop/ },
  },
  {
    name: "the stream ends inside an event",
    sse: CLAUDE_OPENING + 'event: content_block_delta\ndata: {"type":"content_block_delta","ind',
    expect: { error: "api_error", words: /sent malformed JSON in a "content_block_delta" event/ },
  },
  {
    name: "the connection breaks mid-answer",
    sse: CLAUDE_OPENING,
    reset: true,
    expect: { error: "api_error", words: /failed mid-stream: connection reset by peer/ },
  },
];

Deno.test("Anthropic passthrough: a failure mid-answer reaches the client as an error event", async (t) => {
  for (const c of ANTHROPIC_CASES) {
    await t.step(c.name, async () => {
      const bytes = encoder.encode(c.sse);
      for (const chunks of [[bytes], bytewise(bytes)]) {
        const out = relayAnthropicStream(upstream(c, chunks), {
          clientModel: "claude-opus-5-5",
          describeUpstream: 'Provider "glm" (model glm-4.6)',
        });
        const text = (await Array.fromAsync(out.pipeThrough(new TextDecoderStream()))).join("");
        // The relay passes blocks on as they came: an error ends them where they were, as
        // Anthropic's API does (the grammar without ccp's stricter rules).
        check({ ...c, reset: true }, parseFrames(text));
      }
    });
  }
});

// --- The same failures in a whole (not streamed) answer -----------------------------------------

function rejects(fn: () => unknown, type: string, words: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UpstreamError, String(error));
    assert.equal(error.errorType, type);
    assert.match(error.message, words);
    return true;
  });
}

Deno.test("a whole answer that failed is an Anthropic error, not a message", async (t) => {
  const options = BASE_OPTIONS;
  const choice = (finish: string) => ({
    id: "chatcmpl-1",
    object: "chat.completion",
    choices: [{
      index: 0,
      message: { role: "assistant", content: "The answer is" },
      finish_reason: finish,
    }],
  });
  await t.step('Chat: finish_reason "error"', () => {
    rejects(
      () => openAIResponseToAnthropic(choice("error"), options),
      "api_error",
      /finish_reason "error"/,
    );
  });
  await t.step("Chat: an error body", () => {
    rejects(
      () => openAIResponseToAnthropic({ error: { message: "engine died", code: 500 } }, options),
      "api_error",
      /engine died/,
    );
  });
  await t.step("Chat: content_filter and length keep their stop reasons", () => {
    assert.equal(
      openAIResponseToAnthropic(choice("content_filter"), options).stop_reason,
      "refusal",
    );
    assert.equal(openAIResponseToAnthropic(choice("length"), options).stop_reason, "max_tokens");
  });
  await t.step("Responses: status failed", () => {
    rejects(
      () =>
        responsesResponseToAnthropic({
          ...RESPONSE,
          status: "failed",
          error: { code: "server_error", message: "The model failed to generate a response." },
        }, { ...options, provider: "codex", upstreamModel: "gpt-5.1-codex" }),
      "api_error",
      /The model failed to generate/,
    );
  });
  await t.step("Gemini: an error body", () => {
    rejects(
      () =>
        geminiResponseToAnthropic(
          { error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" } },
          GEMINI_OPTIONS,
        ),
      "api_error",
      /Internal error encountered/,
    );
  });
});

Deno.test("a Groq stream stopped early is recorded with the counts Groq's error chunk reported", async () => {
  const sse = OPENING +
    chunk({
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      x_groq: {
        id: "req_1",
        error: "generation stopped early: internal error",
        usage: {
          prompt_tokens: 900,
          completion_tokens: 250,
          prompt_tokens_details: { cached_tokens: 100 },
        },
      },
    });
  let ended: RelayOutcome | undefined;
  const out = relayTranslatedStream(
    upstream({ name: "groq", sse, expect: { error: "api_error", words: /./ } }, [
      encoder.encode(sse),
    ]),
    openAIChatTranslation(BASE_OPTIONS),
    { describeUpstream: "Upstream provider", pingIntervalMs: 0, onEnd: (o) => ended = o },
  );
  await Array.fromAsync(out);
  assert.ok(ended?.error, "ended with an error");
  assert.equal(ended.usage.inputTokens, 800);
  assert.equal(ended.usage.cacheReadInputTokens, 100);
  assert.equal(ended.usage.outputTokens, 250);
});
