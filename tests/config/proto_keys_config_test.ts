/**
 * A key named `__proto__` in the operator's config is a config error naming where it is, never a
 * change of some mapping's prototype; checked with the language's own `__proto__` setter, which
 * replaces a prototype on assignment (Deno's stand-in stores a key instead).
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";
import { withStandardProto } from "../helpers/standard_proto.ts";

const PROVIDER = `
providers:
  nim:
    preset: nvidia_nim
    api_key: k
`;

const CASES: Array<[string, string, string]> = [
  [
    "model_settings",
    `${PROVIDER}    model_settings:\n      __proto__: { max_output_tokens: 8000 }\n` +
    "routes:\n  default: nim/m\n",
    "providers.nim.model_settings.__proto__",
  ],
  [
    "provider headers",
    `${PROVIDER}    headers:\n      __proto__: { x: y }\nroutes:\n  default: nim/m\n`,
    "providers.nim.headers.__proto__",
  ],
  [
    "aliases",
    `${PROVIDER}routes:\n  default: nim/m\naliases:\n  __proto__: { a: default }\n`,
    "aliases.__proto__",
  ],
  [
    "routes",
    `${PROVIDER}routes:\n  default: nim/m\n  __proto__: { x: nim/m }\n`,
    "routes.__proto__",
  ],
  ["providers", `providers:\n  __proto__: { type: anthropic }\n`, "providers.__proto__"],
  [
    "a provider's own mapping",
    `providers:\n  nim:\n    __proto__: { preset: nvidia_nim }\nroutes:\n  default: nim/m\n`,
    "providers.nim.__proto__",
  ],
];

for (const [where, text, path] of CASES) {
  Deno.test(`config: a __proto__ key in ${where} is a config error naming it`, () => {
    let message = "";
    withStandardProto(() => {
      message = configErrorOf(() => configFromYaml({ text, file: "config.yaml", env: {} }));
    });
    assert.ok(message.includes(`config.yaml: ${path}: "__proto__" cannot be a key`), message);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
}
