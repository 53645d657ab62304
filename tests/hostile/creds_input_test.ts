/**
 * Bad input must not become an upstream failure: malformed blocks are refused with a 400 naming
 * the field before anything is sent, and an exception inside ccp answers 500 naming ccp — not
 * retried, and never held against the target (its breaker stays closed for everyone else).
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { TRANSPORTS } from "../../src/server/compose.ts";
import type { Transport } from "../../src/upstream/transport.ts";
import {
  anthropicHead,
  anthropicTail,
  messageBody,
  messages,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

const user = (content: unknown) => [{ role: "user", content }];

const MALFORMED: Array<[string, Record<string, unknown>, RegExp]> = [
  [
    "image without source",
    { messages: user([{ type: "image" }]) },
    /^messages\.0\.content\.0\.source: /,
  ],
  [
    "base64 image without data",
    { messages: user([{ type: "image", source: { type: "base64", media_type: "image/png" } }]) },
    /^messages\.0\.content\.0\.source\.data: /,
  ],
  ["system text block without text", { system: [{ type: "text" }] }, /^system\.0\.text: /],
  [
    "tool_result content 5",
    { messages: user([{ type: "tool_result", tool_use_id: "t", content: 5 }]) },
    /^messages\.0\.content\.0\.content: /,
  ],
  [
    "tool_use without a name",
    {
      messages: [...user("hi"), {
        role: "assistant",
        content: [{ type: "tool_use", id: "t", input: {} }],
      }, ...user("go")],
    },
    /^messages\.1\.content\.0\.name: /,
  ],
  ["tool_choice tool without a name", { tool_choice: { type: "tool" } }, /^tool_choice\.name: /],
  ["tool without a name", { tools: [{ input_schema: {} }] }, /^tools\.0\.name: /],
  [
    "thinking enabled without budget",
    { thinking: { type: "enabled" } },
    /^thinking\.budget_tokens: /,
  ],
  ["stop_sequences not strings", { stop_sequences: [1] }, /^stop_sequences\.0: /],
];

Deno.test("malformed blocks: 400 naming the field, nothing sent, on every protocol", async (t) => {
  for (const kind of ["anthropic", "openai", "gemini"] as const) {
    await t.step(kind, async () => {
      const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
      const ccp = startCcp(testConfig({
        providers: [providerOf(kind, upstream.url, "sk-k-0123456789")],
        routes: { default: "up/m" },
      }));
      try {
        for (const [name, over, field] of MALFORMED) {
          const res = await postMessages(ccp.url, messageBody(over));
          const json = await res.json();
          assert.equal(res.status, 400, `${name}: ${JSON.stringify(json)}`);
          assert.equal(json.error.type, "invalid_request_error");
          assert.match(json.error.message, field, name);
        }
        assert.equal(upstream.seen.length, 0);
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
  await t.step("unknown block types and fields still pass through", async () => {
    const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
    const ccp = startCcp(testConfig({
      providers: [providerOf("anthropic", upstream.url, "sk-k-0123456789")],
      routes: { default: "up/m" },
    }));
    try {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: messages({
          messages: user([{ type: "future_block", x: 1 }, { type: "text", text: "a", extra: 2 }]),
        }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(upstream.seen[0]!.body).messages[0].content[0], {
        type: "future_block",
        x: 1,
      });
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
});

Deno.test("an exception inside ccp: 500 naming ccp, tried once, breaker untouched", async () => {
  const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  let calls = 0;
  let broken = true;
  const buggy: Transport = {
    send(request) {
      calls++;
      if (broken) throw new TypeError("Cannot read properties of undefined (reading 'type')");
      return TRANSPORTS.anthropic!.send(request);
    },
  };
  const ccp = startCcp(
    testConfig({
      providers: [providerOf("anthropic", upstream.url, "sk-k-0123456789", { maxRetries: 3 })],
      routes: { default: "up/m" },
    }),
    { transports: { anthropic: buggy } },
  );
  try {
    for (let i = 0; i < 6; i++) {
      const res = await postMessages(ccp.url, messageBody());
      const json = await res.json();
      assert.equal(res.status, 500, JSON.stringify(json));
      assert.equal(json.error.type, "api_error");
      assert.match(json.error.message, /Internal error in ccp/);
      assert.match(json.error.message, /TypeError/);
    }
    assert.equal(calls, 6, "one attempt per request: an internal error is not retried");
    broken = false;
    const res = await postMessages(ccp.url, messageBody());
    await res.body?.cancel();
    assert.equal(res.status, 200, "the target's breaker did not open");
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
