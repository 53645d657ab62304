import assert from "node:assert/strict";
import { LearnedParams, MAX_PER_TARGET } from "../../src/resilience/learned_params.ts";
import { applyLearned, lessonOf } from "../../src/upstream/http/lessons.ts";
import { refusedParameter, withoutParams } from "../../src/upstream/http/refused_params.ts";

const SENT = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  max_tokens: 100,
  max_completion_tokens: 100,
  reasoning_effort: "high",
  stream: true,
  stream_options: { include_usage: true },
  parallel_tool_calls: false,
  top_k: 5,
  temperature: 0.5,
  context_management: { edits: [] },
  thinking: { type: "adaptive", display: "omitted" },
  response_format: { type: "json_schema", json_schema: { name: "output", schema: {} } },
  generationConfig: { thinkingConfig: { thinkingBudget: 1024 }, temperature: 1 },
};

Deno.test("refusedParameter: the wordings servers use to refuse one parameter", async (t) => {
  const rows: Array<[string, string, string]> = [
    [
      "OpenAI, unrecognized argument",
      '{"error":{"message":"Unrecognized request argument supplied: reasoning_effort","type":"invalid_request_error","param":null,"code":null}}',
      "reasoning_effort",
    ],
    [
      "OpenAI reasoning models",
      `{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}`,
      "max_tokens",
    ],
    [
      "OpenAI structured code and param",
      '{"error":{"message":"This parameter is not available.","type":"invalid_request_error","param":"parallel_tool_calls","code":"unsupported_parameter"}}',
      "parallel_tool_calls",
    ],
    [
      "Responses API unknown parameter",
      `{"error":{"message":"Unknown parameter: 'stream_options'.","type":"invalid_request_error","param":"stream_options","code":"unknown_parameter"}}`,
      "stream_options",
    ],
    [
      "vLLM / pydantic extra_forbidden",
      `{"object":"error","message":"[{'type': 'extra_forbidden', 'loc': ('body', 'top_k'), 'msg': 'Extra inputs are not permitted', 'input': 5}]","type":"BadRequestError","param":null,"code":400}`,
      "top_k",
    ],
    [
      "FastAPI detail list",
      '{"detail":[{"type":"extra_forbidden","loc":["body","reasoning_effort"],"msg":"Extra inputs are not permitted"}]}',
      "reasoning_effort",
    ],
    [
      "Anthropic-compatible server",
      '{"type":"error","error":{"type":"invalid_request_error","message":"context_management: Extra inputs are not permitted"}}',
      "context_management",
    ],
    [
      // Claude Code 2.1.332's `claude -p` asks for `display: "omitted"`; the path names the variant.
      "Anthropic-compatible, a key of a tagged field",
      '{"type":"error","error":{"type":"invalid_request_error","message":"thinking.adaptive.display: Extra inputs are not permitted"}}',
      "thinking.display",
    ],
    [
      "Moonshot, a sampling value its model fixes",
      '{"error":{"message":"invalid temperature: only 0.6 is allowed for this model","type":"invalid_request_error"}}',
      "temperature",
    ],
    [
      "Gemini unknown field inside generation_config",
      `{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \\"thinkingConfig\\" at 'generation_config': Cannot find field.","status":"INVALID_ARGUMENT"}}`,
      "generationConfig.thinkingConfig",
    ],
    [
      "Groq wording",
      `{"error":{"message":"property 'reasoning_effort' is unsupported, did you mean 'response_format'?","type":"invalid_request_error"}}`,
      "reasoning_effort",
    ],
    [
      "a 'not supported with this model' sentence",
      `{"error":{"message":"'top_k' is not supported with this model","type":"invalid_request_error"}}`,
      "top_k",
    ],
    [
      "OpenAI, a sampling parameter taken only at its default",
      `{"error":{"message":"Unsupported value: 'temperature' does not support 0.5 with this model. Only the default (1) value is supported.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}`,
      "temperature",
    ],
    [
      "a gateway's bare parameter name",
      `{"error":{"message":"Model does not support parameter top_k","type":"invalid_request_error"}}`,
      "top_k",
    ],
    [
      "Cerebras, a top-level parameter",
      `{"message":"property 'parallel_tool_calls' is unsupported","type":"invalid_request_error","param":"validation_error","code":"wrong_api_format"}`,
      "parallel_tool_calls",
    ],
    [
      "structured output a model does not offer",
      '{"error":{"message":"This model does not support response format `json_schema`.","type":"invalid_request_error","param":"response_format"}}',
      "response_format",
    ],
    [
      "structured output a server does not offer",
      '{"error":{"message":"response_format type json_schema is not supported","type":"invalid_request_error"}}',
      "response_format",
    ],
  ];
  for (const [name, body, param] of rows) {
    await t.step(name, () => assert.equal(refusedParameter(body, SENT), param));
  }
  await t.step("OpenRouter: reasoning that cannot be turned off on the model", () => {
    const body =
      '{"error":{"message":"Reasoning is mandatory for this endpoint and cannot be disabled.","code":400,"metadata":{"provider_name":null}}}';
    const sent = { model: "deepseek/deepseek-r1", reasoning: { enabled: false } };
    assert.equal(refusedParameter(body, sent), "reasoning.enabled");
    assert.equal(refusedParameter(body, { model: "m" }), undefined, "nothing to leave out");
  });
});

Deno.test("refusedParameter: what must not be taken for a refused optional parameter", async (t) => {
  const rows: Array<[string, string]> = [
    [
      "context length",
      `{"error":{"message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
    ],
    [
      "an invalid value is not an unknown parameter",
      `{"error":{"message":"Invalid value for 'temperature': must be between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`,
    ],
    [
      "a required parameter is never dropped",
      `{"error":{"message":"Unsupported parameter: 'messages' is not supported with this model."}}`,
    ],
    [
      "an output limit that is too large",
      `{"error":{"message":"max_tokens is too large: 64000. This model supports at most 16384 completion tokens.","type":"invalid_request_error","param":"max_tokens","code":"invalid_value"}}`,
    ],
    [
      "Cerebras, a field inside a message is not a top-level parameter",
      `{"message":"messages.2.assistant.reasoning_content: property 'messages.2.assistant.reasoning_content' is unsupported","type":"invalid_request_error","param":"validation_error","code":"wrong_api_format"}`,
    ],
    [
      "Anthropic validation of a message",
      '{"type":"error","error":{"type":"invalid_request_error","message":"messages.1.content: Field required"}}',
    ],
    ["a parameter ccp did not send", "Unrecognized request argument supplied: logprobs"],
    ["plain text", "Bad Request"],
    ["empty", ""],
  ];
  for (const [name, body] of rows) {
    await t.step(name, () => assert.equal(refusedParameter(body, SENT), undefined));
  }
});

Deno.test("withoutParams", async (t) => {
  await t.step("drops top-level and nested parameters without touching the input", () => {
    const before = JSON.stringify(SENT);
    const out = withoutParams(SENT, ["reasoning_effort", "generationConfig.thinkingConfig"]);
    assert.equal(JSON.stringify(SENT), before);
    assert.equal("reasoning_effort" in out, false);
    assert.deepEqual(out.generationConfig, { temperature: 1 });
  });
  await t.step("a refused output limit is renamed, not dropped", () => {
    assert.deepEqual(
      withoutParams({ model: "m", max_completion_tokens: 9 }, ["max_completion_tokens"]),
      {
        model: "m",
        max_tokens: 9,
      },
    );
    assert.deepEqual(withoutParams({ model: "m", max_tokens: 9 }, ["max_tokens"]), {
      model: "m",
      max_completion_tokens: 9,
    });
  });
  await t.step("a parameter that is absent leaves the body as it is", () => {
    const body = { model: "m" };
    assert.equal(withoutParams(body, ["top_k"]), body);
  });
});

/** A provider as lessons see it: its name, and the server its requests go to. */
const at = (id: string, baseUrl = `http://${id}.example`) => ({ id, type: "openai", baseUrl });

Deno.test("LearnedParams: per server and model, new once, bounded", () => {
  const learned = new LearnedParams(2);
  const p = at("p");
  assert.equal(learned.learn(p, "m", "top_k"), true);
  assert.equal(learned.learn(p, "m", "top_k"), false);
  assert.deepEqual([...learned.for(p, "m")], ["top_k"]);
  assert.deepEqual([...learned.for(p, "other")], []);
  learned.learn(p, "m2", "x");
  learned.learn(p, "m3", "y");
  assert.deepEqual(Object.keys(learned.snapshot()), ["p/m2", "p/m3"], "the oldest is forgotten");
});

Deno.test("LearnedParams: kept by server, so a rename keeps them and another server has none", () => {
  const learned = new LearnedParams();
  learned.learn(at("old", "http://gw.example/v1"), "m", "top_k");
  // The same server under a new name: what it refused still holds.
  assert.deepEqual([...learned.for(at("new", "http://gw.example/v1"), "m")], ["top_k"]);
  // The old name pointed at another server, or another protocol at the same address: nothing.
  assert.deepEqual([...learned.for(at("old", "http://other.example/v1"), "m")], []);
  assert.deepEqual(
    [...learned.for({ ...at("old", "http://gw.example/v1"), type: "anthropic" }, "m")],
    [],
  );
  // /health lists it under each name the config in use gives that server.
  const current = { new: at("new", "http://gw.example/v1"), old: at("old", "http://x.example") };
  assert.deepEqual(learned.snapshot(current), { "new/m": ["top_k"] });
});

Deno.test("LearnedParams: one target keeps at most MAX_PER_TARGET entries", () => {
  const learned = new LearnedParams();
  // A client inventing anthropic-beta values that the upstream refuses one by one.
  const p = at("p");
  for (let i = 0; i < MAX_PER_TARGET * 10; i++) learned.learn(p, "m", `anthropic-beta:x-${i}`);
  assert.equal(learned.for(p, "m").size, MAX_PER_TARGET);
  assert.ok(learned.for(p, "m").has("anthropic-beta:x-0"), "the first ones learned stay");
  assert.equal(learned.learn(p, "m", "top_k"), false, "past the bound: not kept, not logged");
});

Deno.test("a refused value is left out alone, not the parameter", async (t) => {
  const kimi =
    `{"error":{"message":"Unsupported value: 'reasoning_effort' does not support 'none' with this model. Supported values are: 'minimal', 'low', 'medium', and 'high'.","type":"invalid_request_error"}}`;
  const gpt51 =
    `{"error":{"message":"Unsupported value: 'minimal' is not supported with the 'gpt-5.1' model. Supported values are: 'none', 'low', 'medium', and 'high'.","type":"invalid_request_error","param":"reasoning.effort","code":"unsupported_value"}}`;
  await t.step("the wordings name the parameter and the value", () => {
    assert.equal(
      refusedParameter(kimi, { model: "m", reasoning_effort: "none" }),
      "reasoning_effort=none",
    );
    assert.equal(
      refusedParameter(gpt51, { model: "m", reasoning: { effort: "minimal" } }),
      "reasoning.effort=minimal",
    );
    assert.equal(
      refusedParameter(gpt51, { model: "m", reasoning: { effort: "low" } }),
      undefined,
      "not the value ccp sent",
    );
  });
  await t.step("withoutParams drops it only while it holds that value", () => {
    const entry = ["reasoning.effort=minimal"];
    assert.deepEqual(withoutParams({ reasoning: { effort: "minimal" } }, entry), { reasoning: {} });
    const high = { reasoning: { effort: "high", summary: "auto" } };
    assert.equal(withoutParams(high, entry), high);
  });
  await t.step("refused for a request without thinking, kept for the next that asks", () => {
    const learned = new LearnedParams();
    const pupil = { provider: at("codex"), model: "gpt-5.1", learned };
    const off = { body: { model: "gpt-5.1", reasoning: { effort: "minimal" } }, headers: {} };
    const retry = lessonOf({ status: 400, bodyText: gpt51 }, off, pupil);
    assert.deepEqual(retry?.body, { model: "gpt-5.1", reasoning: {} });
    // Learned once the retry without it is answered.
    retry?.settle?.({ ok: true });
    const on = {
      body: { model: "gpt-5.1", reasoning: { effort: "high", summary: "auto" } },
      headers: {},
    };
    const next = applyLearned(on, learned.for(at("codex"), "gpt-5.1"));
    assert.deepEqual(next.body.reasoning, { effort: "high", summary: "auto" });
    assert.deepEqual(applyLearned(off, learned.for(at("codex"), "gpt-5.1")).body.reasoning, {});
  });
  await t.step("a Chat request's reasoning_effort likewise", () => {
    const learned = new LearnedParams();
    const pupil = { provider: at("kimi"), model: "k", learned };
    lessonOf({ status: 400, bodyText: kimi }, {
      body: { model: "k", reasoning_effort: "none" },
      headers: {},
    }, pupil)?.settle?.({ ok: true });
    const body = { model: "k", reasoning_effort: "high" };
    assert.equal(applyLearned({ body, headers: {} }, learned.for(at("kimi"), "k")).body, body);
  });
});
