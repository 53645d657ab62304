import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { configFromEnv } from "../../../src/config/env/mode.ts";
import { configFromLiteLLMEnv } from "../../../src/config/env/litellm.ts";
import { postMessages, startCcp } from "../../helpers/ccp.ts";
import { startOpenAIMock } from "../../mocks/openai_mock.ts";

const MODEL = { MODEL: "ollama/a", MODEL_HAIKU: "ollama/h" };

// Each tier route's variant settings, in route order.
function settingsOf(env: Record<string, string>) {
  const config = configFromEnv({ env: { ...MODEL, ...env } });
  return Object.fromEntries(
    Object.entries(config.routes).map(([route, chain]) => [route, chain[0]?.settings]),
  );
}

Deno.test("REASONING_POLICY sets every tier; REASONING_<TIER> overrides it, inherit takes it", () => {
  const high = { thinking: "on", reasoningEffort: "high" };
  assert.deepEqual(
    settingsOf({ REASONING_POLICY: "high", REASONING_OPUS: "inherit", REASONING_HAIKU: "off" }),
    {
      default: high,
      opus: high,
      sonnet: high,
      haiku: { thinking: "off" },
      fable: high,
    },
  );
  // The selector's X-High, any case; max passes as ccp's max (mapped to the nearest per provider).
  assert.deepEqual(settingsOf({ REASONING_FABLE: "X-High", REASONING_SONNET: "MAX" }), {
    default: undefined,
    opus: undefined,
    sonnet: { thinking: "on", reasoningEffort: "max" },
    haiku: undefined,
    fable: { thinking: "on", reasoningEffort: "xhigh" },
  });
});

Deno.test("REASONING client leaves the request's own thinking, and ENABLE_*_THINKING where set", () => {
  assert.deepEqual(settingsOf({ REASONING_POLICY: "client" }), {
    default: undefined,
    opus: undefined,
    sonnet: undefined,
    haiku: undefined,
    fable: undefined,
  });
  // The newer setting wins where it decides; the older one applies where it leaves it to the client.
  assert.deepEqual(
    settingsOf({
      ENABLE_MODEL_THINKING: "false",
      REASONING_POLICY: "client",
      REASONING_OPUS: "low",
    }),
    {
      default: { thinking: "off" },
      opus: { thinking: "on", reasoningEffort: "low" },
      sonnet: { thinking: "off" },
      haiku: { thinking: "off" },
      fable: { thinking: "off" },
    },
  );
});

Deno.test("a bad REASONING value names the variable; the variables are read, not warned about", () => {
  assert.throws(
    () => configFromEnv({ env: { ...MODEL, REASONING_SONNET: "extreme" } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.includes(
        'REASONING_SONNET: expected inherit, client, off, low, medium, high, xhigh or max, got "extreme"',
      ),
  );
  assert.throws(
    () => configFromEnv({ env: { ...MODEL, REASONING_POLICY: "inherit" } }),
    /REASONING_POLICY: expected client, off/,
  );
  const config = configFromEnv({ env: { ...MODEL, REASONING_POLICY: "medium" } });
  assert.deepEqual(config.warnings, []);
});

Deno.test("REASONING_* apply in the LiteLLM-style setup too", () => {
  const config = configFromLiteLLMEnv({
    env: {
      BIG_MODEL: "gpt-4.1",
      OPENAI_API_KEY: "k",
      REASONING_POLICY: "low",
      REASONING_HAIKU: "off",
    },
  });
  assert.deepEqual(config.routes.opus?.[0]?.settings, { thinking: "on", reasoningEffort: "low" });
  assert.deepEqual(config.routes.haiku?.[0]?.settings, { thinking: "off" });
});

Deno.test("through the server: the tier's effort reaches the upstream, whatever the client asked", async () => {
  const mock = startOpenAIMock({
    json: {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    },
  });
  const ccp = startCcp(configFromEnv({
    env: {
      MODEL: "openai/gpt-5",
      OPENAI_BASE_URL: mock.url,
      OPENAI_API_KEY: "sk-test",
      REASONING_POLICY: "high",
      REASONING_HAIKU: "off",
    },
  }));
  const post = async (model: string) => {
    const res = await postMessages(ccp.url, {
      model,
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200, await res.text());
    return mock.requests.at(-1)!.body;
  };
  try {
    assert.equal((await post("claude-sonnet-4-5")).reasoning_effort, "high");
    const haiku = await post("claude-haiku-4-5");
    assert.notEqual(haiku.reasoning_effort, "high");
  } finally {
    await ccp.close();
    await mock.close();
  }
});
