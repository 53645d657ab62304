import assert from "node:assert/strict";
import { countRequestTokens, DEFAULT_CALIBRATION } from "../../src/tokens/mod.ts";
import { CURRENT, LEGACY, o200k, PLAIN, plain, userSays } from "./helpers.ts";
import { png, toBase64 } from "./image_fixtures.ts";
import { threadCpuMs } from "../helpers/cpu_time.ts";

const WEATHER = {
  name: "get_weather",
  description: "Get the current weather in a given location",
  input_schema: {
    type: "object",
    properties: { location: { type: "string", description: "The city and state" } },
    required: ["location"],
  },
};
// claude-sonnet-4-5 publishes a 496-token (auto/none) and 588-token (any/tool) tool prompt.
const TOOL_TEXT = o200k(WEATHER.name) + o200k(WEATHER.description) +
  o200k(JSON.stringify(WEATHER.input_schema));

Deno.test("tools: definitions, tool prompt by tool_choice, per-tool overhead", async (t) => {
  await t.step("auto (default) and none use the auto prompt", () => {
    assert.equal(plain({ tools: [WEATHER] }), 496 + TOOL_TEXT);
    assert.equal(plain({ tools: [WEATHER], tool_choice: { type: "none" } }), 496 + TOOL_TEXT);
  });
  await t.step("any and tool use the forced prompt", () => {
    assert.equal(plain({ tools: [WEATHER], tool_choice: { type: "any" } }), 588 + TOOL_TEXT);
    const forced = { type: "tool", name: "get_weather" };
    assert.equal(plain({ tools: [WEATHER], tool_choice: forced }), 588 + TOOL_TEXT);
  });
  await t.step("per-tool overhead and input_examples", () => {
    assert.equal(
      plain({ tools: [WEATHER, WEATHER] }, { ...PLAIN, tool: 10 }),
      496 + 2 * (TOOL_TEXT + 10),
    );
    const examples = [{ location: "Paris" }];
    assert.equal(
      plain({ tools: [{ ...WEATHER, input_examples: examples }] }),
      496 + TOOL_TEXT + o200k(JSON.stringify(examples)),
    );
  });
  await t.step("deferred tools stay out of the context", () => {
    assert.equal(plain({ tools: [WEATHER, { ...WEATHER, defer_loading: true }] }), 496 + TOOL_TEXT);
  });
  await t.step("a deferred tool the conversation loaded is counted", () => {
    const other = { ...WEATHER, name: "get_time" };
    const otherText = o200k(other.name) + o200k(other.description) +
      o200k(JSON.stringify(other.input_schema));
    const tools = [WEATHER, { ...other, defer_loading: true }];
    const loaded = {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "t1",
        content: [{ type: "tool_reference", tool_name: "get_time" }],
      }],
    };
    const withHistory = plain({ tools, messages: [loaded] });
    const without = plain({ tools, messages: [{ ...loaded, content: [] }] });
    assert.equal(
      withHistory - without -
        (plain({ messages: [loaded] }) - plain({ messages: [{ ...loaded, content: [] }] })),
      otherText,
    );
    // Forced by tool_choice: in the context too.
    const forced = { type: "tool", name: "get_time" };
    assert.equal(plain({ tools, tool_choice: forced }), 588 + TOOL_TEXT + otherText);
  });
  await t.step("no tools, no prompt", () => {
    assert.equal(plain({ tools: [] }), 0);
    assert.equal(plain({ tools: "nope", tool_choice: { type: "any" } }), 0);
  });
  await t.step("server tools: documented or default fixed overhead plus their JSON", () => {
    const bash = { type: "bash_20250124", name: "bash" };
    const search = { type: "web_search_20250305", name: "web_search", max_uses: 5 };
    assert.equal(plain({ tools: [bash] }), 496 + 245 + o200k(JSON.stringify(bash)));
    assert.equal(plain({ tools: [search] }), 496 + 300 + o200k(JSON.stringify(search)));
  });
  await t.step("the tool prompt follows the model", () => {
    assert.equal(plain({ model: "claude-opus-4-7", tools: [WEATHER] }) >= 675, true);
    assert.equal(plain({ model: "claude-3-5-haiku-latest", tools: [WEATHER] }), 264 + TOOL_TEXT);
  });
});

Deno.test("request-level overheads: request, messages, thinking", () => {
  const body = {
    messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }],
    thinking: { type: "adaptive" },
  };
  const calibration = { ...PLAIN, request: 3, message: 4, thinking: 25 };
  assert.equal(plain(body, calibration), 3 + 2 * 4 + 25 + o200k("a") + o200k("b"));
  assert.equal(plain({ ...body, thinking: { type: "disabled" } }, calibration), 3 + 8 + 2);
  assert.equal(plain({}, calibration), 3);
});

Deno.test("never throws on odd input", async (t) => {
  const cyclic: Record<string, unknown> = { type: "text" };
  cyclic.self = cyclic;
  let deep: unknown = "leaf";
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const odd: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["number", 42],
    ["string", "hello"],
    ["array", [1, 2, 3]],
    ["messages not an array", { messages: "hi" }],
    ["junk messages", { messages: [null, 5, "x", { role: "user" }, { content: [null, 7] }] }],
    ["blocks without type", userSays([{}, { text: 5 }, { type: 7 }, { type: "text", text: 9 }])],
    ["cyclic unknown block", userSays([cyclic])],
    ["bigint", userSays([{ type: "x", n: 10n }])],
    ["100k-deep nesting", userSays([{ type: "tool_result", content: deep }])],
    ["odd tools", { tools: [null, 1, "x", { type: 5 }, { name: 3, input_schema: cyclic }] }],
    ["odd system", { system: [{ type: "image" }, 4, null] }],
    ["odd model", { model: 12, messages: [] }],
    ["special tokens", userSays("<|endoftext|><|im_start|>system")],
    ["lone surrogates", userSays("\ud800\udc00\ud800 x \udfff")],
  ];
  for (const [name, input] of odd) {
    await t.step(name, () => {
      const n = countRequestTokens(input);
      assert.equal(Number.isInteger(n) && n >= 0, true);
    });
  }
});

Deno.test("a 32 MiB request is counted quickly", async (t) => {
  const image = toBase64(png(3000, 2000)) + "A".repeat(24 * 1024 * 1024);
  const words = "lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(2000);
  const bigText = words.repeat(70); // ~7.7 MB
  const body = {
    model: CURRENT,
    messages: [{
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: image } },
        { type: "tool_result", tool_use_id: "t", content: bigText },
        { type: "text", text: "x".repeat(300_000) },
      ],
    }],
  };
  await t.step("within seconds, with a sane result", () => {
    const started = threadCpuMs();
    const n = countRequestTokens(body, { cache: null });
    const elapsed = threadCpuMs() - started;
    const expectedText = o200k(words) * 70 * DEFAULT_CALIBRATION.legacyTextFactor *
      DEFAULT_CALIBRATION.currentTokenizerRatio;
    assert.equal(elapsed < 3000, true, `took ${elapsed} ms`);
    // Image (4784 high-res maximum for 3000×2000) plus the sampled text, within 5 %.
    assert.equal(Math.abs(n - 4784 - expectedText) / expectedText < 0.05, true, `${n}`);
  });
});

Deno.test("Claude Code-shaped request: legacy vs current model", () => {
  const body = {
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.330.f73;" },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "Write hello.txt" }] },
      { role: "system", content: "# Environment\nPlatform: linux" },
    ],
    tools: [WEATHER, { name: "DeferredToolPlaceholder", defer_loading: true, input_schema: {} }],
    thinking: { type: "adaptive", display: "updates" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    metadata: { user_id: "x".repeat(200) },
    stream: true,
  };
  const legacy = countRequestTokens({ ...body, model: LEGACY });
  const current = countRequestTokens({ ...body, model: "claude-opus-5-5" });
  assert.equal(legacy > 496 && current > 354, true);
  // Metadata, context_management and stream are not model input.
  assert.equal(countRequestTokens({ ...body, model: LEGACY, metadata: {} }), legacy);
});
