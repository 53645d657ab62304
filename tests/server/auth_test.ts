/** Token checks: the comparison, and the client's headers without ccp's own token. */

import assert from "node:assert/strict";
import { constantTimeEqual, withoutOwnToken } from "../../src/server/auth.ts";

Deno.test("constantTimeEqual is string equality", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["tok", "tok"],
    ["tok", "tak"],
    ["tok", "toke"],
    ["toke", "tok"],
    ["", "x"],
    ["clé-ü", "clé-ü"],
    ["clé-ü", "cle-ü"],
    ["𝄞", "𝄞"],
    ["𝄞", "\ud834"],
    // Two different lone surrogates: encoded to bytes, both became U+FFFD and compared equal.
    ["\ud834", "\udc00"],
  ];
  for (const [a, b] of cases) assert.equal(constantTimeEqual(a, b), a === b, `${a} vs ${b}`);
});

Deno.test("withoutOwnToken hides only the headers that carried ccp's token", () => {
  const headers = new Headers({
    authorization: "Bearer ccp-tok:openai/gpt-5",
    "x-api-key": "sk-upstream",
    "user-agent": "claude-cli",
  });
  const seen = withoutOwnToken(headers, "ccp-tok");
  assert.equal(seen.get("authorization"), null);
  assert.equal(seen.get("x-api-key"), "sk-upstream");
  assert.equal(withoutOwnToken(headers, undefined), headers);
  assert.equal(withoutOwnToken(headers, "other"), headers);
});

Deno.test("a token sent twice in one header is hidden too", () => {
  const headers = new Headers([
    ["x-api-key", "ccp-tok"],
    ["x-api-key", "ccp-tok"],
    ["authorization", "Bearer sk-upstream"],
  ]);
  assert.equal(headers.get("x-api-key"), "ccp-tok, ccp-tok");
  const seen = withoutOwnToken(headers, "ccp-tok");
  assert.equal(seen.get("x-api-key"), null);
  assert.equal(seen.get("authorization"), "Bearer sk-upstream");
  const bearerTwice = new Headers([["authorization", "Bearer ccp-tok"], [
    "authorization",
    "Bearer ccp-tok",
  ]]);
  assert.equal(withoutOwnToken(bearerTwice, "ccp-tok").get("authorization"), null);
});
