import assert from "node:assert/strict";
import { errorTypeOfCode, refusalStatus } from "../../src/core/upstream_status.ts";

Deno.test("OpenAI-style error codes → Anthropic error types; a refused key is never the client's", async (t) => {
  const table: Array<[string | undefined, string]> = [
    [undefined, "api_error"],
    ["invalid_api_key", "api_error"],
    ["authentication_error", "api_error"],
    ["permission_denied", "api_error"],
    ["unauthorized", "api_error"],
    ["rate_limit_exceeded", "rate_limit_error"],
    ["insufficient_quota", "rate_limit_error"],
    ["server_is_overloaded", "overloaded_error"],
    ["context_length_exceeded", "invalid_request_error"],
    ["invalid_prompt", "invalid_request_error"],
    ["server_error", "api_error"],
  ];
  for (const [code, type] of table) {
    await t.step(`${code ?? "no code"} → ${type}`, () => assert.equal(errorTypeOfCode(code), type));
  }
});

Deno.test("a refused key mid-stream stands for the status it would have before the stream", async (t) => {
  const table: Array<[number | undefined, string | undefined, number | undefined]> = [
    [401, undefined, 401],
    [402, undefined, 402],
    [403, undefined, 403],
    [undefined, "invalid_api_key", 401],
    [undefined, "authentication_error", 401],
    [undefined, "unauthorized", 401],
    [undefined, "permission_error", 403],
    [undefined, "permission_denied", 403],
    [undefined, "forbidden", 403],
    // Anything else is read from its type, as before.
    [429, undefined, undefined],
    [500, "unauthorized", undefined],
    [undefined, "rate_limit_exceeded", undefined],
    [undefined, "server_is_overloaded", undefined],
    [undefined, undefined, undefined],
  ];
  for (const [status, code, standsFor] of table) {
    await t.step(`${status ?? "-"} ${code ?? "-"} → ${standsFor ?? "its type"}`, () => {
      assert.equal(refusalStatus(status, code), standsFor);
    });
  }
});
