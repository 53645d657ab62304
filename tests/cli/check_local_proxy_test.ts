/**
 * `ccp check` asks a local model server (Ollama, vLLM, llama.cpp, LM Studio) the way ccp's
 * requests to it go: directly, whatever HTTP_PROXY says. Through the proxy, the questions reached
 * a proxy that cannot see the local network, with the user and password of the server's
 * `base_url` as a Basic credential in plain HTTP.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp } from "./helpers.ts";
import { startMockProxy } from "../mocks/http_proxy.ts";

Deno.test("ccp check asks local servers directly, not through HTTP_PROXY", async () => {
  const proxy = startMockProxy();
  try {
    await inTempDir("ccp_check_proxy_", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:
  ol: { preset: ollama, base_url: "http://lanuser:lan-pass-0123@ollama.invalid:11434" }
  vl: { preset: vllm, base_url: "http://vllm.invalid:8000/v1" }
routes:
  default: ol/qwen3
  opus: vl/m
`,
      );
      const env = childEnv(dir, { HTTP_PROXY: proxy.url, http_proxy: proxy.url });
      const { code, stdout } = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env });
      assert.equal(code, 0, stdout);
      assert.match(stdout, /Ollama \(provider "ol" at http:\/\/lanuser:\*\*\*@ollama\.invalid/);
      assert.match(stdout, /vLLM \(provider "vl" at http:\/\/vllm\.invalid:8000\/v1\) did not/);
      assert.deepEqual(proxy.seen, []);
    });
  } finally {
    await proxy.close();
  }
});
