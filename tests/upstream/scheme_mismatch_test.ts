/**
 * A base_url with the wrong scheme: `https://` to a server that speaks plain HTTP, or `http://`
 * to one that speaks TLS. fetch says only "fetch failed"; the error names the cause and the fix.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

async function errorVia(baseUrl: string): Promise<string> {
  const ccp = startCcp(testConfig({
    providers: [provider("lm", { type: "openai", baseUrl, apiKeys: ["k"], maxRetries: 0 })],
    routes: { default: ["lm/qwen"] },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 502);
    // No retry can fix a scheme: Claude Code shows the error at once instead of retrying.
    assert.equal(res.headers.get("x-should-retry"), "false");
    return (await res.json()).error.message;
  } finally {
    await ccp.close();
  }
}

Deno.test("https:// to a plain HTTP server says so and names http://", async () => {
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  try {
    const message = await errorVia(`https://127.0.0.1:${plain.addr.port}/v1`);
    assert.match(message, /TLS handshake failed: the server answered in plain HTTP/);
    assert.match(message, /Use http:\/\/ in its base_url/);
  } finally {
    await plain.shutdown();
  }
});

Deno.test("http:// to a TLS server says the answer was not HTTP and names https://", async () => {
  // What a TLS server sends a client that speaks plain HTTP to it: a fatal alert record.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      await conn.read(new Uint8Array(4096)).catch(() => null);
      await conn.write(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])).catch(() => 0);
      conn.close();
    }
  })();
  try {
    const message = await errorVia(`http://127.0.0.1:${listener.addr.port}/v1`);
    assert.match(message, /the answer was not HTTP/);
    assert.match(message, /use https:\/\/ in its base_url/);
  } finally {
    listener.close();
    await served.catch(() => {});
  }
});
