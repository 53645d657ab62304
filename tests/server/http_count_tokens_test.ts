/** POST /v1/messages/count_tokens: forwarded to an Anthropic upstream, counted locally when it cannot be. */

import assert from "node:assert/strict";
import { auth, withCcp } from "./_http_surface_env.ts";

Deno.test("count_tokens: forwarded to an Anthropic upstream, local when it cannot", async (t) => {
  await t.step("upstream answers", async () => {
    await withCcp([{ kind: "json", body: { input_tokens: 4242 } }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens?beta=true`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 4242 });
      assert.equal(mock.requests[0]!.path, "/v1/messages/count_tokens");
      assert.equal(mock.requests[0]!.body!.model, "son");
    });
  });
  await t.step("upstream fails → local count", async () => {
    await withCcp(
      [{ kind: "json", status: 404, body: { error: { message: "no" } } }],
      async (ccp) => {
        const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.deepEqual(await res.json(), { input_tokens: 7 });
      },
    );
  });
  await t.step("a failing count endpoint leaves the Messages breaker closed", async () => {
    // Many Anthropic-compatible servers have no working count_tokens: each failure is answered
    // with the local count, and must not open the breaker that steers Messages away.
    const broken = { kind: "json" as const, status: 500, body: { error: { message: "none" } } };
    await withCcp([broken, broken, broken, broken, broken, broken, broken, broken], async (ccp) => {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "haiku", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.deepEqual(await res.json(), { input_tokens: 7 });
      }
      const health = await (await fetch(`${ccp.url}/health`, { headers: auth })).json();
      const breaker = health.resilience.targets["alt/h1"] ?? { state: "closed", failures: 0 };
      assert.deepEqual([breaker.state, breaker.failures], ["closed", 0]);
    });
  });
  await t.step("provider without count_tokens → local, no upstream call", async () => {
    await withCcp([{ kind: "hang" }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 7 });
      assert.equal(mock.requests.length, 0);
    }, { countTokens: false });
  });
  await t.step("validation: messages required, max_tokens not", async () => {
    await withCcp([{ kind: "hang" }], async (ccp) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m" }),
      });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error.message, /^messages: Field required$/);
    });
  });
});
