/**
 * An upstream whose count_tokens answer never ends (or decodes to gigabytes) is not read into
 * memory: past what a count can take, ccp stops reading and counts locally at once.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

Deno.test("count_tokens: an endless upstream answer is cut short and counted locally", async () => {
  let sent = 0;
  const piece = new TextEncoder().encode(" ".repeat(64 * 1024));
  const LIMIT = 256 * 1024 * 1024;
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            // Bounded only so that a ccp that reads it all still ends the test.
            if (sent >= LIMIT) return controller.close();
            sent += piece.length;
            controller.enqueue(piece);
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
  );
  const ccp = startCcp(testConfig({
    providers: [
      provider("up", {
        baseUrl: `http://127.0.0.1:${upstream.addr.port}`,
        apiKeys: ["k-1234567890"],
        countTokens: true,
      }),
    ],
    routes: { default: "up/def" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.deepEqual(await res.json(), { input_tokens: 7 });
    assert.ok(sent < 32 * 1024 * 1024, `ccp read ${sent} bytes of a count`);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});
