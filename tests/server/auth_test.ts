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
