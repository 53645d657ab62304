/** Messages that name the upstream's address never carry credentials written into its base_url. */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

Deno.test("a first-byte timeout names the upstream without the token in its base_url", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    // Late: it answers once ccp has given up on it (at its 200 ms first-byte limit) and closed
    // the request, or at 1.5 s; shutting the server down waits for this answer.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1500);
      req.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    return new Response("late", { status: 500 });
  });
  const ccp = startCcp(testConfig({
    providers: [provider("gw", {
      type: "openai",
      baseUrl: `http://tok3n@127.0.0.1:${server.addr.port}/v1`,
      maxRetries: 0,
      timeouts: { connectMs: 5_000, firstByteMs: 200, idleMs: 5_000, totalMs: 0 },
    })],
    routes: { default: "gw/m" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    const body = await res.json();
    const message = body.error.message as string;
    assert.equal(res.status, 504, message);
    assert.ok(message.includes(`127.0.0.1:${server.addr.port}/v1/chat/completions`), message);
    assert.ok(!message.includes("tok3n"), message);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
