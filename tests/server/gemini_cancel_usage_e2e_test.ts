/**
 * A Gemini stream the client leaves records the prompt count Gemini reported in the chunks read
 * so far, not ccp's own estimate of it: also when the client's stop sequences or its one tool call
 * at a time are applied to the answer, and when a stop sequence ends the answer.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

const KEY = "AIzaSyTEST-0000000000000000000000000000";

const USAGE = { promptTokenCount: 4321, cachedContentTokenCount: 321, candidatesTokenCount: 2 };

/** ccp before a Gemini that sends `chunk` and holds its stream open; `ended` has the record. */
function geminiOnce(chunk: Record<string, unknown>) {
  let upstreamGone!: () => void;
  const gone = new Promise<void>((resolve) => upstreamGone = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk)}\r\n\r\n`));
      },
      cancel: () => upstreamGone(),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  let ended!: (record: RequestRecord) => void;
  const recorded = new Promise<RequestRecord>((resolve) => ended = resolve);
  const ccp = startCcp(
    testConfig({
      providers: [provider("gem", {
        type: "gemini",
        preset: "gemini",
        baseUrl: `http://127.0.0.1:${server.addr.port}`,
        apiKeys: [KEY],
        authHeader: "x-goog-api-key",
      })],
      routes: { default: "gem/gemini-2.5-flash" },
    }),
    { observers: [{ ended: (record) => ended(structuredClone(record)) }] },
  );
  return {
    url: ccp.url,
    recorded,
    gone,
    close: async () => {
      await ccp.close();
      await server.shutdown();
    },
  };
}

const ask = (extra: Record<string, unknown>) => ({
  model: "claude-opus-5-5",
  max_tokens: 64,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

const TOOL = { name: "t", description: "a tool", input_schema: { type: "object" } };

// Each wraps the translation: what Gemini reported must reach the record through the wrapper.
const LIMITS: Record<string, Record<string, unknown>> = {
  // One character: no text is held back waiting for the rest of a sequence.
  "stop sequences": { stop_sequences: ["#"] },
  "one tool call at a time": {
    tools: [TOOL],
    tool_choice: { type: "auto", disable_parallel_tool_use: true },
  },
};

for (const [limit, extra] of Object.entries(LIMITS)) {
  Deno.test(`gemini: a cancelled stream with ${limit} records Gemini's prompt count`, async () => {
    const env = geminiOnce({
      candidates: [{ content: { role: "model", parts: [{ text: "Hello there" }] }, index: 0 }],
      usageMetadata: USAGE,
    });
    try {
      const res = await postMessages(env.url, ask(extra), { "anthropic-version": "2023-06-01" });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("Hello there")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const record = await env.recorded;
      await env.gone;
      assert.equal(record.outcome, "cancelled");
      assert.equal(record.usage?.inputTokens, 4000, "Gemini's count less its cache reads");
      assert.equal(record.usage?.cacheReadInputTokens, 321);
    } finally {
      await env.close();
    }
  });
}

Deno.test("gemini: an answer a stop sequence ends records Gemini's prompt count", async () => {
  const env = geminiOnce({
    candidates: [{ content: { role: "model", parts: [{ text: "Hello there. END more" }] } }],
    usageMetadata: USAGE,
  });
  try {
    const res = await postMessages(env.url, ask({ stop_sequences: ["END"] }));
    const events = parseSse(await res.text());
    const delta = events.find((e) => e.event === "message_delta")!.data;
    assert.deepEqual(delta.delta, {
      stop_reason: "stop_sequence",
      stop_sequence: "END",
      stop_details: null,
      container: null,
    });
    const record = await env.recorded;
    assert.equal(record.usage?.inputTokens, 4000, "Gemini's count less its cache reads");
    assert.equal(record.usage?.cacheReadInputTokens, 321);
  } finally {
    await env.close();
  }
});

Deno.test("gemini: a stream the client cancels records Gemini's reported prompt count", async () => {
  let upstreamGone!: () => void;
  const gone = new Promise<void>((resolve) => upstreamGone = resolve);
  const chunk = {
    candidates: [{ content: { role: "model", parts: [{ text: "Hello there" }] }, index: 0 }],
    usageMetadata: {
      promptTokenCount: 4321,
      cachedContentTokenCount: 321,
      candidatesTokenCount: 2,
    },
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk)}\r\n\r\n`));
      },
      cancel: () => upstreamGone(),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const records: RequestRecord[] = [];
  let ended!: () => void;
  const recorded = new Promise<void>((resolve) => ended = resolve);
  const ccp = startCcp(
    testConfig({
      providers: [provider("gem", {
        type: "gemini",
        preset: "gemini",
        baseUrl: `http://127.0.0.1:${server.addr.port}`,
        apiKeys: [KEY],
        authHeader: "x-goog-api-key",
      })],
      routes: { default: "gem/gemini-2.5-flash" },
    }),
    {
      observers: [{
        ended: (record) => {
          records.push(structuredClone(record));
          ended();
        },
      }],
    },
  );
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-opus-5-5",
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    }, { "anthropic-version": "2023-06-01" });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("Hello there")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const start = parseSse(text)[0]!.data.message as { usage: { input_tokens: number } };
    assert.notEqual(start.usage.input_tokens, 4000, "message_start carries ccp's own estimate");
    await reader.cancel();
    await recorded;
    await gone;
    assert.equal(records[0]!.outcome, "cancelled");
    assert.equal(records[0]!.usage?.inputTokens, 4000, "Gemini's count less its cache reads");
    assert.equal(records[0]!.usage?.cacheReadInputTokens, 321);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
