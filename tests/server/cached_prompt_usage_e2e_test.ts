/**
 * A prompt the upstream read whole from its cache (`prompt == cached`), on every translated wire
 * protocol: Claude Code's context meter, fed ccp's stream, shows the prompt's size once, not
 * ccp's estimate of it on top of the cache read; and the JSON answer's counts add up the same.
 */

import assert from "node:assert/strict";
import { responseObject, responsesSse } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames } from "../translate/_stream_helpers.ts";
import { askMessages, everyProtocolApp } from "../helpers/every_protocol.ts";
import { keptUsage, meteredPrompt } from "../helpers/claude_code_usage.ts";

const PROMPT = 5000;
const SSE = { headers: { "content-type": "text/event-stream" } };

const chatUsage = {
  prompt_tokens: PROMPT,
  completion_tokens: 3,
  total_tokens: PROMPT + 3,
  prompt_tokens_details: { cached_tokens: PROMPT },
};
const geminiAnswer = {
  candidates: [{
    content: { role: "model", parts: [{ text: "Hi there" }] },
    finishReason: "STOP",
    index: 0,
  }],
  usageMetadata: {
    promptTokenCount: PROMPT,
    cachedContentTokenCount: PROMPT,
    candidatesTokenCount: 3,
    totalTokenCount: PROMPT + 3,
  },
  modelVersion: "m",
};
const responsesScript = {
  items: [{ kind: "text" as const, text: "Hi there" }],
  usage: { input: PROMPT, cached: PROMPT, output: 3 },
};

/** The upstream's answer, streamed or whole, for each protocol. */
function answer(url: string, body: Record<string, unknown>): Response {
  if (url.includes("/chat/completions")) {
    if (!body.stream) {
      return Response.json({
        id: "c",
        object: "chat.completion",
        model: "m",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "Hi there" },
          finish_reason: "stop",
        }],
        usage: chatUsage,
      });
    }
    const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
    return new Response(
      chunk({ id: "c", model: "m", choices: [{ index: 0, delta: { content: "Hi there" } }] }) +
        chunk({ id: "c", model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
        chunk({ id: "c", model: "m", choices: [], usage: chatUsage }) + "data: [DONE]\n\n",
      SSE,
    );
  }
  if (url.includes("/responses")) {
    return body.stream
      ? new Response(responsesSse(responsesScript, "m"), SSE)
      : Response.json(responseObject(responsesScript, "m"));
  }
  return url.includes(":streamGenerateContent")
    ? new Response(`data: ${JSON.stringify(geminiAnswer)}\n\n`, SSE)
    : Response.json(geminiAnswer);
}

const app = everyProtocolApp(async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const text = input instanceof Request
    ? await input.text()
    : await new Response(init?.body).text();
  return answer(url, JSON.parse(text));
});

async function ask(model: string, stream: boolean): Promise<string> {
  const { status, text } = await askMessages(app, {
    model,
    max_tokens: 64,
    stream,
    messages: [{ role: "user", content: "Say hi to everyone in the room, please." }],
  });
  assert.equal(status, 200, text);
  return text;
}

Deno.test("a prompt read whole from the upstream's cache counts once on Claude Code's meter", async (t) => {
  for (const protocol of ["openai", "openai_responses", "gemini"]) {
    await t.step(protocol, async () => {
      const frames = parseFrames(await ask(`${protocol}/m`, true));
      assertWellFormed(frames);
      const start = frames[0]!.data.message!.usage.input_tokens as number;
      assert.ok(start > 0, "message_start carries ccp's estimate");
      const kept = keptUsage(frames);
      assert.equal(meteredPrompt(kept), PROMPT, JSON.stringify(kept));
      assert.equal(kept.output, 3);

      const json = JSON.parse(await ask(`${protocol}/m`, false));
      const u = json.usage;
      assert.equal(
        u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens,
        PROMPT,
      );
    });
  }
});
