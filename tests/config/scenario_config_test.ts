/** `routing:` and `transforms:` in YAML: values, defaults, refusals, and what `ccp check` prints. */

import assert from "node:assert/strict";
import { describeConfig } from "../../src/config/describe.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";

const BASE = `providers:
  nim: { preset: nvidia_nim, api_key: k }
routes:
  default: nim/a
  long_context: nim/long
  think: nim/deep
`;

function load(extra: string) {
  return configFromYaml({ text: `${BASE}${extra}`, file: "config.yaml", env: {} });
}

/** The ConfigError message for `extra`, failing the test when it loads. */
const errorOf = (extra: string): string => configErrorOf(() => load(extra));

Deno.test("routing thresholds take token sizes; absent, resolution uses the defaults", () => {
  const config = load("routing: { long_context_threshold: 100k, think_budget_tokens: 16000 }\n");
  assert.deepEqual(config.routing, { longContextThreshold: 100_000, thinkBudgetTokens: 16_000 });
  // Both are token sizes, written like every other one.
  assert.deepEqual(
    load("routing: { long_context_threshold: 1M, think_budget_tokens: 8k }\n").routing,
    { longContextThreshold: 1_000_000, thinkBudgetTokens: 8_000 },
  );
  assert.match(
    errorOf("routing: { think_budget_tokens: deep }\n"),
    /routing\.think_budget_tokens: .*token size/,
  );
  assert.match(
    errorOf("routing: { long_context_threshold: lots }\n"),
    /routing\.long_context_threshold/,
  );
  assert.match(errorOf("routing: { think_budget: 1 }\n"), /routing\.think_budget/);
});

Deno.test("transforms: keyed by route or provider; unknown keys and routing fields are refused", () => {
  const config = load(`transforms:
  long_context: { drop_tools: [NotebookEdit, WebFetch], system_append: "Be brief." }
  nim: { set: { temperature: 0.2, top_p: null } }
`);
  assert.deepEqual(config.transforms, {
    long_context: { dropTools: ["NotebookEdit", "WebFetch"], systemAppend: "Be brief." },
    nim: { set: { temperature: 0.2, top_p: null } },
  });
  assert.match(
    errorOf("transforms: { nowhere: { system_append: x } }\n"),
    /config\.yaml: transforms\.nowhere: names no route and no provider/,
  );
  assert.match(
    errorOf("transforms: { nim: { set: { model: x } } }\n"),
    /transforms\.nim\.set\.model/,
  );
  assert.match(errorOf("transforms: { nim: { drop_tool: [A] } }\n"), /transforms\.nim\.drop_tool/);
  assert.match(errorOf("transforms: { nim: { set: 3 } }\n"), /transforms\.nim\.set/);
});

Deno.test("ccp check prints scenario routes with when they apply, and the transforms", () => {
  const text = describeConfig(load(`routing: { long_context_threshold: 100k }
transforms:
  think: { drop_tools: [NotebookEdit], set: { temperature: 0.2 } }
`));
  assert.match(text, /long_context → nim\/long +\(scenario: more than 100000 input tokens\)/);
  assert.match(text, /think → nim\/deep +\(scenario: effort high, xhigh or max/);
  assert.ok(
    text.includes("Transforms:\n  think: drop tools NotebookEdit; set temperature: 0.2"),
    text,
  );
});
