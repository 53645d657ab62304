/**
 * A request costs what its target cost when it was sent: a reload while it streams changes nothing,
 * whether the target was priced or said in its answer what it cost (OpenRouter).
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

const PRICE = { input: 3, output: 15 };

function configWith(ids: string[], preset?: string): Config {
  return testConfig({
    providers: ids.map((id) =>
      provider(id, {
        apiKeys: [`sk-${id}-0000000000000001`],
        // An OpenRouter target has no price here: its answer says what it cost.
        ...(preset ? { preset } : { modelSettings: { m: { price: PRICE } } }),
      })
    ),
    routes: { default: `${ids[0]}/m` },
  });
}

const events = (input: number, output: number, cost?: number) =>
  [
    {
      type: "message_start",
      message: openingMessage("msg_1", "m", { input_tokens: input, output_tokens: 1 }),
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: output, ...(cost !== undefined ? { cost, is_byok: false } : {}) },
    },
    { type: "message_stop" },
  ].map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);

/** The cost /metrics counts for `old/m` when a reload moves the route to `new` mid-stream. */
async function costAfterReload(preset?: string, reported?: number): Promise<number> {
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const fetch = () => {
    // The answer starts (its first text is sent on at once), then waits for the reload.
    const all = events(1000, 2000, reported);
    const first = all.slice(0, 3).join("");
    const rest = all.slice(3);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(first));
        await finished;
        controller.enqueue(new TextEncoder().encode(rest.join("")));
        controller.close();
      },
    });
    return Promise.resolve(
      new Response(body, { headers: { "content-type": "text/event-stream" } }),
    );
  };
  const { app, setConfig } = testApp(configWith(["old"], preset), { fetch });
  const answer = await app.fetch(
    new Request("http://ccp/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "x",
        stream: true,
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
  );
  assert.equal(answer.status, 200);
  // The user moves to another provider and reloads while the answer streams.
  setConfig(configWith(["new"], preset));
  finish();
  await answer.text();
  const metrics = await (await app.fetch(new Request("http://ccp/metrics"))).text();
  const cost = /^ccp_cost_usd_total\{provider="old",model="m",route="default"\} (\S+)$/m
    .exec(metrics)?.[1];
  assert.ok(cost !== undefined, metrics);
  return Number(cost);
}

Deno.test("a stream that ends after a reload dropped its provider is still priced", async () => {
  assert.equal(await costAfterReload(), (1000 * 3 + 2000 * 15) / 1e6);
});

Deno.test("a stream that ends after a reload dropped its OpenRouter provider costs what it reported", async () => {
  assert.equal(await costAfterReload("open_router", 0.0421), 0.0421);
});
