/** Claude Code's agent loop through ccp to an OpenAI Responses API upstream (mock on 127.0.0.1). */

import assert from "node:assert/strict";
import type { ProviderConfig } from "../../src/config/types.ts";
import { RESPONSES_KEY, startResponsesCcp } from "../helpers/responses_ccp.ts";
import { CONTEXT_OVERFLOW_SCRIPT, type ResponsesScript } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames, sdkMessage } from "../translate/_stream_helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const KEY = RESPONSES_KEY;
const WRITE = '{"file_path":"/tmp/x.txt","content":"hi\\n"}';

const setup = (
  script: (body: Record<string, unknown>, n: number) => ResponsesScript,
  over: Partial<ProviderConfig> = {},
) => startResponsesCcp(script, "gpt-5.1-codex", over);

const post = (url: string, body: unknown) => postMessages(url, body);

Deno.test("Responses upstream: a tool loop with reasoning replayed across turns", async () => {
  await using env = setup((_body, n) =>
    n === 0
      ? {
        items: [{ kind: "reasoning", summary: ["Need to write."], encrypted: "gAAAA-turn1" }, {
          kind: "call",
          name: "Write",
          args: WRITE,
          callId: "call_T1",
        }],
      }
      : {
        items: [{ kind: "text", text: "Wrote it." }],
        usage: { input: 3000, cached: 2048, output: 20 },
      }
  );
  const tools = [{
    name: "Write",
    description: "write",
    input_schema: { type: "object", properties: { file_path: { type: "string" } } },
  }];
  const first = {
    model: "claude-sonnet-4-5",
    max_tokens: 32000,
    stream: true,
    thinking: { type: "adaptive" },
    tools,
    messages: [{ role: "user", content: "write x" }],
  };
  const res1 = await post(env.ccp.url, first);
  assert.equal(res1.status, 200);
  assert.equal(res1.headers.get("x-ccp-provider"), "codex");
  const sse1 = await res1.text();
  assertWellFormed(parseFrames(sse1));
  const turn1 = await sdkMessage(sse1);
  assert.deepEqual(turn1.content.map((b) => b.type), ["thinking", "tool_use"]);
  assert.equal(turn1.stop_reason, "tool_use");

  // What reached the upstream on turn 1.
  const sent1 = env.mock.requests[0]!;
  assert.equal(sent1.headers.get("authorization"), `Bearer ${KEY}`);
  assert.equal(sent1.body.store, false);
  assert.deepEqual(sent1.body.include, ["reasoning.encrypted_content"]);
  assert.deepEqual(sent1.body.input, [{
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "write x" }],
  }]);

  // Turn 2, as Claude Code sends it: the whole history, the thinking block with its signature.
  const second = {
    ...first,
    messages: [
      ...first.messages,
      { role: "assistant", content: turn1.content },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "call_T1", content: "File written" }],
      },
    ],
  };
  const res2 = await post(env.ccp.url, second);
  const turn2 = await sdkMessage(await res2.text());
  assert.deepEqual(
    turn2.content,
    [{ type: "text", text: "Wrote it.", citations: null }].map(({ citations: _, ...b }) => b),
  );
  assert.equal(turn2.usage.cache_read_input_tokens, 2048);
  assert.equal(turn2.usage.input_tokens, 952);
  assert.deepEqual(env.mock.requests[1]!.body.input, [
    { type: "message", role: "user", content: [{ type: "input_text", text: "write x" }] },
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Need to write." }],
      encrypted_content: "gAAAA-turn1",
    },
    { type: "function_call", call_id: "call_T1", name: "Write", arguments: WRITE },
    { type: "function_call_output", call_id: "call_T1", output: "File written" },
  ]);
});

Deno.test("Responses upstream: a JSON answer for a non-streaming request", async () => {
  await using env = setup(() => ({ items: [{ kind: "text", text: "plain" }] }));
  const res = await post(env.ccp.url, {
    model: "claude-haiku-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const message = await res.json();
  assert.equal(message.model, "claude-haiku-4-5");
  assert.deepEqual(message.content, [{ type: "text", text: "plain" }]);
  assert.equal(message.stop_reason, "end_turn");
  assert.equal(env.mock.requests[0]!.body.stream, undefined);
});

Deno.test("Responses upstream: a refused key never reaches Claude Code as its own auth error", async () => {
  await using env = setup(() => ({ items: [] }), { apiKeys: ["sk-wrong-key-000000000000"] });
  const res = await post(env.ccp.url, {
    model: "claude-haiku-4-5",
    max_tokens: 100,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  });
  const body = await res.json();
  assert.notEqual(res.status, 401);
  assert.notEqual(body.error.type, "authentication_error");
  assert.ok(!JSON.stringify(body).includes("sk-wrong-key"));
});

Deno.test("Responses upstream: an over-long prompt failed in the answer reads as Anthropic's", async (t) => {
  await using env = setup(() => CONTEXT_OVERFLOW_SCRIPT);
  const request = {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "a very long conversation" }],
  };
  // Failed before its first output, it is refused before the stream starts, as Anthropic refuses
  // an over-long prompt.
  await t.step("streamed: a 400 that starts with Anthropic's sentence", async () => {
    const res = await post(env.ccp.url, { ...request, stream: true });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^prompt is too long \(/);
  });
  await t.step("not streamed: a 400 that starts with it", async () => {
    const res = await post(env.ccp.url, request);
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^prompt is too long \(/);
  });
});
