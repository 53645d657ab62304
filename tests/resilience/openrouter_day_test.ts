/**
 * OpenRouter's free-models-per-day limit lifts at the reset its 429 relays (the next UTC
 * midnight): the key cools until then for every free model (a stated moment, past the half-hour
 * cap of an ordinary hint), and Claude Code is told that wait, not 1800 s.
 */

import assert from "node:assert/strict";
import { classify } from "../../src/resilience/classify.ts";
import { provider } from "../helpers/config.ts";
import { askRefusingUpstream } from "../helpers/refusing_upstream.ts";

const HOUR = 3_600_000;

/** OpenRouter's 429 body for a spent daily (or minute) free-model limit, as its API sends it. */
function freeLimit429(which: "day" | "min", resetAt: number): string {
  return JSON.stringify({
    error: {
      message: which === "day"
        ? "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"
        : "Rate limit exceeded: free-models-per-min. ",
      code: 429,
      metadata: {
        headers: {
          "X-RateLimit-Limit": which === "day" ? "50" : "20",
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": String(resetAt),
        },
        provider_name: null,
      },
    },
    user_id: "user_2abc",
  });
}

const NOW = Date.parse("2026-12-07T10:00:00Z");
const judge = (bodyText: string) =>
  classify({ status: 429, bodyText }, { fallbackOn: [], now: NOW, model: "qwen/qwen3-coder:free" });

Deno.test("a spent free-models-per-day cools the free models until the reset OpenRouter relays", () => {
  assert.deepEqual(judge(freeLimit429("day", NOW + 14 * HOUR)), {
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 14 * HOUR,
    scope: "free_models",
    stated: true,
  });
});

Deno.test("a spent free-models-per-min keeps its reset as an ordinary hint", () => {
  const verdict = judge(freeLimit429("min", NOW + 40_000));
  assert.equal(verdict.stated, undefined);
  assert.equal(verdict.retryAfterMs, 40_000);
});

Deno.test("a relayed reset already past says nothing of when: no wait of 0 s", () => {
  // This clock ahead of OpenRouter's, at its midnight: the limit still holds there. Read as
  // "retry in 0 s", every key was asked again (and refused) at once, request after request.
  for (const which of ["day", "min"] as const) {
    const verdict = judge(freeLimit429(which, NOW - 30_000));
    assert.equal(verdict.action, "rotate_key");
    assert.equal(verdict.retryAfterMs, undefined, which);
    assert.equal(verdict.stated, undefined, which);
  }
});

Deno.test("Claude Code is told to come back at OpenRouter's reset, not in 1800 s", async () => {
  const resetAt = Date.now() + 14 * HOUR;
  const { res, answer, asked } = await askRefusingUpstream(
    { status: 429, body: freeLimit429("day", resetAt) },
    (origin) =>
      provider("or", {
        type: "anthropic",
        preset: "open_router",
        baseUrl: `${origin}/api`,
        apiKeys: ["sk-or-v1-test-free-day-0001"],
        authHeader: "bearer",
      }),
    "or/qwen/qwen3-coder:free",
  );
  assert.equal(res.status, 429);
  const wait = Number(res.headers.get("retry-after"));
  const expected = (resetAt - Date.now()) / 1000;
  assert.ok(
    Math.abs(wait - expected) < 5,
    `retry-after ${wait}, expected ~${expected}`,
  );
  assert.equal(res.headers.get("x-should-retry"), "false");
  assert.match(answer.error.message, /free-models-per-day/);
  assert.match(answer.error.message, new RegExp(`Retry in ${wait}s, at .* UTC\\.$`));
  assert.equal(asked, 1);
});
