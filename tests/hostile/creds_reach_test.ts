/**
 * Who may reach what: a client reaches only providers that exist (no local preset the operator
 * never configured, whatever the model, URL prefix or token suffix says), and model names that
 * are also `Object.prototype` members are plain names.
 */

import assert from "node:assert/strict";
import { configFromSources } from "../helpers/config.ts";
import { startCcp } from "../helpers/ccp.ts";
import { anthropicHead, anthropicTail, messages, sse, startUpstream } from "./creds_helpers.ts";

const TOKEN = "ccp-token-0123456789abcdef";
const LOCALS = ["cliproxyapi", "ollama", "lmstudio", "vllm", "llamacpp"];

function yamlConfig(url: string) {
  return configFromSources({
    flags: {},
    env: {},
    yaml: {
      text: `server:
  auth_token: ${TOKEN}
providers:
  main:
    type: anthropic
    base_url: ${url}
routes:
  default: main/m
`,
      file: "c.yaml",
    },
  });
}

Deno.test("unconfigured local presets are unreachable, by model, URL prefix or token suffix", async (t) => {
  const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const config = yamlConfig(upstream.url);
  await t.step("the config holds only the provider it defines", () => {
    assert.deepEqual(Object.keys(config.providers), ["main"]);
  });
  const ccp = startCcp(config);
  try {
    for (const local of LOCALS) {
      await t.step(local, async () => {
        // The last column: the rule each answer to POST /v1/messages names in x-ccp-route.
        const ways: Array<[string, Record<string, string>, string, string | null]> = [
          ["/v1/messages", { "x-api-key": TOKEN }, `${local}/x`, "explicit"],
          [`/${local}:x/v1/messages`, { "x-api-key": TOKEN }, "claude-sonnet-4-5", "url_prefix"],
          [
            "/v1/messages",
            { "x-api-key": `${TOKEN}:${local}/x` },
            "claude-sonnet-4-5",
            "token_suffix",
          ],
          ["/v1/messages/count_tokens", { "x-api-key": `${TOKEN}:${local}/x` }, "m", null],
        ];
        for (const [path, headers, model, route] of ways) {
          const res = await fetch(`${ccp.url}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: messages({ model }),
          });
          const json = await res.json();
          assert.equal(
            res.status,
            400,
            `${path} ${JSON.stringify(headers)}: ${JSON.stringify(json)}`,
          );
          assert.equal(json.error.type, "invalid_request_error");
          assert.match(json.error.message, new RegExp(`"${local}"`));
          assert.match(json.error.message, /providers:/, "says how to configure it");
          if (route) assert.equal(res.headers.get("x-ccp-route"), route);
        }
      });
    }
    assert.equal(upstream.seen.length, 0, "nothing was sent anywhere");
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("environment-only and default modes: locals exist only when named or set", () => {
  const env = configFromSources({ flags: {}, env: { MODEL: "groq/x", GROQ_API_KEY: "k" } });
  assert.deepEqual(Object.keys(env.providers), ["groq"]);
  const withLocal = configFromSources({
    flags: {},
    env: { MODEL: "groq/x", GROQ_API_KEY: "k", OLLAMA_BASE_URL: "http://127.0.0.1:11434" },
  });
  assert.deepEqual(Object.keys(withLocal.providers).sort(), ["groq", "ollama"]);
  const none = configFromSources({ flags: {}, env: {} });
  assert.deepEqual(Object.keys(none.providers), ["ollama"], "only the embedded default");
});

Deno.test("Object.prototype names are plain model names, prefixes and suffixes", async (t) => {
  const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const ccp = startCcp(yamlConfig(upstream.url));
  const auth = { "content-type": "application/json", "x-api-key": TOKEN };
  try {
    for (const name of ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"]) {
      await t.step(name, async () => {
        const asModel = await fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: auth,
          body: messages({ model: name }),
        });
        await asModel.body?.cancel();
        assert.equal(asModel.status, 200, "an unknown name goes to the default route");
        const counted = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: messages({ model: name }),
        });
        assert.equal(counted.status, 200, await counted.text());
        for (
          const [path, headers] of [
            [`/${name}/v1/messages`, auth],
            [`/${name}:x/v1/messages`, auth],
            ["/v1/messages", { ...auth, "x-api-key": `${TOKEN}:${name}` }],
            ["/v1/messages", { ...auth, "x-api-key": `${TOKEN}:${name}/x` }],
          ] as const
        ) {
          const res = await fetch(`${ccp.url}${path}`, {
            method: "POST",
            headers,
            body: messages(),
          });
          const json = await res.json();
          assert.equal(res.status, 400, `${path}: ${JSON.stringify(json)}`);
          assert.equal(json.error.type, "invalid_request_error");
        }
      });
    }
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
