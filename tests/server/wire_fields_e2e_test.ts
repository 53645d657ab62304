/**
 * The keys of Anthropic's answer on every translated wire protocol, streamed and whole: Anthropic's
 * API sends `stop_details`, `container` and `diagnostics` on every Message, `inference_geo`,
 * `output_tokens_details` and `server_tool_use` in its usage, and `stop_details` and `container`
 * in `message_delta` (the Anthropic TypeScript SDK 1.17 types each as present, null where there is
 * nothing to say). A client comparing `message.stop_details === null` gets true from ccp too, and
 * a refusal says it was one.
 */

import assert from "node:assert/strict";
import { responseObject, responsesSse } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames, sdkMessage } from "../translate/_stream_helpers.ts";
import { askMessages, everyProtocolApp } from "../helpers/every_protocol.ts";
import { assertMessageKeys } from "../helpers/anthropic_grammar.ts";

const SSE = { headers: { "content-type": "text/event-stream" } };

/** How each upstream ends its answer. */
type Ending = "stop" | "refusal";

const chatBody = (ending: Ending) => ({
  id: "c",
  object: "chat.completion",
  model: "m",
  choices: [{
    index: 0,
    message: { role: "assistant", content: "Hi there" },
    finish_reason: ending === "stop" ? "stop" : "content_filter",
  }],
  usage: {
    prompt_tokens: 50,
    completion_tokens: 9,
    total_tokens: 59,
    completion_tokens_details: { reasoning_tokens: 6 },
  },
});

const geminiAnswer = (ending: Ending) => ({
  candidates: [{
    content: { role: "model", parts: [{ text: "Hi there" }] },
    finishReason: ending === "stop" ? "STOP" : "SAFETY",
    index: 0,
  }],
  usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 3, totalTokenCount: 53 },
  modelVersion: "m",
});

const responsesScript = {
  items: [{ kind: "text" as const, text: "Hi there" }],
  usage: { input: 50, output: 3 },
};

function answer(url: string, body: Record<string, unknown>, ending: Ending): Response {
  if (url.includes("/chat/completions")) {
    const whole = chatBody(ending);
    if (!body.stream) return Response.json(whole);
    const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
    const finish = whole.choices[0]!.finish_reason;
    return new Response(
      chunk({ id: "c", model: "m", choices: [{ index: 0, delta: { content: "Hi there" } }] }) +
        chunk({ id: "c", model: "m", choices: [{ index: 0, delta: {}, finish_reason: finish }] }) +
        chunk({ id: "c", model: "m", choices: [], usage: whole.usage }) + "data: [DONE]\n\n",
      SSE,
    );
  }
  if (url.includes("/responses")) {
    return body.stream
      ? new Response(responsesSse(responsesScript, "m"), SSE)
      : Response.json(responseObject(responsesScript, "m"));
  }
  return url.includes(":streamGenerateContent")
    ? new Response(`data: ${JSON.stringify(geminiAnswer(ending))}\n\n`, SSE)
    : Response.json(geminiAnswer(ending));
}

function appEnding(ending: Ending) {
  return everyProtocolApp(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const text = input instanceof Request
      ? await input.text()
      : await new Response(init?.body).text();
    return answer(url, JSON.parse(text), ending);
  });
}

async function ask(app: ReturnType<typeof appEnding>, model: string, stream: boolean) {
  const { status, text } = await askMessages(app, {
    model,
    max_tokens: 64,
    stream,
    messages: [{ role: "user", content: "Say hi." }],
  });
  assert.equal(status, 200, text);
  return text;
}

Deno.test("a translated answer carries every key Anthropic's API sends, streamed and whole", async (t) => {
  const app = appEnding("stop");
  for (const protocol of ["openai", "openai_responses", "gemini"]) {
    await t.step(protocol, async () => {
      const sse = await ask(app, `${protocol}/m`, true);
      const frames = parseFrames(sse);
      // The grammar checks message_start's Message and message_delta's keys (ccp: true).
      assertWellFormed(frames);
      const start = frames[0]!.data.message;
      assertMessageKeys(start, { end: false });
      // The SDK's accumulator copies stop_details from message_delta: null, not undefined.
      const streamed = await sdkMessage(sse) as unknown as Record<string, unknown>;
      assert.equal(streamed.stop_details, null);
      assert.equal(streamed.container, null);
      assertMessageKeys(streamed);

      const whole = JSON.parse(await ask(app, `${protocol}/m`, false));
      assertMessageKeys(whole);
      assert.equal(whole.stop_reason, "end_turn");
    });
  }
  await t.step("the reasoning count, where the upstream gives one, in both forms", async () => {
    const frames = parseFrames(await ask(app, "openai/m", true));
    const delta = frames.find((f) => f.event === "message_delta")!.data;
    assert.deepEqual(delta.usage!.output_tokens_details, { thinking_tokens: 6 });
    const whole = JSON.parse(await ask(app, "openai/m", false));
    assert.deepEqual(whole.usage.output_tokens_details, { thinking_tokens: 6 });
  });
});

Deno.test("a translated refusal names itself in stop_details, streamed and whole", async (t) => {
  const app = appEnding("refusal");
  for (const protocol of ["openai", "gemini"]) {
    await t.step(protocol, async () => {
      const sse = await ask(app, `${protocol}/m`, true);
      assertWellFormed(parseFrames(sse));
      const streamed = await sdkMessage(sse) as unknown as Record<string, unknown>;
      assert.equal(streamed.stop_reason, "refusal");
      assert.deepEqual(streamed.stop_details, {
        type: "refusal",
        category: null,
        explanation: null,
      });
      const whole = JSON.parse(await ask(app, `${protocol}/m`, false));
      assert.equal(whole.stop_reason, "refusal");
      assertMessageKeys(whole);
    });
  }
});
