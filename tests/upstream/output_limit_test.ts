import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { anthropicErrorBody, textTurn } from "../mocks/anthropic_fixtures.ts";
import { refusedOutputLimit, withOutputLimits } from "../../src/upstream/http/output_limit.ts";

Deno.test("refusedOutputLimit: each provider's wording of its output limit", async (t) => {
  const rows: Array<[string, string, Record<string, unknown>, string | undefined]> = [
    [
      "DeepSeek",
      "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
      { max_tokens: 32000 },
      "max_tokens<=8192",
    ],
    [
      "OpenAI",
      "max_tokens is too large: 64000. This model supports at most 16384 completion tokens, whereas you provided 64000.",
      { max_completion_tokens: 64000 },
      "max_completion_tokens<=16384",
    ],
    [
      "Anthropic",
      "max_tokens: 64000 > 32000, which is the maximum allowed number of output tokens for claude-opus-4-20250514",
      { max_tokens: 64000 },
      "max_tokens<=32000",
    ],
    [
      "Groq",
      "`max_tokens` must be less than or equal to `8192`, the maximum value for `max_tokens` is less than the `context_window` for this model",
      { max_tokens: 32000 },
      "max_tokens<=8192",
    ],
    [
      "Gemini (exclusive bound)",
      "Unable to submit request because it has a maxOutputTokens value of 100000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.",
      { generationConfig: { maxOutputTokens: 100000 } },
      "generationConfig.maxOutputTokens<=65536",
    ],
    [
      "a value already within the limit is not the cause",
      "valid range of max_tokens is [1, 8192]",
      { max_tokens: 100 },
      undefined,
    ],
    ["another refusal", "Invalid value for 'temperature': must be between 0 and 2.", {
      max_tokens: 9,
    }, undefined],
  ];
  for (const [name, message, sent, entry] of rows) {
    await t.step(name, () => assert.equal(refusedOutputLimit(message, sent), entry));
  }
});

Deno.test("withOutputLimits: caps the field, keeps a thinking budget below it", () => {
  const body = { max_tokens: 32000, thinking: { type: "enabled", budget_tokens: 31999 } };
  const before = JSON.stringify(body);
  assert.deepEqual(withOutputLimits(body, ["max_tokens<=8192"]), {
    max_tokens: 8192,
    thinking: { type: "enabled", budget_tokens: 8191 },
  });
  assert.equal(JSON.stringify(body), before, "input not changed");
  assert.deepEqual(
    withOutputLimits({ generationConfig: { maxOutputTokens: 100000, temperature: 1 } }, [
      "generationConfig.maxOutputTokens<=65536",
    ]),
    { generationConfig: { maxOutputTokens: 65536, temperature: 1 } },
  );
});

Deno.test("an upstream's max_tokens range: sent again within it, then remembered", async () => {
  const refusal = anthropicErrorBody(
    "invalid_request_error",
    "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
  );
  const mock = startAnthropicMock([
    { kind: "json", status: 400, body: refusal },
    { kind: "stream", events: textTurn("deepseek-chat", 1) },
    { kind: "stream", events: textTurn("deepseek-chat", 1) },
  ]);
  const ccp = startCcp(testConfig({
    providers: [provider("ds", { baseUrl: mock.url })],
    routes: { default: "ds/deepseek-chat" },
  }));
  try {
    for (let i = 0; i < 2; i++) {
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 32000,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200);
      const events = parseSse(await res.text());
      assert.equal(events.at(-1)?.event, "message_stop");
    }
    assert.deepEqual(mock.requests.map((r) => r.body?.max_tokens), [32000, 8192, 8192]);
  } finally {
    await ccp.close();
    await mock.close();
  }
});
