import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";

const BASE = `
providers:
  local: { type: openai, base_url: "http://127.0.0.1:9999/v1" }
routes:
  default: local/m
`;

function load(extra: string) {
  return configFromYaml({ text: BASE + extra, file: "config.yaml", env: {} });
}

/** The ConfigError message for `extra`, failing the test when it loads. */
const errorOf = (extra: string): string => configErrorOf(() => load(extra));

Deno.test("web_tools config", async (t) => {
  await t.step("absent: no web tools", () => assert.equal(load("").webTools, undefined));
  await t.step("the documented example", () => {
    const config = load(`
web_tools:
  search: { provider: searxng, base_url: "http://127.0.0.1:8888/" }
  fetch: { allow_private_networks: false, max_bytes: 5MiB, timeout: 20s }
`);
    assert.deepEqual(config.webTools, {
      search: { provider: "searxng", baseUrl: "http://127.0.0.1:8888" },
      fetch: { allowPrivateNetworks: false, maxBytes: 5 * 1024 * 1024, timeoutMs: 20_000 },
    });
  });
  await t.step("defaults for fetch; brave with a key", () => {
    const config = load(`
web_tools:
  search: { provider: brave, api_key: k }
`);
    assert.deepEqual(config.webTools, {
      search: { provider: "brave", apiKey: "k" },
      fetch: { allowPrivateNetworks: false, maxBytes: 5 * 1024 * 1024, timeoutMs: 20_000 },
    });
  });
  await t.step("errors name the key and the fix", () => {
    assert.match(
      errorOf("web_tools:\n  search: { provider: bing }\n"),
      /web_tools\.search\.provider/,
    );
    assert.match(
      errorOf("web_tools:\n  search: { provider: searxng }\n"),
      /base_url.*searxng needs/s,
    );
    assert.match(
      errorOf("web_tools:\n  search: { provider: tavily }\n"),
      /api_key.*tavily needs an API key/s,
    );
    assert.match(errorOf("web_tools:\n  fetch: { timeout: soon }\n"), /web_tools\.fetch\.timeout/);
    assert.match(errorOf("web_tools:\n  fetch: { max_size: 1MiB }\n"), /max_bytes/);
  });
});
