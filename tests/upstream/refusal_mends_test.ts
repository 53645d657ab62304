/**
 * A 400 that no refusal mend addresses costs no round trip: DeepSeek's refusal of a tool-call turn
 * sent without thinking (thinking on) goes back to the client at once, Anthropic-shaped, in
 * DeepSeek's words, and the route's next target is not asked (a request-shape 400 is the
 * client's). A refusal a mend misreads (words quoting the client's own prompt) is sent once more,
 * then ends: not down a chain of other mends on the same words. A refusal of thinking blocks in
 * the history is not taken for a refusal of the `thinking` parameter, so thinking stays on for
 * later requests.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startRecordingUpstream } from "../helpers/recording_upstream.ts";
import { MAX_RESENDS, postJsonLearning, type Resends } from "../../src/upstream/http/post.ts";
import { LearnedParams } from "../../src/resilience/learned_params.ts";

type Obj = Record<string, unknown>;

const DEEPSEEK = "The `content[].thinking` in the thinking mode must be passed back to the API.";

/** An OpenAI-style 400 body, as DeepSeek's and Moonshot's Anthropic APIs send them. */
const refusal = (message: string) =>
  Response.json({
    error: { message, type: "invalid_request_error", param: null, code: "invalid_request_error" },
  }, { status: 400 });

/** Claude Code's shape: thinking on, a tool-call turn whose thinking another model wrote. */
const toolLoop = (over: Obj = {}) => ({
  model: "claude-opus-5-5",
  max_tokens: 32000,
  stream: true,
  thinking: { type: "enabled", budget_tokens: 4096 },
  tools: [{ name: "Bash", description: "runs", input_schema: { type: "object" } }],
  messages: [
    { role: "user", content: "list the files" },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a" }] },
  ],
  ...over,
});

const resent = (logs: string[]) => logs.filter((l) => l.includes("sent again"));

Deno.test("DeepSeek's 400 for a tool turn without thinking, which no mend addresses: one upstream request, the client told at once in DeepSeek's words, no failover", async () => {
  // The vendor's refusal whatever is sent: the empty thinking block the preset adds is not
  // what this test is about (tests/upstream/thinking_across_providers_test.ts covers it).
  const deepseek = startRecordingUpstream(() => refusal(DEEPSEEK));
  const next = startRecordingUpstream();
  const ccp = startCcp(testConfig({
    providers: [
      provider("deepseek", {
        preset: "deepseek",
        baseUrl: `${deepseek.url}/anthropic`,
        apiKeys: ["sk-deepseek-0123456789"],
        countTokens: false,
      }),
      provider("next", { baseUrl: next.url, apiKeys: ["sk-next-0123456789"] }),
    ],
    routes: { default: ["deepseek/deepseek-v4-pro", "next/m"] },
  }));
  try {
    const res = await postMessages(ccp.url, toolLoop());
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.ok(String(body.error.message).includes(DEEPSEEK), body.error.message);
    assert.equal(deepseek.bodies.length, 1, "sent once");
    assert.equal(next.bodies.length, 0, "no failover for the request's own 400");
    assert.deepEqual(resent(ccp.logs), []);
  } finally {
    await ccp.close();
    await deepseek.close();
    await next.close();
  }
});

Deno.test("a refusal a mend misreads (the upstream quoting the client's prompt back) is sent once more, then ends: no chain of other mends on the same words", async () => {
  // Each sentence of the prompt reads as a refusal some mend answers: images, a parameter, an
  // output limit. The upstream repeats the prompt whatever is sent.
  const prompt = "Explain these errors: 'The model does not support image input.' and " +
    "'Unsupported parameter: 'temperature''. And 'the valid range of max_tokens is [1, 8192]'.";
  const up = startRecordingUpstream(() =>
    Response.json({
      type: "error",
      error: { type: "invalid_request_error", message: `Content flagged: ${prompt}` },
    }, { status: 400 })
  );
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: up.url, apiKeys: ["sk-gw-0123456789"] })],
    routes: { default: "gw/m" },
  }));
  const ask = () =>
    postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 32000,
      temperature: 0.5,
      messages: [{
        role: "user",
        content: [
          { type: "text", text: prompt },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
        ],
      }],
    });
  try {
    const res = await ask();
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.ok(String(body.error.message).includes("Content flagged"), body.error.message);
    assert.equal(up.bodies.length, 2, "the first mend's re-send met the same refusal: the end");
    assert.equal(resent(ccp.logs).length, 1, resent(ccp.logs).join(""));
    // Nothing was learned: the next request is sent as the client wrote it.
    await (await ask()).body?.cancel();
    const third = up.bodies[2]!;
    assert.equal(third.temperature, 0.5);
    assert.equal(third.max_tokens, 32000);
    assert.match(JSON.stringify(third.messages), /"type":"image"/);
  } finally {
    await ccp.close();
    await up.close();
  }
});

Deno.test("a serde refusal of thinking blocks in the history ('unknown variant `thinking`') is no refusal of the thinking parameter: thinking stays on", async () => {
  const words =
    "Failed to deserialize the JSON body into the target type: messages[1].content[0]: " +
    "unknown variant `thinking`, expected one of `text`, `image`, `tool_use`, `tool_result` " +
    "at line 1 column 412";
  // Without the parameter the server would answer: a wrong mend would seem to work.
  const up = startRecordingUpstream((b) => b.thinking !== undefined ? refusal(words) : undefined);
  const ccp = startCcp(testConfig({
    providers: [provider("strict", { baseUrl: up.url, apiKeys: ["sk-strict-0123456789"] })],
    routes: { default: "strict/m" },
  }));
  try {
    // A history ccp sends with thinking on as it is (no tool turn whose thinking went missing).
    const ask = () =>
      postMessages(ccp.url, {
        ...toolLoop({ stream: false }),
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "text", text: "hello" }] },
          { role: "user", content: "list the files" },
        ],
      });
    const first = await ask();
    const body = await first.json();
    assert.equal(first.status, 400);
    assert.ok(String(body.error.message).includes("unknown variant `thinking`"));
    assert.equal(up.bodies.length, 1, "not sent again without thinking");
    await (await ask()).body?.cancel();
    assert.equal(up.bodies.length, 2);
    assert.deepEqual(up.bodies[1]!.thinking, { type: "enabled", budget_tokens: 4096 });
    assert.deepEqual(resent(ccp.logs), []);
  } finally {
    await ccp.close();
    await up.close();
  }
});

Deno.test("the re-sends of one attempt share one count: a call given what is left stops there", async () => {
  // Two different refusals in turn, each answered by a mend: top_k, then temperature.
  const up = startRecordingUpstream((b) =>
    b.top_k !== undefined
      ? refusal("top_k: Extra inputs are not permitted")
      : b.temperature !== undefined
      ? refusal("temperature: Extra inputs are not permitted")
      : undefined
  );
  const gw = provider("gw", { baseUrl: up.url, apiKeys: ["sk-gw-0123456789"] });
  const post = (resends?: Resends) =>
    postJsonLearning({
      provider: gw,
      model: "m",
      url: `${up.url}/v1/messages`,
      headers: { "content-type": "application/json" },
      json: { model: "m", max_tokens: 10, top_k: 5, temperature: 0.5, messages: [] },
      signal: new AbortController().signal,
      fetch: globalThis.fetch,
      learned: new LearnedParams(),
      ...(resends ? { resends } : {}),
    });
  try {
    // An attempt that already spent all but one of its re-sends (a signature refused first).
    const left = { left: 1 };
    const spent = await post(left);
    assert.equal(spent.ok, false);
    assert.equal(left.left, 0);
    assert.equal(up.bodies.length, 2);
    // A fresh attempt: both mends, then the answer.
    const whole = await post();
    assert.equal(whole.ok, true);
    if (whole.ok) await whole.response.body?.cancel();
    assert.equal(up.bodies.length, 5);
    assert.equal(MAX_RESENDS, 3);
  } finally {
    await up.close();
  }
});
