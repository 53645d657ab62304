/**
 * Groq's 400 `tool_use_failed` (its model wrote a tool call that does not parse) is the model's
 * fault, not the request's: it fails over or reaches the client as a 502 it may retry, never as a
 * 400 that ends Claude Code's turn.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { statusStandsFor } from "../../src/upstream/http/model_fault.ts";

const FAILED = {
  error: {
    message:
      "Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details.",
    type: "invalid_request_error",
    code: "tool_use_failed",
    failed_generation: '<function=Read>{"file_path": "a"}</function>',
  },
};
const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;

Deno.test("statusStandsFor: a model fault is a 502, other answers keep their status", () => {
  assert.equal(statusStandsFor(400, JSON.stringify(FAILED)), 502);
  assert.equal(statusStandsFor(400, '{"error":{"code":"invalid_request_error"}}'), 400);
  assert.equal(statusStandsFor(400, "tool_use_failed, not JSON"), 400);
  assert.equal(statusStandsFor(429, JSON.stringify(FAILED)), 429);
});

// Gemini's answer to a wrong or expired key, as Google AI Studio sends it.
const GEMINI_BAD_KEY = {
  error: {
    code: 400,
    message: "API key not valid. Please pass a valid API key.",
    status: "INVALID_ARGUMENT",
    details: [{
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
    }],
  },
};

Deno.test("statusStandsFor: Gemini's 400 API_KEY_INVALID is a refused key", () => {
  assert.equal(statusStandsFor(400, JSON.stringify(GEMINI_BAD_KEY)), 401);
  assert.equal(statusStandsFor(400, '{"error":{"message":"API_KEY_INVALID in a prompt"}}'), 400);
});

Deno.test("a Gemini key refused with 400 is set aside and the next key answers", async () => {
  const keys: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const key = req.headers.get("x-goog-api-key") ?? "";
    keys.push(key);
    if (key === "bad-key-0001") return Response.json(GEMINI_BAD_KEY, { status: 400 });
    return Response.json({
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
    });
  });
  const ccp = startCcp(testConfig({
    providers: [provider("gm", {
      type: "gemini",
      preset: "gemini",
      baseUrl: `http://127.0.0.1:${server.addr.port}/v1beta`,
      apiKeys: ["bad-key-0001", "good-key-0002"],
      authHeader: "x-goog-api-key",
    })],
    routes: { default: ["gm/gemini-2.5-pro"] },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.deepEqual(keys, ["bad-key-0001", "good-key-0002"]);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

/** An OpenAI-style upstream that answers each request with the next of `replies`. */
function upstream(replies: Array<() => Response>) {
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return replies[Math.min(served++, replies.length - 1)]!();
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    served: () => served,
    close: () => server.shutdown(),
  };
}

const answer = () =>
  new Response(
    sse({ id: "c", choices: [{ index: 0, delta: { content: "done" } }] }) +
      sse({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
      "data: [DONE]\n\n",
    { headers: { "content-type": "text/event-stream" } },
  );

const FAULTS: Record<string, () => Response> = {
  "a 400 before the stream": () => Response.json(FAILED, { status: 400 }),
  "the stream's first event": () =>
    new Response(sse(FAILED), { headers: { "content-type": "text/event-stream" } }),
};

Deno.test("Groq's tool_use_failed fails over to the next target, or is a 502 the client may retry", async (t) => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    await t.step(name, async () => {
      const groq = upstream([fault]);
      const other = upstream([answer]);
      const target = (id: string, url: string) =>
        provider(id, { type: "openai", preset: "groq", baseUrl: url, apiKeys: ["k"] });
      const ask = async (routes: string[]) => {
        const ccp = startCcp(testConfig({
          providers: [target("groq", groq.url), target("other", other.url)],
          routes: { default: routes },
        }));
        try {
          const res = await postMessages(ccp.url, {
            model: "claude-sonnet-4-6",
            max_tokens: 100,
            stream: true,
            messages: [{ role: "user", content: "read a" }],
          });
          return { status: res.status, text: await res.text() };
        } finally {
          await ccp.close();
        }
      };
      try {
        const alone = await ask(["groq/llama-3.3-70b-versatile"]);
        assert.equal(alone.status, 502, alone.text);
        assert.equal(JSON.parse(alone.text).error.type, "api_error");
        assert.match(JSON.parse(alone.text).error.message, /Failed to call a function/);
        const chain = await ask(["groq/llama-3.3-70b-versatile", "other/m"]);
        assert.equal(chain.status, 200, chain.text);
        assert.equal(parseSse(chain.text).at(-1)!.event, "message_stop");
        assert.equal(other.served(), 1);
      } finally {
        await groq.close();
        await other.close();
      }
    });
  }
});
