/** Which way ccp sends a provider's request: its own proxy, the environment's, or directly. */

import assert from "node:assert/strict";
import { routeFor } from "../../src/upstream/http/clients.ts";
import { readEnvironmentProxies } from "../../src/upstream/http/env_proxy.ts";
import { provider } from "../helpers/config.ts";

const CORP = "http://proxy.corp:3128";

Deno.test("routeFor: local presets direct, a provider's proxy over NO_PROXY, hosted through the environment's", () => {
  const vars: Record<string, string> = { HTTPS_PROXY: CORP, HTTP_PROXY: CORP, NO_PROXY: "*" };
  const own = provider("own", { baseUrl: "https://api.own.test/v1", proxy: "http://own:8080" });
  assert.deepEqual(
    routeFor(own, "https://api.own.test/v1/messages", readEnvironmentProxies((name) => vars[name])),
    { proxy: "http://own:8080", from: "proxy" },
    "the provider's own proxy is used whatever NO_PROXY says",
  );

  delete vars.NO_PROXY;
  const env = readEnvironmentProxies((name) => vars[name]);
  const hosted = provider("hosted", { baseUrl: "https://api.hosted.test/v1" });
  assert.deepEqual(routeFor(hosted, "https://api.hosted.test/v1/messages", env), {
    proxy: CORP,
    from: "HTTPS_PROXY",
  });
  const lan = provider("ollama", { preset: "ollama", baseUrl: "http://192.168.1.20:11434/v1" });
  assert.deepEqual(
    routeFor(lan, "http://192.168.1.20:11434/v1/chat/completions", env),
    {},
    "a local preset on the LAN is reached directly",
  );
  const lanOwn = provider("ollama", { ...lan, proxy: CORP });
  assert.equal(routeFor(lanOwn, lanOwn.baseUrl, env).proxy, CORP, "unless its own proxy is set");
  const custom = provider("box", { baseUrl: "http://localhost:8000/v1" });
  assert.deepEqual(routeFor(custom, "http://localhost:8000/v1/messages", env), {}, "loopback");
});
