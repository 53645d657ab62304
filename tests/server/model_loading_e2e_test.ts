/**
 * A local model server still loading its model is not a dead one: its "loading" answer, or a
 * refused connection where it answered a moment ago, tells the client to retry in a moment.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { claudeCodeBody } from "./_messages_env.ts";
import { AnsweredPlaces, saysLoading } from "../../src/upstream/model_loading.ts";

/** A one-target ccp in front of a local OpenAI-style server at `port`. */
function ccpFor(port: number) {
  return startCcp(testConfig({
    providers: [
      provider("local", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
      }),
    ],
    routes: { default: "local/qwen3-coder" },
  }));
}

/** A local server answering every request with `status` and `body`. */
function serverAnswering(status: number, body: unknown) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json(body, { status }),
  );
}

Deno.test("llama.cpp's 503 Loading model: the client is told the model is loading, and to retry", async () => {
  const server = serverAnswering(503, {
    error: { code: 503, message: "Loading model", type: "unavailable_error" },
  });
  const ccp = ccpFor(server.addr.port);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("x-should-retry"), "true");
    assert.equal(res.headers.get("retry-after"), "5");
    const body = await res.json();
    assert.equal(body.error.type, "api_error");
    assert.match(
      body.error.message,
      /Loading model \(the model server is still loading the model; retry in a moment\)/,
    );
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("Ollama's 'llm server loading model' is loading too; another 5xx is not", async () => {
  const loading = serverAnswering(500, {
    error: { message: "unexpected server status: llm server loading model", type: "api_error" },
  });
  const busy = serverAnswering(503, { error: { message: "Service Unavailable" } });
  const ccps = [ccpFor(loading.addr.port), ccpFor(busy.addr.port)];
  try {
    const [a, b] = await Promise.all(ccps.map((c) => postMessages(c.url, claudeCodeBody())));
    assert.equal(a!.headers.get("x-should-retry"), "true");
    assert.match((await a!.json()).error.message, /still loading the model; retry in a moment/);
    assert.equal(b!.headers.get("x-should-retry"), null);
    assert.doesNotMatch((await b!.json()).error.message, /loading/);
  } finally {
    for (const c of ccps) await c.close();
    await loading.shutdown();
    await busy.shutdown();
  }
});

Deno.test("a local server that answered a moment ago and now refuses: restarting or loading, retry", async () => {
  const server = serverAnswering(500, { error: { message: "boom" } });
  const port = server.addr.port;
  const ccp = ccpFor(port);
  try {
    await (await postMessages(ccp.url, claudeCodeBody())).body?.cancel();
    await server.shutdown();
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "true");
    assert.equal(res.headers.get("retry-after"), "5");
    const message = (await res.json()).error.message;
    assert.match(
      message,
      /connection refused\. It answered \d+s ago: the model server is still loading the model; retry in a moment/,
    );
    assert.doesNotMatch(message, /Nothing listens there/);
  } finally {
    await ccp.close();
  }
});

Deno.test("loading words: a server's, not a failed load's", () => {
  for (
    const text of [
      '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}',
      "unexpected server status: llm server loading model",
      "Model bigscience/bloom is currently loading",
    ]
  ) assert.ok(saysLoading(503, text), text);
  for (
    const text of [
      "error loading model: llama_model_loader: failed to load model",
      "failed loading model",
      "Service Unavailable",
    ]
  ) assert.ok(!saysLoading(503, text), text);
  assert.ok(!saysLoading(400, "Loading model"), "a 4xx is the request's fault");
});

Deno.test("answered places: remembered ten minutes, by scheme, host and port", () => {
  let now = 0;
  const places = new AnsweredPlaces(() => now);
  places.answered("http://127.0.0.1:8080/v1/chat/completions");
  now = 30_000;
  assert.equal(places.answeredAgo("http://127.0.0.1:8080/v1/messages"), 30_000);
  assert.equal(places.answeredAgo("http://127.0.0.1:8081/v1/messages"), undefined);
  now = 10 * 60_000 + 1;
  assert.equal(places.answeredAgo("http://127.0.0.1:8080/v1/messages"), undefined);
});

Deno.test("a loading server asking for a day's wait: the client is told not to retry, not to wait a day", async () => {
  // The Anthropic SDKs honour any Retry-After they are told to retry on: a server that says it
  // is loading and asks for a day would hang Claude Code's turn that long, ten times over.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({ error: { code: 503, message: "Loading model" } }, {
        status: 503,
        headers: { "retry-after": "86400" },
      }),
  );
  const ccp = ccpFor(server.addr.port);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("x-should-retry"), "false");
    assert.equal(res.headers.get("retry-after"), "86400");
    assert.match((await res.json()).error.message, /still loading the model/);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
