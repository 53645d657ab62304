/**
 * Claude Code reads any error message that mentions `x-api-key` as its own key or login being
 * wrong, whatever the status ("Not logged in · Please run /login"). Anthropic refuses a key with
 * "invalid x-api-key": when that is ccp's key for a provider, the client must not be told so in
 * those words. ccp's refusal of the client's own token keeps them: there they are right.
 */

import assert from "node:assert/strict";
import { errorBody, UpstreamError } from "../../src/core/errors.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const REQUEST = {
  model: "claude-sonnet-4-5",
  max_tokens: 8,
  messages: [{ role: "user", content: "hi" }],
};

Deno.test("an upstream's 'invalid x-api-key' reaches the client without the header's name", async () => {
  const up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json(
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
      { status: 401 },
    );
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", {
        preset: "anthropic",
        baseUrl: `http://127.0.0.1:${up.addr.port}`,
        apiKeys: ["sk-ant-revoked-0123456789"],
        maxRetries: 0,
      }),
    ],
    routes: { default: "claude/claude-sonnet-4-5" },
  }));
  try {
    const res = await postMessages(ccp.url, REQUEST);
    const body = await res.json();
    assert.ok(res.status >= 500, `status ${res.status}`);
    assert.doesNotMatch(body.error.message, /x-api-key/i);
    assert.match(body.error.message, /answered HTTP 401 .*: invalid API key/);
    // The log keeps the provider's own words.
    assert.ok(ccp.logs.some((line) => line.includes("invalid x-api-key")), ccp.logs.join("\n"));
  } finally {
    await ccp.close();
    await up.shutdown();
  }
});

Deno.test("ccp's refusal of the client's own token still names x-api-key", async () => {
  const ccp = startCcp(testConfig({
    providers: [provider("up")],
    routes: { default: "up/m" },
    authToken: "right-token",
  }));
  try {
    const res = await postMessages(ccp.url, REQUEST, { "x-api-key": "wrong-token" });
    const body = await res.json();
    assert.equal(res.status, 401);
    assert.match(body.error.message, /x-api-key/);
  } finally {
    await ccp.close();
  }
});

const data = (value: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(value)}\n\n`;

/** Each translated protocol's stream: some text, then the upstream's refusal in its own shape. */
const MIDSTREAM_REFUSALS: Array<[string, ProviderConfig["type"], string[]]> = [
  ["OpenAI Chat", "openai", [
    data({ choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] }),
    data({ error: { message: "invalid x-api-key", type: "invalid_request_error" } }),
  ]],
  ["Gemini", "gemini", [
    data({ candidates: [{ content: { role: "model", parts: [{ text: "hi" }] } }] }),
    data({ error: { code: 401, message: "invalid x-api-key", status: "UNAUTHENTICATED" } }),
  ]],
  ["Responses", "openai_responses", [
    data({ type: "response.created", response: { id: "resp_1", status: "in_progress" } }),
    data({ type: "response.output_text.delta", item_id: "m1", output_index: 0, delta: "hi" }),
    data({ type: "error", code: "invalid_api_key", message: "invalid x-api-key" }, "error"),
  ]],
];

Deno.test("a translated stream's error event reaches the client without the header's name", async (t) => {
  for (const [name, type, frames] of MIDSTREAM_REFUSALS) {
    for (const stream of [true, false]) {
      await t.step(`${name}, ${stream ? "streamed" : "collected"}`, async () => {
        const up = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          async (req) => {
            await req.body?.cancel();
            return new Response(frames.join(""), {
              headers: { "content-type": "text/event-stream" },
            });
          },
        );
        const ccp = startCcp(testConfig({
          providers: [provider("up", {
            type,
            baseUrl: `http://127.0.0.1:${up.addr.port}`,
            apiKeys: ["k-0123456789"],
            maxRetries: 0,
          })],
          routes: { default: "up/m" },
        }));
        try {
          const res = await postMessages(ccp.url, { ...REQUEST, stream });
          const text = await res.text();
          const error = stream
            ? parseSse(text).find((e) => e.event === "error")?.data.error as { message: string }
            : JSON.parse(text).error;
          assert.ok(error, text);
          assert.match(error.message, /invalid API key/, text);
          assert.doesNotMatch(error.message, /x-api-key/i);
          // The log keeps the provider's own words.
          assert.ok(
            ccp.logs.some((line) => line.includes("invalid x-api-key")),
            ccp.logs.join("\n"),
          );
        } finally {
          await ccp.close();
          await up.shutdown();
        }
      });
    }
  }
});

Deno.test("every error body is worded in one place: only ccp's own refusal names x-api-key", () => {
  const said = "send ccp's token as x-api-key";
  assert.equal(errorBody("authentication_error", said).error.message, said);
  for (const type of ["api_error", "invalid_request_error", "rate_limit_error"] as const) {
    const body = errorBody(type, "Provider answered: invalid X-API-KEY", { code: "c" });
    assert.deepEqual(body, {
      type: "error",
      error: { type, message: "Provider answered: invalid API key", code: "c" },
    });
  }
  const upstream = new UpstreamError("api_error", "invalid x-api-key", { status: 502 });
  assert.equal(upstream.toAnthropicError().error.message, "invalid API key");
});
