/**
 * FastAPI/pydantic servers quote the request they could not validate in their error text. The
 * client that sent it gets the upstream's words whole; ccp's log (the attempt's warning, the
 * request's line and its JSON `error` and `attempts[].reason`) and what other clients read
 * (`/health`'s breaker) keep them without the quoted request content.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { startCcp } from "../helpers/ccp.ts";
import { encodeEvents, openingMessage } from "../mocks/anthropic_fixtures.ts";
import { provider, testConfig } from "../helpers/config.ts";

const TOKEN = "ccp-echo-test-token";
const SECRET = "the user's private words";

// vLLM's handler of a RequestValidationError: `str(exc)` then `str(exc.errors())`, as its message.
const ITEM = "{'type': 'string_type', 'loc': ('body', 'messages', 0, 'content'), " +
  "'msg': 'Input should be a valid string', " +
  `'input': [{'type': 'text', 'text': "${SECRET}"}], 'ctx': {'note': '${SECRET}'}}`;
const VLLM = {
  error: {
    message: `1 validation error:\n  ${ITEM} [${ITEM}]`,
    type: "Bad Request",
    param: null,
    code: 400,
  },
};
// pydantic's own ValidationError text, as a gateway passes it on from a 500.
const GATEWAY = {
  detail: "1 validation error for ChatCompletionRequest\nmessages.0.content\n  Input should " +
    `be a valid string [type=string_type, input_value={'text': "${SECRET}"}, input_type=dict]`,
};

function upstream(input: RequestInfo | URL): Promise<Response> {
  const host = new URL(input instanceof Request ? input.url : String(input)).hostname;
  if (host === "vllm.test") return Promise.resolve(Response.json(VLLM, { status: 400 }));
  if (host === "gateway.test") return Promise.resolve(Response.json(GATEWAY, { status: 500 }));
  if (host === "anthropic.test") return Promise.resolve(Response.json(VLLM, { status: 400 }));
  return Promise.resolve(Response.json({
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  }));
}

const chat = (id: string, host: string) =>
  provider(id, {
    type: "openai",
    authHeader: "bearer",
    baseUrl: `http://${host}/v1`,
    apiKeys: ["sk-test-key-123456"],
    maxRetries: 0,
  });

Deno.test("an upstream's echo of the request reaches the client, not the log", async () => {
  const logs: string[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [
        chat("vllm", "vllm.test"),
        chat("gw", "gateway.test"),
        chat("ok", "ok.test"),
        provider("an", { baseUrl: "http://anthropic.test", apiKeys: ["sk-test-key-654321"] }),
      ],
      routes: { default: "vllm/m", failover: ["gw/m", "ok/m"], count: "an/m" },
      authToken: TOKEN,
    }),
    {
      fetch: upstream as typeof fetch,
      log: createLogger({ level: "debug", format: "json", write: (line) => logs.push(line) }),
    },
  );
  const headers = { "x-api-key": TOKEN, "content-type": "application/json" };
  const ask = (model: string) =>
    fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model,
        max_tokens: 10,
        messages: [{ role: "user", content: SECRET }],
      }),
    });
  try {
    const refused = await ask("claude-sonnet-4-5");
    const said = (await refused.json()).error.message as string;
    assert.equal(refused.status, 400);
    assert.ok(said.includes(`'input': [{'type': 'text', 'text': "${SECRET}"}]`), said);

    const answered = await ask("failover");
    assert.equal(answered.status, 200, await answered.clone().text());
    await answered.body?.cancel();
    // count_tokens: the upstream's refusal is logged (at debug) and ccp counts locally.
    const counted = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "count", messages: [{ role: "user", content: SECRET }] }),
    });
    assert.equal(counted.status, 200, await counted.clone().text());
    await counted.body?.cancel();
    const health = await (await fetch(`${ccp.url}/health`, { headers })).text();

    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const records = lines.filter((l) => l.request_id !== undefined);
    assert.equal(records.length, 2, logs.join(""));
    const [first, second] = records as Array<Record<string, unknown> & { attempts: Json[] }>;
    // What the upstream said is still there, without what it quoted.
    assert.match(String(first!.error), /Input should be a valid string/);
    assert.match(String(first!.attempts[0]!.reason), /Input should be a valid string/);
    assert.match(String(second!.attempts[0]!.reason), /input_type=dict/);
    const warnings = lines.filter((l) => l.level === "warn" && l.request_id === undefined);
    assert.ok(
      warnings.some((l) => /vllm[\s\S]*Input should be/.test(String(l.msg))),
      logs.join(""),
    );
    assert.ok(warnings.some((l) => /gw[\s\S]*input_type=dict/.test(String(l.msg))), logs.join(""));
    assert.match(health, /input_type=dict/);
    assert.ok(
      lines.some((l) => /count_tokens upstream failed[\s\S]*Input should be/.test(String(l.msg))),
      logs.join(""),
    );

    for (const line of logs) assert.ok(!line.includes("private words"), line);
    assert.ok(!health.includes("private words"), health);
  } finally {
    await ccp.close();
  }
});

type Json = Record<string, unknown>;

// An Anthropic-compatible server that starts its answer, then ends it with a validation error.
function brokenStream(): Promise<Response> {
  const body = encodeEvents([
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: openingMessage("msg_1", "m", { input_tokens: 5, output_tokens: 0 }),
      },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
    },
    {
      event: "error",
      data: {
        type: "error",
        // A server error, which counts against the target: its breaker keeps the words.
        error: { type: "api_error", message: `1 validation error:\n  ${ITEM}` },
      },
    },
  ]);
  return Promise.resolve(
    new Response(body, { headers: { "content-type": "text/event-stream" } }),
  );
}

Deno.test("a stream that ends with an echo: the client reads it, the breaker keeps none", async () => {
  const logs: string[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [
        provider("an", { baseUrl: "http://stream.test", apiKeys: ["sk-test-key-777777"] }),
      ],
      routes: { default: "an/m" },
      authToken: TOKEN,
    }),
    {
      fetch: brokenStream as typeof fetch,
      log: createLogger({ level: "debug", format: "json", write: (line) => logs.push(line) }),
    },
  );
  const headers = { "x-api-key": TOKEN, "content-type": "application/json" };
  try {
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: SECRET }],
      }),
    });
    const text = await res.text();
    assert.ok(text.includes("event: error"), text);
    assert.ok(text.includes("private words"), "the client reads the upstream's words whole");
    const health = await (await fetch(`${ccp.url}/health`, { headers })).text();
    assert.match(health, /Input should be a valid string/);
    assert.ok(!health.includes("private words"), health);
    assert.ok(logs.length > 0);
    for (const line of logs) assert.ok(!line.includes("private words"), line);
  } finally {
    await ccp.close();
  }
});
