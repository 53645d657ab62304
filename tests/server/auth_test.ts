/** Token checks: the comparison, the headers without ccp's own token, one read per request. */

import assert from "node:assert/strict";
import { constantTimeEqual, credentialsOf, withoutOwnToken } from "../../src/server/auth.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

/** The headers an upstream sees: the request's, without those that carried `token`. */
const hidden = (headers: Headers, token: string | undefined) =>
  withoutOwnToken(headers, credentialsOf({}, headers), token);

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
  const seen = hidden(headers, "ccp-tok");
  assert.equal(seen.get("authorization"), null);
  assert.equal(seen.get("x-api-key"), "sk-upstream");
  assert.equal(hidden(headers, undefined), headers);
  assert.equal(hidden(headers, "other"), headers);
});

Deno.test("a token sent twice in one header is hidden too", () => {
  const headers = new Headers([
    ["x-api-key", "ccp-tok"],
    ["x-api-key", "ccp-tok"],
    ["authorization", "Bearer sk-upstream"],
  ]);
  assert.equal(headers.get("x-api-key"), "ccp-tok, ccp-tok");
  const seen = hidden(headers, "ccp-tok");
  assert.equal(seen.get("x-api-key"), null);
  assert.equal(seen.get("authorization"), "Bearer sk-upstream");
  const bearerTwice = new Headers([["authorization", "Bearer ccp-tok"], [
    "authorization",
    "Bearer ccp-tok",
  ]]);
  assert.equal(hidden(bearerTwice, "ccp-tok").get("authorization"), null);
});

Deno.test("a request's credentials are read once: the gate, the model suffix, the upstream's headers", async () => {
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("other", { input_tokens: 3, output_tokens: 1 }),
  }]);
  const config = testConfig({
    providers: [provider("up", { baseUrl: mock.url, apiKeys: ["sk-up-0123456789"] })],
    routes: { default: "up/main" },
    authToken: "ccp-tok",
  });
  const { app } = testApp(config);
  // Each read of the credentials looks at anthropic-auth-token; nothing else in ccp does.
  const get = Headers.prototype.get;
  let reads = 0;
  Headers.prototype.get = function (this: Headers, name: string) {
    if (name === "anthropic-auth-token") reads++;
    return get.call(this, name);
  };
  try {
    const answer = await app.fetch(
      new Request("http://ccp.test/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "ccp-tok:up/other" },
        body: JSON.stringify({
          model: "m",
          max_tokens: 5,
          messages: [{ role: "user", content: "x" }],
        }),
      }),
    );
    assert.equal(answer.status, 200);
    await answer.body?.cancel();
  } finally {
    Headers.prototype.get = get;
    await mock.close();
  }
  assert.equal(reads, 1);
  // The suffix chose the model, and the token never went upstream.
  assert.equal(mock.requests[0]?.body?.model, "other");
  assert.equal(mock.requests[0]?.headers.get("x-api-key"), "sk-up-0123456789");
});
