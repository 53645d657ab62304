import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { SCENARIOS } from "../../src/config/routing.ts";

const load = (text: string) =>
  configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env: {} });

Deno.test("a route named like a rule word is warned about; other names are not", () => {
  const config = load(`
providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes:
  default: up/a
  none: up/b
  local: up/c
  fast: up/d
aliases:
  explicit: up/e
  quick: up/f
`);
  assert.equal(config.warnings.length, 3, config.warnings.join("\n"));
  assert.match(
    config.warnings[0]!,
    /^config\.yaml: routes\.none: "none" is also the word ccp uses for a request refused before routing/,
  );
  assert.match(
    config.warnings[1]!,
    /routes\.local: "local" .* an answer ccp gives without a model/,
  );
  assert.match(
    config.warnings[2]!,
    /aliases\.explicit: "explicit" .* a provider\/model the client named/,
  );
  // The routes still work as written: a warning, never a refusal.
  assert.deepEqual(Object.keys(config.routes).sort(), ["default", "fast", "local", "none"]);
});

Deno.test("a config whose names are all free has no rule-word warning", () => {
  const config = load(`
providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes: { default: up/a, opus: up/b, think: up/c }
aliases: { local-fast: up/d }
`);
  assert.deepEqual(config.warnings, []);
});

Deno.test("a route name one typo from a tier or a scenario is warned about", () => {
  const config = load(`
providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes:
  default: up/a
  sonet: up/b
  long_contex: up/c
  opus: up/d
  opsu: up/e
  fast: up/f
`);
  assert.deepEqual(config.warnings, [
    'config.yaml: routes.sonet: did you mean "sonnet"? A route named "sonet" serves only ' +
    "requests that name it, so the sonnet requests go elsewhere",
    'config.yaml: routes.long_contex: did you mean "long_context"? A route named "long_contex" ' +
    "serves only requests that name it, so the long_context requests go elsewhere",
  ]);
});

Deno.test("every scenario route name is one the typo warning knows", () => {
  for (const scenario of SCENARIOS) {
    const typo = `${scenario}x`;
    const config = load(`
providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes:
  default: up/a
  ${typo}: up/b
`);
    assert.match(config.warnings.join("\n"), new RegExp(`did you mean "${scenario}"`), typo);
  }
});
