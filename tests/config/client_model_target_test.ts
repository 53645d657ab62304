import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { describeConfig } from "../../src/config/describe.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { formatTarget } from "../../src/routing/target_text.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

function config(baseUrl = "http://127.0.0.1:9") {
  return configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  claude: { preset: anthropic, base_url: "${baseUrl}", api_key: sk-ant-0123456789 }
  zai: { preset: zai, base_url: "${baseUrl}", api_key: sk-zai-0123456789 }
routes:
  default: [claude/*, zai/glm-4.7]
aliases:
  pinned: claude/claude-sonnet-4-5
`,
  });
}

Deno.test("provider/* sends the client's own model name to that provider", () => {
  const c = config();
  assert.deepEqual(c.routes.default?.[0], { provider: "claude", model: "*", clientModel: true });
  for (const model of ["claude-opus-4-5", "claude-haiku-4-5-20251001"]) {
    const r = resolveRoute({ request: { model } }, c);
    assert.deepEqual(r.chain.map(formatTarget), [`claude/${model}`, "zai/glm-4.7"]);
  }
  // An explicit name still names its model.
  assert.deepEqual(
    resolveRoute({ request: { model: "pinned" } }, c).chain.map(formatTarget),
    ["claude/claude-sonnet-4-5"],
  );
  assert.match(describeConfig(c), /default → claude\/<client model> → zai\/glm-4\.7/);
});

Deno.test("provider/* has no model to send for a ccp name picked in /model: the next target serves", () => {
  const c = config();
  // Claude Code's /model picker sends ccp's route and alias names (claude-ccp/default).
  for (const model of ["default", "claude-ccp/default", "sonnet"]) {
    assert.deepEqual(
      resolveRoute({ request: { model } }, c).chain.map(formatTarget),
      ["zai/glm-4.7"],
      model,
    );
  }
  const only = configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  claude: { preset: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: claude/*
`,
  });
  assert.throws(
    () => resolveRoute({ request: { model: "claude-ccp/default" } }, only),
    /"default" is ccp's name for a route, not a model/,
  );
});

Deno.test("provider/* in MODEL (environment-only setup) passes names through too", () => {
  const c = configFromEnv({
    env: { MODEL: "anthropic/*, zai/glm-4.7", ANTHROPIC_API_KEY: "k", ZAI_API_KEY: "z" },
  });
  const r = resolveRoute({ request: { model: "claude-opus-4-5" } }, c);
  assert.deepEqual(r.chain.map(formatTarget), ["anthropic/claude-opus-4-5", "zai/glm-4.7"]);
});

Deno.test("through the server: the upstream gets the client's model, the answer names it", async () => {
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 2) }]);
  const ccp = startCcp(config(mock.url));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-opus-4-5",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-model"), "claude-opus-4-5");
    assert.equal(mock.requests.at(-1)!.body!.model, "claude-opus-4-5");
  } finally {
    await ccp.close();
    await mock.close();
  }
});
