import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { configErrorOf } from "../helpers/config.ts";

/** The ConfigError message for `text`, failing the test when it loads. */
const errorOf = (text: string, env: Record<string, string> = {}): string =>
  configErrorOf(() => configFromYaml({ text, file: "config.yaml", env }));

const PROVIDERS = `
providers:
  nim:
    preset: nvidia_nim
    api_key: k
  local:
    type: openai
    base_url: http://127.0.0.1:9999/v1
`;

Deno.test("unknown provider in a route names file, key path and the known ids", () => {
  const message = errorOf(`${PROVIDERS}
routes:
  default: nim/z-ai/glm4.7
  sonnet: [local/qwen3-coder, nmi/x]
`);
  assert.ok(
    message.includes('config.yaml: routes.sonnet[1]: unknown provider "nmi" (known: nim, local)'),
    message,
  );
  assert.match(message, /did you mean "nim"\?/);
  assert.match(message, /ollama/);
});

Deno.test("a single-string route is reported without an index", () => {
  const message = errorOf(`${PROVIDERS}\nroutes:\n  default: nope/m\n`);
  assert.match(
    message,
    /^config\.yaml: routes\.default: unknown provider "nope" \(known: nim, local\)/,
  );
});

Deno.test("a preset id used without configuring it gets a hint", () => {
  const message = errorOf(`${PROVIDERS}\nroutes:\n  default: groq/llama\n`);
  assert.match(message, /unknown provider "groq" \(known: nim, local\); to use the groq preset/);
});

Deno.test("aliases are checked like routes", () => {
  const message = errorOf(
    `${PROVIDERS}\nroutes:\n  default: nim/m\naliases:\n  fast: [local/a, zz/b]\n`,
  );
  assert.match(message, /config\.yaml: aliases\.fast\[1\]: unknown provider "zz"/);
});

Deno.test("YAML syntax errors carry line and column", () => {
  const message = errorOf("routes:\n  default: [a,\n b: 2\n");
  assert.match(message, /^config\.yaml:3:\d+: invalid YAML: /);
});

Deno.test("duplicate keys are YAML errors", () => {
  assert.match(
    errorOf("routes:\n  default: ollama/a\n  default: ollama/b\n"),
    /config\.yaml:3:3: invalid YAML/,
  );
});

Deno.test("wrong types say what was expected and what was found", () => {
  const message = errorOf(`
providers:
  nim:
    preset: nvidia_nim
    max_retries: x
    models: { a: 1 }
    headers: [a]
routes:
  default: nim/m
`);
  assert.ok(
    message.includes('config.yaml: providers.nim.max_retries: expected a number, got "x"'),
    message,
  );
  assert.ok(
    message.includes("providers.nim.models: expected a list of model names, got a mapping"),
    message,
  );
  assert.ok(message.includes("providers.nim.headers: expected a mapping, got a list"), message);
});

Deno.test("out-of-range numbers are refused", () => {
  assert.match(
    errorOf("server:\n  port: 70000\nroutes: {default: ollama/m}\n"),
    /server\.port: expected a whole number from 0 to 65535, got 70000/,
  );
  assert.match(
    errorOf("provider_defaults:\n  max_retries: -1\nroutes: {default: ollama/m}\n"),
    /provider_defaults\.max_retries: expected a whole number 0 or more/,
  );
  assert.match(
    errorOf("provider_defaults:\n  fallback_on: [429, 99]\nroutes: {default: ollama/m}\n"),
    /provider_defaults\.fallback_on\[1\]: 99 is not an HTTP status/,
  );
});

Deno.test("a bad duration is reported at its key path", () => {
  const message = errorOf(`
providers:
  nim:
    preset: nvidia_nim
    timeouts: { idle: 10x }
routes:
  default: nim/m
`);
  assert.ok(
    message.includes(
      'config.yaml: providers.nim.timeouts.idle: "10x" is not a duration (use 500ms, 10s, 5m, 1h)',
    ),
    message,
  );
});

Deno.test("a provider without preset needs base_url", () => {
  const message = errorOf("providers:\n  mine:\n    type: openai\nroutes:\n  default: mine/m\n");
  assert.match(
    message,
    /config\.yaml: providers\.mine\.base_url: missing: a provider without preset needs one; set base_url/,
  );
});

Deno.test("a base_url copied with its endpoint says which root to give instead", () => {
  const message = errorOf(
    "providers:\n  lm:\n    type: openai\n    base_url: http://127.0.0.1:1234/v1/chat/completions/\n" +
      "  an:\n    type: anthropic\n    base_url: http://user:pw@127.0.0.1:8000/v1/messages\n" +
      "routes:\n  default: lm/m\n",
  );
  assert.ok(
    message.includes(
      "providers.lm.base_url: ends in /chat/completions, the endpoint ccp adds itself: give the " +
        'API root, "http://127.0.0.1:1234/v1"',
    ),
    message,
  );
  assert.match(message, /providers\.an\.base_url: ends in \/messages, .*"http:\/\/user:…@127/);
  assert.ok(!message.includes("pw@"), message);
});

Deno.test("a base_url copied with its endpoint and a query names the root with the query kept", () => {
  // Azure OpenAI's curl example: the endpoint, then the API version in the query.
  const message = errorOf(
    "providers:\n  az:\n    type: openai\n    base_url: https://x.openai.azure.com/openai/" +
      "deployments/d/chat/completions?api-version=2024-10-21&api-key=SECRETSECRET\n" +
      "  twice:\n    type: openai\n    base_url: http://127.0.0.1:1234/v1/v1/?api-version=1\n" +
      "routes:\n  default: az/m\n",
  );
  assert.ok(
    message.includes(
      "providers.az.base_url: ends in /chat/completions, the endpoint ccp adds itself: give the " +
        'API root, "https://x.openai.azure.com/openai/deployments/d?api-version=2024-10-21&api-key=\u2026"',
    ),
    message,
  );
  assert.ok(
    message.includes('give the API root, "http://127.0.0.1:1234/v1?api-version=1"'),
    message,
  );
  assert.ok(!message.includes("SECRETSECRET"), message);
});

Deno.test("a base_url with its version written twice says which root to give instead", () => {
  const message = errorOf(
    "providers:\n  lm:\n    type: openai\n    base_url: http://127.0.0.1:1234/v1/v1/\n" +
      "  gem:\n    type: gemini\n    base_url: https://k@generativelanguage.googleapis.com/v1beta/v1beta\n" +
      "routes:\n  default: lm/m\n",
  );
  assert.ok(
    message.includes(
      "providers.lm.base_url: ends in /v1/v1, the version written twice: give the API root, " +
        '"http://127.0.0.1:1234/v1"',
    ),
    message,
  );
  assert.match(message, /providers\.gem\.base_url: ends in \/v1beta\/v1beta, .*\/v1beta"/);
  assert.ok(!message.includes("k@"), message);
});

Deno.test("a version once, or two different ones, is a root like any other", () => {
  const config = configFromYaml({
    text: "providers:\n  a:\n    type: openai\n    base_url: http://127.0.0.1:1/v1\n" +
      "  b:\n    type: openai\n    base_url: http://127.0.0.1:2/api/v2/v1\n" +
      "routes:\n  default: a/m\n",
    file: "config.yaml",
    env: {},
  });
  assert.equal(config.providers.b?.baseUrl, "http://127.0.0.1:2/api/v2/v1");
});

Deno.test("openai_compatible has no default base_url", () => {
  const message = errorOf(
    "providers:\n  oc:\n    preset: openai_compatible\nroutes:\n  default: oc/m\n",
  );
  assert.match(
    message,
    /providers\.oc\.base_url: missing: the openai_compatible preset has no default/,
  );
});

Deno.test("a provider needs a preset or a type", () => {
  const message = errorOf(
    "providers:\n  mine:\n    base_url: http://x/v1\nroutes:\n  default: mine/m\n",
  );
  assert.match(
    message,
    /config\.yaml: providers\.mine: needs preset: \(a catalog entry\) or type:/,
  );
});

Deno.test("unknown preset lists the known presets", () => {
  const message = errorOf("providers:\n  nim:\n    preset: nvida_nim\nroutes:\n  default: nim/m\n");
  assert.match(
    message,
    /config\.yaml: providers\.nim\.preset: unknown preset "nvida_nim" \(did you mean "nvidia_nim"\?; known: nvidia_nim, groq, /,
  );
  assert.match(message, /cliproxyapi/);
});

Deno.test("unknown type lists the valid types", () => {
  const message = errorOf(
    "providers:\n  x:\n    type: opneai\n    base_url: http://x\nroutes:\n  default: x/m\n",
  );
  assert.match(
    message,
    /providers\.x\.type: unknown type "opneai" \(did you mean "openai"\?; use openai, openai_responses, anthropic or gemini\)/,
  );
});

Deno.test("route targets must be provider/model", () => {
  const message = errorOf("routes:\n  default: ollama\n  a: /m\n  b: ollama/\n");
  assert.match(message, /routes\.default: "ollama" is not provider\/model/);
  assert.match(message, /routes\.a: "\/m" has no provider before "\/"/);
  assert.match(message, /routes\.b: "ollama\/" has no model name after "\/"/);
  assert.match(
    errorOf("routes:\n  c: []\n"),
    /routes\.c: expected "provider\/model" or a list of them, got an empty list/,
  );
  assert.match(
    errorOf("routes:\n  c: [ollama/a, 3]\n"),
    /routes\.c\[1\]: expected "provider\/model", got 3/,
  );
});

Deno.test("unknown keys suggest the closest known key", () => {
  const message = errorOf(`
provider:
  x: 1
providers:
  nim:
    preset: nvidia_nim
    max_retry: 2
    timeouts: { idel: 5s }
routes:
  default: nim/m
`);
  assert.match(message, /config\.yaml: provider: unknown key \(did you mean "providers"\?\)/);
  assert.match(
    message,
    /config\.yaml: providers\.nim\.max_retry: unknown key \(did you mean "max_retries"\?\)/,
  );
  assert.match(message, /providers\.nim\.timeouts\.idel: unknown key \(did you mean "idle"\?\)/);
});

Deno.test("an unknown key with no close match lists the known keys", () => {
  assert.match(
    errorOf("server:\n  zzz: 1\nroutes: {default: ollama/m}\n"),
    /server\.zzz: unknown key \(known keys: host, port, auth_token, log_level, max_body_size, timeouts, max_connections, connection_guard, max_response_size, data_dir, log_format, log_file, watch_config, cors\)/,
  );
});

Deno.test("provider_defaults does not take identity keys", () => {
  assert.match(
    errorOf("provider_defaults:\n  base_url: http://x\nroutes: {default: ollama/m}\n"),
    /provider_defaults\.base_url: unknown key/,
  );
});

Deno.test("no routes at all is an error", () => {
  assert.match(
    errorOf("providers:\n  nim: {preset: nvidia_nim}\n"),
    /config\.yaml: routes: missing: add at least routes\.default/,
  );
  assert.match(errorOf(""), /routes: missing/);
});

Deno.test("the top level must be a mapping", () => {
  assert.equal(
    errorOf("- a\n- b\n"),
    "config.yaml: expected a mapping at the top level, got a list",
  );
});

Deno.test("malformed ${...} is reported at its key path", () => {
  assert.match(
    errorOf("server:\n  auth_token: ${TOKEN\nroutes: {default: ollama/m}\n"),
    /config\.yaml: server\.auth_token: .*without "}"/,
  );
});

Deno.test("bad provider ids, URLs, proxies and auth modes", () => {
  const message = errorOf(`
providers:
  "bad id":
    type: openai
    base_url: http://x
  u:
    type: openai
    base_url: ftp://x
  p:
    preset: groq
    proxy: "not a url"
  a:
    preset: groq
    auth: passthrough
routes:
  default: u/m
`);
  assert.match(message, /providers\["bad id"\]: invalid provider id/);
  assert.match(
    message,
    /providers\.u\.base_url: "ftp:\/\/x" is not an http:\/\/ or https:\/\/ URL/,
  );
  assert.match(message, /providers\.p\.proxy: "not a url" is not a proxy URL/);
  assert.match(
    message,
    /providers\.a\.auth: passthrough works only with type anthropic, not openai/,
  );
});

Deno.test("every problem is reported at once, one per line", () => {
  const message = errorOf(`${PROVIDERS}\nroutes:\n  default: a/m\n  b: c/m\n`);
  assert.equal(message.split("\n").length, 2);
});

Deno.test("a bad provider_defaults value is reported there, even with only implicit providers", () => {
  const message = errorOf("provider_defaults:\n  proxy: nope\nroutes: {default: ollama/m}\n");
  assert.match(message, /^config\.yaml: provider_defaults\.proxy: "nope" is not a proxy URL/);
});

Deno.test("a YAML error's excerpt does not show a secret written in a flow mapping", () => {
  const secrets = ["bobsecrettoken123", "quotedsecret456", "listsecret789a", "listsecret789b"];
  const message = errorOf(`clients:
  - { name: bob, token: bobsecrettoken123 
providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: "quotedsecret456" }
  lst: {type: openai, api_keys: [listsecret789a, 'listsecret789b'] } }
routes: {default: up/m}
`);
  assert.match(message, /invalid YAML/);
  for (const secret of secrets) assert.ok(!message.includes(secret), message);
});

Deno.test("a YAML error's excerpt does not show a key listed in a block under api_keys", () => {
  const message = errorOf(`providers:
  up:
    type: openai
    base_url: https://api.example.com/v1
    api_keys:
      - plainsecret1234
      - otherplain9876: [
routes: {default: up/m}
`);
  assert.match(message, /invalid YAML/);
  for (const secret of ["plainsecret1234", "otherplain9876"]) {
    assert.ok(!message.includes(secret), message);
  }
});

Deno.test("a YAML error beside an unquoted ${VAR} in a flow mapping", async (t) => {
  const noStandIn = (message: string) => assert.ok(!/ccp_reference/.test(message), message);

  await t.step("is the first error, at its own line, not the reference's", () => {
    const message = errorOf(`providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: \${UP_KEY} }
routes:
  default: up/m
  bad: [up/a, up/b
  sonnet: up/c
`);
    assert.match(message, /^config\.yaml:6:3: invalid YAML: Flow sequence in block collection/);
    assert.ok(message.includes("\n      bad: [up/a, up/b\n      sonnet: up/c\n      ^"), message);
    assert.ok(!message.includes("2:"), message);
    noStandIn(message);
  });

  await t.step("on the same line, at the user's column under the user's text", () => {
    const message = errorOf("routes: { default: ${ROUTE_FOR_EVERYTHING}, opus: [up/a, up/b }\n");
    const [first, line, caret] = message.split("\n");
    assert.match(first!, /^config\.yaml:1:63: invalid YAML: Flow sequence/);
    assert.equal(line, "    routes: { default: ${ROUTE_FOR_EVERYTHING}, opus: [up/a, up/b }");
    assert.equal(caret, `${" ".repeat(4 + 62)}^`);
  });

  await t.step("a reference quoted in the library's message is the user's", () => {
    const message = errorOf("- a\nb: ${HOME}\nc: { k: ${HOME} }\n");
    assert.ok(message.includes('Unexpected scalar token in YAML stream: "${HOME}"'), message);
    noStandIn(message);
  });

  await t.step("a secret on that line is scrubbed and the caret still points at the spot", () => {
    const secret = "abcdefghijklmnopqrstuvwxyz0123456789";
    const message = errorOf(
      `providers:\n  up: { api_key: "${secret}", base_url: \${URL}, models: [m }\n`,
    );
    assert.ok(!message.includes(secret), message);
    const [first, line, caret] = message.split("\n");
    assert.match(first!, /^config\.yaml:2:87: invalid YAML: /);
    assert.equal(line, '      up: { api_key: "[redacted]", base_url: ${URL}, models: [m }');
    assert.equal(line!.charAt(caret!.indexOf("^")), "}");
  });

  await t.step("the same reference twice as a key is a duplicate key", () => {
    assert.match(
      errorOf("routes: { default: ollama/m }\nheaders: { ${H}: 1, ${H}: 2 }\n"),
      /^config\.yaml:2:21: invalid YAML: Map keys must be unique/,
    );
  });
});

Deno.test("a YAML error with ${VAR} only outside flow collections is told as before", () => {
  const message = errorOf(
    "providers:\n  up:\n    api_key: ${UP_KEY}\nroutes:\n  default: up/m\n   sonnet: up/x\n",
  );
  assert.match(message, /^config\.yaml:5:12: invalid YAML: Nested mappings are not allowed/);
  assert.ok(message.includes("\n      default: up/m\n               ^"), message);
});

Deno.test("a key indented a space too far is named by its line, not only the line before", () => {
  // `  # opus: …` uncommented by removing only the `#`.
  const routes = errorOf(
    "providers:\n  ollama: { preset: ollama }\nroutes:\n  default: ollama/a\n   opus: ollama/b\n",
  );
  assert.match(routes, /config\.yaml:4:12: invalid YAML: Nested mappings/);
  assert.ok(
    routes.endsWith(
      "(line 5 starts at column 4, which no line above it does: keys of one mapping start at " +
        "the same column)",
    ),
    routes,
  );
  // The same after a blank line and a comment, at the start of the next provider.
  const providers = errorOf(
    "providers:\n  ollama:\n    preset: ollama\n\n  # another\n   nim:\n    preset: nvidia_nim\n" +
      "routes:\n  default: ollama/a\n",
  );
  assert.match(providers, /\(line 6 starts at column 4, which no line above it does/);
  // A deeper line under a key that opens a block is not a mistake of this kind.
  const other = errorOf("routes:\n  default: [ollama/a\n");
  assert.doesNotMatch(other, /starts at column/);
});

Deno.test("a config error quoting a URL shows neither its password nor a ?key= value", () => {
  const secrets = [
    "PROVQUERYKEY0123456",
    "PROVPASSWORD1234",
    "SEARXPASSWORD1234",
    "SEARXTOKEN0123456",
  ];
  const message = errorOf(`
providers:
  u:
    type: gemini
    base_url: "ftp://u:PROVPASSWORD1234@x/v1beta?alt=sse&key=PROVQUERYKEY0123456"
routes:
  default: u/m
web_tools:
  search: { provider: searxng, base_url: "ftp://admin:SEARXPASSWORD1234@x/?token=SEARXTOKEN0123456" }
`);
  assert.match(
    message,
    /providers\.u\.base_url: "ftp:\/\/u:…@x\/v1beta\?alt=sse&key=…" is not an http:\/\/ or https:\/\/ URL/,
  );
  assert.match(
    message,
    /web_tools\.search\.base_url: expected an http\(s\) URL, got "ftp:\/\/admin:…@x\/\?token=…"/,
  );
  for (const secret of secrets) assert.ok(!message.includes(secret), message);
});

Deno.test("a YAML error's excerpt does not show a ?key= value in a URL", () => {
  const message = errorOf(`providers:
  gem: { type: gemini, base_url: "https://g.example/v1beta?key=AIzaQueryOnly0123456789abcd", x: [ }
routes: {default: gem/m}
`);
  assert.match(message, /invalid YAML/);
  assert.match(message, /base_url: "https:\/\/g\.example\/v1beta\?key=…"/);
  assert.ok(!message.includes("AIzaQueryOnly"), message);
});
