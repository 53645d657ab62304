/**
 * A key no provider issued (quotes kept around it, the README's `nvapi-…` placeholder, an
 * invisible character copied along with it) is refused at load, naming the variable or key that
 * holds it. Before, fetch refused the header and ccp retried it as an unreachable provider, or the
 * provider answered 401, and nothing said which variable was wrong.
 */

import assert from "node:assert/strict";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";

const MODEL = "nvidia_nim/moonshotai/kimi-k2.5";
const GOOD = "nvapi-0123456789abcdefXYZ";

const envError = (env: Record<string, string>) =>
  configErrorOf(() => configFromEnv({ env: { MODEL, ...env } }));

Deno.test("a key in quotes names its variable and says to drop them, without the key", () => {
  for (const quote of [`"`, `'`]) {
    const message = envError({ NVIDIA_NIM_API_KEY: `${quote}${GOOD}${quote}` });
    assert.match(message, /^NVIDIA_NIM_API_KEY: the key is wrapped in quotes/, message);
    assert.match(message, /write it without them/);
    assert.ok(!message.includes("0123456789"), message);
  }
});

Deno.test("the README's placeholder pasted as the key says to paste the whole key", () => {
  const message = envError({ NVIDIA_NIM_API_KEY: "nvapi-…" });
  assert.match(message, /^NVIDIA_NIM_API_KEY: the key contains "…"/, message);
  assert.match(message, /paste the whole key/);
});

Deno.test("an invisible character in a key is named by code point and place", () => {
  const message = envError({ NVIDIA_NIM_API_KEYS: `${GOOD},nvapi-abc\u200bdef` });
  assert.match(message, /^NVIDIA_NIM_API_KEYS: entry 2: the key has \(U\+200B\) at character 10/);
  assert.ok(!message.includes("nvapi-abc"), message);
});

Deno.test("in a config file, the key path is named (the key came through ${VAR})", () => {
  const text = `providers:
  nim:
    preset: nvidia_nim
    api_key: \${NIM_KEY}
routes:
  default: nim/moonshotai/kimi-k2.5
`;
  const message = configErrorOf(() =>
    configFromYaml({ text, file: "config.yaml", env: { NIM_KEY: `"${GOOD}"` } })
  );
  assert.match(message, /config\.yaml: providers\.nim\.api_key: the key is wrapped in quotes/);
  const list = text.replace("api_key: ${NIM_KEY}", "api_keys: [k-one-1234567890, 'k\u00e9y']");
  const second = configErrorOf(() => configFromYaml({ text: list, file: "config.yaml", env: {} }));
  assert.match(second, /providers\.nim\.api_keys: entry 2: the key has "é" \(U\+00E9\)/);
});

Deno.test("ordinary keys, padded with spaces or not, load as before", () => {
  const config = configFromEnv({ env: { MODEL, NVIDIA_NIM_API_KEY: ` ${GOOD} ` } });
  assert.deepEqual(config.providers.nvidia_nim?.apiKeys, [GOOD]);
});

Deno.test("a key that carries another provider's mark is a warning naming both", () => {
  const config = configFromEnv({
    env: { MODEL, NVIDIA_NIM_API_KEY: "sk-or-v1-0123456789abcdef" },
  });
  assert.deepEqual(config.warnings, [
    "NVIDIA_NIM_API_KEY: the key looks like one from OpenRouter by its first characters, not one " +
    "for nvidia_nim: paste nvidia_nim's own key here; one from OpenRouter goes in " +
    "OPENROUTER_API_KEY",
  ]);
  const yaml = configFromYaml({
    text: "providers:\n  g:\n    preset: groq\n    api_keys: [gsk_1234567890, nvapi-1234567890]\n" +
      "routes:\n  default: g/llama\n",
    file: "config.yaml",
    env: {},
  });
  assert.deepEqual(yaml.warnings, [
    "config.yaml: providers.g.api_keys: key 2 looks like one from NVIDIA NIM by its first " +
    "characters, not one for groq: paste groq's own key here; one from NVIDIA NIM goes in " +
    "NVIDIA_NIM_API_KEY",
  ]);
});

Deno.test("another provider's key is fine where the preset points elsewhere, or is its own", () => {
  // The anthropic preset at OpenRouter's Anthropic API takes an OpenRouter key.
  const elsewhere = configFromYaml({
    text: "providers:\n  a:\n    preset: anthropic\n    base_url: https://openrouter.ai/api\n" +
      "    api_key: sk-or-v1-0123456789\nroutes:\n  default: a/m\n",
    file: "config.yaml",
    env: {},
  });
  assert.deepEqual(elsewhere.warnings, []);
  const own = configFromEnv({ env: { MODEL, NVIDIA_NIM_API_KEY: GOOD } });
  assert.deepEqual(own.warnings, []);
});

// As `ccp init` writes a free-tier OpenRouter provider.
const OPENROUTER_CONFIG = `providers:
  or:
    preset: open_router
    api_key: \${OPENROUTER_API_KEY}
routes:
  default: or/qwen/qwen3-coder:free
`;

Deno.test("a list variable read by api_key gives each key its turn, as the env-only mode does", () => {
  const text = OPENROUTER_CONFIG;
  // `ccp init` writes `api_key: ${OPENROUTER_API_KEY}`; a free-tier user who kept three keys in it
  // (as the env-only mode takes them) or pointed it at OPENROUTER_API_KEYS had all three sent as
  // one key, refused by the provider.
  const keys = ["sk-or-v1-aaaa1111", "sk-or-v1-bbbb2222", "sk-or-v1-cccc3333"];
  const config = configFromYaml({
    text,
    file: "config.yaml",
    env: { OPENROUTER_API_KEY: keys.join(", ") },
  });
  assert.deepEqual(config.providers.or?.apiKeys, keys);
  const message = configErrorOf(() =>
    configFromYaml({ text, file: "config.yaml", env: { OPENROUTER_API_KEY: `${keys[0]},"x1234"` } })
  );
  assert.match(message, /providers\.or\.api_key: entry 2: the key is wrapped in quotes/);
});

Deno.test("keys written with spaces: said to be separated with commas, a Bearer said to go", () => {
  // The env-only mode takes `k1 k2` as two keys; a config's api_key reads commas only.
  const keys = ["sk-or-v1-aaaa1111", "sk-or-v1-bbbb2222"];
  const refusal = (value: string) =>
    configErrorOf(() =>
      configFromYaml({
        text: OPENROUTER_CONFIG,
        file: "config.yaml",
        env: { OPENROUTER_API_KEY: value },
      })
    );
  const spaced = refusal(keys.join(" "));
  assert.match(spaced, /providers\.or\.api_key: .*with commas between them \(k1,k2\)/, spaced);
  assert.doesNotMatch(spaced, /paste the key again/);
  const bearer = refusal(`Bearer ${keys[0]}`);
  assert.match(bearer, /providers\.or\.api_key: .*"Bearer ".*without it/, bearer);
  assert.ok(!spaced.includes("aaaa1111") && !bearer.includes("aaaa1111"), "no key quoted");
});

Deno.test("a set *_API_KEYS beside an unset api_key variable is named with the list field", () => {
  const text = OPENROUTER_CONFIG;
  const { warnings } = configFromYaml({
    text,
    file: "config.yaml",
    env: { OPENROUTER_API_KEYS: "sk-or-v1-aaaa1111,sk-or-v1-bbbb2222" },
  });
  const warning = warnings.join("\n");
  assert.match(warning, /api_key: \$\{OPENROUTER_API_KEY\} is not set/, warning);
  assert.match(warning, /did you mean api_keys: \$\{OPENROUTER_API_KEYS\}\?/, warning);
  assert.ok(!warning.includes("aaaa1111"), warning);
});
