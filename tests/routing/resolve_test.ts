import assert from "node:assert/strict";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { formatTarget } from "../../src/routing/target_text.ts";
import { resolveModel } from "../helpers/resolve.ts";
import { ClientRequestError } from "../../src/core/errors.ts";
import { provider, testConfig } from "../helpers/config.ts";

const config = testConfig({
  providers: [provider("nim"), provider("local"), provider("ollama", { implicit: true })],
  routes: {
    default: "nim/z-ai/glm4.7",
    opus: "nim/moonshotai/kimi-k2.5",
    sonnet: ["local/qwen3-coder", "nim/z-ai/glm4.7"],
    haiku: "local/qwen3-coder",
    think: "nim/deepseek-r1",
  },
  aliases: { "my-fast": "local/qwen3-coder", "claude-opus-alias": "local/aliased" },
});

const chainOf = (input: Parameters<typeof resolveModel>[0]) =>
  resolveModel(input, config).chain.map(formatTarget);

Deno.test("resolveModel: every rule, first match wins", async (t) => {
  const cases: Array<[string, Parameters<typeof resolveModel>[0], string, string[]]> = [
    ["1 url prefix", { model: "claude-opus-5-5", urlPrefix: "local:qwen3-coder" }, "url_prefix", [
      "local/qwen3-coder",
    ]],
    [
      "1 url prefix keeps colons and slashes in the model",
      { model: "x", urlPrefix: "ollama:qwen2.5-coder:32b" },
      "url_prefix",
      ["ollama/qwen2.5-coder:32b"],
    ],
    [
      "1 url prefix with a slashed model",
      { model: "x", urlPrefix: "nim:z-ai/glm4.7" },
      "url_prefix",
      ["nim/z-ai/glm4.7"],
    ],
    ["1 url prefix naming an alias", { model: "x", urlPrefix: "my-fast" }, "url_prefix", [
      "local/qwen3-coder",
    ]],
    [
      "2 token suffix",
      { model: "claude-opus-5-5", tokenSuffix: "nim/moonshotai/kimi-k2.5" },
      "token_suffix",
      ["nim/moonshotai/kimi-k2.5"],
    ],
    [
      "2 token suffix naming an alias",
      { model: "claude-opus-5-5", tokenSuffix: "my-fast" },
      "token_suffix",
      ["local/qwen3-coder"],
    ],
    ["3 alias exact match", { model: "my-fast" }, "alias", ["local/qwen3-coder"]],
    ["3 alias beats the tier word inside it", { model: "claude-opus-alias" }, "alias", [
      "local/aliased",
    ]],
    ["4 provider/model", { model: "local/some/deep/model" }, "provider", ["local/some/deep/model"]],
    ["4 implicit local preset", { model: "ollama/llama3.2" }, "provider", ["ollama/llama3.2"]],
    ["5 tier opus", { model: "claude-opus-5-5" }, "tier", ["nim/moonshotai/kimi-k2.5"]],
    ["5 tier sonnet is a chain", { model: "claude-sonnet-4-5-20250929" }, "tier", [
      "local/qwen3-coder",
      "nim/z-ai/glm4.7",
    ]],
    ["5 tier haiku, case-insensitive", { model: "Claude-HAIKU-5-5" }, "tier", [
      "local/qwen3-coder",
    ]],
    ["6 default", { model: "gpt-4o" }, "default", ["nim/z-ai/glm4.7"]],
    ["6 unknown provider prefix falls to default", { model: "nmi/x" }, "default", [
      "nim/z-ai/glm4.7",
    ]],
  ];
  for (const [name, input, rule, chain] of cases) {
    await t.step(name, () => {
      const r = resolveModel(input, config);
      assert.equal(r.rule, rule);
      assert.deepEqual(r.chain.map(formatTarget), chain);
    });
  }
});

Deno.test("resolveRoute: the route name sent as x-ccp-route", async (t) => {
  const cases: Array<[string, string, { urlPrefix?: string; tokenSuffix?: string }?]> = [
    ["claude-opus-5-5", "url_prefix", { urlPrefix: "local:qwen3-coder" }],
    ["claude-opus-5-5", "token_suffix", { tokenSuffix: "my-fast" }],
    ["my-fast", "alias:my-fast"],
    ["local/some/model", "explicit"],
    ["claude-opus-5-5", "opus"],
    ["claude-sonnet-4-5", "sonnet"],
    ["gpt-4o", "default"],
  ];
  for (const [model, route, choices] of cases) {
    await t.step(`${model} → ${route}`, () => {
      assert.equal(resolveModel({ model, ...choices }, config).route, route);
    });
  }
});

Deno.test("resolveModel: rule order", async (t) => {
  await t.step("url prefix beats token suffix", () => {
    assert.deepEqual(chainOf({ model: "my-fast", urlPrefix: "nim:a", tokenSuffix: "local/b" }), [
      "nim/a",
    ]);
  });
  await t.step("token suffix beats alias", () => {
    assert.deepEqual(chainOf({ model: "my-fast", tokenSuffix: "nim/b" }), ["nim/b"]);
  });
  await t.step("provider/model beats tier", () => {
    assert.deepEqual(chainOf({ model: "local/claude-opus-local" }), ["local/claude-opus-local"]);
  });
  await t.step("opus is tested before sonnet and haiku", () => {
    assert.deepEqual(chainOf({ model: "opus-sonnet-haiku" }), ["nim/moonshotai/kimi-k2.5"]);
  });
  await t.step("a tier without a route falls to default", () => {
    const noHaiku = testConfig({ providers: [provider("nim")], routes: { default: "nim/d" } });
    assert.deepEqual(resolveModel({ model: "claude-haiku-5-5" }, noHaiku).chain.map(formatTarget), [
      "nim/d",
    ]);
  });
});

Deno.test("resolveModel: errors", async (t) => {
  await t.step("unknown provider in url prefix names it and the known ones", () => {
    assert.throws(
      () => resolveModel({ model: "x", urlPrefix: "nmi:glm" }, config),
      (e: unknown) =>
        e instanceof ClientRequestError && e.status === 400 &&
        e.message.startsWith(
          'Unknown provider "nmi" in URL prefix "nmi:glm" (configured: nim, local, ollama). Add it',
        ),
    );
  });
  await t.step("a URL path that is no routing prefix says to drop it from the base URL", () => {
    // Other proxies serve under a path (`http://host:8082/anthropic`): a base URL copied from
    // one reaches ccp as `/anthropic/v1/messages`.
    assert.throws(
      () => resolveModel({ model: "x", urlPrefix: "anthropic" }, config),
      (e: unknown) =>
        e instanceof ClientRequestError && e.status === 400 &&
        e.message === 'Invalid URL prefix "anthropic": expected <provider>:<model> or an alias. ' +
            "Not meant as one? Set ANTHROPIC_BASE_URL to ccp's address without /anthropic",
    );
    // A prefix with a colon was meant as one: no such advice.
    assert.throws(
      () => resolveModel({ model: "x", urlPrefix: "nim:" }, config),
      (e: unknown) => e instanceof ClientRequestError && !e.message.includes("ANTHROPIC_BASE_URL"),
    );
  });
  await t.step("malformed token suffix", () => {
    assert.throws(
      () => resolveModel({ model: "x", tokenSuffix: "justaname" }, config),
      /expected <provider>\/<model> or an alias/,
    );
  });
  await t.step("a model name longer than a request's model field may be", () => {
    assert.equal(
      resolveModel({ model: "x", urlPrefix: `nim:${"m".repeat(1024)}` }, config).chain[0]?.model,
      "m".repeat(1024),
    );
    assert.throws(
      () => resolveModel({ model: "x", urlPrefix: `nim:${"m".repeat(1025)}` }, config),
      (e: unknown) =>
        e instanceof ClientRequestError && e.status === 400 &&
        e.message === "The URL prefix names a model of 1025 characters: at most 1024",
    );
    assert.throws(
      () => resolveModel({ model: "x", tokenSuffix: `nim/${"m".repeat(5000)}` }, config),
      /auth token suffix names a model of 5000 characters/,
    );
  });
  await t.step("no default route", () => {
    const none = testConfig({ providers: [provider("nim")], routes: {} });
    assert.throws(
      () => resolveModel({ model: "gpt" }, none),
      (e: unknown) => e instanceof ClientRequestError && e.status === 404,
    );
  });
  await t.step("is pure: the config is not changed", () => {
    const before = JSON.stringify(config);
    resolveModel({ model: "claude-opus-5-5" }, config);
    assert.equal(JSON.stringify(config), before);
  });
});

Deno.test("resolveModel: a route named exactly, as /model sends it from GET /v1/models", async (t) => {
  const routed = testConfig({
    providers: [provider("nim"), provider("local")],
    routes: {
      default: "nim/d",
      opus: "nim/o",
      image: "local/vision",
      cheap: ["local/small", "nim/backup"],
    },
    aliases: { "my-fast": "local/fast" },
  });
  const resolved = (model: string, extra: Record<string, unknown> = {}) =>
    resolveRoute({ request: { model, ...extra } }, routed);
  await t.step("a route the user added, by its name or the picker's claude-ccp/ twin", () => {
    for (const model of ["cheap", "claude-ccp/cheap"]) {
      const r = resolved(model);
      assert.deepEqual(r.chain.map(formatTarget), ["local/small", "nim/backup"], model);
      assert.equal(r.route, "cheap");
      assert.equal(r.routeKey, "cheap");
    }
  });
  await t.step("a scenario route picked by hand", () => {
    assert.deepEqual(resolved("claude-ccp/image").chain.map(formatTarget), ["local/vision"]);
  });
  await t.step("only the exact name: a model that contains it goes by the other rules", () => {
    assert.equal(resolved("cheap-model").route, "default");
  });
  await t.step("a picker name ccp no longer has is refused as an unknown model", () => {
    // Claude Code keeps a /model pick in its settings: the alias or route may be gone since.
    for (const model of ["claude-ccp/gone", "claude-ccp/gone-opus", "claude-ccp/other/x"]) {
      assert.throws(
        () => resolved(model),
        (e: unknown) =>
          e instanceof ClientRequestError && e.status === 404 &&
          e.message.includes(`"${model}"`) && e.message.includes("/model") &&
          e.message.includes("default, opus, image, cheap, my-fast"),
        model,
      );
    }
    // What it lists still resolves: aliases, provider/model, default and the tiers.
    assert.equal(resolved("claude-ccp/my-fast").route, "alias:my-fast");
    assert.equal(resolved("claude-ccp/nim/kimi").route, "explicit");
    assert.equal(resolved("claude-ccp/default").route, "default");
    assert.equal(resolved("claude-ccp/opus").route, "opus");
    assert.equal(resolved("claude-ccp/haiku").route, "default");
    // A name without the prefix is no pick: unknown names still go by tier or the default.
    assert.equal(resolved("gone").route, "default");
  });
  await t.step("tier names keep their rule: a scenario still comes first", () => {
    const image = {
      messages: [{
        role: "user",
        content: [{
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "x" },
        }],
      }],
    };
    assert.equal(resolved("opus", image).route, "image");
    assert.equal(resolved("opus").route, "opus");
  });
});
