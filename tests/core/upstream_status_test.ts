import assert from "node:assert/strict";
import {
  clientErrorOf,
  clientErrorOfType,
  errorTypeOfUpstream,
  midStreamType,
  midStreamTypeOfStatus,
} from "../../src/core/upstream_status.ts";
import { accumulateAnthropicEvents } from "../../src/translate/anthropic/accumulate.ts";
import { UpstreamError } from "../../src/core/errors.ts";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";

Deno.test("the one status table: an upstream's refusal of its key is never the client's", async (t) => {
  const byStatus: Array<[number | undefined, number, string]> = [
    [400, 400, "invalid_request_error"],
    [401, 502, "api_error"],
    [402, 502, "api_error"],
    [403, 502, "api_error"],
    [404, 404, "not_found_error"],
    [413, 413, "request_too_large"],
    [422, 400, "invalid_request_error"],
    [429, 429, "rate_limit_error"],
    [500, 502, "api_error"],
    [503, 503, "api_error"],
    [529, 529, "overloaded_error"],
    [undefined, 502, "api_error"],
  ];
  for (const [upstream, status, type] of byStatus) {
    await t.step(`HTTP ${upstream ?? "none"} → ${status} ${type}`, () => {
      assert.deepEqual(clientErrorOf(upstream), { status, type });
      assert.equal(errorTypeOfUpstream(upstream), type);
    });
  }
  const byType: Array<[unknown, number, string]> = [
    ["authentication_error", 502, "api_error"],
    ["permission_error", 502, "api_error"],
    ["invalid_request_error", 400, "invalid_request_error"],
    ["not_found_error", 404, "not_found_error"],
    ["request_too_large", 413, "request_too_large"],
    ["rate_limit_error", 429, "rate_limit_error"],
    ["api_error", 502, "api_error"],
    ["overloaded_error", 529, "overloaded_error"],
    ["toString", 502, "api_error"],
    ["something_new", 502, "api_error"],
    [undefined, 502, "api_error"],
  ];
  for (const [upstreamType, status, type] of byType) {
    await t.step(`upstream type ${String(upstreamType)} → ${status} ${type}`, () => {
      assert.deepEqual(clientErrorOfType(upstreamType), { status, type });
    });
  }
  await t.step("a collected answer ending in authentication_error is a 502 api_error", () => {
    const events: AnthropicStreamEvent[] = [
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
    ];
    assert.throws(
      () => accumulateAnthropicEvents(events),
      (error: unknown) =>
        error instanceof UpstreamError && error.status === 502 &&
        error.errorType === "api_error" && /invalid x-api-key/.test(error.message),
    );
  });
});

Deno.test("mid-stream, a server error and a 429 read the same words as the provider out of capacity", async (t) => {
  const capacity = [
    "Server is busy",
    "Server busy. Please try again later.",
    "The service is temporarily unavailable",
    '{"error":{"message":"no capacity available for this model"}}',
    "insufficient_capacity",
    "That model is currently overloaded with other requests",
  ];
  const other = ["Service Unavailable", "Internal server error", "Bad gateway"];
  await t.step(
    "capacity words: overloaded_error from a 5xx, a 429 and an error with no status",
    () => {
      for (const words of capacity) {
        assert.equal(midStreamTypeOfStatus(429, words), "overloaded_error", `429 ${words}`);
        assert.equal(midStreamTypeOfStatus(500, words), "overloaded_error", `500 ${words}`);
        assert.equal(midStreamTypeOfStatus(503, words), "overloaded_error", `503 ${words}`);
        assert.equal(midStreamType("api_error", words), "overloaded_error", `no status: ${words}`);
      }
    },
  );
  await t.step("other words keep the status's type", () => {
    for (const words of other) {
      assert.equal(midStreamTypeOfStatus(503, words), "api_error", words);
      assert.equal(midStreamType("api_error", words), "api_error", words);
      assert.equal(midStreamTypeOfStatus(429, words), "rate_limit_error", words);
    }
  });
  await t.step(
    "'try again later' alone is capacity only from a 429 that names no rate limit",
    () => {
      const later = "Something went wrong, please try again later.";
      assert.equal(midStreamTypeOfStatus(429, later), "overloaded_error");
      assert.equal(midStreamTypeOfStatus(503, later), "api_error");
      assert.equal(midStreamType("api_error", later), "api_error");
      const limited = "Too many requests, please try again later.";
      assert.equal(midStreamTypeOfStatus(429, limited), "rate_limit_error");
    },
  );
});
