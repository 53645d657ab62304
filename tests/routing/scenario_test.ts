import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { needsExactCount, resolveRoute, resolveRouteCounted } from "../../src/routing/resolve.ts";
import { measure, withinThresholdBySize, withoutSubagentTag } from "../../src/routing/scenarios.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";

const config = configFromYaml({
  file: "c.yaml",
  env: {},
  text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes:
  default: p/default-m
  opus: p/opus-m
  fable: p/fable-m
  subagent: p/sub-m
  web_search: p/web-m
  image: p/image-m
  long_context: p/long-m
  think: p/think-m
aliases:
  fast: p/fast-m
routing:
  long_context_threshold: 1000
  think_budget_tokens: 8000
`,
});

const BILLING =
  "x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli; cc_is_subagent=true;";
const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } };

function route(request: Record<string, unknown>, extra: { inputTokens?: number } = {}) {
  const r = resolveRoute({
    request: { model: "claude-opus-4-5", messages: [], ...request },
    ...extra,
  }, config);
  return `${r.route} → ${r.chain.map((t) => `${t.provider}/${t.model}`).join(",")}`;
}

Deno.test("scenario routes: each rule, in order, after explicit choices and before tiers", () => {
  const user = (content: unknown) => ({ messages: [{ role: "user", content }] });
  assert.equal(route(user("hi")), "opus → p/opus-m");
  assert.equal(route({ model: "claude-fable-5-2", ...user("hi") }), "fable → p/fable-m");
  assert.equal(route({ model: "something-else", ...user("hi") }), "default → p/default-m");
  // Subagent: the billing block as a system block or a role:system message.
  assert.equal(
    route({ system: [{ type: "text", text: BILLING }], ...user("hi") }),
    "subagent → p/sub-m",
  );
  assert.equal(
    route({ messages: [{ role: "system", content: BILLING }, { role: "user", content: "hi" }] }),
    "subagent → p/sub-m",
  );
  assert.equal(
    route({ tools: [{ type: "web_search_20250305", name: "web_search" }], ...user("hi") }),
    "web_search → p/web-m",
  );
  assert.equal(route(user([{ type: "text", text: "look" }, image])), "image → p/image-m");
  assert.equal(
    route(user([{ type: "tool_result", tool_use_id: "t", content: [image] }])),
    "image → p/image-m",
    "an image inside a tool result counts",
  );
  // Only the last user message counts.
  assert.equal(
    route({
      messages: [{ role: "user", content: [image] }, { role: "assistant", content: "ok" }, {
        role: "user",
        content: "next",
      }],
    }),
    "opus → p/opus-m",
  );
  assert.equal(
    route(user("x".repeat(7000)), { inputTokens: 1200 }),
    "long_context → p/long-m",
    "over by the count",
  );
  assert.equal(route({ output_config: { effort: "high" }, ...user("hi") }), "think → p/think-m");
  assert.equal(
    route({ thinking: { type: "enabled", budget_tokens: 8000 }, ...user("hi") }),
    "think → p/think-m",
  );
  assert.equal(
    route({ thinking: { type: "enabled", budget_tokens: 7999 }, ...user("hi") }),
    "opus → p/opus-m",
  );
  // Order: subagent before image before think.
  assert.equal(
    route({ system: BILLING, output_config: { effort: "max" }, ...user([image]) }),
    "subagent → p/sub-m",
  );
  assert.equal(route({ output_config: { effort: "max" }, ...user([image]) }), "image → p/image-m");
  // Explicit choices win over scenarios.
  assert.equal(route({ model: "fast", system: BILLING, ...user("hi") }), "alias:fast → p/fast-m");
  assert.equal(route({ model: "p/x", system: BILLING, ...user("hi") }), "explicit → p/x");
});

Deno.test("long_context: a body certainly within needs no count; over is always counted", async () => {
  const body = (text: string) => ({
    model: "claude-opus-4-5",
    messages: [{ role: "user", content: text }],
  });
  assert.equal(withinThresholdBySize(measure(body("x".repeat(400))), 1000), true);
  assert.equal(withinThresholdBySize(measure(body("x".repeat(7000))), 1000), false);
  assert.equal(needsExactCount({ request: body("x".repeat(400)) }, config), false);
  assert.equal(needsExactCount({ request: body("x".repeat(3000)) }, config), true);
  assert.equal(needsExactCount({ request: body("x".repeat(70_000)) }, config), true);
  assert.equal(
    needsExactCount({ request: { ...body("x".repeat(3000)), model: "fast" } }, config),
    false,
  );
  assert.equal(route(body("x".repeat(3000)), { inputTokens: 1001 }), "long_context → p/long-m");
  assert.equal(route(body("x".repeat(3000)), { inputTokens: 900 }), "opus → p/opus-m");
  // With the real counter: 42,000 characters that are nearly all spaces are ~730 tokens, under
  // the threshold of 1000 however long they look; 8,000 characters of words are over.
  const counted = (request: ReturnType<typeof body>) =>
    resolveRouteCounted({ request }, config, countRequestTokensAsync).then((r) => r.route);
  assert.equal(await counted(body(`a${" ".repeat(42_000)}b`)), "opus");
  assert.equal(await counted(body("word ".repeat(1600))), "long_context");
  let asked = 0;
  await resolveRouteCounted({ request: body("short") }, config, () => Promise.resolve(++asked));
  assert.equal(asked, 0, "a body certainly within is not counted");
});

Deno.test("subagent tag: picks a route, alias or provider/model, beats scenarios, and is removed", () => {
  const tagged = (tag: string) => ({
    system: [{ type: "text", text: BILLING }, {
      type: "text",
      text: `You review code.\n<CCP-SUBAGENT-MODEL>${tag}</CCP-SUBAGENT-MODEL>`,
    }],
    messages: [{ role: "user", content: [image] }],
  });
  assert.equal(route(tagged("p/reviewer")), "subagent_tag → p/reviewer");
  assert.equal(route(tagged("think")), "subagent_tag → p/think-m");
  assert.equal(route(tagged("fast")), "subagent_tag → p/fast-m");
  assert.throws(() => route(tagged("nowhere/x")), /subagent model tag names "nowhere\/x"/);
  const stripped = withoutSubagentTag({ model: "m", ...tagged("p/reviewer") });
  assert.deepEqual(stripped.system, [{ type: "text", text: BILLING }, {
    type: "text",
    text: "You review code.",
  }]);
  assert.ok(!JSON.stringify(stripped).includes("CCP-SUBAGENT-MODEL"));
});

Deno.test("subagent tag: a block, message or prompt that held only the tag goes away", () => {
  const tag = "<CCP-SUBAGENT-MODEL>p/reviewer</CCP-SUBAGENT-MODEL>";
  const blocks = withoutSubagentTag({
    model: "m",
    system: [{ type: "text", text: BILLING }, { type: "text", text: ` ${tag}\n` }],
    messages: [{ role: "system", content: tag }, { role: "user", content: "hi" }],
  });
  assert.deepEqual(blocks.system, [{ type: "text", text: BILLING }]);
  assert.deepEqual(blocks.messages, [{ role: "user", content: "hi" }]);
  const whole = withoutSubagentTag({ model: "m", system: tag, messages: [] });
  assert.equal("system" in whole, false);
  const onlyBlock = withoutSubagentTag({ model: "m", system: [{ type: "text", text: tag }] });
  assert.equal("system" in onlyBlock, false);
});
