/**
 * The external contract's errors from outside: each upstream status, from each wire protocol,
 * reaches the client as Anthropic's error with the status and type the contract gives it, the
 * message naming the provider and model and never a key.
 */

import assert from "node:assert/strict";
import { TOKEN, withWorld } from "./_world.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

const yaml = (url: string) =>
  `server: { auth_token: "${TOKEN}" }
providers:
  anth: { type: anthropic, base_url: "${url}", api_key: sk-anth-0123456789, max_retries: 0 }
  chat: { type: openai, base_url: "${url}/v1", api_key: sk-chat-0123456789, max_retries: 0 }
  gem: { type: gemini, base_url: "${url}", api_key: sk-gem-0123456789, max_retries: 0 }
  resp: { type: openai_responses, base_url: "${url}/v1", api_key: sk-resp-0123456789, max_retries: 0 }
routes:
  default: anth/m
`;

/** Upstream status -> the status and error type the client gets. */
const TABLE: Array<[number, number, string]> = [
  [400, 400, "invalid_request_error"],
  [404, 404, "not_found_error"],
  [413, 413, "request_too_large"],
  [429, 429, "rate_limit_error"],
  [500, 502, "api_error"],
  [502, 502, "api_error"],
  [503, 503, "api_error"],
  [504, 504, "api_error"],
  [529, 529, "overloaded_error"],
];

Deno.test("upstream statuses from every wire protocol: Anthropic's error with the matching status", async (t) => {
  await withWorld(yaml, async (w) => {
    for (const provider of ["anth", "chat", "gem", "resp"]) {
      for (const [upstream, status, type] of TABLE) {
        await t.step(`${provider}: ${upstream} -> ${status} ${type}`, async () => {
          const { res, json } = await w.ask({ model: `${provider}/status-${upstream}` });
          assert.equal(res.status, status);
          assert.equal(json.type, "error");
          const error = json.error as Record<string, unknown>;
          assert.equal(error.type, type);
          assert.match(String(error.message), new RegExp(provider));
          assert.match(String(error.message), new RegExp(`status-${upstream}`));
          assert.doesNotMatch(JSON.stringify(json), /sk-(anth|chat|gem|resp)-/);
        });
      }
    }
  });
});

Deno.test("an upstream 401 or 403 never reaches the client as one: 503 auth_unavailable with Retry-After", async () => {
  await withWorld(yaml, async (w) => {
    for (const provider of ["anth", "chat", "gem", "resp"]) {
      for (const upstream of [401, 403]) {
        const { res, json } = await w.ask({ model: `${provider}/status-${upstream}` });
        assert.equal(res.status, 503, `${provider} ${upstream}`);
        assert.ok(Number(res.headers.get("retry-after")) > 0);
        const error = json.error as Record<string, unknown>;
        assert.equal(error.type, "api_error");
        assert.equal(error.code, "auth_unavailable");
        assert.equal(error.blocked, 1);
        assert.deepEqual(error.recent_statuses, [upstream]);
        assert.match(String(error.message), new RegExp(`${provider}.*status-${upstream}`));
        assert.doesNotMatch(JSON.stringify(json), /sk-(anth|chat|gem|resp)-/);
      }
    }
  });
});

Deno.test("every key of every target cooling down after 429s: 429 model_cooldown with Retry-After and retry_after", async () => {
  const chain = (url: string) =>
    yaml(url).replace(
      "default: anth/m",
      "default: [anth/status-429-wait-90, chat/status-429-wait-30]",
    );
  await withWorld(chain, async (w) => {
    const { res, json } = await w.ask({ model: "gpt-4o" });
    assert.equal(res.status, 429);
    const error = json.error as Record<string, unknown>;
    assert.equal(error.type, "rate_limit_error");
    assert.equal(error.code, "model_cooldown");
    assert.equal(typeof error.retry_after, "number");
    assert.ok(Math.abs((error.retry_after as number) - 30) <= 1, `${error.retry_after}`);
    assert.equal(Number(res.headers.get("retry-after")), error.retry_after);
    assert.match(String(error.message), /anth.*chat|chat.*anth/s);
    assert.deepEqual(
      w.upstream.seen.map((s) => s.body.model ?? s.path),
      ["status-429-wait-90", "status-429-wait-30"],
    );
  });
});

Deno.test("a failure after the stream began is an event: error with the same body, and the stream ends", async () => {
  const cut = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  cut: { type: anthropic, base_url: "http://127.0.0.1:${
      new URL(url).port
    }", api_key: sk-cut-0123456789, max_retries: 0 }
routes:
  default: cut/m
`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const head = `event: message_start\ndata: ${
      JSON.stringify({
        type: "message_start",
        message: openingMessage("msg_1", "m", { input_tokens: 5, output_tokens: 0 }),
      })
    }\n\n`;
    const text = [
      ["content_block_start", { index: 0, content_block: { type: "text", text: "" } }],
      ["content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hello, " } }],
    ].map(([type, data]) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data as Record<string, unknown> })}\n\n`
    ).join("");
    const error = `event: error\ndata: ${
      JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "busy" } })
    }\n\n`;
    return new Response(head + text + error, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    await withWorld(() => cut(`http://127.0.0.1:${server.addr.port}`), async (w) => {
      const { res, json } = await w.ask({ stream: true });
      assert.equal(res.status, 200);
      const text = String(json.text);
      assert.match(text, /^event: message_start\n/);
      assert.match(text, /Hello, /, "what was streamed before the failure stays");
      const events = [...text.matchAll(/^event: (\S+)\ndata: (.*)$/gm)];
      const last = events.at(-1)!;
      assert.equal(last[1], "error", text);
      const body = JSON.parse(last[2]!);
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "overloaded_error");
      assert.equal(typeof body.error.message, "string");
    });
  } finally {
    await server.shutdown();
  }
});

const frame = (value: Record<string, unknown>, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(value)}\n\n`;

/** Each protocol's stream: "Hel" streamed, then the upstream's 401 (`r401`) or 403 in its shape. */
function refusingStream(path: string, refusal: 401 | 403): string {
  if (path.endsWith("/messages")) {
    return [
      frame({
        type: "message_start",
        message: openingMessage("msg_1", "m", { input_tokens: 5, output_tokens: 0 }),
      }, "message_start"),
      frame(
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        "content_block_start",
      ),
      frame(
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
        "content_block_delta",
      ),
      frame({
        type: "error",
        error: {
          type: refusal === 401 ? "authentication_error" : "permission_error",
          message: "refused the credential",
        },
      }, "error"),
    ].join("");
  }
  if (path.endsWith("/chat/completions")) {
    return frame({ choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] }) +
      frame({ error: { code: refusal, message: "refused the credential" } });
  }
  if (path.endsWith("/responses")) {
    return frame({ type: "response.created", response: { id: "resp_1", status: "in_progress" } }) +
      frame({ type: "response.output_text.delta", item_id: "m1", output_index: 0, delta: "Hel" }) +
      (refusal === 401
        ? frame(
          { type: "error", code: "invalid_api_key", message: "refused the credential" },
          "error",
        )
        : frame({
          type: "response.failed",
          response: {
            id: "resp_1",
            status: "failed",
            error: { code: "permission_denied", message: "refused the credential" },
          },
        }));
  }
  return frame({ candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] } }] }) +
    frame({
      error: {
        code: refusal,
        message: "refused the credential",
        status: refusal === 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED",
      },
    });
}

Deno.test("an upstream 401 or 403 after the first byte, on every protocol: an api_error event, never the client's own", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const text = await req.text();
    const path = new URL(req.url).pathname;
    const model = String(JSON.parse(text || "{}").model ?? path);
    const refusal = model.includes("r403") ? 403 : 401;
    return new Response(refusingStream(path, refusal), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  try {
    await withWorld(() => yaml(`http://127.0.0.1:${server.addr.port}`), async (w) => {
      for (const provider of ["anth", "chat", "gem", "resp"]) {
        for (const refusal of ["r401", "r403"]) {
          const said = `${provider} ${refusal}`;
          const { res, json } = await w.ask({ model: `${provider}/${refusal}`, stream: true });
          assert.equal(res.status, 200, said);
          const text = String(json.text);
          assert.match(text, /"Hel"/, `${said}: the stream had begun`);
          const last = [...text.matchAll(/^event: (\S+)\ndata: (.*)$/gm)].at(-1)!;
          assert.equal(last[1], "error", `${said}: ${text}`);
          const error = JSON.parse(last[2]!).error as Record<string, unknown>;
          assert.equal(error.type, "api_error", said);
          assert.match(String(error.message), new RegExp(`${provider}.*${refusal}`), said);
          assert.doesNotMatch(text, /sk-(anth|chat|gem|resp)-/);
        }
      }
    });
  } finally {
    await server.shutdown();
  }
});
