import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { formatTarget } from "../../src/routing/target_text.ts";
import { resolveModel } from "../helpers/resolve.ts";

const config = configFromYaml({
  file: "config.yaml",
  env: {},
  text: `
providers:
  nim: { preset: nvidia_nim, api_key: k }
routes:
  default: nim/base
  opus: { target: nim/kimi, reasoning_effort: high }
  sonnet: [{ target: nim/kimi, thinking: off }, nim/fallback]
aliases:
  kimi-high: { target: nim/kimi, reasoning_effort: high, max_output_tokens: 32k }
  kimi-low: { target: nim/kimi, reasoning_effort: low }
`,
});

Deno.test("variants carry their settings through every resolution rule", async (t) => {
  const cases: Array<[string, Parameters<typeof resolveModel>[0], unknown[]]> = [
    ["alias", { model: "kimi-high" }, [{ reasoningEffort: "high", maxOutputTokens: 32000 }]],
    ["another alias of the same model", { model: "kimi-low" }, [{ reasoningEffort: "low" }]],
    ["tier", { model: "claude-opus-4-6" }, [{ reasoningEffort: "high" }]],
    ["tier chain, settings per target", { model: "claude-sonnet-4-5" }, [
      { thinking: "off" },
      undefined,
    ]],
    ["url prefix naming an alias", { model: "x", urlPrefix: "kimi-low" }, [{
      reasoningEffort: "low",
    }]],
    ["token suffix naming a route", { model: "x", tokenSuffix: "opus" }, [{
      reasoningEffort: "high",
    }]],
    ["provider/model has no variant", { model: "nim/kimi" }, [undefined]],
    ["default", { model: "gpt-x" }, [undefined]],
  ];
  for (const [name, input, settings] of cases) {
    await t.step(name, () => {
      const chain = resolveModel(input, config).chain;
      assert.deepEqual(chain.map((target) => target.settings), settings);
    });
  }
});

Deno.test("two aliases of one upstream model resolve to the same target name", () => {
  const high = resolveModel({ model: "kimi-high" }, config).chain.map(formatTarget);
  const low = resolveModel({ model: "kimi-low" }, config).chain.map(formatTarget);
  assert.deepEqual(high, ["nim/kimi"]);
  assert.deepEqual(low, high);
});

Deno.test("clientModel targets take the client's model name; others are the config's own", () => {
  const passthrough = {
    ...config,
    routes: { default: [{ provider: "nim", model: "*", clientModel: true }] },
  };
  const resolution = resolveModel({ model: "claude-haiku-4-5" }, passthrough);
  assert.deepEqual(resolution.chain, [{ provider: "nim", model: "claude-haiku-4-5" }]);
  assert.equal(formatTarget(passthrough.routes.default[0]!), "nim/<client model>");
  const plain = resolveModel({ model: "kimi-low" }, config);
  assert.equal(plain.chain, config.aliases["kimi-low"], "no copy when nothing passes through");
});
