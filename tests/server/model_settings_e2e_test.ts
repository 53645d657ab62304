import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";

const CHAT_COMPLETION = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "gpt-5",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 2 },
};

/** What Claude Code sends: a large max_tokens and no thinking for a background model. */
const claudeRequest = (model: string, stream: boolean) => ({
  model,
  max_tokens: 128000,
  stream,
  messages: [{ role: "user", content: "hello" }],
});

const post = (url: string, body: unknown) =>
  postMessages(url, body, { "anthropic-version": "2023-06-01" });

Deno.test("a variant alias reaches an OpenAI upstream with its effort and a capped max_tokens", async () => {
  const upstream = startOpenAIMock({ json: CHAT_COMPLETION });
  const config = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  oa:
    preset: openai
    base_url: ${upstream.url}
    api_key: sk-test-000000000000
    model_settings:
      gpt-5: { max_output_tokens: 8k, extra_body: { service_tier: flex } }
routes:
  default: oa/gpt-5
aliases:
  gpt-5-high: { target: oa/gpt-5, reasoning_effort: high }
  gpt-5-minimal: { target: oa/gpt-5, reasoning_effort: minimal }
`,
  });
  const ccp = startCcp(config);
  try {
    for (const [alias, effort] of [["gpt-5-high", "high"], ["gpt-5-minimal", "minimal"]]) {
      const res = await post(ccp.url, claudeRequest(alias!, false));
      assert.equal(res.status, 200, await res.clone().text());
      const message = await res.json();
      assert.equal(message.model, alias, "the answer carries the name the client sent");
      const sent = upstream.requests.at(-1)!.body;
      assert.equal(sent.model, "gpt-5");
      assert.equal(sent.reasoning_effort, effort);
      assert.equal(sent.max_completion_tokens, 8000);
      assert.equal(sent.service_tier, "flex");
    }
    // The plain route: provider settings only, and the client's (absent) thinking.
    await (await post(ccp.url, claudeRequest("claude-sonnet-4-5", false))).body?.cancel();
    const plain = upstream.requests.at(-1)!.body;
    assert.equal(plain.max_completion_tokens, 8000);
    assert.equal(plain.reasoning_effort, "minimal", "gpt-5's off switch when no thinking is asked");
    const models = await (await fetch(`${ccp.url}/v1/models`)).json();
    const ids = models.data.map((m: { id: string }) => m.id);
    assert.ok(ids.includes("gpt-5-high") && ids.includes("gpt-5-minimal"), ids.join());
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("an Anthropic-compatible upstream gets the cap, the thinking and the effort", async () => {
  const upstream = startAnthropicMock([{ kind: "stream", events: textTurn("glm", 2) }]);
  const config = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  zai:
    type: anthropic
    base_url: ${upstream.url}
    api_key: test-key-0000000000
    model_settings:
      "*": { max_output_tokens: 32k }
routes:
  default: zai/glm-4.6
  haiku: { target: zai/glm-4.6-air, thinking: off }
aliases:
  glm-max: { target: zai/glm-4.6, reasoning_effort: max }
`,
  });
  const ccp = startCcp(config);
  try {
    const res = await post(ccp.url, claudeRequest("glm-max", true));
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.event, "message_stop");
    const sent = upstream.requests[0]!.body!;
    assert.equal(sent.model, "glm-4.6");
    assert.equal(sent.max_tokens, 32000, "128000 would be refused by many compatible endpoints");
    assert.deepEqual(sent.output_config, { effort: "max" });
    assert.deepEqual(sent.thinking, { type: "enabled", budget_tokens: 31999 });

    const haiku = { ...claudeRequest("claude-haiku-4-5", true), thinking: { type: "adaptive" } };
    await (await post(ccp.url, haiku)).text();
    const background = upstream.requests[1]!.body!;
    assert.equal(background.model, "glm-4.6-air");
    assert.equal(background.thinking, undefined, "the variant turned thinking off");
    assert.equal(background.max_tokens, 32000);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
