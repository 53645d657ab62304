import assert from "node:assert/strict";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  parseDuration,
  parseRetryAfter,
  retryAfterFromHeaders,
} from "../../src/resilience/backoff.ts";

const NOW = Date.UTC(2026, 0, 1);

Deno.test("backoffDelay", async (t) => {
  const opts = { baseMs: 1000, maxMs: 8000, maxRetryAfterMs: 60_000 };
  await t.step("full jitter stays within [0, base·2^n)", () => {
    for (const attempt of [0, 1, 2, 3]) {
      const ceiling = 1000 * 2 ** attempt;
      assert.equal(backoffDelay(attempt, { ...opts, random: () => 0 }), 0);
      const top = backoffDelay(attempt, { ...opts, random: () => 0.999999 });
      assert.ok(top < ceiling && top >= ceiling * 0.99, `attempt ${attempt}: ${top}`);
    }
  });
  await t.step("the ceiling stops at maxMs", () => {
    assert.equal(backoffDelay(10, { ...opts, random: () => 0.5 }), 4000);
    assert.equal(backoffDelay(50, { ...opts, random: () => 0.5 }), 4000);
  });
  await t.step("a Retry-After hint replaces jitter, capped", () => {
    assert.equal(backoffDelay(0, opts, 2500), 2500);
    assert.equal(backoffDelay(5, opts, 0), 0);
    assert.equal(backoffDelay(0, opts, 3_600_000), 60_000);
  });
  await t.step("defaults are 1 s base, 30 s max", () => {
    assert.equal(backoffDelay(20, { ...DEFAULT_BACKOFF, random: () => 0.5 }), 15_000);
  });
});

Deno.test("parseRetryAfter", async (t) => {
  const cases: [string | null, number | undefined][] = [
    ["12", 12_000],
    [" 3 ", 3000],
    ["1.5", 1500],
    ["0", 0],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30_000],
    ["Wed, 31 Dec 2025 23:59:00 GMT", 0],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(parseRetryAfter(input, NOW), expected));
  }
});

Deno.test("parseDuration", async (t) => {
  const cases: [string, number | undefined][] = [
    ["1s", 1000],
    ["6m0s", 360_000],
    ["20ms", 20],
    ["2m59.56s", 179_560],
    ["1h", 3_600_000],
    ["7.66s", 7660],
    ["5", 5000],
    ["abc", undefined],
    ["", undefined],
  ];
  for (const [input, expected] of cases) {
    await t.step(input || "(empty)", () => assert.equal(parseDuration(input), expected));
  }
});

Deno.test("retryAfterFromHeaders", async (t) => {
  const at = (init: Record<string, string>) => retryAfterFromHeaders(new Headers(init), NOW);
  await t.step("retry-after-ms wins over retry-after", () => {
    assert.equal(at({ "retry-after-ms": "250", "retry-after": "9" }), 250);
  });
  await t.step("retry-after in seconds or as a date", () => {
    assert.equal(at({ "retry-after": "7" }), 7000);
    assert.equal(at({ "retry-after": "Thu, 01 Jan 2026 00:01:00 GMT" }), 60_000);
  });
  await t.step("OpenAI/Groq reset of the exhausted kind", () => {
    assert.equal(
      at({
        "x-ratelimit-remaining-requests": "5",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "6m0s",
      }),
      360_000,
    );
  });
  await t.step("Cerebras: a reset per window, in seconds", () => {
    const cerebras = {
      "x-ratelimit-limit-requests-day": "14400",
      "x-ratelimit-remaining-requests-day": "14000",
      "x-ratelimit-reset-requests-day": "33011.38",
      "x-ratelimit-limit-tokens-minute": "60000",
      "x-ratelimit-remaining-tokens-minute": "1200",
      "x-ratelimit-reset-tokens-minute": "11.38",
    };
    // The minute's tokens are short of what the request reserves: the minute's reset lifts it.
    assert.equal(at(cerebras), 11_380);
    // The day's requests are spent: only the day's reset lifts it.
    assert.equal(at({ ...cerebras, "x-ratelimit-remaining-requests-day": "0" }), 33_011_380);
  });
  await t.step("without a remaining-0 marker the soonest reset is used", () => {
    assert.equal(
      at({ "x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "30s" }),
      2000,
    );
  });
  await t.step("Anthropic RFC 3339 resets", () => {
    assert.equal(
      at({
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:45Z",
      }),
      45_000,
    );
  });
  await t.step("a Claude plan's limit: unified-reset (epoch seconds) once the plan refuses", () => {
    const reset = String(NOW / 1000 + 3 * 3600);
    assert.equal(
      at({
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": reset,
      }),
      3 * 3_600_000,
    );
    // A 429 while the plan still allows requests is a momentary throttle: the window's reset,
    // hours away, is no wait hint.
    for (const status of ["allowed", "allowed_warning"]) {
      assert.equal(
        at({
          "anthropic-ratelimit-unified-status": status,
          "anthropic-ratelimit-unified-reset": reset,
        }),
        undefined,
      );
    }
    // retry-after, when sent, still wins; a reset already past waits nothing; garbage is no hint.
    assert.equal(
      at({
        "retry-after": "7",
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": reset,
      }),
      7000,
    );
    assert.equal(
      at({
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(NOW / 1000 - 60),
      }),
      0,
    );
    assert.equal(
      at({
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": "soon",
      }),
      undefined,
    );
  });
  await t.step("no hint at all", () => {
    assert.equal(at({}), undefined);
    assert.equal(retryAfterFromHeaders(undefined, NOW), undefined);
  });
});
