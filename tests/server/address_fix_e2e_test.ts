/**
 * A local model server that is not running, or an address with the wrong scheme, a port fetch
 * blocks, or the other loopback family: the 502's advice names where that provider's address is
 * set where the user set it (the preset's variable without a config file, the file's entry with
 * one), not a base_url a setup without a file does not have.
 */

import assert from "node:assert/strict";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config } from "../../src/config/types.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { closedPort } from "../helpers/ports.ts";
import { claudeCodeBody } from "./_messages_env.ts";

async function refusal(config: Config): Promise<string> {
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "false");
    const body = await res.json();
    return body.error.message;
  } finally {
    await ccp.close();
  }
}

Deno.test("MODEL=llamacpp/... with nothing listening: set LLAMACPP_BASE_URL", async () => {
  const config = configFromEnv({
    env: {
      MODEL: "llamacpp/qwen3-coder",
      LLAMACPP_BASE_URL: `http://127.0.0.1:${closedPort()}/v1`,
    },
  });
  const message = await refusal(config);
  assert.match(
    message,
    /connection refused\. Nothing listens there: start the model server, or set LLAMACPP_BASE_URL to where it listens$/,
  );
});

Deno.test("MODEL=ollama/... with nothing listening: set OLLAMA_BASE_URL", async () => {
  const config = configFromEnv({
    env: { MODEL: "ollama/qwen3-coder", OLLAMA_BASE_URL: `http://127.0.0.1:${closedPort()}` },
  });
  const message = await refusal(config);
  assert.match(message, /or set OLLAMA_BASE_URL to where it listens$/);
  assert.doesNotMatch(message, /base_url/);
});

Deno.test("a config file's provider with nothing listening: its base_url, by key path", async () => {
  const config = configFromYaml({
    file: "ccp.yaml",
    text: `providers:
  box:
    preset: llamacpp
    base_url: http://127.0.0.1:${closedPort()}/v1
routes:
  default: box/qwen3-coder
`,
    env: {},
  });
  const message = await refusal(config);
  assert.match(message, /or fix providers\.box\.base_url in the config file$/);
});

Deno.test("a config file's route to a local preset it has no entry for: the entry to add", async () => {
  // With a config file the implicit llamacpp reads no variable. Its default port may be another
  // program's, so the request goes to a closed port instead.
  const config = configFromYaml({
    file: "ccp.yaml",
    text: `provider_defaults: {}
routes:
  default: llamacpp/qwen3-coder
`,
    env: {},
  });
  const local = config.providers.llamacpp!;
  assert.equal(
    local.addressFix,
    "add a providers.llamacpp entry with preset: llamacpp and its base_url to the config file",
  );
  const moved = {
    ...config,
    providers: { llamacpp: { ...local, baseUrl: `http://127.0.0.1:${closedPort()}/v1` } },
  } as Config;
  const message = await refusal(moved);
  assert.match(
    message,
    /or add a providers\.llamacpp entry with preset: llamacpp and its base_url/,
  );
});

const llamacpp = (baseUrl: string) =>
  configFromEnv({ env: { MODEL: "llamacpp/qwen3-coder", LLAMACPP_BASE_URL: baseUrl } });

Deno.test("MODEL=llamacpp/... with https:// to a plain server: use http:// in LLAMACPP_BASE_URL", async () => {
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("{}"),
  );
  try {
    const message = await refusal(llamacpp(`https://127.0.0.1:${plain.addr.port}/v1`));
    assert.match(message, /\. Use http:\/\/ in LLAMACPP_BASE_URL$/);
    assert.doesNotMatch(message, /base_url/);
  } finally {
    await plain.shutdown();
  }
});

Deno.test("a port fetch blocks: another port, where the address is set", async () => {
  const blocked = "http://127.0.0.1:6000/v1";
  assert.match(await refusal(llamacpp(blocked)), /\. Use another port in LLAMACPP_BASE_URL$/);
  const file = (baseUrl: string) =>
    configFromYaml({
      file: "ccp.yaml",
      text: `providers:\n  box: { preset: llamacpp, base_url: "${baseUrl}" }\n` +
        "routes: { default: box/qwen3-coder }\n",
      env: {},
    });
  assert.match(
    await refusal(file(blocked)),
    /\. Use another port in providers\.box\.base_url in the config file$/,
  );
  assert.match(
    await refusal(file(`\${LLAMACPP_BASE_URL:-${blocked}}`)),
    /\. Use another port in LLAMACPP_BASE_URL \(which providers\.box\.base_url in the config file reads\)$/,
  );
  const implicit = configFromYaml({
    file: "ccp.yaml",
    text: "provider_defaults: {}\nroutes:\n  default: llamacpp/qwen3-coder\n",
    env: {},
  });
  const local = implicit.providers.llamacpp!;
  const moved = { ...implicit, providers: { llamacpp: { ...local, baseUrl: blocked } } } as Config;
  assert.match(
    await refusal(moved),
    /\. Use another port in the base_url of a providers\.llamacpp entry with preset: llamacpp in the config file$/,
  );
});

Deno.test("MODEL=llamacpp/... on ::1 only, reached as 127.0.0.1: write [::1] in LLAMACPP_BASE_URL", async () => {
  // ::1 and 127.0.0.1 number their ports apart, so a port free on ::1 may be another test's on
  // 127.0.0.1: take one free on 127.0.0.1 first and hold it until the ::1 server has it too.
  const v4 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = v4.addr.port;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    server = Deno.serve({ hostname: "::1", port, onListen: () => {} }, () => new Response("{}"));
  } catch {
    return; // No IPv6 loopback on this machine (or its port taken): nothing to tell apart.
  } finally {
    v4.close();
  }
  try {
    const message = await refusal(llamacpp(`http://127.0.0.1:${port}/v1`));
    assert.match(
      message,
      new RegExp(
        `write http://\\[::1\\]:${port}/v1 in LLAMACPP_BASE_URL, or start the server on both$`,
      ),
    );
    assert.doesNotMatch(message, /base_url/);
  } finally {
    await server.shutdown();
  }
});
