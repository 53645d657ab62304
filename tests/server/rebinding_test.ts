/**
 * DNS rebinding against a ccp without a token: a page whose name now points at 127.0.0.1 is the
 * same origin to its browser, which sends no `Origin` with a same-origin GET. Its requests name
 * the page's host, and are refused; ccp's own users, and clients outside a browser, are not.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { testApp } from "../helpers/ccp.ts";

function config(server = "") {
  return configFromYaml({
    file: "c.yaml",
    env: {},
    text: `${server}
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k }
routes: { default: up/m }
`,
  });
}

// What a browser sends with a page's same-origin GET (fetch or EventSource): no Origin.
const BROWSER = { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" };

async function get(
  app: ReturnType<typeof testApp>["app"],
  path: string,
  headers: Record<string, string>,
) {
  const res = await app.fetch(new Request(`http://127.0.0.1:8082${path}`, { headers }));
  const text = await res.text();
  return { status: res.status, text };
}

Deno.test("rebinding: without a token, a browser's request under another host name is refused", async () => {
  const { app } = testApp(config());
  for (const path of ["/ui", "/ui/state", "/metrics", "/v1/ccp/usage", "/health", "/v1/models"]) {
    const res = await get(app, path, { host: "rebound.example:8082", ...BROWSER });
    assert.equal(res.status, 403, path);
    const body = JSON.parse(res.text);
    assert.equal(body.error.type, "permission_error");
    assert.match(body.error.message, /not as rebound\.example:8082 .*set server\.auth_token/);
  }
  // Names a DNS answer can point here, however they are written.
  for (
    const host of [
      "rebound.example.:8082",
      "localhost..:8082",
      "localhost.rebound.example",
      "127.0.0.1.nip.io:8082",
      "xn--lhost-h2a.example",
      "0x7f.1.rebound.example",
    ]
  ) {
    assert.equal((await get(app, "/ui/state", { host, ...BROWSER })).status, 403, host);
  }
  // A page's POST (it carries an Origin) under that name: refused too, before anything runs.
  const post = await app.fetch(
    new Request("http://127.0.0.1:8082/v1/messages", {
      method: "POST",
      headers: { host: "rebound.example:8082", origin: "http://rebound.example:8082" },
      body: "{}",
    }),
  );
  assert.equal(post.status, 403);
  await post.body?.cancel();
});

// Safari before 16.4 sends neither Sec-Fetch-Site nor (with a same-origin GET) Origin.
const OLD_SAFARI =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Safari/605.1.15";

Deno.test("rebinding: a browser that sends neither Origin nor Sec-Fetch-Site is known by its User-Agent", async () => {
  const { app } = testApp(config());
  for (const path of ["/ui/state", "/metrics", "/v1/ccp/usage"]) {
    const res = await get(app, path, { host: "rebound.example:8082", "user-agent": OLD_SAFARI });
    assert.equal(res.status, 403, path);
    assert.match(JSON.parse(res.text).error.message, /not as rebound\.example:8082/);
  }
  // The same browser at ccp's address is its user's.
  const own = await get(app, "/ui/state", { host: "127.0.0.1:8082", "user-agent": OLD_SAFARI });
  assert.equal(own.status, 200);
  // Clients outside a browser under a name, as before.
  for (const agent of ["claude-cli/2.1.332 (external, cli)", "curl/8.5.0", "node", "Deno/2.9.6"]) {
    const res = await get(app, "/ui/state", { host: "ccp.internal:8082", "user-agent": agent });
    assert.equal(res.status, 200, agent);
  }
});

Deno.test("rebinding: ccp's own users and clients outside a browser are served as before", async () => {
  const { app } = testApp(config());
  // The browser at an address or as localhost (the status page opened by its user).
  // A name written fully qualified (its trailing dot) is the same name; the IPv4 forms a URL
  // parser reads as an address (hex, one number, parts left out) are addresses.
  for (
    const host of [
      "127.0.0.1:8082",
      "localhost:8082",
      "[::1]:8082",
      "ccp.localhost:8082",
      "LOCALHOST:8082",
      "localhost.:8082",
      "ccp.localhost.",
      "127.0.0.1.:8082",
      "0x7f.1",
      "2130706433:8082",
      "[::ffff:127.0.0.1]",
    ]
  ) {
    const res = await get(app, "/ui/state", { host, ...BROWSER });
    assert.equal(res.status, 200, host);
  }
  // Under a name, without a browser's headers: Claude Code (Node's fetch sends Sec-Fetch-Mode
  // alone), curl, a reverse proxy passing its own name on.
  for (const headers of [{}, { "sec-fetch-mode": "cors" }] as Record<string, string>[]) {
    const res = await get(app, "/ui/state", { host: "ccp.internal:8082", ...headers });
    assert.equal(res.status, 200, JSON.stringify(headers));
  }
  // With a token, a page cannot present it: the name is not what guards ccp then.
  const token = "rebinding-test-token-0123456789";
  const guarded = testApp(config(`server: { auth_token: ${token} }`)).app;
  const named = { host: "ccp.example:8082", ...BROWSER };
  assert.equal((await get(guarded, "/ui/state", { ...named, "x-api-key": token })).status, 200);
  assert.equal((await get(guarded, "/ui/state", named)).status, 401);
});
