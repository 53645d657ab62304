/**
 * An upstream that reports a negative token count ("-1": unknown) must not take tokens off
 * /metrics' counters, which only grow, nor off the usage a request is recorded with.
 */

import assert from "node:assert/strict";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const config = testConfig({
  providers: [provider("local", { apiKeys: ["sk-local-000000000000001"] })],
  routes: { default: "local/m" },
});

function message(output: number) {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "m",
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: output, cache_read_input_tokens: -1 },
  };
}

function stream(output: number): string {
  const events = [
    { type: "message_start", message: { ...message(1), content: [], stop_reason: null } },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: output, input_tokens: -1 },
    },
    { type: "message_stop" },
  ];
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

Deno.test("negative token counts from an upstream are not counted", async () => {
  const outputs = [20, -1];
  let served = 0;
  const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
    const body = await new Response(init?.body).json();
    const output = outputs[served++ % 2]!;
    return body.stream
      ? new Response(stream(output), { headers: { "content-type": "text/event-stream" } })
      : Response.json(message(output));
  };
  const records: RequestRecord[] = [];
  const { app } = testApp(config, { fetch, observers: [{ ended: (r) => records.push(r) }] });
  const counted = async () => {
    const text = await (await app.fetch(new Request("http://ccp/metrics"))).text();
    const value = (kind: string) =>
      Number(
        new RegExp(`^ccp_tokens_total\\{provider="local",model="m",kind="${kind}"\\} (\\S+)$`, "m")
          .exec(text)?.[1] ?? 0,
      );
    return { input: value("input"), output: value("output"), cacheRead: value("cache_read") };
  };
  let last = { input: 0, output: 0, cacheRead: 0 };
  for (const stream of [false, false, true, true]) {
    const answer = await app.fetch(
      new Request("http://ccp/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "x",
          stream,
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        }),
      }),
    );
    assert.equal(answer.status, 200);
    await answer.text();
    const now = await counted();
    assert.ok(
      now.input >= last.input && now.output >= last.output && now.cacheRead >= last.cacheRead,
      `${JSON.stringify(last)} → ${JSON.stringify(now)}`,
    );
    last = now;
  }
  assert.deepEqual(records.map((r) => r.usage), [
    { inputTokens: 10, outputTokens: 20 },
    { inputTokens: 10 },
    { inputTokens: 10, outputTokens: 20 },
    { inputTokens: 10, outputTokens: 1 },
  ]);
});
