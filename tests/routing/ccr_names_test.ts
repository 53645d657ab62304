import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { resolveRoute } from "../../src/routing/resolve.ts";
import { subagentTag, withoutSubagentTag } from "../../src/routing/scenarios.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

// Provider ids as `ccp init --from ccr` writes them: CCR's names, case kept, spaces made `_`.
const config = configFromYaml({
  file: "c.yaml",
  env: {},
  text: `providers:
  OpenRouter: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
  my_provider: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes:
  default: OpenRouter/default-m
  sonnet: OpenRouter/sonnet-m
  reviewer: my_provider/review-m
`,
});

function route(request: Record<string, unknown>): string {
  const r = resolveRoute(
    { request: { model: "claude-sonnet-4-5", messages: [], ...request } },
    config,
  );
  return `${r.route} → ${r.chain.map((t) => `${t.provider}/${t.model}`).join(",")}`;
}

Deno.test("claude-code-router's /model provider,model picks that provider and model", async (t) => {
  await t.step("as CCR wrote it, whatever the provider's case", () => {
    assert.equal(
      route({ model: "openrouter,anthropic/claude-sonnet-4" }),
      "explicit → OpenRouter/anthropic/claude-sonnet-4",
    );
    assert.equal(
      route({ model: "OpenRouter,google/gemini-2.5-pro" }),
      "explicit → OpenRouter/google/gemini-2.5-pro",
    );
    assert.equal(route({ model: " OPENROUTER , x-model " }), "explicit → OpenRouter/x-model");
  });
  await t.step("a name CCR had with a space matches its converted id", () => {
    assert.equal(route({ model: "My Provider,qwen3" }), "explicit → my_provider/qwen3");
  });
  await t.step("provider/model still wins, and other commas change nothing", () => {
    assert.equal(route({ model: "OpenRouter/a,b" }), "explicit → OpenRouter/a,b");
    assert.equal(route({ model: "nobody,claude-sonnet-4-5" }), "sonnet → OpenRouter/sonnet-m");
    assert.equal(route({ model: "openrouter," }), "default → OpenRouter/default-m");
    assert.equal(route({ model: ",m" }), "default → OpenRouter/default-m");
  });
  await t.step("a catalog preset the config does not define is refused, as with a slash", () => {
    assert.throws(
      () => route({ model: "deepseek,deepseek-chat" }),
      /Provider "deepseek" in model "deepseek,deepseek-chat" is not configured/,
    );
  });
});

Deno.test("claude-code-router's <CCR-SUBAGENT-MODEL> tag routes a subagent and is removed", async (t) => {
  const tagged = (inside: string) => ({
    system: [{ type: "text", text: "billing" }, {
      type: "text",
      text: `<CCR-SUBAGENT-MODEL>${inside}</CCR-SUBAGENT-MODEL>\nYou review code.`,
    }],
    messages: [{ role: "user", content: "hi" }],
  });
  await t.step("provider,model (CCR v1), provider/model (v2), a route name", () => {
    assert.equal(
      route(tagged("openrouter,deepseek/deepseek-r1")),
      "subagent_tag → OpenRouter/deepseek/deepseek-r1",
    );
    assert.equal(route(tagged("My Provider,qwen3")), "subagent_tag → my_provider/qwen3");
    assert.equal(
      route(tagged("OpenRouter/z-ai/glm-4.6")),
      "subagent_tag → OpenRouter/z-ai/glm-4.6",
    );
    assert.equal(route(tagged("reviewer")), "subagent_tag → my_provider/review-m");
  });
  await t.step("an unknown provider is refused with the tag's text, never sent upstream", () => {
    assert.throws(() => route(tagged("nobody,m")), /subagent model tag names "nobody,m"/);
  });
  await t.step("the tag is removed before the request goes upstream", () => {
    const body = { model: "m", ...tagged("openrouter,x") };
    assert.equal(subagentTag(body), "openrouter,x");
    const stripped = withoutSubagentTag(body);
    assert.deepEqual(stripped.system, [{ type: "text", text: "billing" }, {
      type: "text",
      text: "You review code.",
    }]);
  });
  await t.step("tags of the two kinds must close as they open", () => {
    const mixed = { model: "m", system: "<CCR-SUBAGENT-MODEL>reviewer</CCP-SUBAGENT-MODEL>" };
    assert.equal(subagentTag(mixed), undefined);
  });
});

Deno.test("through the server: /model provider,model and a CCR tag reach the upstream as chosen", async () => {
  const mock = startAnthropicMock([
    { kind: "stream", events: textTurn("m", 2) },
    { kind: "stream", events: textTurn("m", 2) },
  ]);
  const ccp = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  OpenRouter: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: OpenRouter/main
`,
  }));
  const post = async (body: Record<string, unknown>) => {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "go" }],
      ...body,
    });
    await res.text();
    return [res.status, res.headers.get("x-ccp-route"), res.headers.get("x-ccp-model")];
  };
  try {
    assert.deepEqual(await post({ model: "openrouter,z-ai/glm-4.6" }), [
      200,
      "explicit",
      "z-ai/glm-4.6",
    ]);
    assert.equal(mock.requests.at(-1)!.body!.model, "z-ai/glm-4.6");
    const system = "<CCR-SUBAGENT-MODEL>openrouter,qwen/qwen3-coder</CCR-SUBAGENT-MODEL>\nReview.";
    assert.deepEqual(await post({ system }), [200, "subagent_tag", "qwen/qwen3-coder"]);
    const sent = mock.requests.at(-1)!.body!;
    assert.equal(sent.model, "qwen/qwen3-coder");
    assert.ok(!JSON.stringify(sent).includes("SUBAGENT-MODEL"));
    assert.match(JSON.stringify(sent.system), /Review\./);
  } finally {
    await ccp.close();
    await mock.close();
  }
});
