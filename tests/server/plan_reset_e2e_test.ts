/**
 * Z.AI's GLM Coding Plan answers a spent usage window with a 429 whose message alone says when
 * it lifts, in China Standard Time (UTC+8) without a zone: ccp cools the key until then and says
 * so, in Retry-After and in words.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type MockReply, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { expectError, type Health } from "./_resilience_env.ts";

const HOUR = 3_600_000;
const KEY_A = "zai-key-a-0001";
const KEY_B = "zai-key-b-0002";

/** `at` as Z.AI writes it: China Standard Time, no zone. */
function chinaTime(at: number): string {
  return new Date(at + 8 * HOUR).toISOString().slice(0, 19).replace("T", " ");
}

function spentWindow(resetAt: number): MockReply {
  return {
    kind: "json",
    status: 429,
    body: {
      type: "error",
      error: {
        type: "1308",
        message: `Usage limit reached for 5 hour. Your limit will reset at ${chinaTime(resetAt)}`,
      },
    },
  };
}

const body = {
  model: "claude-sonnet-4-5",
  max_tokens: 64,
  messages: [{ role: "user", content: "hi" }],
};

function zai(url: string, keys: string[]) {
  return startCcp(testConfig({
    providers: [provider("zai", { preset: "zai", baseUrl: url, apiKeys: keys })],
    routes: { default: "zai/glm-4.6" },
  }));
}

Deno.test("a spent GLM Coding Plan window: the client is told when, in Retry-After and words", async () => {
  const resetAt = Date.now() + 3 * HOUR;
  const upstream = startAnthropicMock([spentWindow(resetAt)]);
  const ccp = zai(upstream.url, [KEY_A]);
  try {
    const res = await postMessages(ccp.url, body);
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(Math.abs(retryAfter - 3 * 3600) <= 5, `retry-after ${retryAfter}`);
    assert.equal(res.headers.get("x-should-retry"), "false");
    const error = await expectError(res, 429, "rate_limit_error");
    assert.equal(error.code, "model_cooldown");
    const utc = new Date(resetAt).toISOString().slice(0, 16).replace("T", " ");
    assert.ok(error.message.includes(`at ${utc} UTC`), error.message);
    assert.match(error.message, /Usage limit reached for 5 hour/);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a spent GLM Coding Plan window cools that key until the reset, past the usual cap", async () => {
  const resetAt = Date.now() + 3 * HOUR;
  const upstream = startAnthropicMock([
    spentWindow(resetAt),
    { kind: "stream", events: textTurn("glm-4.6", 1) },
  ]);
  const ccp = zai(upstream.url, [KEY_A, KEY_B]);
  const keyOf = (i: number) => upstream.requests[i]!.headers.get("x-api-key");
  try {
    const first = await postMessages(ccp.url, body);
    assert.equal(first.status, 200, "the other key served");
    await first.body?.cancel();
    const spent = keyOf(0);
    assert.notEqual(keyOf(1), spent);
    const health: Health = await (await fetch(`${ccp.url}/health`)).json();
    const cooling = health.resilience.providers.zai!.keys.filter((k) => k.state === "cooling");
    assert.equal(cooling.length, 1);
    const until = (cooling[0] as unknown as { until: number }).until;
    assert.ok(Math.abs(until - resetAt) <= 5000, `cools until ${new Date(until).toISOString()}`);
    const second = await postMessages(ccp.url, body);
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.equal(upstream.requests.length, 3);
    assert.notEqual(keyOf(2), spent, "the spent key is not asked again");
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a spent Claude plan's stated reset cools the key until then, past the usual cap", async () => {
  const resetAt = Date.now() + 3 * HOUR;
  const upstream = startAnthropicMock([
    {
      kind: "json",
      status: 429,
      body: { type: "error", error: { type: "rate_limit_error", message: "rate limited" } },
      headers: {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(Math.round(resetAt / 1000)),
        "anthropic-ratelimit-unified-representative-claim": "five_hour",
      },
    },
    { kind: "stream", events: textTurn("claude-sonnet-4-5", 1) },
  ]);
  const ccp = startCcp(testConfig({
    providers: [provider("claude", {
      type: "anthropic",
      baseUrl: upstream.url,
      apiKeys: ["sk-ant-oat01-plan-a-0001", "sk-ant-oat01-plan-b-0002"],
    })],
    routes: { default: "claude/claude-sonnet-4-5" },
  }));
  try {
    const first = await postMessages(ccp.url, body);
    assert.equal(first.status, 200, "the other key served");
    await first.body?.cancel();
    const health: Health = await (await fetch(`${ccp.url}/health`)).json();
    const cooling = health.resilience.providers.claude!.keys.filter((k) => k.state === "cooling");
    assert.equal(cooling.length, 1);
    const until = (cooling[0] as unknown as { until: number }).until;
    assert.ok(Math.abs(until - resetAt) <= 5000, `cools until ${new Date(until).toISOString()}`);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
