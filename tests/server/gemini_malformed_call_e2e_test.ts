/**
 * Gemini's `finishReason: MALFORMED_FUNCTION_CALL` (its model wrote a call that does not parse):
 * as the answer's first event, nothing has reached Claude Code, so ccp asks once more and hands
 * on that answer, whatever it is; after content (thoughts), the answer ends with its note.
 */

import assert from "node:assert/strict";
import { accumulateAnthropicEvents } from "../../src/translate/anthropic/accumulate.ts";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const KEY = "AIzaSyTEST-0000000000000000000000000000";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url));

const MALFORMED = fixture("malformed_function_call.sse");
const CALL = fixture("function_call_signature.sse");
/** A thought first, then the malformed finish in a later chunk. */
const THOUGHT_THEN_MALFORMED = [
  { parts: [{ text: "Let me run it.", thought: true }] },
  { parts: [], finishReason: "MALFORMED_FUNCTION_CALL", finishMessage: "Malformed function call" },
].map(({ parts, ...rest }) =>
  `data: ${
    JSON.stringify({ candidates: [{ content: { role: "model", parts }, index: 0, ...rest }] })
  }\r\n\r\n`
).join("");

/** A Gemini model answering its requests from `answers` in turn (SSE text, or JSON bodies). */
function startSequence(answers: (string | Record<string, unknown>)[]) {
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const answer = answers[Math.min(served++, answers.length - 1)]!;
    return typeof answer === "string"
      ? new Response(answer, { headers: { "content-type": "text/event-stream" } })
      : Response.json(answer);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1beta`,
    served: () => served,
    close: () => server.shutdown(),
  };
}

function ccpFor(url: string) {
  return startCcp(testConfig({
    providers: [provider("gem", {
      type: "gemini",
      preset: "gemini",
      baseUrl: url,
      apiKeys: [KEY],
      authHeader: "x-goog-api-key",
      maxRetries: 0,
    })],
    routes: { default: "gem/gemini-2.5-flash" },
  }));
}

async function ask(url: string, stream: boolean) {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 1000,
    stream,
    messages: [{ role: "user", content: "list the files" }],
    tools: [{
      name: "Bash",
      description: "Run a command",
      input_schema: { type: "object", properties: { command: { type: "string" } } },
    }],
  }, { "anthropic-version": "2023-06-01" });
  assert.equal(res.status, 200);
  if (!stream) return await res.json();
  const events = parseSse(await res.text()).map((e) => e.data as unknown as AnthropicStreamEvent);
  return accumulateAnthropicEvents(events);
}

const types = (message: { content: { type: string }[] }) => message.content.map((b) => b.type);
const noteOf = (message: { content: { type: string; text?: string }[] }) =>
  message.content.find((b) => b.type === "text")?.text ?? "";

Deno.test("gemini MALFORMED_FUNCTION_CALL as the first event: asked once more, that answer is used", async () => {
  const model = startSequence([MALFORMED, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, true);
    assert.deepEqual(types(message), ["thinking", "tool_use"]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(model.served(), 2);
    assert.match(ccp.logs.join("\n"), /malformed function call.*asking once more/);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("gemini MALFORMED_FUNCTION_CALL twice: one more try only, then the note", async () => {
  const model = startSequence([MALFORMED, MALFORMED, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, true);
    assert.equal(model.served(), 2, "one retry, not more");
    assert.equal(message.stop_reason, "end_turn");
    assert.match(noteOf(message), /finishReason MALFORMED_FUNCTION_CALL/);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("gemini MALFORMED_FUNCTION_CALL after a thought reached the client: the note, no retry", async () => {
  const model = startSequence([THOUGHT_THEN_MALFORMED, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, true);
    assert.equal(model.served(), 1);
    assert.deepEqual(types(message), ["thinking", "text"]);
    assert.match(noteOf(message), /finishReason MALFORMED_FUNCTION_CALL/);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("gemini MALFORMED_FUNCTION_CALL in a JSON answer: asked once more too", async () => {
  const malformed = JSON.parse(MALFORMED.replace(/^data: /, ""));
  const call = {
    candidates: [{
      content: {
        role: "model",
        parts: [{ functionCall: { name: "Bash", args: { command: "ls" } } }],
      },
      finishReason: "STOP",
      index: 0,
    }],
  };
  const model = startSequence([malformed, call]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, false);
    assert.equal(model.served(), 2);
    assert.deepEqual(types(message), ["tool_use"]);
  } finally {
    await ccp.close();
    await model.close();
  }
});

/** Gemini's empty turn end: a STOP with no part at all, usage beside it. */
const EMPTY_STOP = `data: ${
  JSON.stringify({
    candidates: [{ content: { role: "model" }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 120, totalTokenCount: 120 },
    modelVersion: "gemini-2.5-flash",
  })
}\r\n\r\n`;

Deno.test("gemini STOP with no content as the first event: asked once more, that answer is used", async () => {
  const model = startSequence([EMPTY_STOP, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, true);
    assert.equal(model.served(), 2);
    assert.deepEqual(types(message), ["thinking", "tool_use"]);
    assert.match(ccp.logs.join("\n"), /ended its answer without any content.*asking once more/);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("gemini STOP with no content twice (JSON answers): one more try only", async () => {
  const empty = JSON.parse(EMPTY_STOP.replace(/^data: /, ""));
  const model = startSequence([empty, empty, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, false);
    assert.equal(model.served(), 2, "one retry, not more");
    assert.equal(message.stop_reason, "end_turn");
    assert.deepEqual(message.content, []);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("gemini answer whose text ends with STOP in its first event: no retry", async () => {
  const text = `data: ${
    JSON.stringify({
      candidates: [{
        content: { role: "model", parts: [{ text: "Done." }] },
        finishReason: "STOP",
        index: 0,
      }],
    })
  }\r\n\r\n`;
  const model = startSequence([text, CALL]);
  const ccp = ccpFor(model.url);
  try {
    const message = await ask(ccp.url, true);
    assert.equal(model.served(), 1);
    assert.equal(noteOf(message), "Done.");
  } finally {
    await ccp.close();
    await model.close();
  }
});
