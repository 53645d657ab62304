/**
 * A local server's short password (`--api-key abc123`) quoted back in its error reaches neither
 * the client nor the log, and the same characters inside other text (a port, a model name) stay.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

Deno.test("a short key an upstream quotes in its refusal is taken out of the client's error and the log", async () => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({
        type: "error",
        error: {
          type: "authentication_error",
          message: "Invalid API key abc123 for abc1234-instruct on port 8abc123",
        },
      }, { status: 401 }),
  );
  const baseUrl = `http://127.0.0.1:${upstream.addr.port}`;
  const ccp = startCcp(testConfig({
    providers: [provider("local", { baseUrl, apiKeys: ["abc123"], maxRetries: 0 })],
    routes: { default: "local/qwen3" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    const body = await res.json();
    assert.equal(body.type, "error");
    const message = String(body.error.message);
    assert.match(message, /Invalid API key \[redacted\] for abc1234-instruct on port 8abc123/);
    const logged = ccp.logs.join("");
    assert.match(logged, /\[redacted\]/);
    assert.doesNotMatch(logged.replaceAll("abc1234", "").replaceAll("8abc123", ""), /abc123/);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});
