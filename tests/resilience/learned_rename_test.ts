/**
 * A reload that renames a provider (`providers.old` becomes `providers.new`, the same base_url and
 * key, the routes following) keeps what its server was found to refuse: the lessons are kept by
 * server, not by name, so the first request after the reload costs no refused round trip.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Obj = Record<string, unknown>;

/** An Anthropic-compatible server (not Anthropic) answering 400 to what `refuses` names. */
function startServer(refuses: (body: Obj) => string | undefined) {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const refusal = refuses(body);
    if (refusal !== undefined) {
      const error = { type: "invalid_request_error", message: refusal };
      return Response.json({ type: "error", error }, { status: 400 });
    }
    return Response.json({
      id: `msg_${bodies.length}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}

const config = (id: string, baseUrl: string) =>
  testConfig({
    providers: [provider(id, { baseUrl, apiKeys: ["sk-gw-0123456789abcdef"], maxRetries: 0 })],
    routes: { default: `${id}/glm-5` },
  });

async function renamed(
  refuses: (body: Obj) => string | undefined,
  request: Obj,
): Promise<Obj[][]> {
  const up = startServer(refuses);
  const ccp = startCcp(config("old", up.url));
  const ask = async () => {
    const before = up.bodies.length;
    const res = await postMessages(ccp.url, request);
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    return up.bodies.slice(before);
  };
  try {
    const first = await ask();
    ccp.setConfig(config("new", up.url));
    return [first, await ask()];
  } finally {
    await ccp.close();
    await up.close();
  }
}

Deno.test("a parameter the server refused under the old name is left out under the new one at once", async () => {
  const [before, after] = await renamed(
    (b) => b.thinking !== undefined ? "thinking: Extra inputs are not permitted" : undefined,
    {
      model: "claude-sonnet-4-5",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "hi" }],
    },
  );
  assert.deepEqual(before!.map((b) => b.thinking !== undefined), [true, false]);
  assert.deepEqual(after!.map((b) => b.thinking !== undefined), [false], "no refused round trip");
});

Deno.test("thinking the server refused under the old name is left out under the new one at once", async () => {
  const elsewhere = { type: "thinking", thinking: "made elsewhere", signature: "sig-elsewhere" };
  const signed = (b: Obj) =>
    JSON.stringify(b.messages).includes("sig-elsewhere")
      ? "messages.1.content.0: Invalid `signature` in `thinking` block"
      : undefined;
  const [before, after] = await renamed(signed, {
    model: "claude-sonnet-4-5",
    max_tokens: 2000,
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [elsewhere, { type: "text", text: "hello" }] },
      { role: "user", content: "and now?" },
    ],
  });
  assert.equal(before!.length, 2, "refused once, then sent without it");
  assert.equal(after!.length, 1, "no refused round trip");
  assert.equal(signed(after![0]!), undefined);
});
