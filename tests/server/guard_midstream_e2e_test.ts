/**
 * An Anthropic-compatible upstream that refuses its key after the answer has started (an
 * `event: error` of type `authentication_error` or `permission_error` mid-stream): the client
 * must hear a gateway error naming the upstream, never its own login failing, whether it
 * streams or asked for JSON.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { openingMessage, type SseEvent, sseEvent as ev } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { assertErrorBody, assertErrorFrame, messageBody } from "./_resilience_env.ts";

const KEY = "charlie-credential-03-Sc3z";

function openingThen(type: string, message: string): SseEvent[] {
  return [
    ev("message_start", {
      message: openingMessage("msg_1", "m", { input_tokens: 3, output_tokens: 1 }),
    }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hel" } }),
    { event: "error", data: { type: "error", error: { type, message } } },
  ];
}

Deno.test("session: an Anthropic upstream refusing its key mid-stream is not the client's login", async (t) => {
  for (
    // Claude Code reads "x-api-key" in any error message as its own login being wrong.
    const [type, words, shown] of [
      ["authentication_error", "invalid x-api-key", "invalid API key"],
      ["permission_error", "key lacks access to this model", "key lacks access to this model"],
    ] as const
  ) {
    const mock = startAnthropicMock([{ kind: "stream", events: openingThen(type, words) }]);
    const ccp = startCcp(testConfig({
      providers: [provider("anth", { type: "anthropic", baseUrl: mock.url, apiKeys: [KEY] })],
      routes: { default: "anth/m" },
    }));
    const send = (stream: boolean) =>
      postMessages(ccp.url, messageBody("claude-sonnet-4-5", stream), {
        "anthropic-version": "2023-06-01",
      });
    try {
      await t.step(`${type}, streaming client: the error frame is api_error`, async () => {
        const res = await send(true);
        assert.equal(res.status, 200);
        const events = parseSse(await res.text());
        assert.deepEqual(events.slice(0, 3).map((e) => e.event), [
          "message_start",
          "content_block_start",
          "content_block_delta",
        ]);
        const error = assertErrorFrame(events);
        assert.equal(error.type, "api_error");
        assert.match(error.message, new RegExp(shown));
        assert.doesNotMatch(error.message, /x-api-key/i);
        assert.equal(events.filter((e) => e.event === "error").length, 1);
        assert.equal(mock.requests.length, 1);
        assert.equal(mock.requests[0]!.headers.get("x-api-key"), KEY);
      });
      await t.step(`${type}, JSON client: 503 api_error, never 401/403`, async () => {
        const res = await send(false);
        const body = await res.json();
        // Nothing had reached it: as for the same refusal before the first byte, the key is set
        // aside and, with no other key or target, the client hears that no credential is usable.
        assert.equal(res.status, 503, JSON.stringify(body));
        const error = assertErrorBody(body);
        assert.equal(error.type, "api_error");
        assert.match(error.message, new RegExp(shown));
        assert.match(
          error.message,
          /^No usable credentials: provider "anth" model "m": 1 key refused with 40[13] \(tried again in/,
        );
        assert.doesNotMatch(error.message, /x-api-key/i);
        assert.ok(!JSON.stringify(body).includes(KEY));
        assert.equal(mock.requests.length, 2);
      });
    } finally {
      await ccp.close();
      await mock.close();
    }
  }
});
