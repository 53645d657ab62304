import assert from "node:assert/strict";
import { findPreset, LOCAL_PRESET_IDS, PRESET_IDS, PRESETS } from "../../src/providers/catalog.ts";
import { PROMISED_PRESETS } from "../helpers/promised_presets.ts";

Deno.test("the catalog has exactly the presets ccp promises, each with its protocol", () => {
  const expected = Object.values(PROMISED_PRESETS).flat();
  assert.deepEqual([...PRESET_IDS].sort(), [...expected].sort());
  for (const [type, ids] of Object.entries(PROMISED_PRESETS)) {
    for (const id of ids) assert.equal(findPreset(id)?.type, type, id);
  }
  assert.equal(new Set(PRESET_IDS).size, PRESET_IDS.length, "ids are unique");
});

Deno.test("local presets default to 127.0.0.1 and need no key", () => {
  assert.deepEqual([...LOCAL_PRESET_IDS], [
    "lmstudio",
    "llamacpp",
    "ollama",
    "vllm",
    "cliproxyapi",
  ]);
  const urls = Object.fromEntries(LOCAL_PRESET_IDS.map((id) => [id, findPreset(id)?.baseUrl]));
  assert.deepEqual(urls, {
    lmstudio: "http://127.0.0.1:1234/v1",
    llamacpp: "http://127.0.0.1:8080/v1",
    ollama: "http://127.0.0.1:11434",
    vllm: "http://127.0.0.1:8000/v1",
    cliproxyapi: "http://127.0.0.1:8317/v1",
  });
  assert.deepEqual(LOCAL_PRESET_IDS.map((id) => findPreset(id)?.baseUrlEnv), [
    "LM_STUDIO_BASE_URL",
    "LLAMACPP_BASE_URL",
    "OLLAMA_BASE_URL",
    "VLLM_BASE_URL",
    "CLIPROXYAPI_BASE_URL",
  ]);
  assert.equal(findPreset("cliproxyapi")?.authHeader, "x-api-key");
});

Deno.test("hosted presets follow free-claude-code's variable names", () => {
  const nim = findPreset("nvidia_nim");
  assert.deepEqual(
    [nim?.keyEnv, nim?.keysEnv, nim?.baseUrlEnv, nim?.proxyEnv, nim?.keyUsageLimitEnv],
    [
      "NVIDIA_NIM_API_KEY",
      "NVIDIA_NIM_API_KEYS",
      "NVIDIA_NIM_BASE_URL",
      "NVIDIA_NIM_PROXY",
      "NVIDIA_NIM_KEY_USAGE_LIMIT",
    ],
  );
  assert.equal(findPreset("open_router")?.keyEnv, "OPENROUTER_API_KEY");
  assert.equal(findPreset("open_router")?.baseUrlEnv, "OPENROUTER_BASE_URL");
  assert.equal(findPreset("deepseek")?.keyEnv, "DEEPSEEK_API_KEY");
  for (const p of PRESETS.filter((p) => !p.local)) {
    assert.ok(p.keyEnv?.endsWith("_API_KEY"), p.id);
    assert.equal(p.keysEnv, `${p.keyEnv}S`, p.id);
    assert.equal(p.proxyEnv, p.keyEnv?.replace(/_API_KEY$/, "_PROXY"), p.id);
  }
});

Deno.test("documented API roots and auth headers of the hosted presets", () => {
  const roots: Record<string, [string, string]> = {
    nvidia_nim: ["https://integrate.api.nvidia.com/v1", "bearer"],
    groq: ["https://api.groq.com/openai/v1", "bearer"],
    open_router: ["https://openrouter.ai/api", "bearer"],
    deepseek: ["https://api.deepseek.com/anthropic", "x-api-key"],
    zai: ["https://api.z.ai/api/anthropic", "bearer"],
    zhipu: ["https://open.bigmodel.cn/api/anthropic", "bearer"],
    minimax: ["https://api.minimax.io/anthropic", "bearer"],
    moonshot_anthropic: ["https://api.moonshot.ai/anthropic", "bearer"],
    fireworks: ["https://api.fireworks.ai/inference", "bearer"],
    anthropic: ["https://api.anthropic.com", "x-api-key"],
    gemini: ["https://generativelanguage.googleapis.com/v1beta", "x-goog-api-key"],
  };
  for (const [id, [url, header]] of Object.entries(roots)) {
    assert.deepEqual([findPreset(id)?.baseUrl, findPreset(id)?.authHeader], [url, header], id);
  }
});

Deno.test("every preset record is well formed", () => {
  for (const p of PRESETS) {
    assert.match(p.id, /^[a-z0-9_]+$/);
    assert.ok(p.notes.length > 0, p.id);
    if (p.baseUrl !== "") {
      const url = new URL(p.baseUrl);
      assert.ok(!p.baseUrl.endsWith("/"), `${p.id} has a trailing slash`);
      assert.equal(url.protocol, p.local ? "http:" : "https:", p.id);
      if (p.local) assert.equal(url.hostname, "127.0.0.1", p.id);
    } else {
      assert.equal(p.id, "openai_compatible", "only openai_compatible needs a user base_url");
    }
    if (p.type === "gemini") assert.ok(p.baseUrl.endsWith("/v1beta"));
  }
  assert.equal(findPreset("nope"), undefined);
});

Deno.test("openai_responses reads the same key, key list, base-URL and proxy variables as openai", () => {
  const vars = (id: string) => {
    const p = findPreset(id);
    return [p?.type, p?.keyEnv, p?.keysEnv, p?.baseUrlEnv, p?.proxyEnv];
  };
  assert.deepEqual(vars("openai"), [
    "openai",
    "OPENAI_API_KEY",
    "OPENAI_API_KEYS",
    "OPENAI_BASE_URL",
    "OPENAI_PROXY",
  ]);
  assert.deepEqual(vars("openai_responses"), ["openai_responses", ...vars("openai").slice(1)]);
});
