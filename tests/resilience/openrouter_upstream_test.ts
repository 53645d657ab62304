/**
 * OpenRouter's 429s: its free models' minute limit counts them together (another free model on
 * the key is refused too, while paid ones serve) and lifts at the reset it relays; a routed
 * provider's 429 (`metadata.raw`) is about OpenRouter's account there, for that one model, so the
 * key rests for that model only, for the wait the provider gave, never as spent or for a day.
 */

import assert from "node:assert/strict";
import { classify } from "../../src/resilience/classify.ts";
import { FREE_MODELS, type KeyLease, KeyPool } from "../../src/resilience/key_pool.ts";
import { HI, openRouterAt, startOpenRouterMock } from "../helpers/open_router_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { FakeClock } from "./fake_clock.ts";

const NOW = Date.parse("2026-12-07T10:00:00Z");
const MODEL = "google/gemini-2.0-flash-exp:free";
const judge = (body: unknown, headers?: Headers) =>
  classify({ status: 429, bodyText: JSON.stringify(body), headers }, {
    fallbackOn: [],
    now: NOW,
    model: MODEL,
  });

/** OpenRouter's 429 relaying a routed provider's own error body. */
const routed = (raw: string, provider = "Google AI Studio") => ({
  error: {
    message: "Provider returned error",
    code: 429,
    metadata: { raw, provider_name: provider },
  },
  user_id: "user_2abc",
});

// Google's 429 for OpenRouter's own key: a day's quota spent, and a wait of seconds.
const GOOGLE_DAY = JSON.stringify({
  error: {
    code: 429,
    message:
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    status: "RESOURCE_EXHAUSTED",
    details: [{
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{
        quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
        quotaValue: "1500",
      }],
    }, { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "38s" }],
  },
});

Deno.test("a routed provider's quota rests the key for that model only, for the wait it gave", () => {
  assert.deepEqual(judge(routed(GOOGLE_DAY)), {
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 38_000,
    scope: "model",
  });
  assert.deepEqual(
    judge(routed("You exceeded your current quota, please check your plan and billing details.")),
    { action: "rotate_key", cause: "rate_limit", scope: "model" },
  );
});

Deno.test("a routed provider's spent credits are not the OpenRouter key's", () => {
  const raw = JSON.stringify({
    error: { message: "You exceeded your current quota", type: "insufficient_quota" },
  });
  assert.deepEqual(judge(routed(raw, "OpenAI")), {
    action: "rotate_key",
    cause: "rate_limit",
    scope: "model",
  });
});

Deno.test("OpenRouter's own words are still the key's: a spent balance sets it aside", () => {
  // No provider named: OpenRouter speaks of the key itself.
  const own = { error: { message: "Insufficient balance", code: 429, metadata: { raw: "x" } } };
  assert.equal(judge(own).cause, "auth");
});

const freeMinute = (resetAt: number) => ({
  error: {
    message: "Rate limit exceeded: free-models-per-min. ",
    code: 429,
    metadata: {
      headers: {
        "X-RateLimit-Limit": "20",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": String(resetAt),
      },
      provider_name: null,
    },
  },
  user_id: "user_2abc",
});

Deno.test("a spent free-models-per-min rests every free model of the key until its reset", () => {
  assert.deepEqual(judge(freeMinute(NOW + 40_000)), {
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 40_000,
    scope: "free_models",
  });
});

Deno.test("OpenRouter's X-RateLimit-Reset header (epoch ms) is a wait hint; others' are not", () => {
  const body = { error: { message: "Rate limit exceeded: free-models-per-min. ", code: 429 } };
  const headers = (reset: string) =>
    new Headers({
      "X-RateLimit-Limit": "20",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": reset,
    });
  assert.equal(judge(body, headers(String(NOW + 25_000))).retryAfterMs, 25_000);
  assert.equal(judge(body, headers(String(NOW - 5_000))).retryAfterMs, undefined);
  assert.equal(judge(body, headers("60")).retryAfterMs, undefined);
});

Deno.test("the free models router rests with the key's free models", () => {
  const clock = new FakeClock();
  const pool = new KeyPool(["sk-or-v1-test-router-0001"], { clock });
  const key = (pool.pick("qwen/qwen3-coder:free") as { key: KeyLease }).key;
  pool.rateLimited(key, 40_000, FREE_MODELS, "free-models-per-min");
  assert.equal(pool.pick("openrouter/free").ok, false);
  assert.equal(pool.pick("openai/gpt-5-mini").ok, true);
});

const KEY = "sk-or-v1-test-minute-0001";

Deno.test("a spent minute: the next free model on the key is not asked, a paid one serves", async () => {
  const upstream = startOpenRouterMock();
  upstream.minuteSpent.add(KEY.slice(-4));
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: {
      default: ["or/qwen/qwen3-coder:free", "or/moonshotai/kimi-k2:free", "or/openai/gpt-5-mini"],
    },
  }));
  try {
    const res = await postMessages(ccp.url, HI);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 1);
    assert.equal(upstream.askedFor("moonshotai/kimi-k2:free"), 0, "the other free model was asked");
    assert.equal(upstream.askedFor("openai/gpt-5-mini"), 1);
    const rest = ccp.logs.find((line) => line.includes("the key cools down for"));
    assert.match(rest ?? "", /cools down for \d+s on every free model/, ccp.logs.join("\n"));
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a routed provider's day quota on one model: the key still serves the others", async () => {
  const upstream = startOpenRouterMock();
  upstream.routedQuota.set("google/gemini-2.0-flash-exp:free", GOOGLE_DAY);
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: {
      default: ["or/google/gemini-2.0-flash-exp:free", "or/qwen/qwen3-coder:free"],
      sonnet: ["or/openai/gpt-5-mini"],
    },
  }));
  try {
    const first = await postMessages(ccp.url, { ...HI, model: "claude-opus-4-5" });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 1);
    const second = await postMessages(ccp.url, HI);
    assert.equal(second.status, 200, "the key was rested for every model");
    await second.body?.cancel();
    assert.equal(upstream.askedFor("openai/gpt-5-mini"), 1);
    const rest = ccp.logs.find((line) => line.includes("the key cools down for"));
    assert.match(rest ?? "", /cools down for 38s on this model/, ccp.logs.join("\n"));
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
