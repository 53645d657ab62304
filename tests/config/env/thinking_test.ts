import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { configFromEnv } from "../../../src/config/env/mode.ts";
import { thinkingFromEnv } from "../../../src/config/env/thinking.ts";

const MODEL = { MODEL: "ollama/a", MODEL_HAIKU: "ollama/h" };

Deno.test("ENABLE_*_THINKING: tiers inherit ENABLE_MODEL_THINKING when blank", () => {
  const { byRoute, problems } = thinkingFromEnv({
    ENABLE_MODEL_THINKING: "false",
    ENABLE_OPUS_THINKING: "true",
    ENABLE_SONNET_THINKING: "",
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(byRoute, {
    default: "off",
    opus: "on",
    sonnet: "off",
    haiku: "off",
    fable: "off",
  });
});

Deno.test("unset thinking variables leave thinking to the client", () => {
  assert.deepEqual(thinkingFromEnv({}).byRoute, {});
  assert.deepEqual(thinkingFromEnv({ ENABLE_HAIKU_THINKING: "0" }).byRoute, { haiku: "off" });
});

Deno.test("thinking variables become variant settings on the tier routes", () => {
  const config = configFromEnv({ env: { ...MODEL, ENABLE_HAIKU_THINKING: "false" } });
  assert.deepEqual(config.routes.haiku, [
    { provider: "ollama", model: "h", settings: { thinking: "off" } },
  ]);
  // Untouched tiers keep the plain target shape.
  assert.deepEqual(config.routes.sonnet, [{ provider: "ollama", model: "a" }]);
  const all = configFromEnv({ env: { ...MODEL, ENABLE_MODEL_THINKING: "yes" } });
  // The fable tier has no variable of its own: it follows ENABLE_MODEL_THINKING.
  for (const route of ["default", "opus", "sonnet", "haiku", "fable"]) {
    assert.equal(all.routes[route]?.[0]?.settings?.thinking, "on", route);
  }
});

Deno.test("a bad thinking value names the variable; old names get a rename warning", () => {
  assert.throws(
    () => configFromEnv({ env: { ...MODEL, ENABLE_OPUS_THINKING: "maybe" } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.includes('ENABLE_OPUS_THINKING: expected true or false, got "maybe"'),
  );
  const config = configFromEnv({ env: { ...MODEL, NIM_ENABLE_THINKING: "true" } });
  assert.ok(
    config.warnings.includes(
      "NIM_ENABLE_THINKING is no longer read; set ENABLE_MODEL_THINKING instead",
    ),
    config.warnings.join("\n"),
  );
});

Deno.test("MODEL* wins over LiteLLM-style variables, with a warning", () => {
  const config = configFromEnv({ env: { ...MODEL, BIG_MODEL: "gpt-4.1" } });
  assert.deepEqual(config.source, { kind: "env" });
  assert.ok(
    config.warnings.includes("BIG_MODEL ignored: MODEL* variables take precedence"),
    config.warnings.join("\n"),
  );
});
