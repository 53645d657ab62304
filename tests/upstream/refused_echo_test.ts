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

/**
 * ccp in front of a gateway that refuses a request carrying a tool of type `crafted`, quoting the
 * type back as Anthropic-style validation does, and answers any other; `seen` gets what `saw`
 * reads of each request that reached it.
 */
async function withEchoingGateway(
  crafted: string,
  saw: (req: Request, body: Record<string, unknown>) => unknown,
  run: (
    ask: (init: { headers?: Record<string, string>; body: object }) => Promise<number>,
    seen: unknown[],
  ) => Promise<void>,
): Promise<void> {
  const seen: unknown[] = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.json();
      seen.push(saw(req, body));
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
  const ask = async (init: { headers?: Record<string, string>; body: object }) => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", ...init.headers },
      body: JSON.stringify({
        model: "claude-opus-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
        ...init.body,
      }),
    });
    await res.text();
    return res.status;
  };
  try {
    await run(ask, seen);
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
}

Deno.test("one client's request whose refusal echoes its own text does not take a beta from every client", async () => {
  // A crafted tool type reads back as a refusal of whichever beta that client sent, and the
  // retry without the beta is refused alike.
  const BETA = "interleaved-thinking-2025-05-14";
  const crafted = `Unexpected value(s) \`${BETA}\` for the \`anthropic-beta\` header`;
  const headers = { "anthropic-beta": BETA };
  await withEchoingGateway(
    crafted,
    (req) => req.headers.get("anthropic-beta"),
    async (ask, seen) => {
      assert.equal(await ask({ headers, body: { tools: [{ type: crafted, name: "x" }] } }), 400);
      seen.length = 0;
      assert.equal(await ask({ headers, body: { tools: [] } }), 200);
      assert.deepEqual(seen, [BETA], "another client's request keeps its beta");
    },
  );
});

Deno.test("a refusal that quotes the client's own text back teaches nothing for other clients", async () => {
  // A tool type made to read as a refusal of `top_k`. The refusal places those words in
  // `tools.0`, so they name no top-level parameter: not even sent again without `top_k` (a
  // refusal quoted back that a mend does misread is sent once more and teaches nothing:
  // refusal_mends_test.ts).
  const crafted = "Unsupported parameter: 'top_k'";
  await withEchoingGateway(crafted, (_req, body) => "top_k" in body, async (ask, seen) => {
    const odd = await ask({ body: { top_k: 40, tools: [{ type: crafted, name: "x" }] } });
    assert.equal(odd, 400);
    assert.deepEqual(seen, [true], "the crafted request was not tried again without top_k");
    seen.length = 0;
    assert.equal(await ask({ body: { top_k: 40, tools: [] } }), 200);
    assert.deepEqual(seen, [true], "another client's request keeps its top_k");
  });
});
