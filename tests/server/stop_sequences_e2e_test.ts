/**
 * stop_sequences through ccp to the Responses API, which has no such parameter: the answer still
 * ends before the sequence and says `stop_sequence` and which, streamed or not.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startResponsesMock } from "../mocks/responses_mock.ts";
import { assertWellFormed, parseFrames, sdkMessage } from "../translate/_stream_helpers.ts";

const ANSWER = "Thought: I should look.\nObservation: the file has 3 lines\nThought: done";

function setup() {
  const mock = startResponsesMock(() => ({ items: [{ kind: "text", text: ANSWER }] }));
  const ccp = startCcp(testConfig({
    providers: [
      provider("codex", {
        type: "openai_responses",
        preset: "openai_responses",
        baseUrl: mock.url,
        apiKeys: ["sk-test-responses-key"],
        authHeader: "bearer",
        maxRetries: 0,
      }),
    ],
    routes: { default: "codex/gpt-4.1" },
  }));
  return {
    ccp,
    mock,
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await mock.close();
    },
  };
}

const request = (stream: boolean) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 1000,
  stream,
  stop_sequences: ["\nObservation:"],
  messages: [{ role: "user", content: "go" }],
});

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

Deno.test("Responses upstream: stop_sequences end the answer and are named", async (t) => {
  await using env = setup();
  await t.step("streamed", async () => {
    const res = await post(env.ccp.url, request(true));
    assert.equal(res.status, 200);
    const sse = await res.text();
    assertWellFormed(parseFrames(sse));
    const message = await sdkMessage(sse);
    assert.deepEqual(message.content, [{ type: "text", text: "Thought: I should look." }]);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "\nObservation:");
  });
  await t.step("not streamed", async () => {
    const res = await post(env.ccp.url, request(false));
    assert.equal(res.status, 200);
    const message = await res.json();
    assert.deepEqual(message.content, [{ type: "text", text: "Thought: I should look." }]);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "\nObservation:");
  });
  assert.equal(env.mock.requests[0]?.body.stop, undefined, "the API has no stop parameter");
});
