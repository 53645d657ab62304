import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type MockReply, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { fewerOutputTokens } from "../../src/upstream/http/affordable_output.ts";

// Groq's words, as its API answers a request whose prompt plus max_tokens exceed the key's TPM.
const groqTpm = (limit: number, requested: number) => ({
  error: {
    message:
      `Request too large for model \`llama-3.3-70b-versatile\` in organization \`org_01x\` ` +
      `service tier \`on_demand\` on tokens per minute (TPM): Limit ${limit}, Requested ` +
      `${requested}, please reduce your message size and try again. Need more tokens? Upgrade to ` +
      "Dev Tier today at https://console.groq.com/settings/billing",
    type: "tokens",
    code: "rate_limit_exceeded",
  },
});

// OpenRouter's words for a key whose credits cover fewer output tokens than asked.
const openRouterAfford = (asked: number, afford: number) => ({
  error: {
    message:
      `This request requires more credits, or fewer max_tokens. You requested up to ${asked} ` +
      `tokens, but can only afford ${afford}. To increase, visit https://openrouter.ai/settings/credits ` +
      "and upgrade to a paid account",
    code: 402,
    metadata: { provider_name: null },
  },
});

const message = (body: { error: { message: string } }) => body.error.message;

Deno.test("fewerOutputTokens: the room a refusal leaves, when it is worth a second try", async (t) => {
  const rows: Array<[string, number, string, Record<string, unknown>, string | undefined]> = [
    [
      "Groq 413: the prompt (34137 - 32000) leaves 9863 of the 12000 a minute",
      413,
      message(groqTpm(12000, 34137)),
      { max_completion_tokens: 32000 },
      "max_completion_tokens<=9863",
    ],
    [
      "Groq 413: a prompt larger than the limit leaves no room",
      413,
      message(groqTpm(6000, 30500)),
      { max_tokens: 8192 },
      undefined,
    ],
    [
      "Groq 413: less room than is worth asking for",
      413,
      message(groqTpm(12000, 40000)),
      { max_tokens: 32000 },
      undefined,
    ],
    [
      "OpenAI 429 on tokens per min",
      429,
      "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, " +
      "Requested 70000. The input or output tokens must be reduced in order to run successfully.",
      { max_completion_tokens: 64000 },
      "max_completion_tokens<=24000",
    ],
    [
      "a per-minute limit already partly used is a plain rate limit: a later request is served",
      429,
      "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01x` on tokens " +
      "per minute (TPM): Limit 12000, Used 9000, Requested 8000. Please try again in 25s.",
      { max_tokens: 32000 },
      undefined,
    ],
    [
      "OpenRouter 402 that can afford enough",
      402,
      message(openRouterAfford(64000, 12345)),
      { max_tokens: 64000 },
      "max_tokens<=12345",
    ],
    [
      "OpenRouter 402 that can afford too little",
      402,
      message(openRouterAfford(64000, 2666)),
      { max_tokens: 64000 },
      undefined,
    ],
    [
      "a 413 for the size of the body is not about output",
      413,
      "Request Entity Too Large",
      { max_tokens: 32000 },
      undefined,
    ],
    [
      "the same words under another status",
      400,
      message(openRouterAfford(64000, 12345)),
      { max_tokens: 64000 },
      undefined,
    ],
  ];
  for (const [name, status, text, body, entry] of rows) {
    await t.step(name, () => assert.equal(fewerOutputTokens(status, text, body), entry));
  }
});

/** Runs `requests` Messages calls through ccp to an upstream answering `replies` in turn. */
async function throughCcp(replies: MockReply[], requests: number, maxTokens = 32000) {
  const mock = startAnthropicMock(replies);
  const ccp = startCcp(testConfig({
    providers: [provider("up", { baseUrl: mock.url, apiKeys: ["sk-test-aaaaaaaaaaaa1111"] })],
    routes: { default: "up/model-x" },
  }));
  try {
    const answers: Array<{ status: number; text: string }> = [];
    for (let i = 0; i < requests; i++) {
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: maxTokens,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      answers.push({ status: res.status, text: await res.text() });
    }
    return { answers, sent: mock.requests.map((r) => r.body?.max_tokens) };
  } finally {
    await ccp.close();
    await mock.close();
  }
}

const served = (answer: { status: number; text: string }) =>
  answer.status === 200 && parseSse(answer.text).at(-1)?.event === "message_stop";

Deno.test("a TPM refusal of the output asked for: sent again with what fits, each time", async () => {
  const turn: MockReply = { kind: "stream", events: textTurn("model-x", 1) };
  const refusal: MockReply = { kind: "json", status: 413, body: groqTpm(12000, 34137) };
  const { answers, sent } = await throughCcp([refusal, turn, refusal, turn], 2);
  assert.ok(answers.every(served), JSON.stringify(answers));
  // Not remembered: the next prompt may be larger or smaller.
  assert.deepEqual(sent, [32000, 9863, 32000, 9863]);
});

Deno.test("OpenRouter's 402 that could afford fewer tokens: served, the key kept", async () => {
  const turn: MockReply = { kind: "stream", events: textTurn("model-x", 1) };
  const refusal: MockReply = { kind: "json", status: 402, body: openRouterAfford(32000, 12345) };
  const { answers, sent } = await throughCcp([refusal, turn, refusal, turn], 2);
  assert.ok(answers.every(served), JSON.stringify(answers));
  assert.deepEqual(sent, [32000, 12345, 32000, 12345], "the key was asked again, not set aside");
});

Deno.test("a TPM refusal with no room for output", async (t) => {
  await t.step("is Anthropic's over-long prompt (Claude Code compacts), not a 413", async () => {
    const refusal: MockReply = { kind: "json", status: 413, body: groqTpm(6000, 30500) };
    const { answers, sent } = await throughCcp([refusal], 1, 8192);
    assert.equal(answers[0]!.status, 400, answers[0]!.text);
    const error = JSON.parse(answers[0]!.text).error;
    assert.equal(error.type, "invalid_request_error");
    assert.match(error.message, /^prompt is too long: 30500 tokens > 6000 maximum \(.*TPM/);
    assert.deepEqual(sent, [8192], "not sent again, and no retry of the same request");
  });
  await t.step("fails over to the next target first", async () => {
    const groq = startAnthropicMock([{ kind: "json", status: 413, body: groqTpm(6000, 30500) }]);
    const other = startAnthropicMock([{ kind: "stream", events: textTurn("model-y", 1) }]);
    const ccp = startCcp(testConfig({
      providers: [
        provider("groq", { baseUrl: groq.url, apiKeys: ["sk-test-aaaaaaaaaaaa1111"] }),
        provider("other", { baseUrl: other.url, apiKeys: ["sk-test-bbbbbbbbbbbb2222"] }),
      ],
      routes: { default: ["groq/model-x", "other/model-y"] },
    }));
    try {
      const res = await postMessages(ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 8192,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.ok(served({ status: res.status, text: await res.text() }));
      assert.equal(groq.requests.length, 1);
      assert.equal(other.requests.length, 1);
    } finally {
      await ccp.close();
      await groq.close();
      await other.close();
    }
  });
  await t.step("a 413 for the size of the body stays a 413", async () => {
    const refusal: MockReply = {
      kind: "json",
      status: 413,
      body: { type: "error", error: { type: "request_too_large", message: "Request too large" } },
    };
    const { answers } = await throughCcp([refusal], 1);
    assert.equal(answers[0]!.status, 413);
    assert.equal(JSON.parse(answers[0]!.text).error.type, "request_too_large");
  });
});

Deno.test("OpenRouter's 402 that affords too little: the error names what it affords", async () => {
  const refusal: MockReply = { kind: "json", status: 402, body: openRouterAfford(32000, 2666) };
  const { answers, sent } = await throughCcp([refusal], 1);
  assert.deepEqual(sent, [32000], "not sent again for 2666 tokens");
  assert.equal(answers[0]!.status, 503);
  const error = JSON.parse(answers[0]!.text).error;
  assert.equal(error.code, "auth_unavailable");
  assert.match(error.message, /can only afford 2666\b.*Add credits to the account behind the key/);
});
