/**
 * Claude Code drops a tool call whose id it has seen earlier in the conversation, so the model is
 * never told the call ran and asks again, turn after turn. Upstreams that number their calls per
 * answer (`call_0`) or let the model write ids repeat the history's ids; ccp gives such a call a
 * fresh id, on the Chat Completions and the Responses paths, streamed and not.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatChunk, startOpenAIMock } from "../mocks/openai_mock.ts";
import { startResponsesCcp } from "../helpers/responses_ccp.ts";

const READ = {
  name: "Read",
  description: "Read a file",
  input_schema: { type: "object", properties: { file_path: { type: "string" } } },
};

/** A conversation whose last turn called Read with `id` and got its result. */
function request(id: string, stream: boolean) {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    stream,
    tools: [READ],
    messages: [
      { role: "user", content: "read a and b" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id, name: "Read", input: { file_path: "a" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "A" }] },
    ],
  };
}

async function toolIds(url: string, id: string, stream: boolean): Promise<string[]> {
  const res = await postMessages(url, request(id, stream));
  assert.equal(res.status, 200);
  if (!stream) {
    const body = await res.json();
    return body.content.filter((b: { type: string }) => b.type === "tool_use").map((
      b: { id: string },
    ) => b.id);
  }
  return parseSse(await res.text()).flatMap(({ data }) => {
    const block = data.content_block as { type?: string; id?: string } | undefined;
    return data.type === "content_block_start" && block?.type === "tool_use" ? [block.id!] : [];
  });
}

Deno.test("a Chat Completions tool call that reuses an id of the history gets a fresh one", async () => {
  const args = JSON.stringify({ file_path: "b" });
  const calls = (id: string) => [
    { index: 0, id, type: "function", function: { name: "Read", arguments: args } },
    { index: 1, id: "call_1", type: "function", function: { name: "Read", arguments: args } },
  ];
  const sse = chatChunk({ role: "assistant", tool_calls: calls("call_0") }) +
    chatChunk({}, "tool_calls") + "data: [DONE]\n\n";
  const json = {
    id: "c",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{
      index: 0,
      message: { role: "assistant", content: null, tool_calls: calls("call_0") },
      finish_reason: "tool_calls",
    }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
  const mock = startOpenAIMock({ sse, json });
  const ccp = startCcp(testConfig({
    providers: [provider("up", { type: "openai", baseUrl: mock.url, maxRetries: 0 })],
    routes: { default: "up/m" },
  }));
  try {
    for (const stream of [true, false]) {
      const ids = await toolIds(ccp.url, "call_0", stream);
      assert.equal(ids.length, 2);
      assert.notEqual(ids[0], "call_0", "the history's id is not handed out again");
      assert.match(ids[0]!, /^toolu_/);
      assert.equal(ids[1], "call_1", "a fresh upstream id is kept");
    }
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("a Responses API function call that reuses a call_id of the history gets a fresh id", async () => {
  await using env = startResponsesCcp(() => ({
    items: [
      { kind: "call", name: "Read", args: '{"file_path":"b"}', callId: "call_A" },
      { kind: "call", name: "Read", args: '{"file_path":"c"}', callId: "call_B" },
    ],
  }));
  for (const stream of [true, false]) {
    const ids = await toolIds(env.ccp.url, "call_A", stream);
    assert.equal(ids.length, 2);
    assert.match(ids[0]!, /^toolu_/);
    assert.equal(ids[1], "call_B");
  }
});
