/**
 * What an upstream refuses is learned for every later request of every client, so it is learned
 * only once the retry without it is not refused in the same words: an upstream that quotes a
 * client's own text back in a validation error must not let one client change what every other
 * client sends.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textTurn } from "../mocks/anthropic_fixtures.ts";

Deno.test("a refusal that quotes the client's own text back teaches nothing for other clients", async () => {
  // A tool type made to read as a refusal of `top_k`, which this gateway quotes when it refuses
  // the tool; the retry without `top_k` is refused for the tool again, in the same words.
  const crafted = "Unsupported parameter: 'top_k'";
  const seen: boolean[] = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.json();
      seen.push("top_k" in body);
      const odd = (body.tools ?? []).find((t: { type?: string }) => t.type === crafted);
      if (odd) {
        return Response.json({
          type: "error",
          error: {
            type: "invalid_request_error",
            message: `tools.0: Input tag '${odd.type}' found using 'type' does not match any ` +
              "of the expected tags",
          },
        }, { status: 400 });
      }
      return new Response(encodeEvents(textTurn("m", 2)), {
        headers: { "content-type": "text/event-stream" },
      });
    },
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gateway", { baseUrl: `http://127.0.0.1:${upstream.addr.port}` })],
    routes: { default: "gateway/claude-opus-4-5" },
  }));
  const ask = async (tools: unknown[]) => {
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        top_k: 40,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
        tools,
      }),
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    const odd = await ask([{ type: crafted, name: "x" }]);
    assert.equal(odd.status, 400);
    assert.deepEqual(seen, [true, false], "the crafted request was tried again without top_k");
    seen.length = 0;
    const other = await ask([]);
    assert.equal(other.status, 200);
    assert.deepEqual(seen, [true], "another client's request keeps its top_k");
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});
