/**
 * Groq's 400 `tool_use_failed` (its model wrote a tool call that does not parse) is the model's
 * fault, not the request's: it fails over or reaches the client as a 502 it may retry, never as a
 * 400 that ends Claude Code's turn.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
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
          const res = await fetch(`${ccp.url}/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model: "claude-sonnet-4-6",
              max_tokens: 100,
              stream: true,
              messages: [{ role: "user", content: "read a" }],
            }),
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
