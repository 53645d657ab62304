import assert from "node:assert/strict";
import {
  clientErrorOf,
  clientErrorOfType,
  errorTypeOfUpstream,
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
