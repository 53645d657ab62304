/**
 * Claude Code reads any error message that mentions `x-api-key` as its own key or login being
 * wrong, whatever the status ("Not logged in · Please run /login"). Anthropic refuses a key with
 * "invalid x-api-key": when that is ccp's key for a provider, the client must not be told so in
 * those words. ccp's refusal of the client's own token keeps them: there they are right.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const REQUEST = {
  model: "claude-sonnet-4-5",
  max_tokens: 8,
  messages: [{ role: "user", content: "hi" }],
};

Deno.test("an upstream's 'invalid x-api-key' reaches the client without the header's name", async () => {
  const up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json(
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
      { status: 401 },
    );
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", {
        preset: "anthropic",
        baseUrl: `http://127.0.0.1:${up.addr.port}`,
        apiKeys: ["sk-ant-revoked-0123456789"],
        maxRetries: 0,
      }),
    ],
    routes: { default: "claude/claude-sonnet-4-5" },
  }));
  try {
    const res = await postMessages(ccp.url, REQUEST);
    const body = await res.json();
    assert.ok(res.status >= 500, `status ${res.status}`);
    assert.doesNotMatch(body.error.message, /x-api-key/i);
    assert.match(body.error.message, /answered HTTP 401 .*: invalid API key/);
    // The log keeps the provider's own words.
    assert.ok(ccp.logs.some((line) => line.includes("invalid x-api-key")), ccp.logs.join("\n"));
  } finally {
    await ccp.close();
    await up.shutdown();
  }
});

Deno.test("ccp's refusal of the client's own token still names x-api-key", async () => {
  const ccp = startCcp(testConfig({
    providers: [provider("up")],
    routes: { default: "up/m" },
    authToken: "right-token",
  }));
  try {
    const res = await postMessages(ccp.url, REQUEST, { "x-api-key": "wrong-token" });
    const body = await res.json();
    assert.equal(res.status, 401);
    assert.match(body.error.message, /x-api-key/);
  } finally {
    await ccp.close();
  }
});
