/**
 * GET /v1/models/<id> (the SDKs' `models.retrieve`) says where a request for that name would go,
 * the routing overrides included.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const TOKEN = "ccp-secret";

async function retrieve(url: string, path: string, token = TOKEN) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() };
}

Deno.test("GET /v1/models/<id> under a routing prefix or token suffix says where that sends a request", async () => {
  const ccp = startCcp(testConfig({
    providers: [
      provider("up", { baseUrl: "http://127.0.0.1:9", apiKeys: ["k-1234567890"] }),
      provider("alt", { baseUrl: "http://127.0.0.1:9", models: ["alt-model"] }),
    ],
    routes: { default: "up/def", sonnet: "up/son" },
    authToken: TOKEN,
  }));
  try {
    // Without an override: the route, as listed.
    assert.equal(
      (await retrieve(ccp.url, "/v1/models/sonnet")).json.display_name,
      "sonnet (up/son)",
    );
    // Under `/alt:big/` every request goes to alt/big, whatever model it names; so with the
    // token suffix `:alt/big`.
    for (const id of ["sonnet", "claude-opus-5", "alt/alt-model"]) {
      for (
        const [path, token] of [[`/alt:big/v1/models/${id}`, TOKEN], [
          `/v1/models/${id}`,
          `${TOKEN}:alt/big`,
        ]]
      ) {
        const { status, json } = await retrieve(ccp.url, path!, token);
        assert.equal(status, 200, path);
        assert.equal(json.id, id);
        assert.equal(json.display_name, `${id} (alt/big)`, `${path} ${token}`);
      }
    }
    // A prefix naming no configured provider is refused for every request: 404 here.
    const refused = await retrieve(ccp.url, "/nope:big/v1/models/sonnet");
    assert.equal(refused.status, 404);
    assert.equal(refused.json.error.type, "not_found_error");
    // A picker name ccp does not have (an alias since removed) is refused too: 404 here. The
    // listed ones answer as listed.
    const stale = await retrieve(ccp.url, "/v1/models/claude-ccp/gone");
    assert.equal(stale.status, 404);
    assert.equal(stale.json.error.type, "not_found_error");
    assert.match(stale.json.error.message, /claude-ccp\/gone/);
    assert.equal(
      (await retrieve(ccp.url, "/v1/models/claude-ccp/sonnet")).json.display_name,
      "sonnet (up/son)",
    );
  } finally {
    await ccp.close();
  }
});
