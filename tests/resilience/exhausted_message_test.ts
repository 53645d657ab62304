import assert from "node:assert/strict";
import { ProxyError } from "../../src/core/errors.ts";
import { exhaustedError } from "../../src/resilience/exhausted.ts";
import type { TargetOutcome } from "../../src/resilience/outcome.ts";
import type { KeysUnavailable } from "../../src/resilience/key_report.ts";

const PLAN_HEADERS = {
  "anthropic-ratelimit-unified-status": "rejected",
  "anthropic-ratelimit-unified-representative-claim": "five_hour",
};

/** A plan's 429 whose message is a full sentence, as Anthropic's is. */
function spentPlan(detail: string): TargetOutcome {
  return {
    kind: "failed",
    target: { provider: "claude", model: "claude-sonnet-4-5" },
    failure: { status: 429, relayHeaders: PLAN_HEADERS },
    verdict: { action: "next_target", cause: "rate_limit", retryAfterMs: 7_200_000 },
    detail,
  } as TargetOutcome;
}

/** A target passed over for its keys: none cooling or set aside unless `keys` says so. */
function keysOutcome(
  provider: string,
  model: string,
  keys: Partial<KeysUnavailable>,
): TargetOutcome {
  return {
    kind: "keys",
    target: { provider, model },
    keys: {
      reason: "cooling",
      cooling: 0,
      blocked: 0,
      retryAt: 30_000,
      hinted: true,
      recentStatuses: [],
      keyless: false,
      ...keys,
    },
  };
}

/** A target that answered HTTP 503, the route's last. */
function answered503(provider: string, model: string): TargetOutcome {
  return {
    kind: "failed",
    target: { provider, model },
    failure: { status: 503 },
    verdict: { action: "next_target", cause: "server" },
    detail: "HTTP 503",
  } as TargetOutcome;
}

Deno.test("model_cooldown after an upstream message that ends its sentence: one full stop, not two", () => {
  const detail = 'Provider "claude" (model claude-sonnet-4-5) answered HTTP 429: ' +
    "This request would exceed your account's rate limit. Please try again later.";
  const error = exhaustedError([spentPlan(detail)], 0);
  assert.deepEqual(error.toAnthropicError(), {
    type: "error",
    error: {
      type: "rate_limit_error",
      message: "All credentials are cooling down after rate limits (429): " + detail +
        " Retry in 7200s, at 1970-01-01 02:00 UTC.",
      code: "model_cooldown",
      retry_after: 7200,
    },
  });
  // The plan's own headers ride on ccp's 429: Claude Code reads the limit and its reset there.
  assert.deepEqual(error.headers, { ...PLAN_HEADERS, "Retry-After": "7200" });
});

Deno.test("a fallback's failure says what the route's earlier targets did: a 429 resting, until when", () => {
  const resting = keysOutcome("anthropic", "claude-sonnet-4-5", { cooling: 1 });
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): tcp connect error: Connection refused"),
  });
  const unreachable = {
    kind: "failed",
    target: { provider: "openrouter", model: "anthropic/claude-sonnet-4.5" },
    failure: { error: refused },
    verdict: { action: "next_target", cause: "connect" },
    detail: "connection refused",
  } as TargetOutcome;
  const error = exhaustedError([resting, unreachable], 0);
  assert.equal(error.status, 502);
  assert.equal(
    error.message,
    'provider "openrouter" model "anthropic/claude-sonnet-4.5" failed: connection refused. ' +
      'Tried before it: provider "anthropic" model "claude-sonnet-4-5" (429, usable again in 30s).',
  );
  // Alone, the failure reads as before.
  assert.equal(
    exhaustedError([unreachable], 0).message,
    'provider "openrouter" model "anthropic/claude-sonnet-4.5" failed: connection refused',
  );
});

Deno.test("a prompt too long for the last target keeps Anthropic's words whole, earlier targets or not", () => {
  const words = "prompt is too long: 70000 tokens > 64000 maximum";
  const tooLong = (provider: string): TargetOutcome => ({
    kind: "failed",
    target: { provider, model: "m" },
    failure: { status: 400, error: new ProxyError("invalid_request_error", words) },
    verdict: { action: "next_target", cause: "target" },
    detail: words,
  });
  const error = exhaustedError([tooLong("small"), tooLong("large")], 0);
  assert.equal(error.status, 400);
  assert.equal(error.message, words);
});

Deno.test("a keyless earlier target that answered 401 is named as keyless, as the route's own clause names it", () => {
  const keyless = keysOutcome("local", "qwen3-coder", {
    reason: "blocked",
    blocked: 1,
    retryAt: 60_000,
    hinted: false,
    recentStatuses: [401],
    keyless: true,
  });
  assert.equal(
    exhaustedError([keyless, answered503("openrouter", "qwen/qwen3-coder")], 0).message,
    'provider "openrouter" model "qwen/qwen3-coder" failed: HTTP 503. ' +
      'Tried before it: provider "local" model "qwen3-coder" ' +
      "(no API key is set for it and it answered 401).",
  );
});

Deno.test("an earlier target with keys both cooling and set aside names both in its few words", () => {
  const mixed = keysOutcome("groq", "llama-3.3-70b", {
    cooling: 1,
    blocked: 2,
    recentStatuses: [403, 401],
  });
  assert.equal(
    exhaustedError([mixed, answered503("openrouter", "meta-llama/llama-3.3-70b")], 0).message,
    'provider "openrouter" model "meta-llama/llama-3.3-70b" failed: HTTP 503. ' +
      'Tried before it: provider "groq" model "llama-3.3-70b" ' +
      "(429, usable again in 30s; keys refused with 403, 401).",
  );
});
