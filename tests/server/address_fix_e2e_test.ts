/**
 * A local model server that is not running: the 502's advice names how that provider's address
 * is set where the user set it (the preset's variable without a config file, the file's entry
 * with one), not a base_url a setup without a file does not have.
 */

import assert from "node:assert/strict";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config } from "../../src/config/types.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { closedPort } from "../helpers/ports.ts";
import { claudeCodeBody } from "./_messages_env.ts";

async function refusal(config: Config): Promise<string> {
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "false");
    const body = await res.json();
    return body.error.message;
  } finally {
    await ccp.close();
  }
}

Deno.test("MODEL=llamacpp/... with nothing listening: set LLAMACPP_BASE_URL", async () => {
  const config = configFromEnv({
    env: {
      MODEL: "llamacpp/qwen3-coder",
      LLAMACPP_BASE_URL: `http://127.0.0.1:${closedPort()}/v1`,
    },
  });
  const message = await refusal(config);
  assert.match(
    message,
    /connection refused\. Nothing listens there: start the model server, or set LLAMACPP_BASE_URL to where it listens$/,
  );
});

Deno.test("MODEL=ollama/... with nothing listening: set OLLAMA_BASE_URL", async () => {
  const config = configFromEnv({
    env: { MODEL: "ollama/qwen3-coder", OLLAMA_BASE_URL: `http://127.0.0.1:${closedPort()}` },
  });
  const message = await refusal(config);
  assert.match(message, /or set OLLAMA_BASE_URL to where it listens$/);
  assert.doesNotMatch(message, /base_url/);
});

Deno.test("a config file's provider with nothing listening: its base_url, by key path", async () => {
  const config = configFromYaml({
    file: "ccp.yaml",
    text: `providers:
  box:
    preset: llamacpp
    base_url: http://127.0.0.1:${closedPort()}/v1
routes:
  default: box/qwen3-coder
`,
    env: {},
  });
  const message = await refusal(config);
  assert.match(message, /or fix providers\.box\.base_url in the config file$/);
});

Deno.test("a config file's route to a local preset it has no entry for: the entry to add", async () => {
  // With a config file the implicit llamacpp reads no variable. Its default port may be another
  // program's, so the request goes to a closed port instead.
  const config = configFromYaml({
    file: "ccp.yaml",
    text: `provider_defaults: {}
routes:
  default: llamacpp/qwen3-coder
`,
    env: {},
  });
  const local = config.providers.llamacpp!;
  assert.equal(
    local.addressFix,
    "add a providers.llamacpp entry with preset: llamacpp and its base_url to the config file",
  );
  const moved = {
    ...config,
    providers: { llamacpp: { ...local, baseUrl: `http://127.0.0.1:${closedPort()}/v1` } },
  } as Config;
  const message = await refusal(moved);
  assert.match(
    message,
    /or add a providers\.llamacpp entry with preset: llamacpp and its base_url/,
  );
});
