/** `key_strategy`, route weights and `routing.session_affinity` as the config file states them. */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";

const load = (text: string) => configFromYaml({ file: "c.yaml", env: {}, text });
const PROVIDERS = `providers:
  a: { type: anthropic, base_url: "http://127.0.0.1:9", api_keys: [k1, k2] }
  b: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k }
`;

Deno.test("defaults: fill-first keys, ordered routes, no session affinity", () => {
  const config = load(`${PROVIDERS}routes: { default: [a/m, b/m] }\n`);
  assert.equal(config.providers.a!.keyStrategy, undefined);
  assert.deepEqual(config.routes.default, [
    { provider: "a", model: "m" },
    { provider: "b", model: "m" },
  ]);
  assert.equal(config.routing?.sessionAffinityTtlMs, undefined);
});

Deno.test("key_strategy per provider or in provider_defaults", () => {
  const config = load(`${PROVIDERS}provider_defaults: { key_strategy: round_robin }
routes: { default: a/m }
`);
  assert.equal(config.providers.a!.keyStrategy, "round_robin");
  assert.equal(config.providers.b!.keyStrategy, "round_robin");
  const own = load(
    `${PROVIDERS.replace("api_keys: [k1, k2]", "api_keys: [k1, k2], key_strategy: fill_first")}
provider_defaults: { key_strategy: round_robin }
routes: { default: a/m }
`,
  );
  assert.equal(own.providers.a!.keyStrategy, undefined, "the provider's own fill_first wins");
  const bad = configErrorOf(() =>
    load(`${PROVIDERS.replace("api_key: k }", "api_key: k, key_strategy: random }")}
routes: { default: a/m }
`)
  );
  assert.match(bad, /providers\.b\.key_strategy/);
  assert.match(bad, /round_robin/);
});

Deno.test("a weight on one target spreads the route; the others weigh 1", () => {
  const config = load(`${PROVIDERS}routes:
  default:
    - { target: a/m, weight: 3, max_output_tokens: 1000 }
    - b/m
aliases:
  fast: { target: [a/x, b/x], weight: 2 }
`);
  assert.deepEqual(config.routes.default, [
    { provider: "a", model: "m", weight: 3, settings: { maxOutputTokens: 1000 } },
    { provider: "b", model: "m", weight: 1 },
  ]);
  assert.deepEqual(config.aliases.fast!.map((t) => t.weight), [2, 2]);
});

Deno.test("weights: all zero, negative or not a number are refused with the key path", () => {
  const zero = configErrorOf(() =>
    load(`${PROVIDERS}routes:
  default: [{ target: a/m, weight: 0 }, { target: b/m, weight: 0 }]
`)
  );
  assert.match(zero, /routes\.default: every target has weight 0/);
  const negative = configErrorOf(() =>
    load(`${PROVIDERS}routes:
  default: [{ target: a/m, weight: -1 }, b/m]
`)
  );
  assert.match(negative, /routes\.default\[0\]\.weight/);
});

Deno.test("routing.session_affinity: on with a ttl (1h unless given), 0 turns it off", () => {
  const on = load(`${PROVIDERS}routes: { default: a/m }\nrouting: { session_affinity: true }\n`);
  assert.equal(on.routing?.sessionAffinityTtlMs, 3_600_000);
  const ttl = load(
    `${PROVIDERS}routes: { default: a/m }\nrouting: { session_affinity: true, session_affinity_ttl: 20m }\n`,
  );
  assert.equal(ttl.routing?.sessionAffinityTtlMs, 1_200_000);
  const zero = load(
    `${PROVIDERS}routes: { default: a/m }\nrouting: { session_affinity: true, session_affinity_ttl: 0 }\n`,
  );
  assert.equal(zero.routing?.sessionAffinityTtlMs, undefined);
  const off = load(
    `${PROVIDERS}routes: { default: a/m }\nrouting: { session_affinity: false, session_affinity_ttl: 20m }\n`,
  );
  assert.equal(off.routing?.sessionAffinityTtlMs, undefined);
});
