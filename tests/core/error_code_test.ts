import assert from "node:assert/strict";
import { errorTypeOfCode } from "../../src/core/upstream_status.ts";

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
