/**
 * After a reload, /metrics and the status page show the guards of the config in use: a key
 * replaced after a 401 is not shown blocked, a provider removed is not shown at all.
 */

import assert from "node:assert/strict";
import { provider, testConfig } from "../helpers/config.ts";
import { testApp } from "../helpers/ccp.ts";

const OLD_KEY = "sk-revoked-000000000000aaaa";
const NEW_KEY = "sk-renewed-000000000000bbbb";

// Every upstream refuses the key it is sent.
const refusing = () =>
  Promise.resolve(
    Response.json({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key" },
    }, { status: 401 }),
  );

function configWith(keys: Record<string, string>) {
  return testConfig({
    providers: Object.entries(keys).map(([id, key]) =>
      provider(id, { apiKeys: [key], models: ["m"], fallbackOn: [] })
    ),
    routes: { default: Object.keys(keys).map((id) => `${id}/m`) },
  });
}

async function get(app: ReturnType<typeof testApp>["app"], path: string): Promise<string> {
  return await (await app.fetch(new Request(`http://ccp${path}`))).text();
}

Deno.test("/metrics and /ui/state after a reload show the new keys, not the old pool's", async () => {
  const { app, setConfig } = testApp(configWith({ acme: OLD_KEY, gone: OLD_KEY }), {
    fetch: refusing,
  });
  const answer = await app.fetch(
    new Request("http://ccp/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "x",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
  );
  await answer.body?.cancel();
  assert.ok(answer.status >= 400);
  const before = await get(app, "/metrics");
  assert.match(before, /^ccp_keys\{provider="acme",state="blocked"\} 1$/m);
  assert.match(before, /^ccp_keys\{provider="gone",state="blocked"\} 1$/m);

  // The user fixes acme's key and drops `gone`, then sends SIGHUP.
  setConfig(configWith({ acme: NEW_KEY }));
  const text = await get(app, "/metrics");
  assert.match(text, /^ccp_target_keys\{provider="acme",model="m",state="ready"\} 1$/m);
  assert.match(text, /^ccp_target_keys\{provider="acme",model="m",state="blocked"\} 0$/m);
  assert.doesNotMatch(text, /state="blocked"\} 1/);
  // Its requests still count (counters only grow); its guards are no longer shown.
  assert.match(text, /^ccp_upstream_attempts_total\{provider="gone",/m);
  assert.doesNotMatch(
    text,
    /^ccp_(keys|target_keys|limiter_\w+|circuit_breaker_open)\{provider="gone"/m,
  );
  const state = JSON.parse(await get(app, "/ui/state"));
  assert.deepEqual(state.routes[0].targets[0].keys, { ready: 1, cooling: 0, blocked: 0 });
});
