/**
 * A provider with no key answered 401: the log says what to set. From a config file that is the
 * file's own `${VAR}` or an `api_key` entry, not the preset's variable, which a config file
 * never reads by itself (the user may well have set it already).
 */

import assert from "node:assert/strict";
import { configFromEnv } from "../../src/config/env/mode.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config } from "../../src/config/types.ts";
import { missingKeyAdvice } from "../../src/config/from_tree.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";

async function hintFor(yamlKey: string, env: Record<string, string>): Promise<string> {
  return await hintFrom(
    (port) =>
      `providers:\n  or:\n    preset: open_router\n    base_url: http://127.0.0.1:${port}/api\n` +
      `${yamlKey}routes:\n  default: or/qwen/qwen3-coder\n`,
    env,
  );
}

/** The log's advice after a 401 from an upstream at the port `yaml` is written with. */
async function hintFrom(
  yaml: (port: number) => string,
  env: Record<string, string>,
): Promise<string> {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      return Response.json({
        type: "error",
        error: { type: "authentication_error", message: "no key" },
      }, {
        status: 401,
      });
    },
  );
  const config = configFromYaml({ text: yaml(upstream.addr.port), file: "config.yaml", env });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    await res.body?.cancel();
    const line = ccp.logs.find((l) => l.includes("ccp has no API key for this provider"));
    assert.ok(line, ccp.logs.join(""));
    return line;
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
}

Deno.test("a config file's keyless provider: its 401 names the unset ${VAR} it reads", async () => {
  const line = await hintFor("    api_key: ${OPENROUTR_API_KEY}\n", {
    OPENROUTER_API_KEY: "sk-or-1",
  });
  assert.match(
    line,
    /set OPENROUTR_API_KEY, which providers\.or\.api_key reads \(OPENROUTER_API_KEY is set: did you mean \$\{OPENROUTER_API_KEY\}\?\)/,
  );
});

Deno.test("a config file's provider without api_key: its 401 says to add one, not to set the variable", async () => {
  const line = await hintFor("", { OPENROUTER_API_KEY: "sk-or-1" });
  assert.match(
    line,
    /set api_key: \$\{OPENROUTER_API_KEY\} under providers\.or in the config file/,
  );
});

// vLLM started with --api-key answers 401 to a keyless request; VLLM_API_KEY alone, which the
// advice used to name, is not read with a config file.
Deno.test("a local preset's 401 says to write the api_key entry, not to set its variable", async () => {
  const env = { VLLM_API_KEY: "sk-vllm-1" };
  const entry = await hintFrom(
    (port) =>
      `providers:\n  vl:\n    preset: vllm\n    base_url: http://127.0.0.1:${port}\n` +
      "routes:\n  default: vl/qwen3\n",
    env,
  );
  assert.match(entry, /set api_key: \$\{VLLM_API_KEY\} under providers\.vl in the config file/);
  // Named without an entry (implicit, at the preset's own port): the entry to add.
  const config = configFromYaml({ text: "routes:\n  default: vllm/qwen3\n", file: "c.yaml", env });
  assert.match(
    missingKeyAdvice(config.providers.vllm!) ?? "",
    /^a providers\.vllm entry with preset: vllm and api_key: \$\{VLLM_API_KEY\} in the config file$/,
  );
});

/** The client's answer from a ccp run with `config`, asked once. */
async function answerOf(config: Config) {
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    const body = await res.json();
    return { status: res.status, retry: res.headers.get("x-should-retry"), error: body.error };
  } finally {
    await ccp.close();
  }
}

Deno.test("MODEL=nvidia_nim/... without its key: told at once what to set, nothing about waiting", async () => {
  // The preset's own address, a real host: were the request sent, a 401 or a network error would
  // come back instead of ccp's own refusal.
  const got = await answerOf(configFromEnv({ env: { MODEL: "nvidia_nim/moonshotai/kimi-k2.5" } }));
  assert.equal(got.status, 503);
  assert.equal(got.error.type, "api_error");
  assert.equal(got.error.code, "auth_unavailable");
  assert.deepEqual(got.error.recent_statuses, []);
  assert.equal(got.retry, "false");
  assert.match(got.error.message, /so nothing was sent \(set NVIDIA_NIM_API_KEY\)/);
  assert.doesNotMatch(got.error.message, /usable again|again in/);
});

Deno.test("a config file's hosted preset whose ${VAR} is unset: the answer names that variable", async () => {
  const yaml = "providers:\n  nim:\n    preset: nvidia_nim\n    api_key: ${NIM_KEY}\n" +
    "routes:\n  default: nim/moonshotai/kimi-k2.5\n";
  const got = await answerOf(configFromYaml({ text: yaml, file: "ccp.yaml", env: {} }));
  assert.equal(got.status, 503);
  assert.match(got.error.message, /nothing was sent \(set NIM_KEY\b/);
});
