import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { testContext } from "./helpers.ts";
import { startInfoServer } from "../mocks/local_server_info.ts";
import { closedPort } from "../helpers/ports.ts";

async function check(yaml: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_check_windows_" });
  try {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, yaml);
    const ctx = testContext(dir);
    assert.equal(await runCli(["check", "--config", `${dir}/ccp.yaml`], ctx), 0);
    return ctx.io.stdout.join("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ccp check says the window llama.cpp, vLLM and LM Studio run each routed model with", async (t) => {
  const llama = startInfoServer({ kind: "llamacpp", nCtx: 32768 });
  const vllm = startInfoServer({
    kind: "vllm",
    models: { "Qwen/Qwen3-Coder-30B-A3B-Instruct": 131072, "openai/gpt-oss-20b": 131072 },
  });
  const lms = startInfoServer({
    kind: "lmstudio",
    models: {
      "qwen/qwen3-coder-30b": { loaded: 8192, maximum: 262144 },
      "zai-org/glm-4.5-air": { maximum: 131072 },
    },
  });
  try {
    const out = await check(`providers:
  llama: { preset: llamacpp, base_url: ${llama.baseUrl} }
  vllm:
    preset: vllm
    base_url: ${vllm.baseUrl}
    model_settings: { openai/gpt-oss-20b: { context_window: 200000 } }
  lms:
    preset: lmstudio
    base_url: ${lms.baseUrl}
    model_settings: { qwen/qwen3-coder-30b: { context_window: 8192 } }
routes:
  default: llama/qwen3-coder
  opus: vllm/Qwen/Qwen3-Coder-30B-A3B-Instruct
  sonnet: [vllm/openai/gpt-oss-20b, lms/qwen/qwen3-coder-30b]
  haiku: lms/zai-org/glm-4.5-air
`);
    await t.step(
      "a window below what Claude Code needs: how to raise it, and what to write",
      () => {
        assert.match(
          out,
          /^Warning: llama\.cpp \(provider "llama"\) runs qwen3-coder with a context of 32768 tokens: .*needs at least 64000.* Start llama-server with a larger --ctx-size .* Give the model what it runs with as its context_window: model_settings: \{"qwen3-coder": \{context_window: 32768\}\} under provider "llama"$/m,
        );
      },
    );
    await t.step("a large enough window the config does not declare: the setting to add", () => {
      // Advice, not a fault: no "Warning:" before it.
      assert.match(
        out,
        /^vLLM \(provider "vllm"\) runs Qwen\/Qwen3-Coder-30B-A3B-Instruct with a context of 131072 tokens, and the config gives it no context_window: .* Add model_settings: \{"Qwen\/Qwen3-Coder-30B-A3B-Instruct": \{context_window: 131072\}\} under provider "vllm"$/m,
      );
    });
    await t.step("a declared window larger than the server's: the number to write", () => {
      assert.match(
        out,
        /^Warning: vLLM \(provider "vllm"\) runs openai\/gpt-oss-20b with a context of 131072 tokens, less than its context_window of 200000: .*Write model_settings: \{"openai\/gpt-oss-20b": \{context_window: 131072\}\}/m,
      );
    });
    await t.step("LM Studio: the loaded context, and a declared window that matches it", () => {
      assert.match(
        out,
        /^Warning: LM Studio \(provider "lms"\) runs qwen\/qwen3-coder-30b with a context of 8192 tokens: .*lms load <model> --context-length 65536.* Its context_window \(8192\) matches what it runs with$/m,
      );
    });
    await t.step("LM Studio, a model not loaded: loaded on the first request", () => {
      assert.match(
        out,
        /^LM Studio \(provider "lms"\) has not loaded zai-org\/glm-4\.5-air: it loads it on the first request.*\(the model takes up to 131072\)/m,
      );
    });
    await t.step("only the servers' read-only endpoints were asked", () => {
      assert.deepEqual(new Set(llama.asked), new Set(["GET /props"]));
      assert.deepEqual(new Set(vllm.asked), new Set(["GET /v1/models"]));
      assert.deepEqual(new Set(lms.asked), new Set(["GET /api/v0/models"]));
    });
  } finally {
    await Promise.all([llama.close(), vllm.close(), lms.close()]);
  }
});

Deno.test("ccp check on a llama.cpp still loading, or a server not running, says so and exits 0", async () => {
  const llama = startInfoServer({ kind: "llamacpp", loading: true });
  const down = `http://127.0.0.1:${closedPort()}/v1`;
  try {
    const out = await check(`providers:
  llama: { preset: llamacpp, base_url: ${llama.baseUrl} }
  vllm: { preset: vllm, base_url: ${down} }
routes:
  default: llama/qwen3-coder
  opus: vllm/a
  sonnet: vllm/b
`);
    assert.match(
      out,
      /^llama\.cpp \(provider "llama"\) did not say its context \(it answers so while it loads its model\): run `ccp check` again once the model is loaded$/m,
    );
    const unreachable = out.split("\n").filter((l) => l.startsWith("vLLM (provider"));
    assert.deepEqual(unreachable, [
      `vLLM (provider "vllm" at ${down}) did not answer: its context window was not checked`,
    ]);
  } finally {
    await llama.close();
  }
});

Deno.test("ccp check asks no server when routes name none of these presets", async () => {
  const vllm = startInfoServer({ kind: "vllm", models: { m: 4096 } });
  try {
    const out = await check(`providers:
  vllm: { preset: vllm, base_url: ${vllm.baseUrl} }
  other: { type: openai, base_url: ${vllm.baseUrl} }
routes:
  default: other/m
`);
    assert.doesNotMatch(out, /context window|runs m with/);
    assert.deepEqual(vllm.asked, []);
  } finally {
    await vllm.close();
  }
});

Deno.test("ccp check checks a route variant's own context_window beside the provider's", async () => {
  const llama = startInfoServer({ kind: "llamacpp", nCtx: 131072 });
  try {
    const out = await check(`providers:
  llama: { preset: llamacpp, base_url: ${llama.baseUrl} }
routes:
  default: llama/qwen3-coder
  opus: { target: llama/qwen3-coder, context_window: 200000 }
`);
    assert.match(out, /^llama\.cpp .* 131072 tokens, and the config gives it no context_window: /m);
    assert.match(out, /^Warning: .* 131072 tokens, less than its context_window of 200000: /m);
  } finally {
    await llama.close();
  }
});

Deno.test("ccp check asks a server whose base_url holds a query at its paths, the query kept last", async () => {
  const llama = startInfoServer({ kind: "llamacpp", nCtx: 32768 });
  const vllm = startInfoServer({ kind: "vllm", models: { "q/coder": 131072 } });
  const lms = startInfoServer({ kind: "lmstudio", models: { "q/coder-lms": { maximum: 131072 } } });
  try {
    const out = await check(`providers:
  llama: { preset: llamacpp, base_url: "${llama.baseUrl}?k=q1" }
  vllm: { preset: vllm, base_url: "${vllm.baseUrl}/?k=q2" }
  lms: { preset: lmstudio, base_url: "${lms.baseUrl}?k=q3" }
routes:
  default: llama/qwen3-coder
  opus: vllm/q/coder
  haiku: lms/q/coder-lms
`);
    assert.match(out, /llama\.cpp \(provider "llama"\) runs qwen3-coder with a context of 32768/);
    assert.match(out, /vLLM \(provider "vllm"\) runs q\/coder with a context of 131072/);
    assert.match(out, /LM Studio \(provider "lms"\) has not loaded q\/coder-lms/);
    assert.deepEqual([...llama.asked, ...vllm.asked, ...lms.asked], [
      "GET /props",
      "GET /v1/models",
      "GET /api/v0/models",
    ]);
  } finally {
    await Promise.all([llama.close(), vllm.close(), lms.close()]);
  }
});
