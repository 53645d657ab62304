/**
 * count_tokens to an Anthropic-compatible target applies what Messages learned about it (refused
 * `anthropic-beta` values, no images): the count is answered by the upstream at the first try,
 * instead of a refused round trip and then a local count.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textTurn } from "../mocks/anthropic_fixtures.ts";
import { IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";

const BETA = "prompt-caching-scope-2026-01-05";
const UPSTREAM_COUNT = 4242;

interface Seen {
  path: string;
  beta: string | null;
  body: string;
}

const refusal = (message: string) =>
  Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
    status: 400,
  });

/** A gateway that refuses BETA and images on both endpoints, and counts everything else. */
function startGateway() {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const beta = req.headers.get("anthropic-beta");
    const body = await req.text();
    seen.push({ path, beta, body });
    if (beta?.includes(BETA)) {
      return refusal(`Unexpected value(s) \`${BETA}\` for the \`anthropic-beta\` header.`);
    }
    if (body.includes('"type":"image"')) return refusal("This model does not support image input");
    if (path.endsWith("/count_tokens")) return Response.json({ input_tokens: UPSTREAM_COUNT });
    return new Response(encodeEvents(textTurn("m", 2)), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const IMAGE = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } };

Deno.test("count_tokens applies what Messages learned about the same target", async (t) => {
  const gateway = startGateway();
  const ccp = startCcp(testConfig({
    providers: [provider("gateway", { baseUrl: gateway.url })],
    routes: { default: "gateway/claude-opus-4-5" },
  }));
  const messages = [{ role: "user", content: [{ type: "text", text: "what is it?" }, IMAGE] }];
  const post = (path: string, body: Record<string, unknown>) =>
    fetch(`${ccp.url}${path}?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-beta": `claude-code-20250219,${BETA}`,
      },
      body: JSON.stringify({ model: "claude-opus-4-5", messages, ...body }),
    });
  try {
    await t.step("Messages learns: the beta is refused, then the image", async () => {
      const res = await post("/v1/messages", { max_tokens: 100, stream: true });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal(gateway.seen.length, 3, "refused for the beta, for the image, then served");
    });
    await t.step("count_tokens: one request, without the beta and the image", async () => {
      gateway.seen.length = 0;
      const res = await post("/v1/messages/count_tokens", {});
      assert.deepEqual(await res.json(), { input_tokens: UPSTREAM_COUNT });
      assert.equal(gateway.seen.length, 1, "no refused round trip");
      const [count] = gateway.seen;
      assert.equal(count!.path, "/v1/messages/count_tokens");
      assert.equal(count!.beta, "claude-code-20250219");
      assert.ok(count!.body.includes(IMAGE_PLACEHOLDER));
    });
  } finally {
    await ccp.close();
    await gateway.close();
  }
});

Deno.test("count_tokens teaches Messages nothing: a refused count falls back to a local count", async () => {
  const gateway = startGateway();
  const ccp = startCcp(testConfig({
    providers: [provider("gateway", { baseUrl: gateway.url })],
    routes: { default: "gateway/claude-opus-4-5" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-beta": BETA },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    const { input_tokens } = await res.json();
    assert.notEqual(input_tokens, UPSTREAM_COUNT, "counted locally");
    assert.equal(gateway.seen.length, 1, "the count is not retried");
    const health = await (await fetch(`${ccp.url}/health`)).json();
    assert.deepEqual(health.resilience.learned_params, {});
  } finally {
    await ccp.close();
    await gateway.close();
  }
});

/** Counts an image question through `config`: the gateway must get notes at the first try. */
async function countsNotesAtFirstTry(
  gateway: ReturnType<typeof startGateway>,
  config: ReturnType<typeof testConfig>,
): Promise<void> {
  const ccp = startCcp(config);
  try {
    const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: [{ type: "text", text: "what is it?" }, IMAGE] }],
      }),
    });
    assert.deepEqual(await res.json(), { input_tokens: UPSTREAM_COUNT });
    assert.equal(gateway.seen.length, 1, "no refused round trip");
    assert.ok(gateway.seen[0]!.body.includes(IMAGE_PLACEHOLDER));
  } finally {
    await ccp.close();
    await gateway.close();
  }
}

Deno.test("count_tokens to a model configured without images counts the notes Messages sends", async () => {
  const gateway = startGateway();
  await countsNotesAtFirstTry(
    gateway,
    testConfig({
      providers: [provider("gateway", {
        baseUrl: gateway.url,
        modelSettings: { "*": { supports: { images: false } } },
      })],
      routes: { default: "gateway/text-model" },
    }),
  );
});

Deno.test("count_tokens to a route variant configured without images counts the notes too", async () => {
  const gateway = startGateway();
  const config = testConfig({
    providers: [provider("gateway", { baseUrl: gateway.url })],
    routes: { default: "gateway/text-model" },
  });
  // routes: { default: { target: gateway/text-model, supports: { images: false } } }
  (config.routes as Record<string, unknown>).default = [
    { provider: "gateway", model: "text-model", settings: { supports: { images: false } } },
  ];
  await countsNotesAtFirstTry(gateway, config);
});
