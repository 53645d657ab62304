/**
 * `server_tools:` on a provider says its upstream runs Anthropic's server tools: read from YAML,
 * refused where no Anthropic request goes, kept by a preset's cleaning, shown by `ccp check` and
 * `ccp models`, and deciding which targets ccp runs web search for.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { describeConfig } from "../../src/config/describe.ts";
import type { Config } from "../../src/config/types.ts";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { runCli } from "../../src/cli/run.ts";
import { planWebTools } from "../../src/webtools/plan.ts";
import { configErrorOf } from "../helpers/config.ts";
import { testContext } from "../cli/helpers.ts";

const load = (text: string): Config =>
  configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env: {} });

const YAML = `
providers:
  gateway:
    type: anthropic
    base_url: https://llm.example.com
    api_key: sk-gateway-0000000000001234
    server_tools: true
    models: [claude-sonnet-4-6]
  fireworks:
    preset: fireworks
    api_key: fw-000000000000abcd
    server_tools: true
  anthropic:
    preset: anthropic
    api_key: sk-ant-0000000000005678
  mine:
    preset: anthropic
    api_key: sk-ant-0000000000009999
    server_tools: false
  plain:
    type: anthropic
    base_url: https://other.example.com
routes:
  default: [gateway/claude-sonnet-4-6, plain/glm]
`;

const SEARCH = { type: "web_search_20250305", name: "web_search" };
const ASKED = {
  model: "m",
  max_tokens: 10,
  messages: [{ role: "user", content: "hi" }],
  tools: [SEARCH],
} as MessagesRequest;

Deno.test("server_tools is read per provider, and left unwritten when absent", () => {
  const config = load(YAML);
  assert.equal(config.providers.gateway!.serverTools, true);
  assert.equal(config.providers.mine!.serverTools, false);
  assert.equal("serverTools" in config.providers.plain!, false);
  assert.equal("serverTools" in config.providers.anthropic!, false);
});

Deno.test("server_tools keeps the tools a preset's cleaning removes", () => {
  const config = load(YAML);
  const kept = config.providers.fireworks!.cleaning.body({ ...ASKED }, "m");
  assert.deepEqual(kept.tools, [SEARCH]);
  const fireworks = load(`providers: { fw: { preset: fireworks, api_key: fw-000000000000abcd } }
routes: { default: fw/m }`);
  assert.equal(fireworks.providers.fw!.cleaning.body({ ...ASKED }, "m").tools, undefined);
});

Deno.test("server_tools on a translated provider, or in provider_defaults, is refused", () => {
  const message = configErrorOf(() =>
    load(`providers:
  up: { type: openai, base_url: http://127.0.0.1:1/v1, server_tools: true }
routes: { default: up/m }`)
  );
  assert.match(message, /providers\.up\.server_tools: works only with type anthropic/);
  const defaults = configErrorOf(() => load(`${YAML}provider_defaults: { server_tools: true }`));
  assert.match(defaults, /provider_defaults\.server_tools/);
});

Deno.test("the plan: targets that run them come first, ccp handles the rest", () => {
  const config = load(YAML);
  const chain = (...ids: string[]) => ids.map((id) => ({ provider: config.providers[id]! }));
  assert.equal(planWebTools(ASKED, config, chain("gateway", "anthropic")), undefined);
  assert.equal(planWebTools(ASKED, config, chain("gateway", "plain"))?.relayed, 1);
  assert.equal(planWebTools(ASKED, config, chain("plain", "gateway"))?.relayed, 0);
  // The Anthropic API told not to: ccp runs them there too.
  assert.equal(planWebTools(ASKED, config, chain("mine"))?.relayed, 0);
  const plain = { ...ASKED, tools: [] } as MessagesRequest;
  assert.equal(planWebTools(plain, config, chain("plain")), undefined);
});

Deno.test("ccp check and ccp models say where the server tools run", async () => {
  const text = describeConfig(load(YAML));
  const block = (id: string) => text.slice(text.indexOf(`  ${id}  [`)).split(/\n {0,2}(?=\S)/)[0]!;
  assert.match(block("gateway"), /server tools run upstream/);
  assert.match(block("anthropic"), /server tools run upstream/);
  assert.match(block("mine"), /server tools not run upstream/);
  assert.doesNotMatch(block("plain"), /server tools/);
  const dir = await Deno.makeTempDir({ prefix: "ccp_server_tools_" });
  try {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, YAML);
    const ctx = testContext(dir);
    assert.equal(await runCli(["models", "--config", `${dir}/ccp.yaml`], ctx), 0);
    assert.ok(
      ctx.io.stdout.includes("gateway/claude-sonnet-4-6  model  (server tools upstream)"),
      ctx.io.stdout.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
