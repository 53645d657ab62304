import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { Config } from "../../src/config/types.ts";
import {
  needsExactCount,
  resolveRoute,
  resolveRouteCounted,
  type RoutableRequest,
} from "../../src/routing/resolve.ts";
import { withoutSubagentTag } from "../../src/routing/scenarios.ts";
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

// Counted at 7 tokens unless told otherwise, as the server tests' stub counts.
function route(
  request: Record<string, unknown>,
  extra: { inputTokens?: number } = { inputTokens: 7 },
) {
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
    route(user("word ".repeat(2000)), { inputTokens: 2200 }),
    "long_context → p/long-m",
  );
  assert.equal(route({ output_config: { effort: "high" }, ...user("hi") }), "think → p/think-m");
  // Anthropic's level between high and max (Claude Opus 4.7 and later).
  assert.equal(route({ output_config: { effort: "xhigh" }, ...user("hi") }), "think → p/think-m");
  assert.equal(
    route({ thinking: { type: "enabled", budget_tokens: 8000 }, ...user("hi") }),
    "think → p/think-m",
  );
  assert.equal(
    route({ thinking: { type: "enabled", budget_tokens: 7999 }, ...user("hi") }),
    "opus → p/opus-m",
  );
  assert.equal(route({ output_config: { effort: "medium" }, ...user("hi") }), "opus → p/opus-m");
  // Order: subagent, web_search, image, long_context, think; each pair met in one request.
  const webSearch = { tools: [{ type: "web_search_20250305", name: "web_search" }] };
  assert.equal(route({ system: BILLING, ...webSearch, ...user("hi") }), "subagent → p/sub-m");
  assert.equal(route({ ...webSearch, ...user([image]) }), "web_search → p/web-m");
  assert.equal(route(user([image]), { inputTokens: 2200 }), "image → p/image-m");
  assert.equal(
    route({ output_config: { effort: "max" }, ...user("hi") }, { inputTokens: 2200 }),
    "long_context → p/long-m",
  );
  assert.equal(
    route({ system: BILLING, output_config: { effort: "max" }, ...user([image]) }),
    "subagent → p/sub-m",
  );
  assert.equal(route({ output_config: { effort: "max" }, ...user([image]) }), "image → p/image-m");
  // Explicit choices win over scenarios.
  assert.equal(route({ model: "fast", system: BILLING, ...user("hi") }), "alias:fast → p/fast-m");
  assert.equal(route({ model: "p/x", system: BILLING, ...user("hi") }), "explicit → p/x");
});

Deno.test("a /model pick of claude-ccp/default or a tier is explicit: no scenario takes it", () => {
  // Claude Code asks for high effort for every name picked from ccp's list.
  const picked = (model: string, extra: Record<string, unknown> = {}) =>
    route({ model, output_config: { effort: "high" }, ...extra });
  assert.equal(picked("claude-ccp/default"), "default → p/default-m");
  assert.equal(picked("claude-ccp/opus"), "opus → p/opus-m");
  assert.equal(picked("claude-ccp/fable"), "fable → p/fable-m");
  assert.equal(picked("claude-ccp/default", { system: BILLING }), "default → p/default-m");
  // The plain names keep the resolution order: scenarios first, then the tier or default.
  assert.equal(picked("default"), "think → p/think-m");
  assert.equal(picked("opus"), "think → p/think-m");
  assert.equal(picked("claude-opus-4-5"), "think → p/think-m");
  assert.equal(route({ model: "default", system: BILLING }), "subagent → p/sub-m");
  // A tier with no route of its own is not in the list: it goes by the rules, as before.
  assert.equal(picked("claude-ccp/haiku"), "think → p/think-m");
});

// The local count, as the server makes it for routing and for count_tokens.
const count = (request: Record<string, unknown>) =>
  countRequestTokensAsync(request, { model: request.model as string });
let counts = 0;
const counting = (request: Record<string, unknown>) => (counts++, count(request));

/** Routes as the Messages handler does: counted when the long_context rule needs it. */
async function routeCounted(request: RoutableRequest, cfg: Config): Promise<string> {
  return (await resolveRouteCounted({ request }, cfg, counting)).route;
}

// The default threshold (60k), with the long_context route.
const atDefault = configFromYaml({
  file: "c.yaml",
  env: {},
  text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes: { default: p/default-m, long_context: p/long-m, think: p/think-m }
`,
});
const atThreshold = (threshold: number) =>
  configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes: { default: p/default-m, long_context: p/long-m }
routing: { long_context_threshold: ${threshold} }
`,
  });
const say = (content: unknown): RoutableRequest => ({
  model: "claude-sonnet-4-5",
  max_tokens: 100,
  messages: [{ role: "user", content }],
});
// The audit's body: ~420k characters, mostly spaces, counted at ~9.6k tokens.
const SPACES = ("Fix the bug." + " ".repeat(1000)).repeat(416);

Deno.test("long_context: a long body of few tokens is counted, and not long", async () => {
  const body = say(SPACES);
  assert.ok(SPACES.length > 420_000);
  const tokens = await count(body);
  assert.ok(tokens > 5_000 && tokens < 15_000, `counted ${tokens}`);
  assert.equal(needsExactCount({ request: body }, atDefault), true, "only the count can tell");
  assert.equal(await routeCounted(body, atDefault), "default");
});

Deno.test("long_context: a body over the threshold by its count goes there", async () => {
  const prose = say("The quick brown fox jumps over the lazy dog. ".repeat(7000));
  assert.ok((await count(prose)) > 60_000);
  assert.equal(await routeCounted(prose, atDefault), "long_context");
  // Short text, but a 30-page PDF: pages, not characters, make it long.
  const pdf = btoa("%PDF-1.4\n" + "1 0 obj << /Type /Page >> endobj\n".repeat(30));
  const document = {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: pdf },
  };
  const withPdf = say([document, { type: "text", text: "Summarize this." }]);
  assert.ok((await count(withPdf)) > 60_000);
  assert.equal(await routeCounted(withPdf, atDefault), "long_context");
});

Deno.test("long_context: no size rule stands in for the count, either way", async () => {
  // 3000 rare CJK characters, which the tokenizer splits into bytes: over 4 tokens each.
  let rare = "";
  for (let c = 0x3400; c < 0x3400 + 3000; c++) rare += String.fromCharCode(c);
  const cjk = { ...say(rare), model: "claude-opus-4-7" };
  const tokens = await count(cjk);
  assert.ok(tokens > 4 * rare.length, `counted ${tokens}`);
  assert.equal(await routeCounted(cjk, atThreshold(4 * rare.length)), "long_context");
  // Sixty small tool definitions: their JSON keys and the tool-use prompt count too.
  const tools = Array.from({ length: 60 }, (_, i) => ({
    name: `t${i}`,
    input_schema: { type: "object", properties: { a: { type: "string" } } },
  }));
  const withTools = { ...say("go"), tools };
  assert.ok((await count(withTools)) > 2000);
  assert.equal(await routeCounted(withTools, atThreshold(2000)), "long_context");
});

Deno.test("long_context: near the threshold, the count decides", async () => {
  const body = say(SPACES.slice(0, 40_000) + "The quick brown fox. ".repeat(300));
  const tokens = await count(body);
  assert.equal(await routeCounted(body, atThreshold(tokens)), "default", "at the threshold");
  assert.equal(await routeCounted(body, atThreshold(tokens - 1)), "long_context", "one over");
  // The number routing used is the one count_tokens reports, before and after the cache is warm.
  assert.equal(await count(body), tokens);
});

Deno.test("long_context: only a request too small to be over skips the count", async () => {
  counts = 0;
  assert.equal(await routeCounted(say("Fix the login test."), atDefault), "default");
  assert.equal(counts, 0, "a bound of the count rules it out");
  assert.equal(await routeCounted(say("word ".repeat(1000)), atDefault), "default");
  assert.equal(counts, 1, "5000 characters may be over: counted");
  // Earlier rules and explicit choices need no count; neither does a request that has one.
  const long = say("word ".repeat(1000));
  assert.equal(needsExactCount({ request: { ...long, model: "fast" } }, config), false);
  assert.equal(needsExactCount({ request: long, urlPrefix: "p:x" }, config), false);
  assert.equal(needsExactCount({ request: { ...long, model: "p/" } }, config), true);
  assert.equal(needsExactCount({ request: long, inputTokens: 5 }, config), false);
  assert.equal(
    needsExactCount({ request: { ...long, output_config: { effort: "max" } } }, atDefault),
    true,
    "think comes after long_context",
  );
  assert.equal(route(long, { inputTokens: 1001 }), "long_context → p/long-m");
  assert.equal(route(long, { inputTokens: 1000 }), "default → p/default-m");
  // A caller that does not count when it must gets an error, never a guess.
  assert.throws(() => route(long, {}), /needs the request's input tokens/);
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
  // No longer than a request's model field may be.
  assert.equal(route(tagged(`p/${"x".repeat(1022)}`)), `subagent_tag → p/${"x".repeat(1022)}`);
  assert.notEqual(route(tagged(`p/${"x".repeat(1023)}`)).split(" ")[0], "subagent_tag");
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
